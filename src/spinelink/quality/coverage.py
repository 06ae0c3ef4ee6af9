"""Coverage and bias: how much of each reference subgroup a source links, and how linked
and unlinked reference units differ.

- link rate of a group: reference units of the group with at least one link from the
  source, over the group's reference units (Wilson 95% interval); for a variable only the
  source carries, source records linked over the group's source records;
- bias: for each variable, the distribution of values among linked and among unlinked
  reference units, and the standardised difference of each value's share (|d| > 0.1 is
  the usual mark of an imbalance);
- flags: groups whose link rate or estimated recall is significantly below the source's
  overall figure (the group's 95% upper bound is under the overall estimate). A group's
  estimated recall is a count of its own records (a finite population: its interval can
  have no width); whether the group falls short of the source is also judged as a sample
  of its size, the Wilson interval of its found matches among its expected matches (as
  the link rate is), so that one expected miss in a group of 25 is not a flag.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from spinelink.pair_keys import id_member
from spinelink.quality.stats import std_diff, wilson

STD_DIFF_MARK = 0.1


def coverage_counts(values: pd.Series, linked_ids, variable: str,
                    order: list[str], is_linked: np.ndarray | None = None) -> pd.DataFrame:
    """n_reference and n_linked per value (values: group value by record id; linked_ids:
    the linked record ids, any list-like; `is_linked`: `linked_mask` of the values' ids,
    when the caller has it)."""
    if is_linked is None:
        is_linked = linked_mask(values.index, linked_ids)
    df = pd.DataFrame({"value": values.to_numpy(), "linked": is_linked})
    g = df.groupby("value")["linked"].agg(["size", "sum"]).reindex(order, fill_value=0)
    return pd.DataFrame({"variable": variable, "value": order,
                         "n_reference": g["size"].to_numpy(int),
                         "n_linked": g["sum"].to_numpy(int)})


def linked_mask(ids, linked_ids) -> np.ndarray:
    """Per id: is it among the linked ids (compared as text)."""
    return id_member(ids, linked_ids)


def add_link_rates(df: pd.DataFrame) -> pd.DataFrame:
    """link_rate with Wilson interval from n_linked / n_reference (after any rounding)."""
    out = df.copy()
    ci = [wilson(k, n) for k, n in zip(out["n_linked"], out["n_reference"], strict=True)]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["link_rate"] = np.where(out["n_reference"] > 0,
                                    out["n_linked"] / out["n_reference"].clip(lower=1), np.nan)
    out["link_rate_low"] = [c[0] for c in ci]
    out["link_rate_high"] = [c[1] for c in ci]
    return out


def bias_counts(values: pd.Series, linked_ids, variable: str,
                order: list[str], counts: pd.DataFrame | None = None) -> pd.DataFrame:
    """n_linked and n_unlinked per value (`counts`: the values' `coverage_counts`, when
    the caller has them)."""
    c = coverage_counts(values, linked_ids, variable, order) if counts is None else counts
    return pd.DataFrame({"variable": variable, "value": c["value"],
                         "n_linked": c["n_linked"],
                         "n_unlinked": c["n_reference"] - c["n_linked"]})


def add_shares(df: pd.DataFrame) -> pd.DataFrame:
    """share_linked, share_unlinked and std_diff within each (source, variable)."""
    out = df.copy()
    keys = [k for k in ("source", "variable") if k in out.columns]
    tot_l = out.groupby(keys)["n_linked"].transform("sum")
    tot_u = out.groupby(keys)["n_unlinked"].transform("sum")
    out["share_linked"] = np.where(tot_l > 0, out["n_linked"] / tot_l.clip(lower=1), np.nan)
    out["share_unlinked"] = np.where(tot_u > 0, out["n_unlinked"] / tot_u.clip(lower=1),
                                     np.nan)
    out["std_diff"] = [std_diff(a, b) if not (np.isnan(a) or np.isnan(b)) else np.nan
                       for a, b in zip(out["share_linked"], out["share_unlinked"], strict=True)]
    return out


def flags(rows: pd.DataFrame) -> list[dict]:
    """Published (unsuppressed) groups significantly below their source's overall rate."""
    out = []
    for (source, basis), g in rows.groupby(["source", "basis"]):
        overall = g[g["variable"] == "all"]
        if overall.empty:
            continue
        o = overall.iloc[0]
        groups = g[(g["variable"] != "all") & ~g["suppressed"]]
        checks = [("est_recall", "est_recall_high")]
        if basis == "model":
            checks.insert(0, ("link_rate", "link_rate_high"))
        for _, r in groups.iterrows():
            for col, high in checks:
                if pd.notna(r[high]) and pd.notna(o[col]) and r[high] < o[col] \
                        and _group_upper(r, col) < o[col]:
                    out.append({"source": source, "basis": basis, "variable": r["variable"],
                                "value": r["value"], "measure": col,
                                "estimate": _r(r[col]), "upper": _r(r[high]),
                                "overall": _r(o[col])})
    return out


def _group_upper(r, col: str) -> float:
    """The group's 95% upper bound on `col` as a sample of its size: the link rate's is
    its Wilson bound already; estimated recall's, the Wilson bound of the group's expected
    matches found (n_linked x est_precision) among its expected matches (those over
    est_recall); the estimate's own bound when those are not known (none found)."""
    found = r["n_linked"] * r["est_precision"] if col == "est_recall" else np.nan
    if not (pd.notna(found) and found > 0 and r[col] > 0):
        return r[f"{col}_high"]
    return wilson(found, found / r[col])[1]


def _r(x) -> float | None:
    return None if pd.isna(x) else round(float(x), 4)
