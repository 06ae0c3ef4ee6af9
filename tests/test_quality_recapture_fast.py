"""The never-compared estimator made faster (issue 16, session 32): the subgroup
shrinkage's many weightings summed by sparse matrices (`stats.summing`), a replicate's
fitted values' point figures made once (`Strata.scaled`), the captures per pair by pair
codes (`labelfree._captures`). On the captures of a real run (the generator, its demo
job), each must give the very values the code before gave (kept here as the reference):
the same terms added in the same order."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import demo_job, generated_run

from spinelink.quality import labelfree, recapture_batch
from spinelink.quality.calibrate import fit
from spinelink.quality.stats import summed, summing

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def estimated(tmp_path_factory):
    """The estimate's inputs on a real run (taken as the quality stage passes them)."""
    got = {}
    orig, orig_prep = labelfree.estimate, labelfree.prepare

    def keep(pr, null, bds, n_boot, seed, *a, **k):
        out = orig(pr, null, bds, n_boot, seed, *a, **k)
        got.update(pr=pr, null=null, bds=bds, seed=seed)
        return out

    def keep_prep(d):
        got["data"] = d
        return orig_prep(d)

    mp = pytest.MonkeyPatch()
    mp.setattr(labelfree, "estimate", keep)
    mp.setattr(labelfree, "prepare", keep_prep)
    try:
        job = demo_job(any_rows=True) + "  bootstrap: 20\n"
        generated_run(tmp_path_factory.mktemp("recapture_fast"), 5000, 13,
                      lambda d: None, job)
    finally:
        mp.undo()
    pr = got["pr"]
    post = fit(pr.cands, got["null"], method="model").posterior
    return got, pr.cands.estimator(post), post


def _flat_count(idx, w, size):  # the code before: one bincount of every weighting
    r = len(w)
    at = (np.arange(r)[:, None] * size + idx[None, :]).reshape(-1)
    return np.bincount(at, weights=w.reshape(-1), minlength=r * size).reshape(r, size)


def _old_weighed(est, w):
    """`recapture_batch.chances`' pattern probabilities as the code before made them."""
    cls, n_cls, slot, of = est.shared["classes"]
    r = len(w)
    by_class = _flat_count(cls, w, n_cls)
    weighed = np.ones((r, est.n_slots + 1))
    weighed[:, :-1] = _flat_count(slot, by_class[:, of], est.n_slots)
    tot = _flat_count(est.run_id, weighed, int(est.run_id[-1]) + 1)[:, est.run_id]
    return np.where(tot > 0, weighed / np.where(tot > 0, tot, 1.0), 1.0 / est.run_len)


def test_sparse_sums_are_the_bincounts_to_the_bit():
    rng = np.random.default_rng(3)
    rows = rng.integers(0, 50, 4000)  # repeated rows: sums of many terms
    cols = rng.integers(0, 300, 4000)
    x = rng.lognormal(0, 3, (7, 300))
    s = summing(rows, 50, cols, 300)
    assert np.array_equal(summed(s, x), _flat_count(rows, x[:, cols], 50))
    assert np.array_equal(s @ x[0], np.bincount(rows, weights=x[0, cols], minlength=50))
    y = rng.lognormal(0, 3, (7, 4000))  # a weight per entry
    assert np.array_equal(summed(summing(rows, 50), y), _flat_count(rows, y, 50))


def test_batched_chances_are_the_flat_counts(estimated):
    _, est, _ = estimated
    rng = np.random.default_rng(7)
    ws = np.tile(est.w, (9, 1)) * rng.poisson(1.0, (9, len(est.w)))
    est._slot_weights(est.w)
    old = _old_weighed(est, ws)
    got = recapture_batch.chances(est, ws)
    # the situation: many classes summed into many slots, runs of several slots
    cls, n_cls, slot, _ = est.shared["classes"]
    assert n_cls > 50 and len(slot) > 5 * n_cls and est.n_slots > 50
    # the probabilities as before to the bit, so the chances too
    to_cls, to_slot, to_run = recapture_batch._sums(est)
    new = np.ones_like(old)
    new[:, :-1] = summed(to_slot, summed(to_cls, ws))
    tot = summed(to_run, new)[:, est.run_id]
    new = np.where(tot > 0, new / np.where(tot > 0, tot, 1.0), 1.0 / est.run_len)
    assert np.array_equal(new, old)
    for i in (0, 4):
        assert np.array_equal(est._slot_weights(ws[i]), old_slot(est, ws[i]))
    assert got.shape == (9, len(est.tables)) and (got < 1).any()


def old_slot(est, w):
    cls, n_cls, slot, of = est.shared["classes"]
    by_class = np.bincount(cls, weights=w, minlength=n_cls)
    return np.bincount(slot, weights=by_class[of], minlength=est.n_slots)


def test_scaled_replicates_are_the_point_figures_moved(estimated):
    got, est, post = estimated
    pr, bds = got["pr"], got["bds"]
    f0, share = est.unseen()
    strata = labelfree._strata(pr, bds, post, f0 * share, got["seed"])
    fitted = [s for s in strata.values() if s.fits]
    assert fitted and all(s.pooled is not None for s in fitted)
    rng = np.random.default_rng(2)
    for s in fitted:
        rec_wt = rng.poisson(1.0, int(pr.cands.rec.max()) + 1).astype(float)
        new = s.scaled(f0, share, 1.07, rec_wt, pr.cands.rec, None)
        old = f0 * np.asarray(share, float)  # the code before
        own = [r * 1.07 for r in s._own(rec_wt, pr.cands.rec, None)]
        for (cm, placed), r, v in zip(s._point(), own, s.fits, strict=True):
            old[cm] = np.maximum(s._mix(v, placed, s.pooled[cm]) + placed * (r - 1), 0.0)
        assert np.array_equal(new, old)


def test_captures_per_pair_are_the_reindexed_rows(estimated):
    got, _, _ = estimated
    d = got["data"]
    p = d.pairs[["reference_id", "source_id", "match_weight"]].astype(
        {"reference_id": str, "source_id": str}).sort_values(
        ["source_id", "match_weight", "reference_id"]).reset_index(drop=True)
    df, det = d.captures[0], d.captures[1]
    cols = ["agree", "avail", "caps"]
    old = df.astype({"reference_id": str, "source_id": str}).set_index(
        ["reference_id", "source_id"])[cols]  # the code before: a MultiIndex reindex
    old = old[~old.index.duplicated()].reindex(
        pd.MultiIndex.from_frame(p[["reference_id", "source_id"]])).fillna(0)
    new = labelfree._captures(d, p)
    n = len(p)
    assert len(df) > 300 and (old["agree"] > 0).mean() > 0.5 and new.n_det == len(det)
    for c, arr in zip(cols, (new.agree, new.avail, new.caps), strict=True):
        assert np.array_equal(arr[:n], old[c].to_numpy(np.int64))
        assert np.array_equal(arr[n:], det[c].to_numpy(np.int64))


def _old_placed(est, w, how, mass):
    """`Estimator._placed` as the code before made it (session 44): profile by profile."""
    n = est.n_cand
    live = []
    for idx, miss, probs, missed in how:
        lam = np.stack([0.5 * np.abs(q / np.maximum(q.sum(axis=1, keepdims=True), 1e-12)
                                     - p).sum(axis=1)
                        for p, q in zip(probs, missed, strict=True)], axis=1)
        ok = (miss > 0) & (mass[idx] > 0) & (lam.sum(axis=1) > 1e-9)
        live += [(idx[r], [p[r] for p in probs], [q[r] for q in missed], lam[r])
                 for r in np.flatnonzero(ok)]
    flat_c = est.flat_don < n
    taught = np.bincount(est.flat_slot[flat_c], weights=w[est.flat_don[flat_c]],
                         minlength=est.n_slots)
    coef = np.zeros(est.n_slots)
    for i, probs, missed, lam in live:
        total = lam.sum()
        for g, run in enumerate(est.slots[i]):
            if run is None or lam[g] <= 0:
                continue
            q = missed[g] / max(missed[g].sum(), 1e-12)
            ratio = q / np.maximum(probs[g], 1e-12)
            z = float(ratio @ taught[run[0]:run[1]])
            if z > 0:
                coef[run[0]:run[1]] += mass[i] * lam[g] / total * ratio / z
    don = est.flat_don[flat_c]
    out = np.bincount(don, weights=w[don] * coef[est.flat_slot[flat_c]], minlength=n)
    return out if out.sum() > 0 else None


def test_rows_over_their_sums_are_each_rows_own_in_any_layout():
    from spinelink.quality.recapture import _per_row

    rng = np.random.default_rng(5)
    for k in (1, 3, 7, 8, 9, 16, 33):
        a = rng.lognormal(0, 4, (40, k))
        old = np.stack([r / max(r.sum(), 1e-12) for r in a])
        b = np.zeros((40, 2 * k))
        b[:, ::2] = a  # a strided view of the same numbers
        for lay in (a, np.asfortranarray(a), b[:, ::2]):
            assert np.array_equal(_per_row(lay), old)
    # (the layouts do differ in the last bit from 8 columns: what `alone` is for)
    f = np.asfortranarray(rng.lognormal(0, 4, (200, 16)))
    assert not np.array_equal(f.sum(axis=1), [r.sum() for r in f])


def test_placed_missed_matches_are_the_profile_by_profile_sums(estimated):
    got, est, _ = estimated
    rng = np.random.default_rng(11)
    pr = got["pr"]
    rec_wt = rng.poisson(1.0, int(pr.cands.rec.max()) + 1).astype(float)
    for w in (est.w, est._weights(rec_wt, pr.cands.rec, None)):
        chance, how = est.catch_chance(w)
        u = est._mass(w, chance)[0]
        n = est.n_cand
        mass = np.bincount(est.inv, weights=np.r_[u[:n], u[n:]], minlength=len(est.tables))
        old, new = _old_placed(est, w, how, mass), est._placed(w, how, mass)
        assert old is not None and (old > 0).sum() > 20
        assert np.array_equal(new, old)
        # F-ordered missed shares (another layout of the same numbers): the same again
        how_f = [(i, m, p, [np.asfortranarray(q) for q in qs]) for i, m, p, qs in how]
        assert np.array_equal(est._placed(w, how_f, mass), _old_placed(est, w, how_f, mass))
