"""The true population: households, addresses and people, all as numpy arrays."""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np

from . import codes
from .cultures import CULTURES
from .names import pools
from .places import REGIONS, STREET_NAMES, STREET_TYPES, UNIT_LETTERS, parsed_areas

CENSUS_DAY = np.datetime64("2021-03-21", "D")
HOUSEHOLD_SIZES = np.array([1, 2, 3, 4, 5, 6])
HOUSEHOLD_P = np.array([0.30, 0.34, 0.15, 0.13, 0.05, 0.03])
SHARED_SURNAME = 0.85  # a household member carries the household surname
MOVED = 0.10  # households that moved after the census
MOVED_SAME_REGION = 0.75
PERSONS_PER_POSTCODE = 12
TWIN_BIRTHS = 0.015  # twin births per birth (UK: about 1 in 65 births)
TWIN_MAX_AGE = 25  # twins are drawn among household members younger than this
NINO_FIRST = "DFIQUV"  # first letters HMRC never issues: no clash with a real number
NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent random stream per component, stable across code changes elsewhere."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


@dataclass(frozen=True)
class Units:
    """Postcode units: one street in one postcode."""

    region: np.ndarray  # index into REGIONS
    postcode: np.ndarray
    street: np.ndarray
    street_abbr: np.ndarray
    town: np.ndarray


@dataclass(frozen=True)
class Population:
    uid: np.ndarray
    culture: np.ndarray
    female: np.ndarray
    age: np.ndarray
    dob: np.ndarray  # datetime64[D]
    first: np.ndarray  # given-name entry
    middle: np.ndarray  # given-name entry or -1
    surname: np.ndarray  # surname entry
    alt_surname: np.ndarray  # surname entry after marriage, or -1
    unit: np.ndarray
    house: np.ndarray
    alt_unit: np.ndarray
    alt_house: np.ndarray
    moved: np.ndarray
    ethnic: np.ndarray  # index into codes.ETHNIC_2021
    disabled: np.ndarray
    employment: np.ndarray  # index into codes.EMPLOYMENT
    nino: np.ndarray  # str or None (under 16)
    household: np.ndarray
    units: Units

    def __len__(self) -> int:
        return len(self.uid)


def ids(prefix: str, n: int, width: int) -> np.ndarray:
    width = max(width, len(str(n)))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def _units(rng: np.random.Generator, n_units: int) -> Units:
    areas = parsed_areas()
    labels = [r[1] for r in REGIONS]
    region_p = np.array([r[2] for r in REGIONS])
    region = rng.choice(len(REGIONS), size=n_units, p=region_p / region_p.sum())
    area = np.empty(n_units, dtype=np.int64)
    for r, label in enumerate(labels):
        idx = [i for i, a in enumerate(areas) if a[0] == label]
        w = np.array([areas[i][3] for i in idx], dtype=float)
        sel = region == r
        area[sel] = rng.choice(idx, size=int(sel.sum()), p=w / w.sum())
    n_districts = np.array([a[3] for a in areas])[area]
    district = (rng.random(n_units) * n_districts).astype(np.int64) + 1
    sector = rng.integers(0, 10, n_units)
    letters = rng.integers(0, len(UNIT_LETTERS), (n_units, 2))
    area_code = [a[1] for a in areas]
    postcode = np.array(
        [f"{area_code[a]}{d} {s}{UNIT_LETTERS[x]}{UNIT_LETTERS[y]}"
         for a, d, s, (x, y) in zip(area.tolist(), district.tolist(), sector.tolist(),
                                    letters.tolist(), strict=True)],
        dtype=object,
    )
    names = np.array(STREET_NAMES, dtype=object)
    kinds = np.array([t[0] for t in STREET_TYPES], dtype=object)
    abbrs = np.array([t[1] for t in STREET_TYPES], dtype=object)
    si = rng.integers(0, len(names), n_units)
    ti = rng.integers(0, len(kinds), n_units)
    return Units(
        region=region,
        postcode=postcode,
        street=names[si] + " " + kinds[ti],
        street_abbr=names[si] + " " + abbrs[ti],
        town=np.array([a[2] for a in areas], dtype=object)[area],
    )


def _age_weights(migrant: bool) -> np.ndarray:
    age = np.arange(101)
    w = np.where(age < 60, 1.0, np.exp(-(((age - 60) / 19.0) ** 2)))
    if migrant:
        w = w * np.where((age >= 20) & (age <= 45), 1.8, 1.0)
        w = w * np.where(age >= 55, 0.35, 1.0) * np.where(age < 18, 0.9, 1.0)
    return w / w.sum()


# (lowest age, probabilities over codes.EMPLOYMENT)
_EMPLOYMENT_BANDS = [
    (0, [0, 0, 1, 0, 0]),
    (5, [0, 0, 0, 1, 0]),
    (16, [0.30, 0.07, 0.08, 0.55, 0]),
    (22, [0.72, 0.07, 0.11, 0.10, 0]),
    (30, [0.80, 0.04, 0.15, 0.01, 0]),
    (55, [0.62, 0.03, 0.15, 0, 0.20]),
    (65, [0.13, 0, 0.02, 0, 0.85]),
    (75, [0, 0, 0.02, 0, 0.98]),
]


def _employment(rng: np.random.Generator, age: np.ndarray) -> np.ndarray:
    bounds = np.array([b[0] for b in _EMPLOYMENT_BANDS])
    band = np.searchsorted(bounds, age, side="right") - 1
    out = np.empty(len(age), dtype=np.int8)
    for b, (_, p) in enumerate(_EMPLOYMENT_BANDS):
        sel = band == b
        out[sel] = rng.choice(len(codes.EMPLOYMENT), size=int(sel.sum()), p=p)
    return out


def _ninos(rng: np.random.Generator, age: np.ndarray) -> np.ndarray:
    """Unique NINos for people aged 16+: an affine bijection on the number space."""
    space = len(NINO_FIRST) * len(NINO_SECOND) * 1_000_000
    a = int(rng.integers(1_000_003, space - 1))
    while math.gcd(a, space) != 1:
        a += 1
    b = int(rng.integers(0, space))
    k = (np.arange(len(age), dtype=np.int64) * a + b) % space
    prefix = np.array([f + s for f in NINO_FIRST for s in NINO_SECOND], dtype=object)
    number = k % 1_000_000
    suffix = np.array(list("ABCD"), dtype=object)[rng.integers(0, 4, len(age))]
    text = [f"{p}{d:06d}{s}" for p, d, s in
            zip(prefix[k // 1_000_000].tolist(), number.tolist(), suffix.tolist(), strict=True)]
    out = np.array(text, dtype=object)
    out[age < 16] = None
    return out


def _twins(rng: np.random.Generator, hh: np.ndarray, head: np.ndarray,
           age: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (first, second) of neighbouring non-head members of one household, for a
    share TWIN_BIRTHS of births: persons = births + pairs, so pairs = n * T / (1 + T)."""
    n = len(hh)
    i = np.flatnonzero((hh[:-1] == hh[1:]) & ~head[:-1] & (age[:-1] < TWIN_MAX_AGE))
    k = min(len(i), round(n * TWIN_BIRTHS / (1 + TWIN_BIRTHS)))
    pick = np.sort(rng.choice(i, size=k, replace=False))
    pick = pick[np.r_[True, np.diff(pick) > 1]]  # a person is in one pair at most
    return pick, pick + 1


def _twin_names(rng: np.random.Generator, P, culture: np.ndarray, female: np.ndarray,
                first: np.ndarray, surname: np.ndarray, lemma: np.ndarray,
                a: np.ndarray, b: np.ndarray) -> None:
    """Twins carry the household surname and two different forenames (in place)."""
    for t in (a, b):
        for ci in range(len(CULTURES)):
            sel = t[culture[t] == ci]
            surname[sel] = np.where(female[sel], P.surname_f[ci][lemma[sel]],
                                    P.surname_m[ci][lemma[sel]])
    for _ in range(20):
        same = b[first[b] == first[a]]
        if not len(same):
            break
        for (ci, sex), d in P.first.items():
            sel = same[(culture[same] == ci) & (female[same] == bool(sex))]
            first[sel] = rng.choice(d.ids, size=len(sel), p=d.p)


def make_population(n: int, seed: int) -> Population:
    rng = stream(seed, "population")
    P = pools()
    units = _units(rng, max(30, n // PERSONS_PER_POSTCODE))
    n_units = len(units.postcode)

    # households: size, culture, address, and where they moved to
    sizes = rng.choice(HOUSEHOLD_SIZES, size=n, p=HOUSEHOLD_P)
    n_hh = int(np.searchsorted(np.cumsum(sizes), n)) + 1
    hh = np.repeat(np.arange(n_hh), sizes[:n_hh])[:n]
    head = np.r_[True, hh[1:] != hh[:-1]]
    share = np.array([c.share for c in CULTURES])
    hh_culture = rng.choice(len(CULTURES), size=n_hh, p=share / share.sum())
    hh_unit = rng.integers(0, n_units, n_hh)
    hh_house = rng.integers(1, 200, n_hh)
    hh_moved = rng.random(n_hh) < MOVED
    order = np.argsort(units.region, kind="stable")
    starts = np.searchsorted(units.region[order], np.arange(len(REGIONS)))
    counts = np.bincount(units.region, minlength=len(REGIONS))
    r = units.region[hh_unit]
    same = order[np.minimum(starts[r] + (rng.random(n_hh) * counts[r]).astype(np.int64),
                            n_units - 1)]
    hh_alt_unit = np.where(rng.random(n_hh) < MOVED_SAME_REGION, same,
                           rng.integers(0, n_units, n_hh))
    hh_alt_house = rng.integers(1, 200, n_hh)

    culture = hh_culture[hh]
    female = rng.random(n) < 0.505
    age = np.empty(n, dtype=np.int64)
    for ci, c in enumerate(CULTURES):
        sel = culture == ci
        age[sel] = rng.choice(101, size=int(sel.sum()), p=_age_weights(c.migrant))
    # a household is headed by an adult
    kids = head & (age < 18)
    age[kids] = 18 + (rng.random(int(kids.sum())) * 50).astype(np.int64)
    dob = CENSUS_DAY - (age * 365.25).astype(np.int64) - rng.integers(1, 366, n)
    twin_rng = stream(seed, "twins")
    twin_a, twin_b = _twins(twin_rng, hh, head, age)
    age[twin_b], dob[twin_b] = age[twin_a], dob[twin_a]

    first = np.empty(n, dtype=np.int64)
    middle = np.full(n, -1, dtype=np.int64)
    surname = np.empty(n, dtype=np.int64)
    alt_surname = np.full(n, -1, dtype=np.int64)
    hh_lemma = np.empty(n_hh, dtype=np.int64)
    person_lemma = np.empty(n, dtype=np.int64)
    for ci, c in enumerate(CULTURES):
        sel_h = hh_culture == ci
        sp = P.surname_p[ci]
        hh_lemma[sel_h] = rng.choice(len(sp), size=int(sel_h.sum()), p=sp)
        sel = culture == ci
        own = rng.choice(len(sp), size=int(sel.sum()), p=sp)
        lemma = np.where(rng.random(int(sel.sum())) < SHARED_SURNAME, hh_lemma[hh[sel]], own)
        person_lemma[sel] = lemma
        fem = female[sel]
        surname[sel] = np.where(fem, P.surname_f[ci][lemma], P.surname_m[ci][lemma])
        married = rng.choice(len(sp), size=int(sel.sum()), p=sp)
        alt_surname[sel] = np.where(fem & (age[sel] >= 18), P.surname_f[ci][married], -1)
        for sex in (0, 1):
            s = sel & (female == bool(sex))
            k = int(s.sum())
            d = P.first[(ci, sex)]
            first[s] = rng.choice(d.ids, size=k, p=d.p)
            has_middle = rng.random(k) < c.middle_rate
            src = P.patronymic[sex] if c.kind == "ukrainian" else d
            mid = rng.choice(src.ids, size=k, p=src.p)
            middle[s] = np.where(has_middle & (mid != first[s]), mid, -1)

    twins = np.r_[twin_a, twin_b]
    person_lemma[twins] = hh_lemma[hh[twins]]
    _twin_names(twin_rng, P, culture, female, first, surname, person_lemma, twin_a, twin_b)

    ethnic = np.empty(n, dtype=np.int8)
    for ci, c in enumerate(CULTURES):
        sel = culture == ci
        keys = list(c.ethnic)
        w = np.array([c.ethnic[k] for k in keys], dtype=float)
        pick = rng.choice(len(keys), size=int(sel.sum()), p=w / w.sum())
        ethnic[sel] = np.array([codes.ETHNIC_2021_CODES.index(k) for k in keys])[pick]

    ethnic[twin_b] = ethnic[twin_a]
    disabled = rng.random(n) < 0.07 + 0.5 * (age / 100.0) ** 1.8
    employment = _employment(rng, age)
    ninos = _ninos(stream(seed, "nino"), age)

    return Population(
        uid=ids("P", n, 7),
        culture=culture.astype(np.int8),
        female=female,
        age=age,
        dob=dob,
        first=first,
        middle=middle,
        surname=surname,
        alt_surname=alt_surname,
        unit=hh_unit[hh],
        house=hh_house[hh],
        alt_unit=hh_alt_unit[hh],
        alt_house=hh_alt_house[hh],
        moved=hh_moved[hh],
        ethnic=ethnic,
        disabled=disabled,
        employment=employment,
        nino=ninos,
        household=hh,
        units=units,
    )
