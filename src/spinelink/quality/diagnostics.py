"""When not to trust a label-free estimate: the method's own checks, per source.

Each check compares something the estimator assumes with what the run shows, and fails
with a plain warning that says which estimate it affects and which way it is likely to
be wrong. `summary.json` keeps every check (`diagnostics`) and the failed ones'
warnings (`warnings`); the report shows the warnings beside the estimates.
"""
from __future__ import annotations

import math

import pandas as pd

CAL_SD = 2.0            # model and check expected false links further apart than 2 sd
PARTNER_LOW = 0.01      # deterministic partners the model scores below 0.5
RIVAL_SHARE = 0.001     # sampled deterministic records with a rival above their partner
UNKNOWN_SHARE = 0.05    # reference records with no value for a subgroup variable
NO_CANDIDATE = 0.2      # residual records without a single candidate pair
MIN_BOOT = 100          # bootstrap replicates behind the intervals
WIDE = 0.1              # interval width that makes an estimate uninformative
RECALL_GAP = 0.01       # recall the records without personal evidence could take away


def _check(name: str, value, limit, ok: bool, warning: str) -> dict:
    return {"check": name, "value": value, "limit": limit, "ok": bool(ok),
            "warning": None if ok else warning}


def source_checks(summary: dict, n_boot: int) -> list[dict]:
    """Checks from one source's summary (`per_source.compute`), before disclosure."""
    out = []
    cal = summary.get("calibration")
    if cal and cal.get("estimates_use") == "model" and "check" in (cal.get("method") or ""):
        m = cal.get("model_expected_false_links") or 0.0
        c = cal.get("calibrated_expected_false_links") or 0.0
        sd = math.sqrt(max(m, 1.0))
        # too few candidates to judge: said in the verdict, not a warning either way
        few = str(cal.get("verdict", "")).startswith("too few")
        out.append(_check(
            "calibration", round(c - m, 2), round(CAL_SD * sd, 2),
            few or abs(c - m) <= CAL_SD * sd,
            f"the model expects {m:.1f} false probabilistic links, the leave-partner-out "
            f"check {c:.1f}: " + ("precision may be overstated (relatives who share "
                                  "surname and address can look like one person)" if c > m
                                  else "precision may be understated")))
    det = summary.get("deterministic") or {}
    low = det.get("partner_below_review_share")
    if low is not None:
        out.append(_check(
            "deterministic_partners_scored_low", low, PARTNER_LOW, low <= PARTNER_LOW,
            f"{low:.1%} of deterministic links score below 0.5 with the model; they are "
            "counted correct unless another source record shares their unit, so "
            "precision may be overstated"))
    rival, sample = det.get("rival_scored_above_partner"), det.get("sample")
    if isinstance(rival, int) and isinstance(sample, int) and sample > 0:
        share = rival / sample
        out.append(_check(
            "deterministic_rivals", round(share, 4), RIVAL_SHARE, share <= RIVAL_SHARE,
            f"{share:.1%} of sampled deterministic links have another reference record "
            "scoring above their partner: the match keys may link relatives"))
    res, cands = summary.get("residual_records") or 0, summary.get("residual_with_candidates")
    if res and cands is not None:
        share = 1 - cands / res
        out.append(_check(
            "residual_without_candidates", round(share, 4), NO_CANDIDATE,
            share <= NO_CANDIDATE,
            f"{share:.0%} of the records left for probabilistic linkage have no candidate "
            "pair; the estimate counts most of them as people absent from the reference. "
            "Where their fields are missing or wrong instead, recall is overstated"))
    floor = (summary.get("overall") or {}).get("est_recall_floor")
    recall = (summary.get("overall") or {}).get("est_recall")
    if floor is not None and recall is not None:
        gap = round(recall - floor, 4)
        n = summary.get("records_without_personal_evidence") or 0
        out.append(_check(
            "records_without_personal_evidence", gap, RECALL_GAP, gap <= RECALL_GAP,
            f"{n} source records had candidates that share only household fields (surname, "
            "address, postcode) with them; they were not scored, so relatives are not "
            "linked. If some are the same people under another spelling of the first name, "
            f"recall is lower than estimated, down to {floor:.3f}"))
    blk = summary.get("blocking") or {}
    lo, hi = (blk.get("between") or [None, None])[:2]
    linkable = (summary.get("overall") or {}).get("expected_linkable") or 0
    if lo is not None and hi is not None and linkable:
        spread = (hi - lo) / linkable
        out.append(_check(
            "never_compared_spread", round(spread, 4), 0.01, spread <= 0.01,
            f"matches no blocking rule compared lie between {lo:.0f} and {hi:.0f} (95%): "
            "recall is uncertain by that much"))
    out.append(_check("bootstrap_replicates", n_boot, MIN_BOOT, n_boot >= MIN_BOOT,
                      f"intervals rest on {n_boot} bootstrap replicates; use at least "
                      f"{MIN_BOOT} (quality.bootstrap)"))
    return out


def group_checks(rows: pd.DataFrame) -> list[dict]:
    """Checks on one source's subgroup rows (coverage merged with estimates): groups whose
    value is unknown for many records, and estimates with intervals too wide to read."""
    out = []
    if rows.empty:
        return out
    for var, part in rows[rows["variable"] != "all"].groupby("variable", sort=True):
        total = part["n_reference"].sum()
        unknown = part.loc[part["value"] == "unknown", "n_reference"].sum()
        share = float(unknown / total) if total else 0.0
        out.append(_check(
            f"unknown_{var}", round(share, 4), UNKNOWN_SHARE, share <= UNKNOWN_SHARE,
            f"{share:.0%} of records have no {var}: the 'unknown' group mixes people of "
            "every kind, and the other groups' estimates leave them out"))
    width = pd.concat([rows["est_recall_high"] - rows["est_recall_low"],
                       rows["est_precision_high"] - rows["est_precision_low"]], axis=1
                      ).max(axis=1)
    wide = rows[width > WIDE]
    out.append(_check(
        "wide_intervals_share", round(len(wide) / len(rows), 4), 0.0, wide.empty,
        f"{len(wide)} subgroup estimate(s) have a 95% interval wider than {WIDE:.0%} "
        "points: too few records to tell"))
    return out


def warnings(checks: list[dict]) -> list[str]:
    return [c["warning"] for c in checks if not c["ok"]]
