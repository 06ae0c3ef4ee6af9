"""Label-free estimates on data where one subgroup links badly, against the truth and
against the two naive estimators (issue 12, item 4).

The generator's benefits file, with one region's records degraded the way a poor local
delivery is: no national insurance number, 70% without a date of birth, 40% without a
first name. Those records must be linked probabilistically among relatives who share
surname and address, and the job accepts links down to a probability of 0.5. In that
region the true recall is below 0.95 and the true precision below 0.99; a constant 1.0
and fastLink-style probability sums both fail the assertions spinelink's estimates pass.
"""
from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, demo_job, generated_run

sys.path.insert(0, str(ROOT / "benchmarks"))
from quality_eval import run_against_truth  # noqa: E402
from regions import benefits_in_region  # noqa: E402

pytestmark = pytest.mark.slow
PERSONS, SEED, REGION = 8000, 11, "London"
RECALL_TOL, PRECISION_TOL, OTHERS_PRECISION_TOL = 0.05, 0.005, 0.015


def _degrade(data) -> None:
    b, hit = benefits_in_region(data, REGION)
    rng = np.random.default_rng(5)
    b.loc[hit, "nino"] = None
    b.loc[hit & (rng.random(len(b)) < 0.7), "birth_date"] = None
    b.loc[hit & (rng.random(len(b)) < 0.4), "first_name"] = None
    b.to_parquet(data / "benefits.parquet", index=False)


def _job() -> str:
    job = demo_job(any_rows=True)
    auto = "    probabilistic: {model: auto}   # accept, review: auto (chosen from estimated " \
           "precision)\n    one_to_one: false"
    assert auto in job
    job = job.replace(auto, "    probabilistic: {model: auto, accept: 0.5, review: 0.2}\n"
                            "    one_to_one: false")
    return job + "  bootstrap: 50\n"


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    d = generated_run(tmp_path_factory.mktemp("quality_hard"), PERSONS, SEED, _degrade, _job())
    out = d / "out"
    std = pd.read_parquet(out / "standardised" / "census.parquet")
    groups = pd.DataFrame({"region": std["region"].astype(str).to_numpy()},
                          index=std["record_id"].astype(str))
    both = run_against_truth(out, d / "data" / "truth", groups, "region")
    summary = json.loads((out / "quality" / "summary.json").read_text())
    print("\n" + both[["value", "true_pairs", "true_precision", "est_precision",
                       "fl_precision", "true_recall", "est_recall", "fl_recall"]]
          .round(4).to_string())
    return both[both["true_pairs"] >= 300].set_index("value"), summary


def _fails(est_p, est_r, row) -> bool:
    return (abs(est_p - row["true_precision"]) > PRECISION_TOL
            or abs(est_r - row["true_recall"]) > RECALL_TOL)


@pytest.mark.xfail(strict=True, reason=(
    "session 34: the surname-at-home weighing (spinelink.home_scale) took most of the "
    "region's household false links away: true precision 0.991, not below 0.99; the data "
    "set needs a harder subgroup for issue 12's item 4 (benchmarks/RESULTS.md, session 34)"))
def test_the_degraded_region_links_badly(compared):
    rows, _ = compared
    bad = rows.loc[REGION]
    assert bad["true_recall"] < 0.95 and bad["true_precision"] < 0.99
    others = rows.drop(index=[REGION, "all"])
    assert len(others) >= 5 and (others["true_recall"] > 0.99).all()


def test_estimates_follow_the_truth_where_naive_estimators_fail(compared):
    rows, _ = compared
    bad = rows.loc[REGION]
    assert not _fails(bad["est_precision"], bad["est_recall"], bad), bad.to_dict()
    # the same assertion is one a constant 1.0 and the probability sums cannot pass
    assert _fails(1.0, 1.0, bad)
    assert _fails(bad["fl_precision"], bad["fl_recall"], bad)
    others = rows.drop(index=REGION)
    assert ((others["est_precision"] - others["true_precision"]).abs()
            <= OTHERS_PRECISION_TOL).all()
    assert ((others["est_recall"] - others["true_recall"]).abs() <= RECALL_TOL).all()


def test_the_worst_group_is_found_and_flagged(compared):
    rows, summary = compared
    regions = rows.drop(index="all")
    assert regions["est_recall"].idxmin() == REGION
    # the estimated shortfall against the overall recall is the true one, within 0.05
    true_gap = rows.loc["all", "true_recall"] - rows.loc[REGION, "true_recall"]
    est_gap = rows.loc["all", "est_recall"] - rows.loc[REGION, "est_recall"]
    assert abs(est_gap - true_gap) <= RECALL_TOL and est_gap > 0.08
    flagged = {(f["variable"], f["value"], f["measure"]) for f in summary["flags"]
               if f["source"] == "benefits" and f["basis"] == "model"}
    assert ("region", REGION, "est_recall") in flagged


@pytest.mark.xfail(strict=True, reason=(
    "session 34: overall precision is no longer overstated here (estimate 0.9981 against "
    "0.9984 true) since spinelink.home_scale; the check's warning needs a data set where it "
    "is (benchmarks/RESULTS.md, session 34)"))
def test_the_report_of_checks_warns_where_precision_is_overstated(compared):
    """The estimate of overall precision is above the truth here (household false links
    the model is sure of); the calibration check says so, and its warning is published."""
    rows, summary = compared
    assert rows.loc["all", "est_precision"] > rows.loc["all", "true_precision"]
    info = summary["sources"]["benefits"]
    checks = {c["check"]: c for c in info["diagnostics"]}
    assert not checks["calibration"]["ok"]
    assert checks["calibration"]["warning"] in info["warnings"]
    assert "overstated" in checks["calibration"]["warning"]
    assert checks["bootstrap_replicates"]["ok"] is False  # this test runs 50
