"""Label-free estimates against known truth on generated data, label-based estimates from
a labels file built from the truth, and the quality outputs' contract."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import demo_job

from spinelink.backends import open_engine
from spinelink.config import load_job
from spinelink.pipeline import StageContext, run_job
from spinelink.quality import run_stage as quality_stage
from spinelink.quality.groups import age_band
from spinelink.quality.labels import truth_labels
from spinelink.quality.stage import BIAS_COLUMNS, SUBGROUP_COLUMNS
from spinelink.sample import generate

pytestmark = pytest.mark.slow
PERSONS, SEED = 8000, 11     # several subgroups with 300+ true matches per source
SOURCES = ("benefits", "survey")
VARIABLES = ["ethnic_group", "sex", "age_band", "region", "disability"]
BANDS = [0, 18, 30, 50, 65]
REF_DATE = pd.Timestamp("2021-03-21")
BIG = 300
MIN_CELL = 10


def _job_text(labels: str | None) -> str:
    job = demo_job(any_rows=True)
    return job + (
        "quality:\n"
        f"  subgroups: [{', '.join(VARIABLES)}]\n"
        f"  labels: {labels or 'null'}\n"
        f"  min_cell: {MIN_CELL}\n"
        "  age_bands: [0, 18, 30, 50, 65]\n"
        "  rounding: null\n"
        "  bootstrap: 100\n")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("quality")
    generate(PERSONS, SEED, d / "data")
    (d / "data" / "job.yaml").write_text(_job_text(None))
    res = run_job(d / "data" / "job.yaml")
    out = d / "out"
    model_rows = pd.read_csv(out / "quality" / "subgroups.csv", dtype={"value": str})
    # labels from the generator's truth, then the quality stage again with them
    truth_labels(d / "data" / "truth", out, "census", list(SOURCES)).to_csv(
        d / "labels.csv", index=False)
    (d / "data" / "job_labels.yaml").write_text(_job_text("../labels.csv"))
    lj = load_job(d / "data" / "job_labels.yaml")
    engine = open_engine("duckdb")
    try:
        quality_stage(StageContext(engine, lj, out, res.accounting, res.summary, {}))
    finally:
        engine.close()
    return {"dir": d, "out": out, "model_first_run": model_rows}


def _groups(out) -> pd.DataFrame:
    std = pd.read_parquet(out / "standardised" / "census.parquet")
    g = pd.DataFrame(index=std["record_id"].astype(str))
    for v in ("ethnic_group", "region", "disability", "sex"):
        g[v] = std[v].astype(object).where(std[v].notna(), "unknown").astype(str).to_numpy()
    dob = pd.to_datetime(std["dob"])
    before = (dob.dt.month > REF_DATE.month) | ((dob.dt.month == REF_DATE.month)
                                                & (dob.dt.day > REF_DATE.day))
    age = (REF_DATE.year - dob.dt.year - before.astype(int)).where(dob.notna())
    g["age_band"] = age_band(pd.Series(age.to_numpy(), index=g.index), BANDS).to_numpy()
    g["all"] = "all"
    return g


def _truth(run) -> pd.DataFrame:
    """Per source x variable x value: true matches, precision and recall (as evaluate.py:
    recall per source record whose person has a reference record, by that record's
    group)."""
    d, out = run["dir"], run["out"]
    g = _groups(out)
    ref = pd.read_csv(d / "data" / "truth" / "census.csv", dtype=str).rename(
        columns={"record_id": "reference_id", "person_uid": "uid_r"})
    rows = []
    for s in SOURCES:
        src = pd.read_csv(d / "data" / "truth" / f"{s}.csv", dtype=str).rename(
            columns={"record_id": "source_id", "person_uid": "uid_s"})
        lk = pd.read_parquet(out / "links" / f"{s}.parquet")[["reference_id", "source_id"]]
        lk = lk.astype(str).merge(ref, on="reference_id", how="left").merge(
            src, on="source_id", how="left")
        lk["ok"] = lk["uid_r"].notna() & (lk["uid_r"] == lk["uid_s"])
        true = src.merge(ref.drop_duplicates("uid_r"), left_on="uid_s", right_on="uid_r")
        true["found"] = true["source_id"].isin(set(lk.loc[lk["ok"], "source_id"]))
        for v in ["all", *VARIABLES]:
            lg = g[v].reindex(lk["reference_id"]).to_numpy()
            tg = g[v].reindex(true["reference_id"]).to_numpy()
            for val in sorted(set(g[v])):
                ok, found = lk["ok"].to_numpy()[lg == val], true["found"].to_numpy()[tg == val]
                rows.append({"source": s, "variable": v, "value": val, "n_true": len(found),
                             "precision": ok.mean() if len(ok) else np.nan,
                             "recall": found.mean() if len(found) else np.nan})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def compared(run):
    sub = pd.read_csv(run["out"] / "quality" / "subgroups.csv", dtype={"value": str})
    model = sub[(sub["basis"] == "model") & ~sub["suppressed"]]  # published estimates
    both = _truth(run).merge(model, on=["source", "variable", "value"])
    big = both[both["n_true"] >= BIG]
    print("\n" + big[["source", "variable", "value", "n_true", "precision", "est_precision",
                      "recall", "est_recall"]].round(4).to_string())
    return big


def test_several_big_subgroups(compared):
    for s in SOURCES:
        assert (compared[compared["source"] == s]["variable"] != "all").sum() >= 5


def test_label_free_estimates_within_2_points_of_truth(compared):
    dp = (compared["est_precision"] - compared["precision"]).abs()
    dr = (compared["est_recall"] - compared["recall"]).abs()
    assert compared["est_precision"].notna().all() and compared["est_recall"].notna().all()
    assert dp.max() <= 0.02, compared.loc[dp.idxmax()].to_dict()
    assert dr.max() <= 0.02, compared.loc[dr.idxmax()].to_dict()


def test_intervals_contain_the_truth_for_most_subgroups(compared):
    c = compared
    p_in = ((c["est_precision_low"] <= c["precision"] + 1e-4)
            & (c["precision"] - 1e-4 <= c["est_precision_high"])).mean()
    r_in = ((c["est_recall_low"] <= c["recall"] + 1e-4)
            & (c["recall"] - 1e-4 <= c["est_recall_high"])).mean()
    assert p_in >= 0.6 and r_in >= 0.6, (p_in, r_in)


def test_label_based_estimates_are_the_truth_when_labels_are_the_truth(run):
    sub = pd.read_csv(run["out"] / "quality" / "subgroups.csv", dtype={"value": str})
    lab = sub[(sub["basis"] == "labels") & (sub["suppressed"] == False)]  # noqa: E712
    both = _truth(run).merge(lab, on=["source", "variable", "value"])
    assert len(both) >= 20
    ok = both.dropna(subset=["precision"])
    assert np.allclose(ok["est_precision"], ok["precision"], atol=1e-4)
    ok = both.dropna(subset=["recall"])
    assert np.allclose(ok["est_recall"], ok["recall"], atol=1e-4)
    assert (both["est_precision_low"] <= both["est_precision"]).all()


def test_subgroups_contract(run):
    sub = pd.read_csv(run["out"] / "quality" / "subgroups.csv", dtype=str,
                      keep_default_na=False)
    assert list(sub.columns) == SUBGROUP_COLUMNS
    assert set(sub["basis"]) == {"model", "labels"}
    assert set(sub["suppressed"]) <= {"true", "false"}
    assert not sub.duplicated(["source", "variable", "value", "basis"]).any()
    for s in SOURCES:
        assert set(sub[sub["source"] == s]["variable"]) == {"all", *VARIABLES}
        assert len(sub[(sub["source"] == s) & (sub["variable"] == "all")]) == 2
    # the model rows do not change when labels are added (same seed, same data)
    first = run["model_first_run"]
    again = pd.read_csv(run["out"] / "quality" / "subgroups.csv", dtype={"value": str})
    again = again[again["basis"] == "model"].reset_index(drop=True)
    pd.testing.assert_frame_equal(first.reset_index(drop=True), again)


def _counts_ok(values, min_cell=MIN_CELL) -> bool:
    v = pd.to_numeric(pd.Series(values), errors="coerce").dropna()
    return bool(((v == 0) | (v >= min_cell)).all())


def test_small_cells_suppressed_in_every_file(run):
    q = run["out"] / "quality"
    sub = pd.read_csv(q / "subgroups.csv", dtype={"value": str})
    assert sub["suppressed"].any()  # there are small groups in this data
    shown = sub[~sub["suppressed"]]
    for col in ("n_reference", "n_linked"):
        assert _counts_ok(shown[col])
    assert _counts_ok(shown["n_reference"] - shown["n_linked"])
    hidden = sub[sub["suppressed"]]
    assert hidden[SUBGROUP_COLUMNS[3:14]].isna().all().all()
    for (s, v, b), part in sub[sub["variable"] != "all"].groupby(
            ["source", "variable", "basis"]):
        assert part["suppressed"].sum() != 1, (s, v, b)  # secondary suppression
    bias = pd.read_csv(q / "bias.csv", dtype={"value": str})
    assert list(bias.columns) == BIAS_COLUMNS
    shown = bias[~bias["suppressed"]]
    assert _counts_ok(shown["n_linked"]) and _counts_ok(shown["n_unlinked"])
    curve = pd.read_csv(q / "threshold.csv")
    assert _counts_ok(curve["links"])
    summary = json.loads((q / "summary.json").read_text())

    def ints(x):
        if isinstance(x, dict):
            return [i for v in x.values() for i in ints(v)]
        if isinstance(x, list):
            return [i for v in x for i in ints(v)]
        return [x] if isinstance(x, int) and not isinstance(x, bool) else []

    assert _counts_ok(ints(summary["sources"]))


def test_summary_says_how(run):
    s = json.loads((run["out"] / "quality" / "summary.json").read_text())
    assert {"precision", "recall", "calibration", "intervals"} <= set(s["method"])
    for src in SOURCES:
        info = s["sources"][src]
        assert "leave-partner-out" in info["calibration"]["method"]
        assert info["deterministic"]["precision_assumed"] == 1.0
        assert 0.9 <= info["deterministic"]["partner_scored_by_blocking"] <= 1.0
        assert info["blocking"]["expected_matches_never_compared"] is not None
    # the verdict follows from the two expected counts it summarises (two Poisson sd apart)
    cal = s["sources"]["benefits"]["calibration"]
    m, c = cal["model_expected_false_links"], cal["calibrated_expected_false_links"]
    want = ("consistent" if abs(c - m) <= 2 * max(m, 1) ** 0.5 else
            "model over-confident" if c > m else "model under-confident")
    assert cal["verdict"] == want, cal
