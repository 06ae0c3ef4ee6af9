"""The match-key links in the never-compared estimators' captures, one row per kind
(`recapture.Captures`).

A match-key link is a caught match of weight 1: the estimators (`recapture.Estimator`,
`recapture_strata.Strata`) read of it only its atoms that agree, its columns present, its
capped keys small enough and the subgroup value of its link for each breakdown, and every
sum over such links is linear in their weights. Links alike in all of these are one row
whose weight is their number: the point estimate is the same sum in another order, and a
bootstrap replicate still draws a Poisson(1) weight per link (the same stream) and gives
the row their sum (`Captures.det_factor`), so each replicate is the one it was. At a
million records 0.4M match-key links are ~10^4 rows: the donor sets, pattern weights and
Horvitz-Thompson terms are then sized by the kinds of links, not by their number. The
candidate pairs (each with its own posterior, placed one by one) stay as they are.
"""
from __future__ import annotations

import numpy as np

from spinelink.quality.recapture import Captures
from spinelink.quality.stats import unique_rows


def collapse(cap: Captures, det_link: np.ndarray, link_codes: list[np.ndarray]
             ) -> tuple[Captures, np.ndarray]:
    """The captures with each kind of match-key link as one row, and per row its first
    link (`det_link`: per match-key link its position among the links, -1 none;
    `link_codes`: per breakdown, each link's value code). Rows in order of first
    appearance. Captures already collapsed, or without match-key links, come back as
    they are."""
    if cap.det_row is not None or cap.n_det == 0:
        return cap, det_link
    n = len(cap.agree) - cap.n_det
    ok = det_link >= 0
    at = np.where(ok, det_link, 0).astype(int)
    cols = [cap.agree[n:], cap.avail[n:], cap.caps[n:], ok.astype(np.int64)]
    cols += [np.where(ok, np.asarray(c)[at], -1) for c in link_codes]
    _, first, inv = unique_rows(np.stack(cols, axis=1).astype(np.int64))
    order = np.argsort(first, kind="stable")  # classes by first appearance
    rank = np.empty(len(order), int)
    rank[order] = np.arange(len(order))
    row = rank[inv]
    keep = first[order]
    rows = np.r_[np.arange(n), n + keep]
    out = Captures(cap.design, cap.agree[rows], cap.avail[rows], cap.caps[rows],
                   cap.n_none, cap.n_some, len(keep),
                   np.bincount(row, minlength=len(keep)).astype(float), row)
    return out, det_link[keep]
