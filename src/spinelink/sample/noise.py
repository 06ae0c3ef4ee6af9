"""Turn true people into noisy source records (vectorised, except per-typo string edits).

`render` returns the logical content of one record per requested person; the writers
then spell it in each source's own columns, codes and formats.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .codes import EMPLOYMENT
from .cultures import CULTURES, ENGLISH, UKRAINIAN
from .names import NameTable, pools
from .people import Population

LATIN = "abcdefghijklmnopqrstuvwxyz"
CYRILLIC = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"


@dataclass(frozen=True)
class NoiseSpec:
    """Rates per record (names per field); typo and missing rates are multiplied by the
    culture's `noise` factor."""

    typo: float = 0.0
    nickname: float = 0.0  # English forenames with a nickname (else an initial)
    initial: float = 0.0
    swap_names: float = 0.0
    miss_first: float = 0.0
    miss_middle: float = 0.0
    miss_last: float = 0.0
    variant: float = 0.0  # another romanisation (South Asian, Persian)
    cyrillic: float = 0.0  # Ukrainian record kept in Cyrillic
    ukr_variant: float = 0.0  # Ukrainian romanised other than KMU 2010
    drop_diacritics: float = 0.0
    replace_diacritics: float = 0.0
    middle_in_first: float = 0.0
    surname_change: float = 0.0  # adult women
    dob_missing: float = 0.0
    dob_partial: float = 0.0  # day (and sometimes month) unknown, recorded as 01
    dob_swap: float = 0.0
    dob_shift: float = 0.0  # off by one day or one year
    sex_unknown: float = 0.0
    moved: float = 0.0  # share of moved households recorded at the new address
    miss_postcode: float = 0.0
    miss_address: float = 0.0
    nino: float = 0.0  # share of NINo holders whose NINo is recorded
    nino_spaces: float = 0.0
    nino_typo: float = 0.0
    nino_other: float = 0.0  # another person's NINo (a household member's) by mistake
    miss_ethnic: float = 0.0
    miss_disability: float = 0.0
    employment_change: float = 0.0


@dataclass
class Records:
    person: np.ndarray
    first: np.ndarray
    middle: np.ndarray
    last: np.ndarray
    cyrillic: np.ndarray
    dob: np.ndarray  # datetime64[D], NaT when missing
    sex: np.ndarray  # "M", "F" or None
    unit: np.ndarray
    house: np.ndarray
    has_postcode: np.ndarray
    has_address: np.ndarray
    nino: np.ndarray
    ethnic: np.ndarray  # index into ETHNIC_2021, -1 missing
    disabled: np.ndarray  # 1, 0, -1 missing
    employment: np.ndarray  # index into EMPLOYMENT, -1 missing


def _typo(s: str, op: int, u: float, v: float) -> str:
    n = len(s)
    if n < 2:
        return s
    i = int(u * (n - 1)) + 1 if u < 0.9 else 0  # rarely the first letter
    i = min(i, n - 1)
    if op == 0:  # substitution within the same script
        c = s[i]
        alphabet = CYRILLIC if "\u0400" <= c.lower() <= "\u04ff" else LATIN
        r = alphabet[int(v * len(alphabet))]
        if r == c.lower():
            r = alphabet[(int(v * len(alphabet)) + 1) % len(alphabet)]
        return s[:i] + (r.upper() if c.isupper() else r) + s[i + 1 :]
    if op == 1:  # deletion
        return s[:i] + s[i + 1 :]
    i = min(i, n - 2)  # transposition
    return s[:i] + s[i + 1] + s[i] + s[i + 2 :]


def add_typos(rng: np.random.Generator, values: np.ndarray, rate: np.ndarray) -> None:
    """Apply one-character edits in place to a share `rate` (per row) of the values."""
    hit = np.flatnonzero(rng.random(len(values)) < rate)
    op = rng.integers(0, 3, len(hit))
    u = rng.random(len(hit))
    v = rng.random(len(hit))
    for j, i in enumerate(hit.tolist()):
        s = values[i]
        if s:
            values[i] = _typo(s, int(op[j]), float(u[j]), float(v[j]))


def ymd(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = d.astype("datetime64[Y]")
    m = d.astype("datetime64[M]")
    return (y.astype(np.int64) + 1970, (m - y.astype("datetime64[M]")).astype(np.int64) + 1,
            (d - m.astype("datetime64[D]")).astype(np.int64) + 1)


def from_ymd(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dates from parts, and whether the parts made a real date."""
    month = (y - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (m - 1)
    out = month.astype("datetime64[D]") + (d - 1)
    _, m2, d2 = ymd(out)
    return out, (m2 == m) & (d2 == d)


def _names(table: NameTable, ids: np.ndarray, cyr: np.ndarray, var: np.ndarray,
           drop: np.ndarray, repl: np.ndarray, u: np.ndarray) -> np.ndarray:
    out = table.roman[ids]
    out[cyr] = table.true[ids[cyr]]
    col = (u * np.maximum(table.nvar[ids], 1)).astype(np.int64)
    out[var] = table.var[ids[var], col[var]]
    out[drop] = table.fold[ids[drop]]
    out[repl] = table.repl[ids[repl]]
    return out


def _housemate(pop: Population, person: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Another member of each person's household (a random person for those living alone).

    Households are contiguous in the population, so a neighbour in it is a housemate."""
    hh, n = pop.household, len(pop)
    up, down = np.minimum(person + 1, n - 1), np.maximum(person - 1, 0)
    out = np.where((up != person) & (hh[up] == hh[person]), up,
                   np.where((down != person) & (hh[down] == hh[person]), down, -1))
    alone = out < 0
    out[alone] = (person[alone] + rng.integers(1, n, int(alone.sum()))) % n
    return out


def render(pop: Population, person: np.ndarray, spec: NoiseSpec,
           rng: np.random.Generator) -> Records:
    P = pools()
    n = len(person)
    c = pop.culture[person]
    mult = np.array([k.noise for k in CULTURES])[c]
    kind = np.array([k.kind for k in CULTURES], dtype=object)[c]
    female = pop.female[person]
    rnd = lambda: rng.random(n)  # noqa: E731

    # script and romanisation, per record for Ukrainian and diacritics, per field otherwise
    ukr = c == UKRAINIAN
    cyr = ukr & (rnd() < spec.cyrillic)
    ukr_var = ukr & ~cyr & (rnd() < spec.ukr_variant)
    dia = kind == "diacritics"
    r = rnd()
    drop = dia & (r < spec.drop_diacritics)
    repl = dia & ~drop & (r < spec.drop_diacritics + spec.replace_diacritics)
    spell = kind == "spellings"

    def given(ids: np.ndarray) -> np.ndarray:
        var = ukr_var | (spell & (rnd() < spec.variant))
        return _names(P.given, ids, cyr, var, drop, repl, rnd())

    last_ids = pop.surname[person].copy()
    alt = pop.alt_surname[person]
    changed = (alt >= 0) & (rnd() < spec.surname_change)
    last_ids[changed] = alt[changed]
    first_ids = pop.first[person]
    first = given(first_ids)
    middle = given(pop.middle[person])
    svar = ukr_var | (spell & (rnd() < spec.variant))
    last = _names(P.surname, last_ids, cyr, svar, drop, repl, rnd())

    # nicknames and initials
    english = c == ENGLISH
    nick = english & (rnd() < spec.nickname)
    has_nick = P.given.nnick[first_ids] > 0
    use = nick & has_nick
    col = (rnd() * np.maximum(P.given.nnick[first_ids], 1)).astype(np.int64)
    first[use] = P.given.nick[first_ids[use], col[use]]
    initial = (nick & ~has_nick) | (rnd() < spec.initial)
    first[initial] = np.array([s[0] for s in first[initial]], dtype=object)
    both = (middle != None) & (rnd() < spec.middle_in_first)  # noqa: E711
    first[both] = first[both] + " " + middle[both]
    middle[both] = None

    for values in (first, middle, last):
        add_typos(rng, values, spec.typo * mult)
    swap = rnd() < spec.swap_names
    first[swap], last[swap] = last[swap], first[swap].copy()
    first[rnd() < spec.miss_first * mult] = None
    middle[rnd() < spec.miss_middle * mult] = None
    last[rnd() < spec.miss_last * mult] = None

    # date of birth
    dob = pop.dob[person].copy()
    y, m, d = ymd(dob)
    swap = (rnd() < spec.dob_swap) & (d <= 12) & (d != m)
    y2, m2, d2 = y.copy(), np.where(swap, d, m), np.where(swap, m, d)
    r = rnd()
    shift = r < spec.dob_shift
    year = shift & (r < spec.dob_shift / 2)
    y2 = y2 + np.where(year, np.where(rnd() < 0.5, -1, 1), 0)
    r = rnd()
    d2 = np.where(r < spec.dob_partial, 1, d2)
    m2 = np.where(r < spec.dob_partial / 3, 1, m2)
    d2 = np.where(year & (m2 == 2) & (d2 == 29), 28, d2)
    dob, _ = from_ymd(y2, m2, d2)
    day = shift & ~year
    dob[day] += np.where(rnd()[day] < 0.5, -1, 1).astype("timedelta64[D]")
    dob[rnd() < spec.dob_missing * mult] = np.datetime64("NaT")

    sex = np.where(female, "F", "M").astype(object)
    sex[rnd() < spec.sex_unknown] = None

    moved = pop.moved[person] & (rnd() < spec.moved)
    unit = np.where(moved, pop.alt_unit[person], pop.unit[person])
    house = np.where(moved, pop.alt_house[person], pop.house[person])

    nino = pop.nino[person].copy()
    nino[rnd() >= spec.nino] = None
    other = np.flatnonzero(rnd() < spec.nino_other)
    nino[other] = pop.nino[_housemate(pop, person[other], rng)]
    bad = np.flatnonzero((nino != None) & (rnd() < spec.nino_typo))  # noqa: E711
    pos = rng.integers(2, 8, len(bad))
    step = rng.integers(1, 10, len(bad))
    for i, p, k in zip(bad.tolist(), pos.tolist(), step.tolist(), strict=True):
        s = nino[i]
        nino[i] = s[:p] + str((int(s[p]) + k) % 10) + s[p + 1 :]
    spaced = (nino != None) & (rnd() < spec.nino_spaces)  # noqa: E711
    nino[spaced] = [f"{s[:2]} {s[2:4]} {s[4:6]} {s[6:8]} {s[8:]}" for s in nino[spaced]]

    ethnic = pop.ethnic[person].astype(np.int64)
    ethnic[rnd() < spec.miss_ethnic] = -1
    disabled = pop.disabled[person].astype(np.int64)
    disabled[rnd() < spec.miss_disability] = -1
    employment = pop.employment[person].astype(np.int64)
    change = rnd() < spec.employment_change
    employment[change] = (employment[change] + rng.integers(1, len(EMPLOYMENT),
                                                            int(change.sum()))) % len(EMPLOYMENT)

    return Records(
        person=person, first=first, middle=middle, last=last, cyrillic=cyr, dob=dob,
        sex=sex, unit=unit, house=house,
        has_postcode=rnd() >= spec.miss_postcode * mult,
        has_address=rnd() >= spec.miss_address * mult,
        nino=nino, ethnic=ethnic, disabled=disabled, employment=employment,
    )
