"""Phonetic codes of names (Metaphone, NYSIIS) for standardisation's distinct-names table:
computed with jellyfish over the distinct cleaned names only, never per record; a name of
several words gets each word's code, joined by a space."""
from __future__ import annotations

from collections.abc import Callable, Iterable

import jellyfish
import pyarrow as pa


def _code(encode: Callable[[str], str], name: str) -> str | None:
    if " " not in name:
        return encode(name) or None
    return " ".join(c for c in map(encode, name.split()) if c) or None


def phonetic_codes(name: str) -> tuple[str | None, str | None]:
    """(Metaphone, NYSIIS) of a cleaned name: per word, joined by a space; None if empty."""
    return _code(jellyfish.metaphone, name), _code(jellyfish.nysiis, name)


def phonetic_table(values: Iterable[str]) -> pa.Table:
    """name, mp, ny for each (distinct, cleaned) name."""
    names = list(values)
    return pa.table({
        "name": pa.array(names, pa.string()),
        "mp": pa.array([_code(jellyfish.metaphone, v) for v in names], pa.string()),
        "ny": pa.array([_code(jellyfish.nysiis, v) for v in names], pa.string()),
    })
