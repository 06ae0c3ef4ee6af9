"""Parts of `quality_eval`'s scoring: the true counts of the parts the label-free estimator
estimates (`components`: false links by kind, linkable residual records, misses by first
cause) and the intervals' widths and misses (`_widths_and_misses`)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

MEASURES = ("precision", "recall")


def components(links: pd.DataFrame, pairs: pd.DataFrame, truth_ref: pd.DataFrame,
               truth_src: pd.DataFrame, quarantined: set[str], review: set[str]) -> dict:
    """True counts of the parts the estimator estimates: false links by kind; linkable
    residual records (linkable, accepted, without a deterministic link); of those, never
    compared (no candidate pair with a record of their person); and linkable records not
    found, by first cause: quarantined, linked wrongly, in review, true match a candidate
    below review, never compared."""
    uid_ref = truth_ref.dropna().astype(str).drop_duplicates("record_id").set_index(
        "record_id")["person_uid"]
    uid_src = truth_src.dropna().astype(str).drop_duplicates("record_id").set_index(
        "record_id")["person_uid"]

    def correct(df: pd.DataFrame) -> np.ndarray:
        u = df["reference_id"].astype(str).map(uid_ref)
        return (u.notna() & (u == df["source_id"].astype(str).map(uid_src))).to_numpy()

    lk = links.astype({"reference_id": str, "source_id": str})
    ok, method = correct(lk), lk["method"].astype(str)
    det = method.str.startswith(("direct:", "key:")).to_numpy()
    prob = (method == "probabilistic").to_numpy()
    src = truth_src.dropna().astype(str)
    linkable = set(src.loc[src["person_uid"].isin(set(uid_ref)), "record_id"])
    found, linked = set(lk.loc[ok, "source_id"]), set(lk["source_id"])
    residual = linkable - quarantined - set(lk.loc[det, "source_id"])
    true_cand = set(pairs.loc[correct(pairs), "source_id"].astype(str)) if len(pairs) else set()
    causes = {"quarantined": 0, "wrong_link": 0, "review": 0, "below_review": 0,
              "never_compared": 0}
    for s in linkable - found:
        c = ("quarantined" if s in quarantined else "wrong_link" if s in linked else
             "review" if s in review else "below_review" if s in true_cand else
             "never_compared")
        causes[c] += 1
    return {"false_links": {"deterministic": int((det & ~ok).sum()),
                            "probabilistic": int((prob & ~ok).sum()),
                            "other": int((~det & ~prob & ~ok).sum())},
            "links": {"deterministic": int(det.sum()), "probabilistic": int(prob.sum())},
            "linkable_residual": len(residual),
            "never_compared": len(residual - true_cand), "missed": causes}


def _ids(path: Path, column: str) -> set[str]:
    return set(pd.read_parquet(path, columns=[column])[column].dropna().astype(str)) \
        if path.exists() else set()


def _widths_and_misses(rows: pd.DataFrame) -> tuple[dict, list[dict]]:
    """Mean 95% interval width per measure over the intervals compared, and each interval
    that misses: on which side the truth lies and how far out, also in half-widths (an
    interval missed by a fraction of its half-width differs from one missed by several)."""
    widths, misses = {}, []
    for m in MEASURES:
        ok = rows[f"covers_{m}"].notna()
        lo, hi = rows.loc[ok, f"est_{m}_low"], rows.loc[ok, f"est_{m}_high"]
        widths[f"width_{m}"] = float((hi - lo).mean()) if ok.any() else None
        for _, r in rows[ok & (rows[f"covers_{m}"] == False)].iterrows():  # noqa: E712
            t = round(r[f"true_{m}"], 4)
            side, by = ("above", t - r[f"est_{m}_high"]) if t > r[f"est_{m}_high"] else \
                ("below", r[f"est_{m}_low"] - t)
            half = (r[f"est_{m}_high"] - r[f"est_{m}_low"]) / 2
            misses.append({"subgroup": "all" if r["variable"] == "all" else
                           f"{r['variable']}={r['value']}", "measure": m, "side": side,
                           "by": float(by), "half_widths": float(by / half) if half > 0
                           else float("inf")})
    return widths, misses
