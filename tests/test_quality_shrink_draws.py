"""The strata shrink's replicate weights belong to records, not to row positions
(`recapture_strata._reweightings`, `keyed_poisson`; issue 12).

Session 50: one W-2 link (a person's second W-2 with the same SSN) made by the model
instead of the shared-SSN match key moved w2_raised's undated age band's recall estimate
from 0.933 to 0.909, the pairs, the found and missed matches and the never-compared total
all as they were: the shrink's 40 Poisson(1) reweightings were drawn from one stream in
row order, so the link leaving the match-key rows, and its record joining the candidate
records, redrew every record's weight in every replicate. Here the estimate's real path
(`labelfree.prepare` of a source's links, pairs and rule captures, then `labelfree._strata`)
is run on two layouts of the same records that differ by that one move; every record's
weight in every replicate must be the one it had.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from test_quality_recapture_fallback import _case

from spinelink.quality import labelfree

N_DET = 700  # match-key links (the rest: candidate pairs)
MOVED = 301  # the match-key link the model makes in the second layout


def _source(moved: bool) -> labelfree.SourceData:
    cap, names, _, _ = _case()
    n = len(names)
    ids = np.array([f"s{i:05d}" for i in range(n)])
    # source ids interleaved so the moved record sorts among the candidates' records
    order = np.r_[np.arange(0, n, 2), np.arange(1, n, 2)]
    ids = ids[order]
    is_det = np.zeros(n, bool)
    is_det[:N_DET] = True
    if moved:
        is_det[MOVED] = False
    rows = pd.DataFrame({"reference_id": np.char.add("r", ids), "source_id": ids,
                         "agree": cap.agree, "avail": cap.avail, "caps": cap.caps})
    det, cand = rows[is_det].reset_index(drop=True), rows[~is_det].reset_index(drop=True)
    pairs = cand[["reference_id", "source_id"]].assign(
        match_weight=np.linspace(5.0, 15.0, len(cand)))
    links = pd.concat([cand[["reference_id", "source_id"]].assign(method="probabilistic"),
                       det[["reference_id", "source_id"]].assign(method="shared:ssn")],
                      ignore_index=True).assign(match_probability=0.99)
    return labelfree.SourceData(links, pairs, len(cand), None,
                                (cand, det, cap.n_none, cap.n_some), cap.design)


def _weights(moved: bool, seed: int = 11) -> tuple[dict, dict]:
    """Per source record id its weight in each replicate, for the candidates' records and
    for the match-key links, as the strata shrink drew them."""
    d = _source(moved)
    pr = labelfree.prepare(d)
    n_c = len(pr.cands.rec)
    code = np.arange(n_c) % 2  # two values of a subgroup variable
    bd = labelfree.Breakdown("v", ["a", "b"], np.arange(len(d.links)) % 2, code)
    labelfree._strata(pr, [bd], np.ones(n_c), np.zeros(n_c), seed)
    rws, dws, _ = pr.cands.capture.__dict__["_reweightings"][-1]
    rec_ids = pd.Series(pr.cand_src).groupby(pr.cands.rec).first().to_numpy()
    det_ids = d.captures[1]["source_id"].to_numpy()
    return ({r: tuple(rws[1:, i]) for i, r in enumerate(rec_ids)},
            {r: tuple(dws[1:, i]) for i, r in enumerate(det_ids)})


def test_one_link_moving_leaves_every_other_records_weights_as_they_were():
    rec_a, det_a = _weights(False)
    rec_b, det_b = _weights(True)
    moved = _source(False).captures[1]["source_id"][MOVED]
    assert moved in det_a and moved in rec_b and moved not in rec_a
    assert len(rec_b) == len(rec_a) + 1 and len(det_b) == len(det_a) - 1
    assert all(rec_b[r] == w for r, w in rec_a.items())
    assert all(det_b[r] == w for r, w in det_a.items() if r != moved)
    # the moved record keeps its own weights too: they are its source record's
    assert rec_b[moved] == det_a[moved]
    # real Poisson(1) weights, not a constant: mean and variance near 1, replicates differ
    w = np.array(list(rec_a.values()), float)
    assert abs(w.mean() - 1) < 0.05 and abs(w.var() - 1) < 0.1
    assert len({tuple(c) for c in w.T}) == w.shape[1]


def test_the_weights_are_a_function_of_the_inputs_and_the_seed():
    assert _weights(False) == _weights(False)
    assert _weights(False, 12)[0] != _weights(False)[0]
