"""The never-compared estimate fitted again within subgroup values (`recapture.Estimator`
on each value's own caught matches): a value's matches may fail blocking for reasons of
their own (a region's poor delivery).

A value's own fit rests on its own few caught matches with rare patterns and is noisy
(Horvitz-Thompson weights of matches caught by one rule alone): on pseudopeople's W-2 and
1040 files at raised noise its bootstrap standard deviation is 35 to 137 matches on totals
of 15 to 120, and the own fits put the never-compared matches in the wrong age bands by 2.3
times the pooled placement's error. So each value's figure is its own fit shrunk toward its
share of the pooled estimate (empirical Bayes with the between-fit variance estimated by
moments): own weight w = max(0, 1 - s^2 / d^2), d = own total - pooled placement, s^2 = the
own total's variance over SHRINK_REPLICATES Poisson(1) reweightings of its records. A value
whose own fit differs from the pooled one by much more than its noise keeps it."""
from __future__ import annotations

import numpy as np

from spinelink.quality import keyed_poisson, recapture_batch
from spinelink.quality import recapture_fallback as fallback
from spinelink.quality.recapture import Captures, Estimator
from spinelink.quality.recapture_profiles import MIN_DONORS

MIN_STRATUM = 100.0  # caught matches (expected) from which a subgroup gets its own fit
SHRINK_REPLICATES = 40  # reweightings that measure an own fit's noise (`Strata.weight`)


def subset(cap: Captures, cand: np.ndarray, det: np.ndarray, share: float) -> Captures:
    """The captures of some candidates and match-key links (boolean masks); the residual
    records' profile counts scaled by `share`."""
    rows = np.r_[np.asarray(cand, bool), np.asarray(det, bool)]
    return Captures(cap.design, cap.agree[rows], cap.avail[rows], cap.caps[rows],
                    int(round(cap.n_none * share)), int(round(cap.n_some * share)),
                    int(det.sum()), None if cap.det_n is None else cap.det_n[det])


def taught(cap: Captures, w: np.ndarray) -> bool:
    """Whether these captures teach every field group their caught matches carry: each
    such group has at least MIN_DONORS weighted donors (matches a rule not reading it
    caught). A value whose pairs all lack a field (reference records without a date of
    birth: only name rules can catch them) has no match caught without the names, so
    nothing among its own matches says how often the names fail; its own fit would take
    them to agree always and find no never-compared matches at all."""
    n = len(w)
    avail, donors = cap.avail[:n], cap.donors
    for gi, g in enumerate(cap.design.groups):
        carried = float(w[(avail & g) != 0].sum())
        if carried > 0 and float(w[donors[gi][:n]].sum()) < MIN_DONORS:
            return False
    return True


def to_total(by_value: np.ndarray, total: float) -> np.ndarray:
    """A variable's never-compared matches per value scaled to add up to the overall
    figure `total` (the `all` row's: the lead variable's own fits, `labelfree.estimate`).
    Each variable's own fits find their own total (pooling records that blocking misses
    for different reasons finds fewer, and a value that cannot be fitted keeps its share
    of the pooled fit); the subgroups of one variable partition the records, so their
    figures must add up to the overall one, and the variable tells only where they are.

    >>> to_total(np.array([1.0, 3.0]), 8.0).tolist()
    [2.0, 6.0]
    """
    by_value = np.asarray(by_value, float)
    s = float(by_value.sum())
    return by_value * (total / s) if s > 0 and total > 0 else by_value


def poisson_to_total(rng: np.random.Generator, drawn: np.ndarray, lam: np.ndarray,
                     total: float) -> np.ndarray:
    """Poisson draws of `to_total(lam, total)` from `drawn` ~ Poisson(lam): scaled by
    c >= 1, drawn plus Poisson((c - 1) lam); by c < 1, each thinned Binomial(drawn, c)
    (both exact). The draws of `drawn` are the bootstrap's own stream's, as they were
    before the scaling; what the scaling adds comes from `rng`, so no other draw of a
    replicate moves with it.

    >>> rng = np.random.default_rng(0)
    >>> x = poisson_to_total(rng, rng.poisson(np.full(20000, 2.0)), np.full(20000, 2.0), 60000)
    >>> round(float(x.mean()), 1), round(float(x.var()), 1)
    (3.0, 3.0)
    """
    lam, drawn = np.asarray(lam, float), np.asarray(drawn)
    s = float(lam.sum())
    if s <= 0 or total <= 0:
        return drawn.astype(float)
    c = total / s
    if c >= 1:
        return (drawn + rng.poisson((c - 1) * lam)).astype(float)
    return rng.binomial(drawn.astype(np.int64), c).astype(float)


def _reweightings(rec: np.ndarray, cap: Captures, seed: int,
                  keys: tuple | None = None) -> tuple:
    """`Strata._shrink`'s SHRINK_REPLICATES Poisson(1) reweightings of the source records
    and match-key links: row 0 the point estimate's weights (1: `Estimator.total()`),
    then the replicates' counts (bytes: 41 rows of every source record's weight at a
    million records; the match-key rows' weights as factors when a row stands for several
    links: `Captures.det_factor`), and each row's place between the fallback's low and
    high figure (`recapture_fallback.between`'s role). Each weight is a function of its
    record (`keyed_poisson`: `keys` per source record and per match-key link their source
    record's key; without them, their positions), the seed and the replicate: one link
    moving from a match key to the model, or a record joining the candidates, leaves
    every other record's weights as they were (drawn from one stream in row order, it
    redrew them all, and the shrink weights moved with it: session 50). Made once and
    kept with the captures: the same for every subgroup variable of one estimate."""
    n_rec = int(rec.max()) + 1 if len(rec) else 0
    key = (seed, n_rec, cap.n_det, cap.n_links, cap.det_row is None)
    held = cap.__dict__.get("_reweightings")
    if held is not None and held[0] == key and held[1] is keys:
        return held[2]
    rec_key, det_key = keys if keys is not None else (None, None)
    if rec_key is None or len(rec_key) != n_rec:
        rec_key = keyed_poisson.record_keys(np.arange(n_rec))
    if det_key is None or len(det_key) != cap.n_links:
        det_key = keyed_poisson.record_keys(np.char.add("det:", np.arange(cap.n_links)
                                                        .astype(str)))
    rws = np.ones((SHRINK_REPLICATES + 1, n_rec), np.uint8)
    dws = np.ones((SHRINK_REPLICATES + 1, cap.n_det),
                  np.uint8 if cap.det_row is None else float)
    ats = [fallback.between(None)]
    at_key = np.array([0x5EED], np.uint64)
    for i in range(1, SHRINK_REPLICATES + 1):
        rw = keyed_poisson.poisson1(rec_key, seed, i)
        dw = keyed_poisson.poisson1(det_key, seed, i)
        rws[i], dws[i] = rw, cap.det_factor(dw) if cap.det_row is not None else dw
        ats.append(float(keyed_poisson.uniform(at_key, seed, i)[0]))
    cap.__dict__["_reweightings"] = (key, keys, (rws, dws, ats))
    return rws, dws, ats


class Strata:
    """The never-compared estimate fitted within each value of one subgroup variable (its
    matches may fail blocking for reasons of their own: a region's poor delivery), for the
    values with at least MIN_STRATUM caught matches whose own matches teach every field
    group they carry (`taught`); the others keep their share of the overall estimate."""

    def __init__(self, cap: Captures, post: np.ndarray, first: np.ndarray,
                 cand_code: np.ndarray, det_code: np.ndarray, k: int,
                 rec: np.ndarray | None = None, pooled: np.ndarray | None = None,
                 seed: int = 0, keys: tuple | None = None):
        self.k, self.n = k, len(post)
        self.cand_code, self.det_code = cand_code, det_code
        w = np.where(first, np.asarray(post, float), 0.0)
        found = np.bincount(cand_code, weights=w, minlength=k)
        caught = found + np.bincount(det_code, weights=cap.det_weight, minlength=k)
        total = max(float(w.sum()), 1e-9)
        self.fits: dict[int, tuple[Estimator, np.ndarray, np.ndarray]] = {}
        for v in np.flatnonzero(caught >= MIN_STRATUM):
            cm, dm = cand_code == v, det_code == v
            if not cm.any() or found[v] <= 0:
                continue
            sub = subset(cap, cm, dm, found[v] / total)
            if not taught(sub, np.r_[w[cm], sub.det_weight]):
                continue
            self.fits[int(v)] = (Estimator(sub, np.asarray(post)[cm], first[cm]), cm, dm)
        # per fitted value: the weight of its own fit against its pooled share (1: own)
        self.weight = {v: 1.0 for v in self.fits}
        self.pooled = None if pooled is None else np.asarray(pooled, float)
        self.scale = 1.0  # the fitted values' own total over their shrunk total
        if rec is not None and self.pooled is not None:
            self._shrink(np.asarray(rec), self.pooled, cap, seed, keys)

    def _shrink(self, rec: np.ndarray, pooled: np.ndarray, cap: Captures, seed: int,
                keys: tuple | None = None) -> None:
        """Each fitted value's weight w = max(0, 1 - s^2 / d^2) (module docstring);
        `pooled`: per candidate, the pooled estimate's matches placed on it. A value of
        weight 0 keeps its fit for the intervals (`scaled`): its pooled share moves by its
        own fit's replicate over point."""
        rws, dws, ats = _reweightings(rec, cap, seed, keys)
        own = shrunk = 0.0
        for v, (est, cm, dm) in self.fits.items():
            # every replicate's refit at once (`recapture_batch`: one pass over the fit's
            # pattern tensors, not one per replicate)
            got = recapture_batch.totals(est, rws, rec[cm], dws[:, dm], ats, point=True)
            t, p, s2 = float(got[0]), float(pooled[cm].sum()), float(np.var(got[1:], ddof=1))
            d2 = (t - p) ** 2
            self.weight[v] = max(0.0, 1.0 - s2 / d2) if d2 > 0 else 0.0
            own += t
            shrunk += self.weight[v] * t + (1 - self.weight[v]) * p
        self.scale = own / shrunk if shrunk > 0 and own > 0 else 1.0

    def _mix(self, v: int, own, pooled):
        """A fitted value's figure: its own fit shrunk toward its pooled share, times
        `scale` (the fitted values' matches are as many as their own fits find: the
        shrinkage moves where they are, not how many)."""
        w = self.weight[v]
        return self.scale * (w * own + (1 - w) * pooled)

    def unseen(self, overall: float, share: np.ndarray, rec_wt=None, rec=None,
               det_wt=None) -> np.ndarray:
        """Per candidate: expected never-compared matches placed on it; fitted values from
        their own fit, the others from the overall estimate (`overall` x `share`)."""
        out = overall * np.asarray(share, float)
        for (cm, placed), v in zip(self._fitted(rec_wt, rec, det_wt), self.fits,
                                   strict=True):
            out[cm] = self._mix(v, placed, out[cm])
        return out

    def scaled(self, overall: float, share: np.ndarray, ratio: float, rec_wt=None,
               rec=None, det_wt=None, refit: bool = False) -> np.ndarray:
        """`unseen` for a bootstrap replicate, the missed matches placed as at the point
        estimate: a fitted value's point-estimate matches (its own fit shrunk toward its
        pooled share, `_mix`) plus its own fit's placed matches times r - 1, r its own
        total refitted with the replicate's weights over the point's (`refit`: the
        variable that gives the overall figure), or else, without refitting its patterns,
        its own caught matches' reweighted Horvitz-Thompson sum over the point's (the
        point's catch chances) times `ratio` (what refitting the pooled patterns moves the
        overall figure by); the other values from the replicate's overall estimate. A
        fitted value's interval so keeps its own fit's spread in matches, also where its
        point is pooled: whether pooling is right is not known better than that noise
        (replicates of the shrunk figure alone measure its spread, not its bias)."""
        out = overall * np.asarray(share, float)
        own = self._refit(rec_wt, rec, det_wt) if refit else \
            [r * ratio for r in self._own(rec_wt, rec, det_wt)]
        for (at, placed, mixed), r in zip(self._point_at(), own, strict=True):
            if mixed is None:
                out[at] = placed * r
            else:  # the point shrunk, moved by the own fit's replicate less its point
                out[at] = np.maximum(mixed + placed * (r - 1), 0.0)
        return out

    def _point_at(self) -> list[tuple]:
        """Per fitted value: its candidates (positions), their point placed matches and
        their point figure shrunk (`_mix`; None without a pooled estimate), made once (a
        replicate asks for each, and each was a pass over every candidate)."""
        got = getattr(self, "_at_mixed", None)
        if got is None:
            got = self._at_mixed = [
                (np.flatnonzero(cm), placed, None if self.pooled is None else
                 self._mix(v, placed, self.pooled[cm]))
                for (cm, placed), v in zip(self._point(), self.fits, strict=True)]
        return got

    def scaled_by_value(self, n_values: int, overall: float, share: np.ndarray,
                        ratio: float, rec_wt=None, rec=None, det_wt=None,
                        refit: bool = False) -> np.ndarray:
        """`scaled` summed by value (the first `n_values`)."""
        return np.bincount(self.cand_code, minlength=n_values, weights=self.scaled(
            overall, share, ratio, rec_wt, rec, det_wt, refit))[:n_values]

    def _own(self, rec_wt, rec, det_wt) -> list[float]:
        """Per fitted value: its caught matches' Horvitz-Thompson sum with the replicate's
        weights over the point's (1 at the point estimate). Every value in one weighted
        count per side (a loop over the values took a fifth of the stage at 200k)."""
        if not self.fits:
            return []
        seg_c, rec_of, uc, seg_d, det_at, ud, total = self._terms(rec)
        if rec_wt is None:
            return [1.0] * len(self.fits)
        k = len(self.fits)
        num = np.bincount(seg_c, weights=uc * rec_wt[rec_of], minlength=k) + (
            np.bincount(seg_d, weights=ud, minlength=k) if det_wt is None else
            np.bincount(seg_d, weights=ud * det_wt[det_at], minlength=k))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, num / np.where(total > 0, total, 1.0), 1.0).tolist()

    def _terms(self, rec) -> tuple:
        """The fitted values' caught matches in one run per side: per candidate its value's
        position, source record and point-estimate term (`stands_for`), the same per
        match-key link (its position among the links), and each value's total. Kept."""
        got = getattr(self, "_at", None)
        if got is not None and got[0] is rec:
            return got[1]
        seg_c, rec_of, uc, seg_d, det_at, ud, total = [], [], [], [], [], [], []
        for j, (est, cm, dm) in enumerate(self.fits.values()):
            u = est.stands_for()
            cand = np.flatnonzero(cm)
            n = len(cand)
            seg_c.append(np.full(n, j))
            rec_of.append(np.asarray(rec)[cand] if rec is not None else cand)
            uc.append(u[:n])
            links = np.flatnonzero(dm)
            seg_d.append(np.full(len(links), j))
            det_at.append(links)
            ud.append(u[n:])
            total.append(float(u.sum()))
        terms = (*(np.concatenate(x) for x in (seg_c, rec_of, uc, seg_d, det_at, ud)),
                 np.array(total))
        self._at = (rec, terms)
        return terms

    def _refit(self, rec_wt, rec, det_wt) -> list[float]:
        """Per fitted value: its total refitted with the replicate's weights (the catch
        chances alone, `Estimator.total`) over the point's; the last asked for kept."""
        memo = getattr(self, "_refit_memo", None)
        if memo is not None and memo[0] is rec_wt:
            return memo[1]
        out = []
        for (est, cm, dm), (_, placed) in zip(self.fits.values(), self._point(),
                                              strict=True):
            t0 = float(placed.sum())
            if rec_wt is None or t0 <= 0:
                out.append(1.0)
                continue
            out.append(est.total(rec_wt, rec[cm], None if det_wt is None else det_wt[dm])
                       / t0)
        self._refit_memo = (rec_wt, out)
        return out

    def _point(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The fitted values' placed matches at the point estimate (kept)."""
        got = getattr(self, "_at_point", None)
        if got is None:
            got = self._at_point = [(cm, p.copy()) for cm, p in self._fitted(None, None, None)]
        return got

    def by_value(self, n_values: int, overall: float, share: np.ndarray, rec_wt=None,
                 rec=None, det_wt=None) -> np.ndarray:
        """`unseen` summed by value (the first `n_values`): a fitted value's own total,
        without placing it on its candidates."""
        out = np.bincount(self.cand_code, weights=overall * np.asarray(share, float),
                          minlength=n_values)
        memo = getattr(self, "_memo", None)
        if memo is not None and all(a is b for a, b in zip(memo[0], (rec_wt, rec, det_wt),
                                                            strict=True)):
            for v, (_, placed) in zip(self.fits, memo[1], strict=True):
                out[v] = self._mix(v, placed.sum(), out[v])
            return out
        for v, (est, cm, dm) in self.fits.items():
            own = est.total(rec_wt, None if rec is None else rec[cm],
                            None if det_wt is None else det_wt[dm])
            out[v] = self._mix(v, own, out[v])
        return out

    def _fitted(self, rec_wt, rec, det_wt) -> list[tuple[np.ndarray, np.ndarray]]:
        """The fitted values' placed matches for these weights (the last ones asked for
        are kept: a bootstrap replicate asks twice for the overall variable's)."""
        key = (rec_wt, rec, det_wt)
        memo = getattr(self, "_memo", None)
        if memo is not None and all(a is b for a, b in zip(memo[0], key, strict=True)):
            return memo[1]
        got = []
        for est, cm, dm in self.fits.values():
            t, sh = est.unseen(rec_wt, None if rec is None else rec[cm],
                               None if det_wt is None else det_wt[dm])
            got.append((cm, t * sh))
        self._memo = (key, got)
        return got
