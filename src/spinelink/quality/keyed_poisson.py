"""Poisson(1) bootstrap weights that are a function of the record they weigh.

A weight drawn from one stream in row order belongs to a position, not to a record: when
one row joins or leaves (a link made by the model instead of a match key, a record that
gains a candidate), every later row's weight in every replicate is drawn anew, and an
estimate read from a few dozen replicates moves with it though nothing about the records
it reads has changed (session 50: one link's kind moved an age band's recall by 0.025
through `recapture_strata`'s shrink weights). Here a record's weight in replicate `i`
is counter-based: splitmix64 of a stable hash of the record's key (`keys`: its source
record id) mixed with the seed and `i`, read as a uniform and mapped to Poisson(1) by the
inverse CDF. The same key, seed and replicate give the same weight whatever other rows
are present, in whatever order.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
# Poisson(1)'s CDF at 0, 1, ..., 19: the weight is the number of entries at or below u
_CDF = np.cumsum([math.exp(-1) / math.factorial(k) for k in range(20)])


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser (a bijection of 64-bit words; wraps by design)."""
    z = z ^ (z >> np.uint64(30))
    z = z * _M1
    z = z ^ (z >> np.uint64(27))
    z = z * _M2
    return z ^ (z >> np.uint64(31))


def record_keys(ids) -> np.ndarray:
    """Stable 64-bit keys of record ids (as text; the same in every process:
    `pandas.util.hash_array` with its fixed hash key, not Python's salted `hash`)."""
    return pd.util.hash_array(np.asarray(ids).astype(str).astype(object))


def stream(seed: int, i: int) -> np.uint64:
    """The word of replicate `i` of `seed` that every key is mixed with."""
    with np.errstate(over="ignore"):
        s = _mix(np.array([int(seed) % 2**64], np.uint64) + _GOLDEN)
        return _mix(s ^ (np.array([int(i) % 2**64], np.uint64) * _GOLDEN + _GOLDEN))[0]


def uniform(keys: np.ndarray, seed: int, i: int) -> np.ndarray:
    """Per key a uniform in [0, 1) for replicate `i` of `seed` (53 bits)."""
    with np.errstate(over="ignore"):
        z = _mix((np.asarray(keys, np.uint64) ^ stream(seed, i)) + _GOLDEN)
    return (z >> np.uint64(11)).astype(float) * 2.0 ** -53


def poisson1(keys: np.ndarray, seed: int, i: int) -> np.ndarray:
    """Per key its Poisson(1) weight in replicate `i` of `seed` (uint8: at most 20).

    >>> w = poisson1(record_keys(np.arange(200_000)), 7, 1)
    >>> round(float(w.mean()), 2), round(float(w.var()), 2)
    (1.0, 1.0)
    >>> bool((poisson1(record_keys(["a", "b"]), 7, 3) ==
    ...       poisson1(record_keys(["x", "b", "a"]), 7, 3)[[2, 1]]).all())
    True
    """
    return np.searchsorted(_CDF, uniform(keys, seed, i), side="right").astype(np.uint8)
