"""Small statistical helpers: Wilson intervals, standardised differences, monotone fits.

>>> lo, hi = wilson(90, 100)
>>> round(lo, 3), round(hi, 3)
(0.826, 0.945)
>>> [round(float(x), 2) for x in pav_decreasing([0.9, 1.0, 0.5, 0.6, 0.1], [1] * 5)]
[0.95, 0.95, 0.55, 0.55, 0.1]
"""
from __future__ import annotations

import contextlib
import math

import numpy as np
import pandas as pd

Z95 = 1.959963984540054


def wilson(k: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for k successes out of n (NaN, NaN when n is 0)."""
    if n <= 0:
        return math.nan, math.nan
    p = min(max(k / n, 0.0), 1.0)
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def std_diff(p1: float, p2: float) -> float:
    """Standardised difference of two proportions (Austin 2009): (p1 - p2) / pooled sd."""
    sd = math.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / 2)
    if sd == 0:
        return 0.0 if p1 == p2 else math.copysign(math.inf, p1 - p2)
    return (p1 - p2) / sd


def pav_decreasing(y, weights) -> np.ndarray:
    """Weighted least-squares fit of a non-increasing sequence (pool adjacent violators)."""
    vals: list[float] = []
    wts: list[float] = []
    sizes: list[int] = []
    for v, w in zip(np.asarray(y, float), np.asarray(weights, float), strict=True):
        vals.append(v)
        wts.append(w)
        sizes.append(1)
        while len(vals) > 1 and vals[-2] < vals[-1]:
            v2, w2, s2 = vals.pop(), wts.pop(), sizes.pop()
            tw = wts[-1] + w2
            vals[-1] = (vals[-1] * wts[-1] + v2 * w2) / tw if tw > 0 else (vals[-1] + v2) / 2
            wts[-1] = tw
            sizes[-1] += s2
    return np.repeat(vals, sizes)


def percentile_interval(draws: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """2.5% and 97.5% percentiles of bootstrap draws, ignoring NaN."""
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return (np.nanpercentile(draws, 2.5, axis=axis),
                    np.nanpercentile(draws, 97.5, axis=axis))


def unique_rows(key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`np.unique(key, axis=0, return_index=True, return_inverse=True)` for a 2-D integer
    array: the distinct rows in lexicographic order, each one's first occurrence and every
    row's position among them. Column by column, hashed (np.unique sorts the rows as
    structured scalars: several seconds of the quality stage at a million records).

    >>> u, first, inv = unique_rows(np.array([[2, 1], [1, 5], [2, 1], [1, 0]]))
    >>> u.tolist(), first.tolist(), inv.tolist()
    ([[1, 0], [1, 5], [2, 1]], [3, 1, 0], [2, 1, 2, 0])
    """
    key = np.asarray(key)
    code = np.zeros(len(key), np.int64)
    for col in key.T:  # codes in the order of the rows so far, then of this column
        c, u = pd.factorize(col, sort=True)
        code, _ = pd.factorize(code * len(u) + c, sort=True)
    # first occurrences: where a code is seen first (codes numbered by first appearance
    # rise by one at each)
    seen, _ = pd.factorize(code)
    top = np.maximum.accumulate(seen) if len(seen) else seen
    pos = np.flatnonzero(np.r_[True, top[1:] > top[:-1]]) if len(seen) else seen
    first = np.empty(len(pos), np.intp)
    first[code[pos]] = pos
    return key[first], first, code.astype(np.intp)


def one_blas_thread():
    """One BLAS thread: the quality stage's matrices are small, and a pool of threads
    beside DuckDB's (or other processes) spends more CPU waiting than it saves (the
    decomposition of `cells` ten times slower in a busy run; the never-compared estimate
    a third more CPU at 200,000 records). Without threadpoolctl, BLAS decides."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def summing(rows: np.ndarray, size: int, cols: np.ndarray | None = None,
            n_cols: int | None = None):
    """The sparse (size, n_cols) matrix S with S[rows[j], cols[j]] = 1 (cols: 0, 1, ... by
    default) whose product with a vector x is `np.bincount(rows, weights=x[cols],
    minlength=size)`, and with a matrix (n_cols, k) the same per column: equal to the last
    bit (each row's entries kept in the order of j, so every sum adds the same terms in the
    same order from 0) without the gathered copy of x or, per column, an index array (the
    subgroup shrinkage's 41 weightings at a million records were 4 s of bincount)."""
    import scipy.sparse as sp

    rows = np.asarray(rows, np.int64)
    cols = np.arange(len(rows)) if cols is None else np.asarray(cols, np.int64)
    order = np.argsort(rows, kind="stable")
    indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=size))]
    n_cols = len(rows) if n_cols is None else n_cols
    return sp.csr_matrix((np.ones(len(rows)), cols[order], indptr), shape=(size, n_cols))


def summed(s, w: np.ndarray) -> np.ndarray:
    """`summing`'s sums for each row of `w` (weightings, n_cols): (weightings, size)."""
    return (s @ np.ascontiguousarray(np.asarray(w, float).T)).T
