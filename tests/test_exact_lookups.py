"""Work the probabilistic and quality stages do once instead of per pair or per variable
(benchmarks/RESULTS.md, session 35 helper E): each gives what the per-pair or repeated
computation gave, to the bit."""
from __future__ import annotations

import numpy as np
import pandas as pd
from test_quality_recapture_fallback import _case

from spinelink.backends import open_engine
from spinelink.home_scale import _keys
from spinelink.household import _key
from spinelink.probabilistic import _claimed
from spinelink.quality import recapture, recapture_strata
from spinelink.record_level import record_model, record_share


def test_the_share_alone_is_the_record_models_share():
    rng = np.random.default_rng(5)
    for n_pairs in (1, 50, 4000):
        ids = pd.Series(np.sort(rng.integers(0, max(n_pairs // 3, 1), n_pairs)).astype(str))
        bf = rng.normal(8.0, 12.0, n_pairs)
        assert record_share(bf, ids, 20_000, 3_000) == record_model(bf, ids, 20_000, 3_000).pi
    assert record_share(np.zeros(0), pd.Series([], dtype=str), 10, 10) == 0.0


def test_ties_are_grouped_by_record_weight_and_person():
    """Two records, each with strong candidates of equal weight: one record's pair agree on
    the person (one tie group), the other's do not (each its own); a weak pair never ties."""
    ids = pd.Series(["a", "a", "b", "b", "b"])
    bf = np.array([40.0, 40.0, 40.0, 40.0, 1.0])
    person = pd.Series(["x|1", "x|1", "y|1", "z|2", "y|1"])
    rm = record_model(bf, ids, 10_000, 2, person=person)
    assert rm.tie_first.tolist() == [0, 0, 2, 3, 4]


def test_weight_keys_are_each_weights_own_rounding():
    w = pd.Series([1.23456789, -3.0000004, 1.23456789, np.nan, 0.0, 7.5e-7, -3.0000004])
    got = _keys(w)
    want = w.map(_key).to_numpy()
    assert np.array_equal(got, want, equal_nan=True)


def test_claimed_pairs_are_those_whose_reference_record_a_link_took():
    engine = open_engine("duckdb")
    try:
        engine.register("det", pd.DataFrame({
            "reference_id": ["C1", "C2", "C2", None, "C5"], "source_id": list("pqrst")}))
        scored = pd.DataFrame({"reference_id": ["C1", "C3", "C2", "C1", "C4"],
                               "source_id": list("vwxyz")})
        flags, n = _claimed(engine, "det", scored)
        assert flags.tolist() == [True, False, True, True, False]
        assert n == 3  # C1, C2, C5: the taken records, whether scored or not
        flags, n = _claimed(engine, "det", scored[scored["reference_id"] == "C3"])
        assert flags.tolist() == [False] and n == 3
        assert "det_scored_refs" not in engine.con.execute(
            "SELECT table_name FROM duckdb_tables()").df()["table_name"].tolist()
    finally:
        engine.close()


def test_subgroup_reweightings_are_drawn_once_per_estimate():
    """Every subgroup variable's shrinkage reads the same reweightings (their own stream):
    the second variable gets the first's, equal to drawing them again."""
    cap, names, _, _ = _case()
    n_det = 700
    o = np.r_[n_det:len(names), :n_det]
    cap = recapture.Captures(cap.design, cap.agree[o], cap.avail[o], cap.caps[o], 40,
                             cap.n_some, n_det)
    rec = np.sort(np.random.default_rng(1).integers(0, 500, len(names) - n_det))
    first = recapture_strata._reweightings(rec, cap, 7)
    again = recapture_strata._reweightings(rec, cap, 7)
    assert all(a is b for a, b in zip(first, again, strict=True))
    fresh = recapture.Captures(cap.design, cap.agree, cap.avail, cap.caps, cap.n_none,
                               cap.n_some, cap.n_det)
    drawn = recapture_strata._reweightings(rec, fresh, 7)
    assert np.array_equal(first[0], drawn[0]) and np.array_equal(first[1], drawn[1])
    assert first[2] == drawn[2]
    other = recapture_strata._reweightings(rec, cap, 8)  # another seed: drawn anew
    assert not np.array_equal(other[0], first[0])
    assert first[0].shape == (recapture_strata.SHRINK_REPLICATES + 1, int(rec.max()) + 1)
