"""Verification of automatic coding by sample (`coding_options:`), as the review's second
review does for links (spinelink.review.qc).

Per source and variable, the coded answers (automatic: exact, alias, fuzzy, derived; and
clerical ones with a code), in record order, form batches of `batch_size`. From each
batch a share (`verify_share`, default 25%) is drawn for a second person: an answer is
drawn when its seeded hash falls below the share (deterministic), and at least one per
batch. The sample is written to
`coding/<source>_verification.parquet` (record_id, variable, batch, text, code, status,
method).
A verifier's codes (the job's `decisions:` CSV, the review page's coding mode,
`spinelink coding apply`; spinelink.coding.decisions) are reconciled: per batch, the
share of checked answers whose code differs; a batch at or above `error_threshold`
(default 1%) goes whole to `coding/<source>_recheck.parquet` (for `spinelink coding
queue`). Error rates per variable, method (exact, alias, code, fuzzy, contained, derived,
clerical) and batch go to the manifest
(`coding.<source>.verification`) and the report; the codes themselves are applied by
spinelink.coding.decisions.
"""
from __future__ import annotations

import hashlib

import pandas as pd

AUTOMATIC = ("exact", "alias", "fuzzy", "derived")


def _draw(seed: int, source: str, variable: str, record_id: str) -> float:
    h = hashlib.sha256(f"{seed}\0{source}\0{variable}\0{record_id}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


def sample(table: pd.DataFrame, source: str, seed: int, share: float,
           batch_size: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every automatic coding with its batch, the drawn sample)."""
    coded = table["status"].isin(AUTOMATIC) | ((table["status"] == "clerical")
                                              & table["code"].notna())
    auto = table[coded].copy()
    auto["batch"] = ""
    for var, idx in auto.groupby("variable", sort=False).groups.items():
        pos = pd.Series(range(len(idx)), index=idx)
        auto.loc[idx, "batch"] = [f"{var}#{p // batch_size + 1}" for p in pos]
    auto["u"] = [_draw(seed, source, v, r) for v, r in
                 zip(auto["variable"], auto["record_id"], strict=True)]
    drawn = auto["u"] < share
    if share > 0:  # at least one answer per batch
        first = auto.sort_values(["u", "record_id"]).groupby("batch").head(1).index
        drawn.loc[first] = True
    cols = ["record_id", "variable", "batch", "text", "code", "status", "method"]
    return auto[cols], auto.loc[drawn, cols].reset_index(drop=True)


def reconcile(coded: pd.DataFrame, drawn: pd.DataFrame, decisions: pd.DataFrame | None,
              source: str, threshold: float) -> tuple[dict, pd.DataFrame]:
    """(summary for the manifest, the answers of batches queued for full re-check)."""
    summary: dict = {"sampled": int(len(drawn)), "batches": int(coded["batch"].nunique())}
    if decisions is None:
        return summary, coded.iloc[:0]
    dec = decisions[decisions["source"] == source]
    dec = dec.rename(columns={"code": "verified"})[["record_id", "variable", "verified"]]
    checked = drawn.merge(dec, on=["record_id", "variable"], how="inner")
    checked["error"] = checked["verified"].str.strip() != checked["code"].fillna("")

    def rates(key: str) -> dict:
        g = checked.groupby(key)["error"]
        return {str(k): {"checked": int(n), "errors": int(e),
                         "error_rate": round(e / n, 4) if n else None}
                for k, n, e in zip(g.size().index, g.size(), g.sum(), strict=True)}

    by_batch = rates("batch")
    queued = sorted(b for b, r in by_batch.items()
                    if r["errors"] and r["error_rate"] >= threshold)
    summary.update({"checked": int(len(checked)), "errors": int(checked["error"].sum()),
                    "by_variable": rates("variable"), "by_method": rates("method"),
                    "by_batch": by_batch, "batches_queued": queued})
    return summary, coded[coded["batch"].isin(queued)]
