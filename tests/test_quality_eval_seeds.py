"""`quality_eval.py --seeds N` (benchmarks/quality_eval_seeds.py): one pair's comparison at
several noise seeds pooled into the mean of each figure, on hand-made per-seed tables with
known answers (no spinelink run)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import quality_eval  # noqa: E402
import quality_eval_seeds as qs  # noqa: E402


def _seed(est_r: float, true_r: float, fl_r: float, pairs_f: int,
          est_p: float = 0.99, true_p: float = 1.0, fl_p: float = 0.995) -> pd.DataFrame:
    """One seed's `compare_rows(..., min_true=0)` shape: `all` (400 pairs) and sex=F."""
    rows = [{"variable": "all", "value": "all", "true_pairs": 400},
            {"variable": "sex", "value": "F", "true_pairs": pairs_f}]
    for r in rows:
        r.update(est_precision=est_p, true_precision=true_p, fl_precision=fl_p,
                 est_recall=est_r, true_recall=true_r, fl_recall=fl_r)
    return pd.DataFrame(rows)


def test_pooled_figures_are_the_means_and_errors_of_the_means():
    # seed 1: ours +0.01 on recall, sums exact; seed 2: ours -0.01, sums -0.02. One seed
    # alone, ours loses on seed 1 and wins on seed 2; pooled, ours' errors cancel (0) and
    # the sums' do not (0.01)
    per = {1: _seed(0.98, 0.97, 0.97, 200), 2: _seed(0.95, 0.96, 0.94, 200)}
    rows = qs.pool(per, min_true=300)
    a = rows.set_index(["variable", "value"]).loc[("all", "all")]
    assert a["true_pairs"] == 800 and a["true_pairs_mean"] == 400 and a["seeds"] == 2
    assert a["est_recall"] == pytest.approx(0.965) and a["true_recall"] == pytest.approx(0.965)
    assert a["err_recall"] == pytest.approx(0.0, abs=1e-12)
    assert a["fl_err_recall"] == pytest.approx(0.01)
    assert a["c1_err_recall"] == pytest.approx(0.035)
    assert a["bias_precision"] == pytest.approx(-0.01)
    # sex=F has 200 pairs a seed: compared pooled (400), not per seed
    assert ("sex", "F") in set(zip(rows["variable"], rows["value"], strict=True))


def test_subgroups_by_summed_true_pairs_and_base_groups_by_one_seeds():
    per = {1: _seed(0.98, 0.97, 0.97, 200), 2: _seed(0.95, 0.96, 0.94, 200)}
    summ = {s: {"estimates": 2, "mae_spinelink": m, "mae_c1": 0.03, "mae_fl": f,
                "coverage": 1.0, "intervals": 2, "over_tol": 0}
            for s, m, f in ((1, 0.01, 0.0025), (2, 0.01, 0.0125))}
    r = qs.pooled_result(per, summ, min_true=300)
    s = r["summary"]
    assert s["subgroups"] == 2 and s["estimates"] == 4
    assert s["base_groups"]["estimates"] == 2  # only `all` reaches 300 on one seed
    # precision: ours 0.01 off, sums 0.005; recall: ours 0, sums 0.01 (both groups alike)
    assert s["mae_spinelink"] == pytest.approx(0.005)
    assert s["mae_fl"] == pytest.approx(0.0075)
    assert s["below_both"] is True
    assert [r["per_seed"][k]["below_both"] for k in ("1", "2")] == [False, True]
    assert s["seeds_below_both"] == 1 and s["coverage_per_seed"] == 1.0
    assert "pooled x (2 seeds): MAE spinelink 0.00500" in qs.summary_line("x", r)
    assert "sex=F" in qs.format_pooled("x", r)


def test_a_subgroup_missing_from_a_seed_or_undefined_in_one_is_not_pooled():
    one, two = _seed(0.98, 0.97, 0.97, 400), _seed(0.95, 0.96, 0.94, 400)
    two = two[two["value"] != "F"]          # no F on seed 2
    one.loc[0, "fl_recall"] = np.nan          # the sums give no recall on seed 1's `all`
    rows = qs.pool({1: one, 2: two}, min_true=300)
    assert list(rows["value"]) == ["all"]
    assert np.isnan(rows.loc[0, "err_recall"]) and not np.isnan(rows.loc[0, "err_precision"])
    assert qs.mae(rows)["estimates"] == 1


def test_seed_list_starts_at_the_harness_seed():
    assert qs.seed_list(42, 3) == [42, 43, 44]
    with pytest.raises(ValueError):
        qs.seed_list(42, 0)


def test_evaluate_rows_unchanged_and_all_rows_kept():
    """`evaluate`'s rows are `compare_rows` at MIN_TRUE whether or not every subgroup's
    comparison is asked for: the filter after the comparison equals the filter before."""
    truth = pd.DataFrame({"variable": ["all", "sex", "sex"], "value": ["all", "F", "M"],
                          "true_pairs": [500, 350, 150], "linkable": [5, 3, 2],
                          "links": [5, 3, 2], "true_precision": [0.99, 1.0, 0.98],
                          "true_recall": [0.97, 0.96, 0.99]})
    est = truth[["variable", "value"]].assign(
        est_precision=0.99, est_precision_low=0.98, est_precision_high=1.0,
        est_recall=0.97, est_recall_low=0.95, est_recall_high=0.99)
    naive = truth[["variable", "value"]].assign(fl_precision=0.995, fl_recall=0.98)
    every = quality_eval.compare_rows(est, truth, naive, 0)
    kept = every[every["true_pairs"] >= quality_eval.MIN_TRUE].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, quality_eval.compare_rows(est, truth, naive))
    assert len(every) == 3 and len(kept) == 2


def test_run_seeds_pools_the_extra_seeds_runs(tmp_path):
    """`run_seeds` runs seeds seed+1.. through the harness's `run_case` (stubbed here) in
    each seed's own case and pools them with the harness's own seed."""
    made = []

    def make_case(s):
        made.append(s)
        return s

    def run_case(case, rescore, every):
        every.append(_seed(0.95, 0.96, 0.94, 400))
        return {"run": {"wall_s": 1.5}, "rows": [], "summary": {
            "estimates": 4, "mae_spinelink": 0.01, "mae_c1": 0.03, "mae_fl": 0.0125,
            "coverage": 1.0, "intervals": 4, "over_tol": 0}}

    first = _seed(0.98, 0.97, 0.97, 400)
    summ = {"estimates": 4, "mae_spinelink": 0.01, "mae_c1": 0.03, "mae_fl": 0.0025,
            "coverage": 0.5, "intervals": 4, "over_tol": 0}
    r = qs.run_seeds(make_case, run_case, 42, 3, False, first, summ, 300)
    assert made == [43, 44] and r["seeds"] == [42, 43, 44]
    assert r["per_seed"]["43"]["wall_s"] == 1.5
    assert r["summary"]["coverage_per_seed"] == pytest.approx(10 / 12)
    assert r["rows"][0]["true_pairs"] == 1200


@pytest.mark.slow
def test_seeds_option_runs_the_pair_at_each_seed_and_pools_them(tmp_path):
    """`quality_eval.py --only cps_default --noise default --seeds 2` (pseudopeople's CPS
    and census at seeds 42 and 43; two spinelink runs): seed 42's result is the harness's
    own, seed 43 runs in its own folder with its own noise, and the pooled `all` row is the
    mean of the two seeds' figures with their true pairs summed."""
    assert quality_eval.main(["--only", "cps_default", "--noise", "default", "--seeds", "2",
                              "--work", str(tmp_path)]) == 0
    import json

    res = json.loads((tmp_path / "results.json").read_text())["datasets"]["cps_default"]
    pooled = res["seeds"]
    assert pooled["seeds"] == [42, 43] and set(pooled["per_seed"]) == {"42", "43"}
    other = tmp_path / "seeds" / "43" / "cps_default"
    assert (other / "spinelink_out" / "quality" / "subgroups.csv").exists()
    # another noising: the CPS files of the two seeds differ
    assert (other / "cps.csv").read_bytes() != (tmp_path / "cps_default" / "cps.csv").read_bytes()
    # the pooled `all` row against each seed's own `all` row
    first = next(r for r in res["rows"] if r["variable"] == "all")
    case = quality_eval._cases(tmp_path / "seeds" / "43", "default", 43, 20_000)["cps_default"]()
    rows: list = []
    quality_eval.evaluate(case.bench, rows)
    second = rows[0].set_index(["variable", "value"]).loc[("all", "all")]
    got = next(r for r in pooled["rows"] if r["variable"] == "all")
    assert got["true_pairs"] == first["true_pairs"] + second["true_pairs"]
    for f in ("est_precision", "true_recall", "fl_recall"):
        assert got[f] == pytest.approx((first[f] + second[f]) / 2)
    assert got["err_recall"] == pytest.approx(abs(got["est_recall"] - got["true_recall"]))
    assert pooled["per_seed"]["42"]["mae_spinelink"] == res["summary"]["mae_spinelink"]
