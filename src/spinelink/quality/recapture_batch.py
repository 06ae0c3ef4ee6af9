"""`recapture.Estimator.total` for many reweightings at once (`recapture_strata.Strata`'s
shrinkage measures each own fit's noise over SHRINK_REPLICATES of them): the donors'
weights summed per pattern slot in one count for all the weightings, and each batch of
pattern tables contracted with all their probabilities in one matrix product (one pass
over the no-fire tensors for all of them, not one per weighting: a product per weighting
read each tensor again and was most of the shrinkage's cost). The figures are those of
`Estimator.total` up to the order of floating-point sums."""
from __future__ import annotations

import numpy as np

from spinelink.quality import recapture_compact
from spinelink.quality import recapture_fallback as fallback
from spinelink.quality.recapture import P_FLOOR, Estimator
from spinelink.quality.stats import summed, summing


def _sums(est: Estimator) -> tuple:
    """The sparse sums of `chances` (`stats.summing`), made once per estimator's classes:
    the donors' weights by class, the classes' by slot, the slots' by run."""
    cls, n_cls, slot, of = est.shared["classes"]
    got = est.shared.get("batch_sums")
    if got is None or got[0] is not cls:
        got = est.shared["batch_sums"] = (cls, summing(cls, n_cls), summing(
            slot, est.n_slots, of, n_cls), summing(est.run_id, int(est.run_id[-1]) + 1))
    return got[1:]


def chances(est: Estimator, w: np.ndarray) -> np.ndarray:
    """Per weighting (rows of `w`, per caught match) and source profile: the chance a match
    is caught (`Estimator.catch_chance` without margins)."""
    est._slot_weights(est.w)  # the donor classes, made once (`Estimator.shared`)
    to_cls, to_slot, to_run = _sums(est)
    r = len(w)
    weighed = np.ones((r, est.n_slots + 1))
    weighed[:, :-1] = summed(to_slot, summed(to_cls, w))
    tot = summed(to_run, weighed)[:, est.run_id]
    weighed = np.where(tot > 0, weighed / np.where(tot > 0, tot, 1.0), 1.0 / est.run_len)
    out = np.ones((r, len(est.tables)))
    held = recapture_compact.compact(est)
    if held is not None:  # on the compact tensors: patterns no rule tells apart summed first
        probs = held.probs(weighed)
        for bk in held.buckets:
            _compact_chances(bk, probs, out)
        return np.clip(out, P_FLOOR, 1.0)
    by_slot = np.ascontiguousarray(weighed.T)  # (slots, weightings)
    for idx, no_fire, slots in est.batches:
        b = len(idx)
        t = no_fire.reshape(b, no_fire.shape[1], -1).astype(float)
        # (tables, weightings, rest): the first group summed away for every weighting
        t = np.matmul(np.ascontiguousarray(by_slot[slots[0]].transpose(0, 2, 1)), t)
        for sl in slots[1:]:  # the other groups, the first first
            c = sl.shape[1]
            p = by_slot[sl].transpose(0, 2, 1)[:, :, None, :]
            t = np.matmul(p, t.reshape(b, r, c, -1))[:, :, 0, :]
        out[:, idx] = 1.0 - t.reshape(b, r).T
    return np.clip(out, P_FLOOR, 1.0)


def _compact_chances(bk: recapture_compact.Bucket, probs: list[np.ndarray],
                     out: np.ndarray) -> None:
    """`chances` on one bucket of compact tensors (`probs`: per group the kinds' classes'
    probabilities per weighting), into `out` (weightings, tables)."""
    n, sizes = len(bk.order), bk.big.shape[1:]
    r = len(out)
    cls = [p[:, k, :c] for p, k, c in zip(probs, bk.kind, sizes, strict=True)]
    for a in range(0, n, recapture_compact.CHUNK):
        rows = slice(a, min(a + recapture_compact.CHUNK, n))
        b = rows.stop - rows.start
        # (tables, weightings, rest): the first group summed away for every weighting
        t = np.matmul(np.ascontiguousarray(cls[0][:, rows].transpose(1, 0, 2)),
                      bk.big[rows].reshape(b, sizes[0], -1))
        for c, p in zip(sizes[1:], cls[1:], strict=True):  # the others, first first
            t = np.einsum("brcx,brc->brx", t.reshape(b, r, c, -1),
                          p[:, rows].transpose(1, 0, 2))
        out[:, bk.order[rows]] = 1.0 - t.reshape(b, r).T


def totals(est: Estimator, rec_wts: np.ndarray, rec: np.ndarray, det_wts: np.ndarray,
           ats: list[float], point: bool = False) -> np.ndarray:
    """`est.total(rec_wts[i], rec, det_wts[i])` for every row i: `rec_wts` (weightings,
    source records), `rec` per candidate, `det_wts` (weightings, match-key links), `ats`
    each weighting's `recapture_fallback.between`; `point`: row 0 is the point estimate's
    (weights 1, `est.total()`)."""
    n = est.n_cand
    w = np.tile(est.w, (len(rec_wts), 1))
    w[:, :n] *= rec_wts[:, rec]
    w[:, n:] *= det_wts
    p = chances(est, w)[:, est.inv]
    out = np.zeros(len(w))
    for i, wi in enumerate(w):
        u = fallback.apply(wi * (1 - p[i]) / p[i], wi, est.post, est.unc, est.n_fire,
                           ats[i])
        found = float(wi[:n].sum())
        extra = est.cap.n_none * min(1.0, (found + u.sum()) / max(est.cap.n_some, 1))
        total = float(u.sum()) + extra
        if total <= 0 or n == 0:
            continue
        if total >= 1e-6 and (u[:n].sum() > 0 or (found > 0 and extra > 0)):
            out[i] = total
        else:  # nowhere to place some of it (`Estimator.total`)
            out[i] = est.total() if point and i == 0 else \
                est.total(rec_wts[i], rec, det_wts[i])
    return out
