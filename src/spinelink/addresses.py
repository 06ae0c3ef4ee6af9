"""Street-type abbreviations in the comparison form of addresses (St -> street, Rd ->
road, ...), from `linkage_models/street_types.csv`, so that "12 High St" and "12 High
Street" agree in linkage and integration; and the words an address key leaves out.

The address key (`address_rom`) is the address without the words of
`linkage_models/address_key_words.csv` (street, lane, town, house markers that Ukrainian
and Russian forms of one address write differently: "vul" / "ul", "m" / "g"), folded by
the name romanisation rules (spinelink.romanisation), so "vul. Khmelnytskoho 23, kv. 111,
m. Kyiv" and "ul. Khmelnitskogo 23, kv. 111, Kiev" come out nearly alike.

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


def read_street_types(path: Path | None = None) -> dict[str, str]:
    path = path or street_types_file()
    if not path.exists():
        return {}
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        raise LinkageError(f"{path}: street-type table is not a readable UTF-8 CSV") from None
    if not {"abbreviation", "expansion"} <= set(df.columns):
        raise LinkageError(f"{path}: street-type table needs the columns "
                             "abbreviation,expansion")
    df = df.assign(abbreviation=df["abbreviation"].str.strip().str.lower(),
                   expansion=df["expansion"].str.strip().str.lower())
    for col in ("abbreviation", "expansion"):
        bad = df.index[~df[col].str.fullmatch(r"[a-z]+")]
        if len(bad):  # line 1 is the header
            raise LinkageError(f"{path}: line {bad[0] + 2}, column {col}: expected one "
                                 "word of letters")
    return dict(zip(df["abbreviation"], df["expansion"], strict=True))


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


def key_table(addresses: Iterable[str], drop: set[str]) -> pa.Table:
    """clean, keyed (without the words of `drop`; the address itself when that leaves
    nothing) for each distinct cleaned address. Arrow over all words at once."""
    clean = pa.array(list(addresses), pa.string())
    lists = pc.split_pattern(clean, " ")
    words = pc.list_flatten(lists)
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
    keys, full = set(types), set(types.values())
    clean, expanded = [], []
    for a in addresses:
        if keys.isdisjoint(a.split(" ")):
            continue
        e = expand(a, types, full)
        if e != a:
            clean.append(a)
            expanded.append(e)
    return pa.table({"clean": pa.array(clean, pa.string()),
                     "expanded": pa.array(expanded, pa.string())})
