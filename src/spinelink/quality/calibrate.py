"""Calibrated match probabilities for the residual's candidate pairs.

The model's own probabilities assume its comparisons are independent given match status;
people in one household agree on surname, address and postcode together, so the model can
be sure of links that are wrong. The leave-partner-out null (`nullcal`) says how many
non-match pairs a source record has at each match weight. With `N` residual source records,
`O(w)` residual candidate pairs and `E0(w) = N * null pairs per sampled record` expected
non-matches around weight `w` (Gaussian kernel, BANDWIDTH bits), the local false-discovery
rate is `lfdr(w) = E0(w) / O(w)`, fitted non-increasing in the weight.

How many residual records are linkable at all comes from records, not pairs: the share of
residual records without a single candidate over the null sample's share of such records is
the unlinkable share `pi0` (corrected for linkable records whose match no blocking rule
compared, see `blocked_out`). Per source record (at most one true match, or none),
candidate `c` is the match with odds `F * (1 - lfdr) / lfdr` against "no match", and its
posterior is its odds over one plus the sum of its record's odds; `F` is set so that the
posteriors add up to the linkable records that have their match among their candidates.
Candidates with equal high weights count as one (the reference holds the same person
twice). When too few records lack candidates to say (`MIN_EXPECTED_NONE`), `F` is
`1 / (1 - theta)` with `theta` found by EM instead.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from spinelink.quality import recapture
from spinelink.quality.nullcal import NullSample
from spinelink.quality.stats import pav_decreasing

MIN_PER_BIN = 25  # summary bins
BANDWIDTH = 1.5  # bits
GRID_STEP = 0.25
MAX_BINS = 20
MIN_NULL_RECORDS = 30
LFDR_FLOOR = 1e-4
MIN_EXPECTED_NONE = 20  # records without candidates expected if none were linkable


@dataclass
class Candidates:
    """Residual candidate pairs, sorted by source record. Candidates of one record with
    equal high weights are one hypothesis (the reference holds that person twice): they
    share a posterior and `first` marks the one that counts in sums."""
    rec: np.ndarray       # source record index per candidate
    weight: np.ndarray    # model match weight at the residual's prior
    n_residual: int       # residual source records, with or without candidates
    first: np.ndarray     # True for the first candidate of each tie group
    capture: recapture.Captures | None = None  # the blocking rules' atoms per candidate
    prob: np.ndarray | None = None  # the stage's record-level match probability
    carried: float | None = None  # never-compared matches carried from a fit (fitcarry)
    # the model's own probability where `prob` was raised at a unit-mate's address
    # (`unit_home`): the caught matches the never-compared estimate reads
    own: np.ndarray | None = None

    def own_or(self, post: np.ndarray) -> np.ndarray:
        """The model's own probabilities where the stage's were raised, else `post`."""
        return self.own if self.own is not None and self.prob is not None else post

    def caught(self, f: Fit) -> np.ndarray:
        """The caught matches' weights the never-compared estimate reads for fit `f`."""
        return self.own_or(f.posterior) if f.method == "model" else f.posterior

    def estimator(self, post: np.ndarray) -> recapture.Estimator:
        """The never-compared estimator for these posteriors (its pattern tables are
        built for the first posteriors asked for and kept)."""
        held = getattr(self, "_estimator", None)
        if held is None:
            held = recapture.Estimator(self.capture, post, self.first)
            self._estimator = held
        return held if np.array_equal(held.post, post) else held.with_post(post, self.first)

    def binned(self, edges: np.ndarray) -> np.ndarray:
        """Candidates per weight bin (the bootstrap asks again with the same edges)."""
        key = edges.tobytes()
        if getattr(self, "_binned", (None,))[0] != key:
            b = np.digitize(self.weight, edges[1:-1])
            self._binned = (key, np.bincount(b, minlength=len(edges) - 1).astype(float))
        return self._binned[1]

    @cached_property
    def n_with(self) -> int:
        return int(self.rec.max()) + 1 if len(self.rec) else 0


@dataclass
class Fit:
    posterior: np.ndarray  # per candidate: probability it is its record's true match
    linkable: float        # residual records whose person has a reference record
    blocked: float         # ... of which no blocking rule compared with their match
    pi0: float             # share of residual records with no reference record
    edges: np.ndarray      # summary bins of the weight
    observed: np.ndarray   # candidates per bin
    expected_null: np.ndarray  # expected non-matches per bin
    method: str            # "null" (leave-partner-out) or "model"
    blocked_share: np.ndarray | None = None  # per candidate: share of the never-compared
    rec_wt: np.ndarray | None = None  # the bootstrap replicate's source-record weights


def weight_edges(weight: np.ndarray) -> np.ndarray:
    n_bins = int(min(MAX_BINS, max(2, len(weight) // MIN_PER_BIN)))
    edges = np.unique(np.quantile(weight, np.linspace(0, 1, n_bins + 1))) if len(weight) \
        else np.array([0.0, 1.0])
    if len(edges) < 2:
        edges = np.array([edges[0] - 1, edges[0] + 1])
    edges = edges.astype(float)
    edges[0], edges[-1] = -np.inf, np.inf
    return edges


def _record_odds(c: Candidates, odds: np.ndarray) -> np.ndarray:
    """Per source record: the sum of its tie groups' odds (the factor multiplies it)."""
    return np.bincount(c.rec, weights=odds * c.first, minlength=c.n_with)


def _posteriors(c: Candidates, odds: np.ndarray, factor: float,
                rec_odds: np.ndarray | None = None) -> np.ndarray:
    """Per candidate; `rec_odds`: `_record_odds(c, odds)` when the caller has it."""
    s = _record_odds(c, odds) if rec_odds is None else rec_odds
    return odds * factor / (1 + factor * s[c.rec])


def _total(c: Candidates, post: np.ndarray) -> float:
    return float(post[c.first].sum())


def _matched(rec_odds: np.ndarray, factor: float) -> float:
    """Sum of the posteriors at `factor`: per record, f*S / (1 + f*S) (S: its odds sum)."""
    fs = factor * rec_odds
    return float((fs / (1 + fs)).sum())


def _em_factor(c: Candidates, odds: np.ndarray) -> float:
    """The factor 1 / (1 - theta) with theta (share of records whose match is among their
    candidates) found by EM."""
    s, theta = _record_odds(c, odds), 0.5
    for _ in range(100):
        new = float(np.clip(_matched(s, 1 / (1 - theta)) / max(c.n_residual, 1), 1e-6, 0.999))
        if abs(new - theta) < 1e-7:
            return 1 / (1 - new)
        theta = new
    return 1 / (1 - theta)


def _solve_factor(rec_odds: np.ndarray, target: float, start: float = 0.0) -> float:
    """The factor that makes the posteriors add up to `target` matches (bisection on its
    log2, to a hundredth of a match). Works on per-record odds sums: the posteriors of a
    record add up to f*S / (1 + f*S)."""
    s = rec_odds[rec_odds > 0]
    if target <= 0 or len(s) == 0:
        return 0.0
    if target >= 0.999 * len(s):
        return 2.0 ** 40
    lo, hi = -40.0, 40.0
    mid = float(np.clip(np.log2(start), lo, hi)) if start > 0 else 0.0
    for _ in range(60):
        got = _matched(s, 2.0 ** mid)
        if abs(got - target) < 0.01:
            break
        lo, hi = (mid, hi) if got < target else (lo, mid)
        mid = (lo + hi) / 2
    return 2.0 ** mid


def _smooth(weight: np.ndarray, wts: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Gaussian-kernel smoothed counts on the grid (bandwidth BANDWIDTH bits)."""
    step = grid[1] - grid[0]
    idx = np.clip(np.rint((weight - grid[0]) / step).astype(int), 0, len(grid) - 1)
    hist = np.bincount(idx, weights=wts, minlength=len(grid))
    half = int(np.ceil(4 * BANDWIDTH / step))
    x = np.arange(-half, half + 1) * step
    kern = np.exp(-0.5 * (x / BANDWIDTH) ** 2)
    return np.convolve(hist, kern / kern.sum(), mode="same")


def lfdr_at(cands: Candidates, null: NullSample, rec_wt: np.ndarray | None = None,
            null_wt: np.ndarray | None = None) -> np.ndarray:
    """Local false-discovery rate at each candidate's weight: smoothed expected null
    pairs over smoothed observed candidates, fitted non-increasing in the weight.
    `rec_wt` / `null_wt`: bootstrap weights of residual and null records."""
    lo = min(cands.weight.min(), null.weight.min() if len(null.weight) else 0) - 4 * BANDWIDTH
    hi = max(cands.weight.max(), null.weight.max() if len(null.weight) else 0) + 4 * BANDWIDTH
    grid = np.arange(lo, hi + GRID_STEP, GRID_STEP)
    cw = np.ones(len(cands.weight)) if rec_wt is None else rec_wt[cands.rec]
    nw = np.ones(len(null.weight)) if null_wt is None else null_wt[null.record]
    n_null = null.n_records if null_wt is None else max(null_wt.sum(), 1.0)
    obs = _smooth(cands.weight, cw, grid)
    e0 = _smooth(null.weight, nw, grid) * cands.n_residual / n_null
    raw = np.where(obs > 1e-9, np.minimum(1.0, e0 / np.maximum(obs, 1e-12)), 1.0)
    fitted = np.clip(pav_decreasing(raw, obs + 1e-9), LFDR_FLOOR, 1.0)
    return np.interp(cands.weight, grid, fitted)


def _none_ratio(cands: Candidates, null: NullSample, rec_wt, null_wt,
                n_none: float) -> float | None:
    """Residual records without a single candidate, over the share of null-sample records
    without one: the unlinkable share, plus the linkable whose match no rule compared
    (None when too few records could show it)."""
    nw = np.ones(null.n_records) if null_wt is None else null_wt
    has = np.zeros(null.n_records, bool)
    has[null.record] = True
    g0 = float(nw[~has].sum() / max(nw.sum(), 1e-9))
    n_res = (cands.n_with if rec_wt is None else rec_wt.sum()) + n_none
    if g0 * n_res < MIN_EXPECTED_NONE:
        return None
    return float(np.clip(n_none / max(n_res, 1e-9) / g0, 0.0, 1.0))


def _model_fit(cands: Candidates, edges, observed, rec_wt=None) -> Fit:
    """The probabilistic stage's record-level probabilities (`cands.prob`), or, for pairs
    without them, each record's candidates' weights as odds against "no match"."""
    if cands.prob is not None:
        post = np.asarray(cands.prob, float)
    else:
        post = _posteriors(cands, np.exp2(np.clip(cands.weight, -60, 60)), 1.0)
    blocked, share = blocked_out(cands, cands.own_or(post), rec_wt)
    nan = np.full(len(observed), np.nan)
    return Fit(post, _total(cands, post) + blocked, blocked, float("nan"), edges, observed,
               nan, "model", share, rec_wt)


def fit(cands: Candidates, null: NullSample | None, rng: np.random.Generator | None = None,
        edges: np.ndarray | None = None, method: str = "null") -> Fit:
    """Posteriors: `model`, the probabilistic stage's own (record-level) probabilities; or
    `null`, calibrated on the leave-partner-out null sample (when it has enough records).
    With `rng`, one bootstrap replicate (residual and null records reweighted by
    Poisson(1) draws) for the intervals."""
    edges = weight_edges(cands.weight) if edges is None else edges
    observed = cands.binned(edges)
    rec_wt = null_wt = None
    if rng is not None:
        rec_wt = rng.poisson(1.0, cands.n_with).astype(float)
    if method == "model" or null is None or null.n_records < MIN_NULL_RECORDS or \
            not len(cands.weight):
        return _model_fit(cands, edges, observed, rec_wt)
    n_none = float(cands.n_residual - cands.n_with)
    if rng is not None:
        null_wt = rng.poisson(1.0, null.n_records).astype(float)
        n_none = float(rng.poisson(n_none))
    lfdr = lfdr_at(cands, null, rec_wt, null_wt)
    odds = (1 - lfdr) / lfdr
    ratio = _none_ratio(cands, null, rec_wt, null_wt, n_none)
    blocked = 0.0
    if ratio is None:  # EM for the share of records with their match among candidates
        post = _posteriors(cands, odds, _em_factor(cands, odds))
        blocked = _never_compared(cands, post, _total(cands, post), rec_wt)
        linkable = _total(cands, post) + blocked
        pi0 = 1 - linkable / max(cands.n_residual, 1)
    else:
        pi0, linkable, factor = ratio, cands.n_residual * (1 - ratio), 0.0
        rec_odds = _record_odds(cands, odds)
        for _ in range(6):  # matches among candidates: the linkable not blocked out
            factor = _solve_factor(rec_odds, linkable - blocked, factor)
            post = _posteriors(cands, odds, factor, rec_odds)
            new = _never_compared(cands, post, linkable, rec_wt)
            share = new / max(linkable, 1e-9)
            pi0 = float(np.clip((ratio - share) / (1 - share), 0.0, 1.0))
            linkable = cands.n_residual * (1 - pi0)
            if abs(new - blocked) < 0.05:
                break
            blocked = new
    e0 = null.counts(edges).sum(axis=0) * cands.n_residual / null.n_records
    share = blocked_out(cands, post, rec_wt)[1] if rec_wt is None else None
    return Fit(post, linkable, blocked, pi0, edges, observed, e0, "null", share, rec_wt)


def _never_compared(c: Candidates, post: np.ndarray, linkable: float, rec_wt) -> float:
    """Linkable residual records whose match no blocking rule compared (`blocked_out`),
    at most half the linkable."""
    if c.capture is None or len(post) == 0:
        return 0.0 if c.carried is None else min(c.carried, 0.5 * linkable)
    total = c.estimator(post).total(rec_wt, c.rec, key_weights(c, rec_wt))
    return min(total, 0.5 * linkable)


def blocked_out(c: Candidates, post: np.ndarray, rec_wt: np.ndarray | None = None
                ) -> tuple[float, np.ndarray | None]:
    """Expected true matches no blocking rule generated (`quality.recapture`), and each
    candidate's share of where they are thought to be. `rec_wt`: a bootstrap replicate's
    source-record weights (the match-key links get theirs from the same stream); a
    replicate gets the total alone (share None: it keeps the point estimate's)."""
    if c.capture is None or len(post) == 0:
        return 0.0, np.zeros(len(post))
    est = c.estimator(post)
    if rec_wt is not None:
        return est.total(rec_wt, c.rec, key_weights(c, rec_wt)), None
    return est.unseen(rec_wt, c.rec, key_weights(c, rec_wt))


def key_weights(c: Candidates, rec_wt: np.ndarray | None) -> np.ndarray | None:
    """The match-key links' Poisson(1) weights of the bootstrap replicate whose source
    records got `rec_wt` (drawn from a seed of those weights: the same every time asked)."""
    if rec_wt is None or c.capture is None:
        return None
    held = getattr(c, "_key_wt", None)  # asked several times per replicate: the last kept
    if held is not None and held[0] is rec_wt:
        return held[1]
    seed = zlib.crc32(np.asarray(rec_wt, float).tobytes())
    draws = np.random.default_rng(seed).poisson(1.0, c.capture.n_links)
    out = c.capture.det_factor(draws.astype(float))
    c._key_wt = (rec_wt, out)
    return out
