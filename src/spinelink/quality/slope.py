"""The model's own error in the intervals: a calibration slope drawn per bootstrap replicate.

A link's match probability is the Fellegi-Sunter model's; the model takes its comparisons
to be independent given match status. Where they are not (relatives sharing surname,
address and date-of-birth parts; fields missing or wrong together) the sum of the
comparisons' log Bayes factors counts one piece of evidence several times, or, the other
way, too little: the log-odds are right up to a *slope* (Cox 1958's calibration slope;
Belin and Rubin 1995 show the mixture model's false-match rates off in both directions
without a calibration sample). No figure the quality stage has without labels tells the
slope (`benchmarks/RESULTS.md`, session 26: the leave-partner-out check and the shared
units disagree with the truth and with each other by factors of 0.25 to 30), so the
intervals take it as unknown within a stated range: each replicate draws one slope
b = exp(SLOPE_SD * z), z standard normal, for every link and candidate of the source, and
raises each candidate's odds against "no match" to the power b (log-odds times b), its
record's candidates renormalised; a shared unit's survival chance (`quality.shared`) gets
the same slope. With SLOPE_SD = ln 2 / 1.96 the log-odds are taken to be right within a
factor of 2 either way (95%): a link at 10 bits may be one at 5 bits (false 1 in 33, not
1 in 1,000) or at 20. The point estimates keep the model's probabilities (slope 1); a link
whose fields all agree (30+ bits) stays sure; deterministic links are not touched.
"""
from __future__ import annotations

import math

import numpy as np

SLOPE_SD = math.log(2) / 1.959963984540054  # log of the slope; 95%: a factor of 2
_TINY = 1e-300


def draw(rng: np.random.Generator, sd: float = SLOPE_SD) -> float:
    """One replicate's slope (1 when sd is 0)."""
    return float(math.exp(sd * rng.standard_normal())) if sd > 0 else 1.0


class Tilt:
    """Record-level posteriors with every candidate's log-odds against "no match" times b,
    for candidates of records `rec` (source record index per candidate, sorted) of which
    `first` count in a record's sums (one per tie group; the others share its posterior).
    The records' runs of candidates are found once; each replicate calls it.

    >>> rec, first = np.array([0, 0, 1]), np.array([True, True, True])
    >>> post = np.array([0.9, 0.05, 0.999])
    >>> Tilt(rec, first)(post, 1.0).round(4).tolist()
    [0.9, 0.05, 0.999]
    >>> Tilt(rec, first)(post, 0.5).round(4).tolist()
    [0.6796, 0.1602, 0.9693]
    """

    def __init__(self, rec: np.ndarray, first: np.ndarray):
        self.rec, self.first = np.asarray(rec), np.asarray(first, bool)
        self.n = int(self.rec.max()) + 1 if len(self.rec) else 0
        # each record's first candidate (rec is sorted), for the records' maxima
        self.starts = np.flatnonzero(np.r_[True, self.rec[1:] != self.rec[:-1]]) \
            if len(self.rec) else self.rec
        self.records = self.rec[self.starts]

    def __call__(self, post: np.ndarray, b: float) -> np.ndarray:
        if b == 1.0 or not len(post):
            return post
        rec, first, n = self.rec, self.first, self.n
        odds, live = self._log_odds(post)
        lo = np.where(live, odds * b, -np.inf)
        top = np.zeros(n)  # "no match" has log-odds 0: the largest is at least 0
        top[self.records] = np.maximum(np.maximum.reduceat(
            np.where(first, lo, -np.inf), self.starts), 0.0)
        e = np.exp(lo - top[rec])
        denom = np.exp(-top) + np.bincount(rec, weights=np.where(first, e, 0.0), minlength=n)
        return e / denom[rec]

    def _log_odds(self, post: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each candidate's log-odds against its record's "no match" and whether its
        posterior is above 0; kept for the last posteriors (under `calibration: model`
        every replicate tilts the same ones)."""
        held = getattr(self, "_held", None)
        if held is not None and np.array_equal(held[0], post):
            return held[1]
        p = np.clip(np.asarray(post, float), 0.0, 1.0)
        none = 1.0 - np.bincount(self.rec, weights=np.where(self.first, p, 0.0),
                                 minlength=self.n)
        got = (np.log(np.maximum(p, _TINY)) - np.log(np.maximum(none, _TINY))[self.rec],
               p > 0)
        self._held = (np.array(post, copy=True), got)
        return got


def tilt_chance(c: np.ndarray, b: float) -> np.ndarray:
    """A probability's log-odds times b (1 and 0 stay).

    >>> tilt_chance(np.array([1.0, 0.5, 0.99]), 0.5).round(4).tolist()
    [1.0, 0.5, 0.9087]
    """
    if b == 1.0:
        return c
    c = np.clip(np.asarray(c, float), 0.0, 1.0)
    # the chances strictly between 0 and 1 alone (most links' is 1: nobody else on their
    # unit), each by the same formula
    mid = np.flatnonzero((c > 0.0) & (c < 1.0))
    out = np.where(c >= 1.0, 1.0, 0.0)
    m = c[mid]
    out[mid] = 1 / (1 + np.exp(-b * (np.log(m) - np.log1p(-m))))
    return out


class Survival:
    """`u < tilt_chance(c, b)` for one array of chances `c` and many replicates' uniform
    draws `u` and slopes `b`: the chances strictly between 0 and 1 and their log-odds
    found once (each replicate's pass over a million links' chances was a tenth of its
    time). A chance of 1 survives every u in [0, 1) and one of 0 none, as in the
    comparison over all of them.

    >>> c, u = np.array([1.0, 0.5, 0.99, 0.0]), np.array([0.7, 0.45, 0.95, 0.0])
    >>> Survival(c)(u, 0.5).tolist() == (u < tilt_chance(c, 0.5)).tolist()
    True
    """

    def __init__(self, c: np.ndarray):
        self.c = c
        c = np.clip(np.asarray(c, float), 0.0, 1.0)
        self.mid = np.flatnonzero((c > 0.0) & (c < 1.0))
        self.sure = c >= 1.0
        m = c[self.mid]
        self.logit = np.log(m) - np.log1p(-m)

    def __call__(self, u: np.ndarray, b: float) -> np.ndarray:
        if b == 1.0:
            return u < self.c
        out = self.sure.copy()
        out[self.mid] = u[self.mid] < 1 / (1 + np.exp(-b * self.logit))
        return out
