"""Acceptance and review thresholds chosen from the run's own error estimates.

A pair's `match_probability` is the probability, under the record-level model of
`probabilistic.record_model`, that the reference record is the source record's match (at
most one per source record). The estimated precision of the links accepted at threshold
`t` is the mean probability of the source records' best candidates with probability
`>= t`; `accept: auto` takes the lowest `t` (never below `ACCEPT_FLOOR`) at which that mean
is at least `target_precision`. `review: auto` extends the band below the accept
threshold while the mean probability of the band's records stays at or above
`review_yield` (the share of true matches a clerk is expected to find in it), to at most
`review_capacity` records when one is set. Estimated recall is the accepted links'
expected matches over the expected linkable residual records.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

log = logging.getLogger("spinelink.probabilistic")
ACCEPT_FLOOR = 0.5   # a link below this is more likely wrong than right, whatever the mean
REVIEW_FLOOR = 0.05


def shown(p: float) -> str:
    """A threshold as the console, the log and the report show it: 4 significant digits,
    more when 4 would round it to 1 or 0 (0.99999 is not `1`: a pair at 0.99998 is not
    accepted)."""
    for digits in range(4, 16):
        text = f"{p:.{digits}g}"
        if float(text) not in (0.0, 1.0) or p in (0.0, 1.0):
            return text
    return repr(p)


def best_candidates(pairs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Source ids and their best candidate's probability, in descending probability (ties
    by source id)."""
    if pairs.empty:
        return np.array([], dtype=str), np.array([])
    best = pairs.groupby("source_id", sort=True)["match_probability"].max()
    ids, p = best.index.to_numpy(dtype=str), best.to_numpy(float)
    order = np.lexsort((ids, -p))
    return ids[order], p[order]


@dataclass(frozen=True)
class Thresholds:
    accept: float
    review: float
    accept_mode: str
    review_mode: str
    est_precision: float | None   # of the accepted probabilistic links
    est_recall: float | None      # of the residual's linkable records, by those links
    expected_false_links: float
    review_records: int
    review_expected_matches: float
    not_chosen: str | None = None  # why `auto` chose no threshold (no link accepted)

    def as_dict(self) -> dict:
        return {"accept": self.accept, "review": self.review,
                "accept_mode": self.accept_mode, "review_mode": self.review_mode,
                "est_precision": _r(self.est_precision), "est_recall": _r(self.est_recall),
                "expected_false_links": round(self.expected_false_links, 2),
                "review_records": self.review_records,
                "review_expected_matches": round(self.review_expected_matches, 2),
                **({"not_chosen": self.not_chosen} if self.not_chosen else {})}


def described(th: dict) -> str:
    """The thresholds (`Thresholds.as_dict`) as the console, the log and the report say
    them: `accept 0.9993 (auto), review 0.9 (auto)`, or that `auto` chose no acceptance
    threshold and why (`accept 1 (auto)` read as a threshold of 1)."""
    if th.get("not_chosen"):
        text = f"no acceptance threshold chosen ({th['not_chosen']})"
        if th["review"] >= th["accept"]:
            return text
        return f"{text}, review {shown(th['review'])} ({th['review_mode']})"
    return (f"accept {shown(th['accept'])} ({th['accept_mode']}), review "
            f"{shown(th['review'])} ({th['review_mode']})")


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), 5)


def choose(pairs: pd.DataFrame, linkable: float, accept: float | str, review: float | str,
           target_precision: float, review_yield: float,
           review_capacity: int | None, residual: int | None = None,
           fixed_as: str = "fixed") -> Thresholds:
    """`linkable`: expected residual source records whose match is among their candidates;
    `residual`: the source records left to link (to say why no threshold was chosen);
    `fixed_as`: the mode of a threshold given as a number (`previous run`: an incremental
    run links with the previous run's)."""
    _, p = best_candidates(pairs)  # a best candidate's probability is its posterior
    cum_mean = _running_mean(p)
    # a threshold keeps all records at its probability: only the last of a run of equal
    # probabilities is a possible cut
    cut = np.append(p[1:] != p[:-1], True) if len(p) else np.array([], dtype=bool)
    not_chosen = None
    if accept == "auto":
        ok = np.flatnonzero((cum_mean >= target_precision) & (p >= ACCEPT_FLOOR) & cut)
        if len(ok):
            t_acc = float(p[ok[-1]])
        else:
            t_acc = 1.0
            not_chosen = _why_none(len(p), residual, target_precision)
            if len(p):
                log.warning("no acceptance threshold reaches the target precision %.4g: "
                            "no probabilistic links are accepted", target_precision)
    else:
        t_acc = float(accept)
    n_acc = int((p >= t_acc).sum())
    band_p = p[n_acc:]
    if review == "auto":
        ok = (_running_mean(band_p) >= review_yield) & (band_p >= REVIEW_FLOOR) & cut[n_acc:]
        if review_capacity is not None:
            ok &= np.arange(1, len(band_p) + 1) <= review_capacity
        idx = np.flatnonzero(ok)
        t_rev = float(band_p[idx[-1]]) if len(idx) else t_acc
    else:
        t_rev = min(float(review), t_acc)
    in_band = (band_p >= t_rev)
    accepted = p[:n_acc]
    return Thresholds(
        accept=t_acc, review=t_rev,
        accept_mode="auto" if accept == "auto" else fixed_as,
        review_mode="auto" if review == "auto" else fixed_as,
        est_precision=float(accepted.mean()) if n_acc else None,
        est_recall=float(min(1.0, accepted.sum() / linkable)) if linkable > 0 else None,
        expected_false_links=float((1 - accepted).sum()),
        review_records=int(in_band.sum()),
        review_expected_matches=float(band_p[in_band].sum()), not_chosen=not_chosen)


def _why_none(candidates: int, residual: int | None, target_precision: float) -> str:
    """Why `accept: auto` chose no threshold, in words."""
    if candidates:
        return (f"no threshold reaches the target precision {target_precision:.4g}: no "
                "probabilistic link accepted")
    if residual == 0:
        return "every record was linked deterministically: none left to score"
    left = "" if residual is None else f" for the {residual} records left after the " \
        "deterministic links"
    return f"no candidate pairs{left}: no probabilistic link"


def _running_mean(x: np.ndarray) -> np.ndarray:
    """Mean of the first k values, for every k."""
    return np.cumsum(x) / np.arange(1, len(x) + 1) if len(x) else x
