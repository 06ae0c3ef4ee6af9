"""Lookups of record ids, and of (reference_id, source_id) pairs between tables, on
integer codes of the two ids (pandas MultiIndex lookups took seconds at a million links).
Single ids are looked up in Arrow's hash tables: a third of pandas' time on a million
text ids (its object-dtype hashing)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

PAIR = ("reference_id", "source_id")


def _text(ids) -> pa.Array:
    a = np.asarray(ids, dtype=object)
    try:
        return pa.array(a, pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # not all text: as text
        return pa.array(a.astype(str), pa.string())


def id_positions(ids, index) -> np.ndarray:
    """Per id (compared as text), its position in `index` (ids without repeats), or -1.

    >>> id_positions(["b", "z", "a"], pd.Index(["a", "b"])).tolist()
    [1, -1, 0]
    """
    return pc.index_in(_text(ids), value_set=_text(index)).fill_null(-1).to_numpy(
        zero_copy_only=False).astype(np.int64)


def id_member(ids, values) -> np.ndarray:
    """Per id (compared as text): is it among `values`.

    >>> id_member(["b", "z"], ["a", "b", "b"]).tolist()
    [True, False]
    """
    return pc.is_in(_text(ids), value_set=_text(values)).to_numpy(zero_copy_only=False)


def first_positions(table: pd.DataFrame, query: pd.DataFrame) -> np.ndarray:
    """Per row of `query`, the position of the first row of `table` with the same
    (reference_id, source_id), or -1. Ids are compared as strings.

    >>> t = pd.DataFrame({"reference_id": ["a", "b", "a"], "source_id": ["x", "y", "x"]})
    >>> q = pd.DataFrame({"reference_id": ["a", "b", "c"], "source_id": ["x", "x", "y"]})
    >>> first_positions(t, q).tolist()
    [0, -1, -1]
    """
    n = len(table)
    codes = [pd.factorize(pd.concat([table[c].astype(str), query[c].astype(str)],
                                    ignore_index=True))[0].astype(np.int64) for c in PAIR]
    key = codes[0] * (int(codes[1].max(initial=0)) + 1) + codes[1]
    if n == 0:
        return np.full(len(query), -1, int)
    uniq, first = np.unique(key[:n], return_index=True)
    q = key[n:]
    pos = np.minimum(np.searchsorted(uniq, q), len(uniq) - 1)
    return np.where(uniq[pos] == q, first[pos], -1).astype(int)


def contains(table: pd.DataFrame, query: pd.DataFrame) -> np.ndarray:
    """Per row of `query`: is its (reference_id, source_id) among `table`'s."""
    return first_positions(table, query) >= 0
