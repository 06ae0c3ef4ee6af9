"""The never-compared totals for many reweightings at once (`quality.recapture_batch`, the
subgroup shrinkage's replicates): each the figure `Estimator.total` gives for that
weighting alone, with match-key links, several candidates to a source record and records
whose captures say nothing (`recapture_fallback`: a replicate's own point between the
Horvitz-Thompson and Chao1 figures); row 0 the point estimate's."""
from __future__ import annotations

import numpy as np
from test_quality_recapture_fallback import _case

from spinelink.quality import recapture, recapture_batch, recapture_fallback


def test_batched_totals_are_each_weightings_own_total():
    cap, names, _, _ = _case()
    n_det = 700  # full records' caught rows as the match keys' links (weight 1), last
    o = np.r_[n_det:len(names), :n_det]
    cap = recapture.Captures(cap.design, cap.agree[o], cap.avail[o], cap.caps[o], 40,
                             cap.n_some, n_det)
    n = len(names) - n_det
    rng = np.random.default_rng(2)
    post = rng.uniform(0.3, 1.0, n)
    first = rng.random(n) < 0.95
    rec = np.sort(rng.integers(0, n - 900, n))  # some records with several candidates
    n_rec = int(rec.max()) + 1
    est = recapture.Estimator(cap, post, first)
    assert est.unc.any() and not est.unc.all()  # the fallback's records among them
    r = 12
    rws = np.ones((r + 1, n_rec), np.uint8)
    dws = np.ones((r + 1, n_det), np.uint8)
    rws[1:] = rng.poisson(1.0, (r, n_rec))
    dws[1:] = rng.poisson(1.0, (r, n_det))
    ats = [0.5] + [recapture_fallback.between(x.astype(float)) for x in rws[1:]]
    got = recapture_batch.totals(est, rws, rec, dws, ats, point=True)
    want = [est.total()] + [est.total(rws[i].astype(float), rec, dws[i].astype(float))
                            for i in range(1, r + 1)]
    assert np.allclose(got, want, rtol=1e-10, atol=0)
    assert np.std(want[1:]) > 0.01 * np.mean(want[1:])  # the weightings move the figure
    # the catch chances themselves, per weighting and profile
    w = np.tile(est.w, (2, 1))
    w[1, :n] *= rws[1][rec]
    w[1, n:] *= dws[1]
    for i in range(2):
        assert np.allclose(recapture_batch.chances(est, w)[i],
                           est.catch_chance(w[i], margins=False)[0], rtol=1e-12)
