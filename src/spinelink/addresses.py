"""Street-type abbreviations in the comparison form of addresses (St -> street, Rd ->
road, ...), from `linkage_models/street_types.csv`, so that "12 High St" and "12 High
Street" agree in linkage and integration; and the words an address key leaves out.

The address key (`address_rom`) is the address without the words of
`linkage_models/address_key_words.csv` (street, lane, town, house markers that Ukrainian
and Russian forms of one address write differently: "vul" / "ul", "m" / "g"), folded by
the name romanisation rules (spinelink.romanisation), so "vul. Khmelnytskoho 23, kv. 111,
m. Kyiv" and "ul. Khmelnitskogo 23, kv. 111, Kiev" come out nearly alike. A town's
Russian name is written as its Ukrainian one first (`linkage_models/place_names_uk_ru.csv`:
Kiev / Kyiv, Lvov / Lviv, Kharkov / Kharkiv), since no letter fold makes those one: so
the two forms of one address have one key.

A word is expanded only where it names a street type: it follows a word of letters that
is not itself a street type ("12 high st leeds" -> "12 high street leeds"), so a leading
"St" or one after a house number stays as written ("flat 3b st marys road", "st albans").
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from spinelink import config
from spinelink.errors import LinkageError


def street_types_file() -> Path:
    return config.MODELS_DIR / "street_types.csv"


def _read_word_map(path: Path, what: str, key: str, value: str) -> dict[str, str]:
    """`key` -> `value`, one word of lower-case letters each, from a UTF-8 CSV; a bad
    table is an error naming the file, its line and column."""
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        raise LinkageError(f"{path}: {what} table is not a readable UTF-8 CSV") from None
    if not {key, value} <= set(df.columns):
        raise LinkageError(f"{path}: {what} table needs the columns {key},{value}")
    df = df.assign(**{c: df[c].str.strip().str.lower() for c in (key, value)})
    for col in (key, value):
        bad = df.index[~df[col].str.fullmatch(r"[a-z]+")]
        if len(bad):  # line 1 is the header
            raise LinkageError(f"{path}: line {bad[0] + 2}, column {col}: expected one "
                                 "word of letters")
    return dict(zip(df[key], df[value], strict=True))


def read_street_types(path: Path | None = None) -> dict[str, str]:
    path = path or street_types_file()
    if not path.exists():
        return {}
    return _read_word_map(path, "street-type", "abbreviation", "expansion")


def expand(address: str, types: dict[str, str], full: set[str] | None = None) -> str:
    """The cleaned address with street-type abbreviations written out (see module doc).
    `full`: the set of expansions, when the caller has it."""
    words = address.split(" ")
    full = set(types.values()) if full is None else full
    out = []
    for i, w in enumerate(words):
        prev = words[i - 1] if i else ""
        if w in types and prev.isalpha() and prev not in types and prev not in full:
            out.append(types[w])
        else:
            out.append(w)
    return " ".join(out)


def key_words_file() -> Path:
    return config.MODELS_DIR / "address_key_words.csv"


def read_key_words(path: Path | None = None) -> set[str]:
    path = path or key_words_file()
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        raise LinkageError(f"{path}: address key word table is not a readable UTF-8 "
                             "CSV") from None
    if "word" not in df.columns:
        raise LinkageError(f"{path}: address key word table needs the column word")
    words = df["word"].str.strip().str.lower()
    bad = words.index[~words.str.fullmatch(r"[a-z]+")]
    if len(bad):  # line 1 is the header
        raise LinkageError(f"{path}: line {bad[0] + 2}, column word: expected one word "
                             "of letters")
    return set(words)


def place_names_file() -> Path:
    return config.MODELS_DIR / "place_names_uk_ru.csv"


def read_place_names(path: Path | None = None) -> dict[str, str]:
    """Russian form -> Ukrainian form of a town's name, one word each, in the cleaned
    form of an address (lower-case ASCII letters)."""
    return _read_word_map(path or place_names_file(), "place name", "russian", "ukrainian")


def key_table(addresses: Iterable[str] | pa.Array, drop: set[str],
              lists: pa.ListArray | None = None,
              places: dict[str, str] | None = None) -> pa.Table:
    """clean, keyed (without the words of `drop`, a word of `places` written as its
    value; the address itself when that leaves nothing) for each distinct cleaned
    address. Arrow over all words at once. `lists`: the addresses split at each space,
    when the caller has it."""
    clean = (addresses if isinstance(addresses, pa.Array)
             else pa.array(list(addresses), pa.string()))
    lists = pc.split_pattern(clean, " ") if lists is None else lists
    words = pc.list_flatten(lists)
    if places:
        names = pa.array(list(places), pa.string())
        words = pc.coalesce(pc.take(pa.array(list(places.values()), pa.string()),
                                    pc.index_in(words, value_set=names)), words)
    rows = pc.list_parent_indices(lists).to_numpy()
    keep = pc.invert(pc.is_in(words, value_set=pa.array(sorted(drop), pa.string())))
    kept = keep.to_numpy(zero_copy_only=False)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(rows[kept], minlength=len(clean)))])
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets, pa.int32()),
                                                     words.filter(keep)), " ")
    return pa.table({"clean": clean,
                     "keyed": pc.if_else(pc.equal(joined, ""), clean, joined)})


def expansion_table(addresses: Iterable[str], types: dict[str, str]) -> pa.Table:
    """clean, expanded for each distinct cleaned address that changes."""
    clean = pa.array(list(addresses), pa.string())
    expanded = expand_all(clean, types)
    changed = pc.not_equal(expanded, clean)
    return pa.table({"clean": clean.filter(changed), "expanded": expanded.filter(changed)})


def expand_all(clean: pa.Array, types: dict[str, str],
               lists: pa.ListArray | None = None) -> pa.Array:
    """`expand` of each of `clean` (no NULLs) in Arrow, over all words at once: a word of
    `types` becomes its expansion where the word before it is letters only (Python's
    `str.isalpha`, worked out once per distinct word) and neither a street type nor an
    expansion; the first word of an address has no word before it. `lists`: `clean`
    split at each space, when the caller has it."""
    if not types or len(clean) == 0:
        return clean
    lists = pc.split_pattern(clean, " ") if lists is None else lists
    words = pc.list_flatten(lists)
    starts = lists.offsets.to_numpy()[:-1]
    n = len(words)
    abbr = pa.array(sorted(types), pa.string())
    at = pc.index_in(words, value_set=abbr)
    if n == 0 or at.null_count == n:
        return clean
    distinct = pc.unique(words)
    alpha = pa.array([w.isalpha() for w in distinct.to_pylist()], pa.bool_())
    # the word before each word ("" before an address's first word: not letters)
    before = np.arange(-1, n - 1)
    first = np.zeros(n, dtype=bool)
    first[starts[starts < n]] = True
    before[first] = 0
    prev = words.take(pa.array(before))
    blocked = pa.array(sorted(set(types) | set(types.values())), pa.string())
    ok = pc.and_(pc.take(alpha, pc.index_in(prev, value_set=distinct)),
                 pc.invert(pc.is_in(prev, value_set=blocked)))
    ok = pc.and_(pc.and_(pc.is_valid(at), ok), pa.array(~first))
    full = pa.array([types[w] for w in abbr.to_pylist()], pa.string())
    out = pc.if_else(ok, pc.take(full, at), words)
    return pc.binary_join(pa.ListArray.from_arrays(lists.offsets, out), " ")
