"""The pairs the born-after rule kept from being candidates, as possible misses.

A source record born after the reference date is not linked to an undated reference
record (`stages.link.born_after`): the probabilistic stage scores such pairs and sets them
aside (`pairs/born_apart/<source>.parquet`). Most are a baby and an undated relative of
one name and address; some are the person with the year of birth mistyped into the
future. Recall counts such a person as linkable and missed, so the pairs are candidates
here that the stage did not link, each with the model's odds times the likelihood ratio of
the one thing the model did not weigh, a date of birth after the reference date:

    m = (records born after and linked + 1/2) / (linked records + 1)   (those linked are
        linked to a dated reference record, their date mistyped: a match's rate of it)
    u = records born after / source records                             (any record's)

LR = min(1, m / u), from the run's own counts (no labels). Where babies are many (WIC: u
near 0.6) the pairs count for almost nothing; where mistyped years are what there is
(Social Security: u near 0.01) they keep most of their odds. A record's candidates share
one "no match" term: with the stage's probabilities p_c of its other candidates and the
share pi of residual records with a match (`probabilistic.record_model`), that term is
D = (1 - pi) / (1 - sum p_c); the pairs' odds o_b join it, D' = D + sum o_b, the others'
probabilities become p_c D / D' and the pairs' o_b / D'.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def likelihood_ratio(counts: dict | None, accounting: dict) -> float | None:
    """m / u of a date of birth after the reference date (module doc), or None without
    such records."""
    if not counts or not counts.get("records"):
        return None
    n_src = sum(int(accounting.get(k) or 0) for k in ("linked", "review", "unlinked"))
    n_linked = int(accounting.get("linked") or 0)
    if n_src <= 0:
        return None
    m = (int(counts.get("linked") or 0) + 0.5) / (n_linked + 1)
    u = int(counts["records"]) / n_src
    return float(min(1.0, m / u))


def with_born_apart(pairs: pd.DataFrame, apart: pd.DataFrame, lr: float,
                    pi: float) -> pd.DataFrame:
    """`pairs` (the stage's candidates: reference_id, source_id, match_weight,
    match_probability, person_ref) with the pairs born apart added as candidates of their
    records at odds 2^match_weight * lr, and the probabilities of their records' other
    candidates lowered to make room (module doc)."""
    if apart is None or apart.empty or lr <= 0:
        return pairs
    a = apart[["reference_id", "source_id", "match_weight"]].astype(
        {"reference_id": str, "source_id": str, "match_weight": float}).copy()
    a["match_weight"] = a["match_weight"] + np.log2(lr)
    odds = np.exp2(np.clip(a["match_weight"].to_numpy(), -60, 60))
    add = pd.Series(odds, index=a["source_id"]).groupby(level=0).sum()
    p = pairs.copy()
    if "match_probability" not in p:  # no record-level probabilities: weights only
        return _stack(p, a.assign(person_ref=a["reference_id"]))
    src = p["source_id"].astype(str)
    # the sum of a record's probabilities over its hypotheses (a tie group's members each
    # carry the group's probability: counted once)
    person = p["person_ref"].astype(str) if "person_ref" in p else p["reference_id"].astype(
        str)
    first = ~pd.DataFrame({"s": src, "p": person}).duplicated().to_numpy()
    taken = pd.Series(np.where(first, p["match_probability"].to_numpy(float), 0.0),
                      index=src).groupby(level=0).sum()
    none = max(1.0 - float(pi), 1e-12)
    d_old = (none / (1.0 - taken.clip(upper=1 - 1e-9))).reindex(add.index).fillna(none)
    d_new = d_old + add
    shrink = (d_old / d_new).reindex(src).fillna(1.0).to_numpy()
    p["match_probability"] = p["match_probability"].to_numpy(float) * shrink
    a["match_probability"] = odds / d_new.reindex(a["source_id"]).to_numpy()
    a["person_ref"] = a["reference_id"]
    return _stack(p, a[p.columns.intersection(a.columns)])


def _stack(pairs: pd.DataFrame, more: pd.DataFrame) -> pd.DataFrame:
    """`pairs` then `more`, as pd.concat gives them; with no pairs (every record linked
    deterministically) `more` alone in their columns: concat of an empty frame warns
    (FutureWarning on the console) that its columns will decide the dtypes (object for an
    empty frame read from Parquet), which would make match_weight an object column."""
    if not pairs.empty:
        return pd.concat([pairs, more], ignore_index=True)
    cols = [*pairs.columns, *(c for c in more.columns if c not in pairs.columns)]
    return more.reindex(columns=cols).reset_index(drop=True)
