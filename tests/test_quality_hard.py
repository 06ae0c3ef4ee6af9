"""Label-free estimates on data where one subgroup links badly, against the truth and
against the two naive estimators (issue 12, item 4).

The generator's benefits file, with one region's records degraded the way a poor local
delivery is: no national insurance number, 70% without a date of birth, 40% without a
first name. Those records must be linked probabilistically among relatives who share
surname and address, and the job accepts links down to a probability of 0.5. In half the
region's father-and-son households the son carries his father's first name (a "junior"),
in every source, and the census missed 45% of those sons (young men are its largest
undercount): a son's undated claim then has only his father's census record to go to,
which agrees on every field it holds. In that region the true recall is below 0.95 and
the true precision below 0.99 (0.982 since session 35; before the namesakes 0.991, once
the surname-at-home weighing of session 34 took most household false links away); a
constant 1.0 and fastLink-style probability sums both fail the assertions spinelink's
estimates pass.
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
JUNIORS, MISSED_JUNIORS = 0.5, 0.45


def _namesakes(data, rng) -> set[str]:
    """Sons named after their fathers (a "junior") in a share of the region's households:
    the son's first name in every source is the father's; a share of those sons were
    missed by the census (young men are its largest undercount), so their other records
    have only the father's census record to go to. Returns the sons taken out."""
    persons = pd.read_csv(data / "truth" / "persons.csv", dtype=str)
    men = persons[persons["region"].eq(REGION) & persons["sex"].eq("M")].assign(
        year=lambda p: p["dob"].str[:4].astype(int))
    pairs = men.merge(men, on=["address", "surname"], suffixes=("_f", "_s"))
    pairs = pairs[pairs["year_s"] - pairs["year_f"] >= 18].drop_duplicates("person_uid_s")
    pairs = pairs[rng.random(len(pairs)) < JUNIORS]
    name_of = dict(zip(pairs["person_uid_s"], pairs["first_name_f"], strict=True))
    missed = set(pairs["person_uid_s"][rng.random(len(pairs)) < MISSED_JUNIORS])
    files = {"census": ("census.csv", "person_id", "forename"),
             "benefits": ("benefits.parquet", "claim_id", "first_name"),
             "survey": ("survey.csv", "resp_id", "given_name")}
    for source, (name, rid, col) in files.items():
        truth = pd.read_csv(data / "truth" / f"{source}.csv", dtype=str)
        uid = dict(zip(truth["record_id"], truth["person_uid"], strict=True))
        if name.endswith(".parquet"):
            df = pd.read_parquet(data / name)
        elif source == "survey":
            df = pd.read_csv(data / name, dtype=str, sep=";", encoding="utf-8-sig")
        else:
            df = pd.read_csv(data / name, dtype=str)
        person = df[rid].map(uid)
        junior = person.isin(name_of.keys()) & df[col].notna()
        df.loc[junior, col] = person[junior].map(name_of)
        if source == "census":
            df = df[~person.isin(missed)]
            truth[~truth["person_uid"].isin(missed)].to_csv(
                data / "truth" / "census.csv", index=False)
        if name.endswith(".parquet"):
            df.to_parquet(data / name, index=False)
        elif source == "survey":
            df.to_csv(data / name, index=False, sep=";", encoding="utf-8-sig")
        else:
            df.to_csv(data / name, index=False)
    persons["first_name"] = persons["person_uid"].map(name_of).fillna(persons["first_name"])
    persons.to_csv(data / "truth" / "persons.csv", index=False)
    return missed


def _degrade(data) -> None:
    _, hit = benefits_in_region(data, REGION)  # before the census misses anyone
    _namesakes(data, np.random.default_rng(7))
    b = pd.read_parquet(data / "benefits.parquet")
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
def hard_out(tmp_path_factory):
    d = generated_run(tmp_path_factory.mktemp("quality_hard"), PERSONS, SEED, _degrade, _job())
    return d / "out"


@pytest.fixture(scope="module")
def compared(hard_out):
    out, d = hard_out, hard_out.parent
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


def test_the_report_of_checks_warns_where_precision_is_overstated(compared):
    """The estimate of overall precision is above the truth here (the missed juniors'
    claims on their fathers' census records, false links the model is sure of); the
    calibration check says so, and its warning is published."""
    rows, summary = compared
    assert rows.loc["all", "est_precision"] > rows.loc["all", "true_precision"]
    info = summary["sources"]["benefits"]
    checks = {c["check"]: c for c in info["diagnostics"]}
    assert not checks["calibration"]["ok"]
    assert checks["calibration"]["warning"] in info["warnings"]
    assert "overstated" in checks["calibration"]["warning"]
    assert checks["bootstrap_replicates"]["ok"] is False  # this test runs 50


def test_links_to_an_absent_persons_co_twin_are_counted(compared, hard_out):
    """The generator's twins (children of one household, one date of birth, other first
    names): a claim whose person the census missed goes to the co-twin's census record,
    every field but the first name agreeing (session 41 helper B). `quality.twins` gives
    such links a chance learnt without labels from the census's co-twins, the households
    the census holds and the links; against the truth, the share of persons the census
    lacks in households it holds is the true one, and the expected false links of the
    kind are the true ones within their Poisson noise."""
    from spinelink.backends.duckdb_engine import DuckDBEngine
    from spinelink.household import MAX_RESIDENTS
    from spinelink.quality import twins
    from spinelink.sqlfiles import sql_file

    _, summary = compared
    out = hard_out
    links = pd.read_parquet(out / "links" / "benefits.parquet")
    engine = DuckDBEngine()
    engine.load_parquet("ref", str(out / "standardised" / "census.parquet"))
    engine.load_parquet("src", str(out / "standardised" / "benefits.parquet"))
    tw = twins.twins(engine, "ref", "src", links)
    said = summary["sources"]["benefits"]["twins"]
    assert tw is not None and said["links"] == tw.links > 0
    assert said["expected_false_links"] == round(float(tw.chance.sum()), 2)
    truth = out.parent / "data" / "truth"
    person = {k: pd.read_csv(truth / f"{k}.csv", dtype=str).set_index("record_id")
              ["person_uid"] for k in ("census", "benefits")}
    # omega against the truth: the same households with every record whose person the
    # census holds counted linked
    present = person["benefits"][person["benefits"].isin(set(person["census"]))]
    engine.register("true_links", pd.DataFrame({"source_id": present.index.to_numpy()}))
    true = engine.df(sql_file("quality/household_absent.sql", links="true_links",
                              ref="ref", src="src"), {"max_residents": MAX_RESIDENTS}).iloc[0]
    true_omega = float(true["absent"]) / float(true["at_home"])
    false = (links["source_id"].astype(str).map(person["benefits"])
             != links["reference_id"].astype(str).map(person["census"])).to_numpy()
    kind = tw.chance > 0
    true_false, expected = int((false & kind).sum()), float(tw.chance.sum())
    print(f"\nomega {tw.omega:.4f} (true {true_omega:.4f}); co-twin links {tw.links}, with a "
          f"chance {int(kind.sum())}, expected false {expected:.2f}, true false {true_false}")
    assert 0 < true_omega and abs(tw.omega - true_omega) <= 0.25 * true_omega + 0.005
    assert abs(expected - true_false) <= 2 * np.sqrt(max(true_false, expected)) + 1
