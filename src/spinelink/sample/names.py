"""Name tables: every spelling the generator can emit, as numpy arrays indexed by entry.

People hold integer entry ids; sources turn them into strings by fancy indexing
(`table.roman[ids]`, `table.var[ids, k]`), so no per-row Python work is needed except
for typos. Each table ends with a sentinel row of None, so id -1 means "no name".
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import tables
from .cultures import CULTURES, Culture
from .names_eu import ukrainian_patronymics
from .translit import anglicise, fold, kmu2010, ukrainian_variants

# curated lists only (the tables carry their own weights):
ZIPF = 0.85  # name frequency falls with rank as 1 / (rank + 1) ** ZIPF
FIRST_SPELLING = 0.55  # share of a name's holders using its first listed spelling


@dataclass(frozen=True)
class NameTable:
    true: np.ndarray  # the person's own form (Cyrillic for Ukrainian names)
    roman: np.ndarray  # usual Latin form (KMU 2010 for Ukrainian)
    fold: np.ndarray  # diacritics dropped
    repl: np.ndarray  # diacritics spelt out (Kovacich)
    var: np.ndarray  # (n + 1, K) alternative romanisations, cycled to fill K
    nvar: np.ndarray  # number of real alternatives (0: none)
    nick: np.ndarray  # (n + 1, J) nicknames, cycled
    nnick: np.ndarray


@dataclass(frozen=True)
class Draw:
    ids: np.ndarray
    p: np.ndarray


@dataclass(frozen=True)
class Pools:
    given: NameTable
    surname: NameTable
    first: dict[tuple[int, int], Draw]  # (culture, sex 0=M 1=F) -> forenames
    patronymic: dict[int, Draw]  # sex -> Ukrainian patronymics
    surname_m: dict[int, np.ndarray]  # culture -> male-form entry per lemma
    surname_f: dict[int, np.ndarray]
    surname_p: dict[int, np.ndarray]


class _Builder:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, list[str], list[str]]] = []
        self.index: dict[tuple[str, str], int] = {}

    def add(self, true: str, roman: str, variants: list[str],
            nicks: list[str] | tuple[str, ...] = ()) -> int:
        key = (true, roman)
        if key not in self.index:
            self.index[key] = len(self.rows)
            self.rows.append((true, roman, list(variants), list(nicks)))
        return self.index[key]

    def table(self) -> NameTable:
        rows = self.rows
        k = max(1, max(len(r[2]) for r in rows))
        j = max(1, max(len(r[3]) for r in rows))
        n = len(rows)
        var = np.empty((n + 1, k), dtype=object)
        nick = np.empty((n + 1, j), dtype=object)
        for i, (_, roman, variants, nicks) in enumerate(rows):
            var[i] = [(variants or [roman])[c % max(1, len(variants))] for c in range(k)]
            nick[i] = [(nicks or [roman])[c % max(1, len(nicks))] for c in range(j)]

        def col(values: list) -> np.ndarray:
            arr = np.empty(n + 1, dtype=object)
            arr[:n] = values
            return arr

        return NameTable(
            true=col([r[0] for r in rows]),
            roman=col([r[1] for r in rows]),
            fold=col([fold(r[1]) for r in rows]),
            repl=col([anglicise(r[1]) for r in rows]),
            var=var,
            nvar=np.array([len(r[2]) for r in rows] + [0], dtype=np.int64),
            nick=nick,
            nnick=np.array([len(r[3]) for r in rows] + [0], dtype=np.int64),
        )


def _zipf(n: int) -> np.ndarray:
    return 1.0 / (np.arange(n) + 1.0) ** ZIPF


def _spelling_shares(k: int) -> list[float]:
    if k == 1:
        return [1.0]
    return [FIRST_SPELLING] + [(1 - FIRST_SPELLING) / (k - 1)] * (k - 1)


def _groups(culture: Culture) -> dict[str, list[str]]:
    """Spelling -> the other romanisations of its name (`spellings` kind)."""
    out: dict[str, list[str]] = {}
    for spec in culture.spellings:
        group = spec.split("/")
        for sp in group:
            out.setdefault(sp, [o for o in group if o != sp])
    return out


def _given(b: _Builder, culture: Culture, sex: int) -> Draw:
    specs = culture.female if sex else culture.male
    ids, weights = [], []
    if not specs:  # the culture's table
        groups = _groups(culture)
        for name, w in tables.forenames(culture.key, "F" if sex else "M"):
            ids.append(b.add(name, name, groups.get(name, []),
                             culture.nicknames.get(name, [])))
            weights.append(w)
    for rank_w, spec in zip(_zipf(len(specs)), specs, strict=True):
        if culture.kind == "ukrainian":
            name, _, extra = spec.partition(":")
            extras = tuple(e for e in extra.split(",") if e)
            ids.append(b.add(name, kmu2010(name), ukrainian_variants(name, extras)))
            weights.append(rank_w)
        elif culture.kind == "spellings":
            spellings = spec.split("/")
            for sp, share in zip(spellings, _spelling_shares(len(spellings)), strict=True):
                ids.append(b.add(sp, sp, [o for o in spellings if o != sp]))
                weights.append(rank_w * share)
        else:
            ids.append(b.add(spec, spec, [], culture.nicknames.get(spec, [])))
            weights.append(rank_w)
    p = np.asarray(weights)
    return Draw(np.asarray(ids, dtype=np.int64), p / p.sum())


def _patronymics(b: _Builder, fathers: list[str]) -> dict[int, Draw]:
    out: dict[int, list] = {0: [[], []], 1: [[], []]}
    for rank_w, spec in zip(_zipf(len(fathers)), fathers, strict=True):
        for sex, form in enumerate(ukrainian_patronymics(spec.partition(":")[0])):
            out[sex][0].append(b.add(form, kmu2010(form), ukrainian_variants(form)))
            out[sex][1].append(rank_w)
    return {
        s: Draw(np.asarray(ids, dtype=np.int64), np.asarray(w) / np.sum(w))
        for s, (ids, w) in out.items()
    }


def _surnames(b: _Builder, culture: Culture) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    males, females, weights = [], [], []

    def entry(name: str, others: list[str]) -> int:
        if culture.kind == "ukrainian":
            return b.add(name, kmu2010(name), ukrainian_variants(name))
        return b.add(name, name, others)

    if not culture.surnames:  # the culture's table
        groups = _groups(culture)
        for male, female, w in tables.surnames(culture.key):
            males.append(entry(male, groups.get(male, [])))
            females.append(entry(female, groups.get(female, [])) if female != male
                           else males[-1])
            weights.append(w)
    for rank_w, spec in zip(_zipf(len(culture.surnames)), culture.surnames, strict=True):
        if "|" in spec:
            m, f = spec.split("|")
            males.append(entry(m, []))
            females.append(entry(f, []))
            weights.append(rank_w)
            continue
        spellings = spec.split("/")
        for sp, share in zip(spellings, _spelling_shares(len(spellings)), strict=True):
            e = entry(sp, [o for o in spellings if o != sp])
            males.append(e)
            females.append(e)
            weights.append(rank_w * share)
    p = np.asarray(weights)
    return np.asarray(males, dtype=np.int64), np.asarray(females, dtype=np.int64), p / p.sum()


@lru_cache(maxsize=1)
def pools() -> Pools:
    given, surname = _Builder(), _Builder()
    first: dict[tuple[int, int], Draw] = {}
    sm, sf, sp = {}, {}, {}
    patronymic: dict[int, Draw] = {}
    for ci, culture in enumerate(CULTURES):
        first[(ci, 0)] = _given(given, culture, 0)
        first[(ci, 1)] = _given(given, culture, 1)
        if culture.kind == "ukrainian":
            patronymic = _patronymics(given, culture.male)
        sm[ci], sf[ci], sp[ci] = _surnames(surname, culture)
    return Pools(given.table(), surname.table(), first, patronymic, sm, sf, sp)


def nickname_pairs() -> list[tuple[str, str]]:
    """(nickname, canonical) in lower-case ASCII: the nicknames the generator can emit."""
    pairs = []
    for culture in CULTURES:
        for canonical, nicks in culture.nicknames.items():
            pairs += [(fold(n).lower(), fold(canonical).lower()) for n in nicks]
    return sorted(set(pairs))
