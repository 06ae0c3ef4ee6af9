"""Disclosure control for published tables.

Primary suppression: a row is suppressed when any of its count cells is between 1 and
`min_cell - 1` (zero cells are published). Secondary suppression: the rows of one
variable add up to a published total (the `all` row), so when exactly one row of a
variable is suppressed, the row with the next-smallest count is suppressed too.
Rounding (optional): counts to the nearest multiple of `rounding`; rates are then worked
out from the rounded counts. Dominance (magnitude tables): the p% rule (the cell's total
less its two largest contributions is under p% of the largest: the second could estimate
the first within p%) and the (n, k) rule (the n largest contributions are k% of the
total or more), as acro's p-ratio and NK checks. These are the rules of a single table;
`protect` coordinates them over every table a run publishes.

>>> df = pd.DataFrame({"variable": ["sex"] * 3, "value": ["F", "M", "unknown"],
...                    "n": [50, 40, 3]})
>>> suppress(df, ["n"], ["variable"], min_cell=10, size="n").tolist()
[False, True, True]
>>> round_counts(pd.Series([0, 2, 3, 12, 13]), 5).tolist()
[0, 0, 5, 10, 15]
>>> dominated(100.0, [80.0, 15.0, 5.0], p_percent=10, nk=None)
True
>>> dominated(100.0, [40.0, 30.0, 30.0], p_percent=10, nk=(2, 80))
False
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def primary(df: pd.DataFrame, cells: list[str], min_cell: int) -> pd.Series:
    small = np.zeros(len(df), bool)
    for c in cells:
        v = pd.to_numeric(df[c], errors="coerce").fillna(0).to_numpy()
        small |= (v > 0) & (v < min_cell)
    return pd.Series(small, index=df.index)


def suppress(df: pd.DataFrame, cells: list[str], keys: list[str], min_cell: int,
             size: str) -> pd.Series:
    """Suppressed rows (primary, then secondary within each `keys` group; `all` rows are
    the published totals and never take a secondary suppression)."""
    sup = primary(df, cells, min_cell)
    is_total = (df["variable"] == "all") if "variable" in df.columns else \
        pd.Series(False, index=df.index)
    rest_rows = df[~is_total]
    labels = rest_rows[keys].astype(str).agg("\x1f".join, axis=1) if len(rest_rows) else \
        pd.Series(dtype=str)
    for _, idx in labels.groupby(labels, sort=False).groups.items():
        part = sup.loc[idx]
        if part.sum() == 1 and len(part) > 1:
            rest = df.loc[part.index[~part.to_numpy()]]
            nxt = pd.to_numeric(rest[size], errors="coerce").fillna(0).idxmin()
            sup.loc[nxt] = True
    return sup


def suppress_counts(counts: pd.Series, min_cell: int) -> pd.Series:
    """A list of counts that add up to a known total (e.g. a histogram): small counts
    become NaN, and the next-smallest too when only one would be."""
    df = pd.DataFrame({"variable": "x", "n": counts.to_numpy()}, index=counts.index)
    sup = suppress(df, ["n"], ["variable"], min_cell, "n")
    return counts.where(~sup)


def round_counts(s: pd.Series, base: int | None) -> pd.Series:
    if not base:
        return s
    v = pd.to_numeric(s, errors="coerce")
    return (np.floor(v / base + 0.5) * base).astype("Int64")


def blank(df: pd.DataFrame, suppressed: pd.Series, keep: list[str]) -> pd.DataFrame:
    """Every column not in `keep` set to missing on suppressed rows."""
    out = df.copy()
    cols = [c for c in out.columns if c not in keep]
    out[cols] = out[cols].astype(object)
    out.loc[suppressed.to_numpy(), cols] = None
    return out


def dominated(total, top, p_percent: float | None, nk: tuple[int, float] | None) -> bool:
    """A magnitude cell a dominance rule makes sensitive. `top`: its largest contributions,
    in descending order (at least two for the p% rule, n for the (n, k) rule)."""
    if total is None or pd.isna(total) or top is None:
        return False
    top = [float(x) for x in top]
    total = float(total)
    if p_percent is not None and top:
        x1 = top[0]
        x2 = top[1] if len(top) > 1 else 0.0
        if x1 > 0 and total - x1 - x2 < p_percent / 100 * x1:
            return True
    if nk is not None and total > 0:
        n, k = nk
        if sum(top[:n]) >= k / 100 * total:
            return True
    return False
