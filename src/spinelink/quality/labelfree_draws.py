"""One bootstrap replicate's outcome draw (`labelfree.estimate`): each residual record's
true match drawn from its posteriors (`_choose`) and the links wrong in the draw
(`_wrong`), with what every replicate reads of the records and links made once
(`_runs`, `_prob_links`)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from spinelink.quality.calibrate import Candidates
    from spinelink.quality.labelfree import Breakdown, Prepared


def _prob_links(pr: Prepared) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The probabilistic links (positions), their tie groups and their records (`_wrong`
    asks every replicate: masks over a million links each time)."""
    at = np.flatnonzero(pr.link_group >= 0)
    group = pr.link_group[at]
    return at, group, pr.cands.rec[group]


def _wrong(pr: Prepared, post: np.ndarray, chosen: np.ndarray, survive,
           links: tuple | None = None) -> tuple:
    """One bootstrap draw, once for every breakdown: the links that are wrong in it (a
    probabilistic link whose record's drawn match is another candidate, or a link another
    source record on its unit takes: `survive` False) and the candidates that are a
    drawn match the stage did not link (missed). `links`: `_prob_links`, made once."""
    at, group, rec = _prob_links(pr) if links is None else links
    ok = np.ones(len(pr.link_group), bool) if survive is None else \
        np.asarray(survive, bool).copy()
    miss = np.zeros(0, int)
    if len(post):
        ok[at] &= chosen[rec] == group
        rec_of = np.flatnonzero(chosen >= 0)
        c = chosen[rec_of]
        miss = c[c != pr.rec_link[rec_of]]
    return np.flatnonzero(~ok), miss


def _runs(rec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each record's first candidate and its number of candidates (`rec` sorted)."""
    start = np.r_[0, np.flatnonzero(np.diff(rec)) + 1]
    return start, np.diff(np.r_[start, len(rec)])


def _choose(rng: np.random.Generator, cands: Candidates, post: np.ndarray,
            runs: tuple | None = None):
    """Each record's true match (its tie group's first candidate) or -1, drawn from the
    posteriors. `runs`: `_runs(cands.rec)`, made once."""
    rec, n_rec = cands.rec, cands.n_with
    chosen = np.full(n_rec, -1)
    if not len(post):
        return chosen
    post = np.where(cands.first, post, 0.0)
    cum = np.cumsum(post)
    start, size = _runs(rec) if runs is None else runs
    offset = np.repeat(cum[start] - post[start], size)
    hi = cum - offset
    lo = hi - post
    u = rng.random(n_rec)[rec]
    pick = np.flatnonzero((u > lo) & (u <= hi))
    chosen[rec[pick]] = pick
    return chosen


def _less_found(pr: Prepared, bd: Breakdown, blk: np.ndarray) -> np.ndarray:
    """Never-compared matches per value less those found since (`Prepared.found_unseen`)."""
    if pr.found_unseen is None:
        return blk
    return np.maximum(blk - np.bincount(bd.link_code[pr.found_unseen],
                                        minlength=len(bd.values)), 0.0)


def _n_found(pr: Prepared) -> int:
    return 0 if pr.found_unseen is None else int(pr.found_unseen.sum())
