"""The analysis stage end to end on generated data with its truth files (issue 15 part A):
match probabilities and weights in integrated.parquet, raked weights, imputed values
flagged and checked against the truth, published tables protected, rates in the manifest.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import sample_run

pytestmark = pytest.mark.slow
pytest.importorskip("statsmodels")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("analysis")
    out = sample_run(d, 1500, 8)
    return {"out": out, "data": d / "data",
            "integrated": pd.read_parquet(out / "integrated.parquet"),
            "manifest": json.loads((out / "run_manifest.json").read_text())}


def test_match_probability_per_source(run):
    it = run["integrated"]
    for s in ("benefits", "survey"):
        links = pd.read_parquet(run["out"] / "links" / f"{s}.parquet")
        got = it[[f"{s}__id", f"{s}__method", f"{s}__match_probability"]].dropna(
            subset=[f"{s}__id"])
        det = got[f"{s}__method"].str.startswith(("direct:", "key:"))
        assert det.any() and (got.loc[det, f"{s}__match_probability"] == 1.0).all()
        prob = got[got[f"{s}__method"] == "probabilistic"].merge(
            links, left_on=f"{s}__id", right_on="source_id")
        assert len(prob) and np.allclose(prob[f"{s}__match_probability"],
                                         prob["match_probability"])
        assert it.loc[it[f"{s}__id"].isna(), f"{s}__match_probability"].isna().all()


def test_weights_joined_and_raked_to_the_reference_margins(run):
    it = run["integrated"].set_index("reference_id")
    census = pd.read_csv(run["data"] / "census.csv", dtype=str).set_index("person_id")
    for s in ("benefits", "survey"):
        w = pd.read_parquet(run["out"] / "weights" / f"{s}.parquet").set_index("reference_id")
        assert list(w.columns) == ["linked", "p_link", "weight"]
        assert np.allclose(it[f"{s}__weight"].fillna(-1), w["weight"].reindex(it.index)
                           .fillna(-1))
        assert (w["weight"].notna() == (it[f"{s}__n_records"] > 0)).all()
        assert w["p_link"].between(0, 1).all()
        info = run["manifest"]["stages"]["analysis"]["weights"][s]
        assert info["raking"]["converged"] and info["model"].startswith("logistic")
        # units in a category nobody links (named) are left out of every margin
        outside = info["raking"]["units_outside_margins"]
        assert (outside > 0) == bool(info["raking"]["unreachable_categories"])
        for var in ("sex", "region"):
            by = w["weight"].groupby(census[var].reindex(w.index).fillna("unknown")).sum()
            want = census[var].fillna("unknown").value_counts().reindex(by.index)
            assert (want - by > -1e-6).all(), (s, var)
            assert float((want - by).sum()) == pytest.approx(outside, abs=1e-3), (s, var)


def test_imputed_values_are_flagged_and_beat_a_constant_against_the_truth(run):
    it = run["integrated"]
    st = it["employment_status__status"]
    imp = st == "imputed:hot_deck"
    assert imp.sum() > 50
    assert it.loc[imp, "employment_status__source"].isna().all()  # no source had one
    assert it.loc[~imp, "employment_status__status"].ne("missing").all()
    rates = run["manifest"]["stages"]["analysis"]["imputation"]["variables"]
    assert rates["employment_status"]["imputed"] == int(imp.sum())
    by_age = rates["employment_status"]["by_subgroup"]["age_band"]
    assert sum(v["imputed"] for v in by_age.values()) == int(imp.sum())
    # against the truth: the generator knows everyone's employment status
    persons = pd.read_csv(run["data"] / "truth" / "persons.csv", dtype=str)
    who = pd.read_csv(run["data"] / "truth" / "census.csv", dtype=str)
    truth = who.merge(persons, on="person_uid").set_index("record_id")["employment_status"]
    t = truth.reindex(it.loc[imp, "reference_id"]).to_numpy()
    hot = float(np.mean(it.loc[imp, "employment_status"].to_numpy() == t))
    mode = it.loc[~imp, "employment_status"].mode().iloc[0]
    constant = float(np.mean(t == mode))
    assert hot > constant + 0.05, (hot, constant)
    assert (it["disability__status"] == "imputed:model").sum() == \
        rates["disability"]["imputed"]


def test_published_tables_are_protected_and_the_exact_ones_internal(run):
    out = run["out"]
    names = {p.stem for p in (out / "tables").glob("analysis_*.csv")}
    assert {"analysis_coverage_profile", "analysis_dual_system",
            "analysis_weighted_margins", "analysis_imputation"} <= names
    for n in names:
        df = pd.read_csv(out / "tables" / f"{n}.csv")
        assert "suppressed" in df.columns
        shown = df[~df["suppressed"]]
        for c in [c for c in df.columns if c.startswith("n_") or c == "n"]:
            v = pd.to_numeric(shown[c])
            assert not ((v > 0) & (v < 10)).any(), (n, c)
        assert (out / "disclosure" / f"{n}.parquet").exists()
    prof = pd.read_parquet(out / "disclosure" / "analysis_coverage_profile.parquet")
    total = prof[prof["variable"] == "sex"].groupby("source")[["n_source", "n_unlinked"]].sum()
    acc = run["manifest"]["accounting"]
    for s in ("benefits", "survey"):
        assert total.loc[s, "n_source"] == acc[s]["accepted"]
        assert total.loc[s, "n_unlinked"] == acc[s]["review"] + acc[s]["unlinked"]


def test_imputation_rates_published_protected_in_the_dictionary_and_the_report(run):
    """The manifest's imputation rates as a published table (through the coordinated
    protection: small counts withheld, the same reference cells as the quality tables),
    described in the dictionary, and in the report's analysis section."""
    out, it = run["out"], run["integrated"]
    rates = run["manifest"]["stages"]["analysis"]["imputation"]["variables"]
    exact = pd.read_parquet(out / "disclosure" / "analysis_imputation.parquet")
    shown = pd.read_csv(out / "tables" / "analysis_imputation.csv", dtype={"value": str})
    assert len(shown) == len(exact)
    for var in ("employment_status", "disability"):
        status = it[f"{var}__status"].astype(str)
        e = exact[exact["imputed_variable"] == var]
        tot = e[e["variable"] == "all"].iloc[0]
        assert tot["n_units"] == len(it)
        assert tot["n_imputed"] == status.str.startswith("imputed:").sum() == \
            rates[var]["imputed"]
        assert tot["n_missing"] == rates[var]["missing"]
        # each subgroup variable's rows add up to the total, against the integrated output
        for by in ("sex", "age_band"):
            part = e[e["variable"] == by]
            assert part["n_imputed"].sum() == tot["n_imputed"], (var, by)
            assert part["n_units"].sum() == len(it), (var, by)
        assert set(e["variable"]) >= {"all", "sex", "age_band"}
    s = shown[~shown["suppressed"]]
    assert (s["imputed_variable"] == "employment_status").sum() >= 3  # hundreds imputed
    assert (s["imputation_rate"] - s["n_imputed"] / s["n_units"]).abs().max() < 1e-4
    vals = shown.loc[~shown["suppressed"], ["n_units", "n_missing", "n_imputed"]]
    assert not ((vals > 0) & (vals < 10)).any().any()
    small = (exact[["n_missing", "n_imputed"]].gt(0) & exact[["n_missing", "n_imputed"]]
             .lt(10)).any(axis=1)
    assert small.any() and shown.loc[small.to_numpy(), "suppressed"].all()
    assert shown.loc[shown["suppressed"], "n_imputed"].isna().all()
    # a reference count is the same cell as in the quality tables: shown in both or neither
    q = pd.read_csv(out / "tables" / "quality_subgroups.csv", dtype={"value": str})
    q = q[(q["variable"] == "sex") & (q["basis"] == "model")]
    for _, r in shown[shown["variable"] == "sex"].iterrows():
        other = q[q["value"] == r["value"]]
        if len(other) and not r["suppressed"]:
            assert (other["n_reference"].dropna() == r["n_units"]).all()
    d = pd.read_csv(out / "tables" / "dictionary.csv")
    d = d[d["table"] == "analysis_imputation"]
    assert set(shown.columns) <= set(d["column"].dropna())
    assert d["meaning"].notna().all()
    text = (out / "report.html").read_text()
    assert "<h3>Imputation rates by variable and subgroup</h3>" in text
    assert "<h4>employment_status (imputed: hot_deck)</h4>" in text
    assert "<h4>disability (imputed: model)</h4>" in text


def test_running_the_stage_again_changes_nothing(run, tmp_path):
    """A resumed run may start the stage again over its own outputs (integrated.parquet
    with weights and imputed values, its published tables): the result is the same."""
    import hashlib
    import shutil

    from spinelink.analysis import run_stage
    from spinelink.backends import open_engine
    from spinelink.config import load_job
    from spinelink.pipeline import StageContext

    out = tmp_path / "out"
    shutil.copytree(run["out"], out)
    files = ["integrated.parquet", "weights/benefits.parquet", "weights/survey.parquet",
             *(f"tables/{p.name}" for p in (out / "tables").glob("analysis_*.csv"))]

    def digest():
        return {f: hashlib.sha256((out / f).read_bytes()).hexdigest() for f in files}

    before = digest()
    ctx = StageContext(open_engine("duckdb"), load_job(run["data"] / "job.yaml"), out,
                       run["manifest"]["accounting"], {}, {})
    again = run_stage(ctx)
    assert digest() == before
    assert again["tables"] == run["manifest"]["stages"]["analysis"]["tables"]


def _chapman(n1, n2, m):
    """Chapman's estimate with its usual normal interval, on the raw links."""
    n = (n1 + 1) * (n2 + 1) / (m + 1) - 1
    var = (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))
    return n - 1.96 * np.sqrt(np.maximum(var, 0)), n + 1.96 * np.sqrt(np.maximum(var, 0))


def test_dual_system_intervals_cover_the_generated_populations(run):
    """Against the generator's persons (truth/persons.csv: everyone, the census's missed
    included), by the true sex, age band and ethnic group: the intervals cover the true
    subgroup population in >= 90% of source x subgroup rows, and are not wide to do it
    (median half-width under 5% of the truth in groups of 100 persons or more);
    the census count and Chapman on the raw links (the naive intervals) fail the same
    assertion. Small survey groups (all of 6 linked) and the ethnic groups benefits
    leaves blank were where the first version missed."""
    from spinelink.quality.groups import age_band

    persons = pd.read_csv(run["data"] / "truth" / "persons.csv", dtype=str)
    rd = pd.Timestamp(run["manifest"]["reference_date"])
    dob = pd.to_datetime(persons["dob"])
    age = rd.year - dob.dt.year - ((dob.dt.month > rd.month) | (
        (dob.dt.month == rd.month) & (dob.dt.day > rd.day))).astype(int)
    persons["age_band"] = age_band(age, [0, 18, 30, 50, 65]).to_numpy()
    d = pd.read_parquet(run["out"] / "disclosure" / "analysis_dual_system.parquet")
    assert set(d["variable"]) == {"sex", "age_band", "ethnic_group"}
    # a group the source links nobody in has no estimate (test_coverage_no_links.py)
    none = d["estimate_status"] == "no_links"
    assert (d.loc[none, "_n_linked"] == 0).all() and d.loc[none, "est_population"].isna().all()
    d = d[~none]
    assert len(d) >= 45
    truth = np.array([(persons[v] == x).sum() for v, x in zip(d["variable"], d["value"],
                                                               strict=True)])

    def share(low, high):
        return float(np.mean((low <= truth) & (truth <= high)))

    got = share(d["est_population_low"], d["est_population_high"])
    assert got >= 0.90, got
    # not wide to do it, where a width can say so: groups of 100 persons or more (a group
    # of 5 to 50, most ethnic groups here, has interval ends a whole person apart: its
    # relative width says nothing about the method; session 27: median 0.029 over the 18
    # such rows, 0.100 over all 51)
    big = truth >= 100
    assert big.sum() >= 15
    width = np.median(((d["est_population_high"] - d["est_population_low"]) / 2 / truth)[big])
    assert width < 0.05, width
    assert share(*_chapman(d["n_reference"], d["_n_source"], d["_n_linked"])) < 0.90
    assert share(d["n_reference"], d["n_reference"]) < 0.90


def test_rounded_tables_give_no_exact_count_away(tmp_path):
    """With `rounding: 5` the imputation rate was n_imputed / n_units of the exact counts
    and the weights' sum was the exact reference count (raked to it) beside its rounded
    n_reference: either gave the rounding away. Both now come from the rounded counts."""
    from conftest import run_cli

    r = run_cli("sample", "--persons", "800", "--seed", "3", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    job = tmp_path / "job.yaml"
    job.write_text(job.read_text(encoding="utf-8").replace("  rounding: null",
                                                           "  rounding: 5"), encoding="utf-8")
    r = run_cli("run", "job.yaml", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    tables = tmp_path / "out" / "tables"
    imp = pd.read_csv(tables / "analysis_imputation.csv")
    imp = imp[~imp["suppressed"]]
    assert len(imp) and (imp[["n_units", "n_imputed"]] % 5 == 0).all().all()
    assert np.allclose(imp["imputation_rate"], (imp["n_imputed"] / imp["n_units"]).round(4))
    wm = pd.read_csv(tables / "analysis_weighted_margins.csv")
    wm = wm[~wm["suppressed"] & wm["weighted_linked"].notna()]
    assert len(wm) and (wm["weighted_linked"] % 5 == 0).all()


def test_every_published_column_has_a_meaning_and_a_unit(run):
    """tables/dictionary.csv: the analysis tables' `source` and the dual-system table's
    est_precision/est_recall columns had their own name as meaning ("est precision")
    and no unit."""
    d = pd.read_csv(run["out"] / "tables" / "dictionary.csv", dtype=str, keep_default_na=False)
    cols = d[d["column"] != ""]
    assert not cols.empty
    vague = cols[(cols["unit"] == "") | (cols["meaning"] == cols["column"].str.replace("_", " "))]
    assert vague.empty, vague.to_string()
