"""The match-key links one row per kind in the never-compared captures
(`quality.recapture_rows`, issue 16): the point estimate, each bootstrap replicate (the
same Poisson draw per link, summed into its row) and the subgroup fits with their
shrinkage are the figures the links give one row each, on far fewer rows."""
from __future__ import annotations

import numpy as np
from test_quality_recapture_fallback import _case

from spinelink.quality import recapture, recapture_rows
from spinelink.quality.calibrate import Candidates, key_weights
from spinelink.quality.recapture_strata import Strata


def _setup():
    cap, names, _, _ = _case()
    n_det = 3000  # the first records' caught rows as match-key links (weight 1), last
    o = np.r_[n_det:len(names), :n_det]
    cap = recapture.Captures(cap.design, cap.agree[o], cap.avail[o], cap.caps[o], 40,
                             cap.n_some, n_det)
    n = len(names) - n_det
    rng = np.random.default_rng(5)
    post = rng.uniform(0.3, 1.0, n)
    first = rng.random(n) < 0.95
    rec = np.sort(rng.integers(0, n - 900, n))
    n_links = n_det + 50  # links without match-key rows (not in the captures)
    det_link = rng.permutation(n_links)[:n_det]
    det_link[:7] = -1  # match-key rows whose link is not among the links
    codes = [np.zeros(n_links, int), rng.integers(0, 3, n_links)]  # "all", a variable
    return cap, post, first, rec, det_link, codes


def test_collapsed_rows_give_the_same_estimates():
    cap, post, first, rec, det_link, codes = _setup()
    small, rep = recapture_rows.collapse(cap, det_link, codes)
    assert small.n_det < cap.n_det / 3 and small.n_links == cap.n_det
    assert small.det_weight.sum() == cap.n_det
    assert recapture_rows.collapse(small, rep, codes)[0] is small  # once only
    n = len(post)
    # each row's links alike in what the estimators read
    for r in range(small.n_det):
        links = np.flatnonzero(small.det_row == r)
        for arr in (cap.agree, cap.avail, cap.caps):
            assert (arr[n + links] == arr[n + links[0]]).all()
        at = det_link[links]
        assert ((at >= 0) == (at[0] >= 0)).all()
        if at[0] >= 0:
            assert (codes[1][at] == codes[1][at[0]]).all()
    # the point estimate: total and where it is placed
    big_e, small_e = (recapture.Estimator(c, post, first) for c in (cap, small))
    t0, sh0 = big_e.unseen()
    t1, sh1 = small_e.unseen()
    assert t0 > 1 and np.isclose(t0, t1, rtol=1e-10)
    assert np.allclose(sh0, sh1, rtol=1e-9, atol=1e-15)
    # bootstrap replicates: the same draws per link, summed into the rows
    rng = np.random.default_rng(9)
    moved = []
    for _ in range(5):
        rec_wt = rng.poisson(1.0, int(rec.max()) + 1).astype(float)
        cb = Candidates(rec, np.zeros(n), n, first, cap)
        cs = Candidates(rec, np.zeros(n), n, first, small)
        kb, ks = key_weights(cb, rec_wt), key_weights(cs, rec_wt)
        assert np.allclose(np.bincount(small.det_row, weights=kb, minlength=small.n_det),
                           ks * small.det_n, rtol=1e-12)
        a, b = big_e.total(rec_wt, rec, kb), small_e.total(rec_wt, rec, ks)
        assert np.isclose(a, b, rtol=1e-10)
        moved.append(a)
    assert np.std(moved) > 0.01 * np.mean(moved)  # the replicates move the figure
    # the subgroup fits (by the links' values) and their shrinkage toward the pooled fit
    # value 2: few candidates, its caught matches mostly match-key links (counted by
    # the links a row stands for, it has its own fit)
    cand_code = np.random.default_rng(3).integers(0, 2, n)
    cand_code[::400] = 2

    def strata(c, links):
        det_code = np.where(links >= 0, codes[1][np.maximum(links, 0)], 3)
        return Strata(c, post, first, cand_code, det_code, 4, rec, sh0 * t0, seed=11)

    sb, ss = strata(cap, det_link), strata(small, rep)
    assert sorted(sb.fits) == sorted(ss.fits) == [0, 1, 2]
    assert np.allclose(list(sb.weight.values()), list(ss.weight.values()), rtol=1e-9)
    assert np.allclose(sb.by_value(3, t0, sh0), ss.by_value(3, t0, sh0), rtol=1e-9)
