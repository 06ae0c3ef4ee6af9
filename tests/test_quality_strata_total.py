"""A breakdown variable's never-compared matches add up to the overall figure
(`spinelink.quality.recapture_strata.to_total`, issue 12).

pseudopeople's census against its social security records at raised noise (data nobody
here generated; the harness's `ss_raised`, benchmarks/quality_eval.py). About 420 true
matches were never compared by blocking; 158 of them belong to census records without a
date of birth (the `unknown` age band: only the name rules can catch them). The overall
figure (the `all` row: sex's own fits, the variable whose fits find the most) was 444;
the age bands' own fits and pooled shares added up to only 346, and the `unknown` band,
which cannot be fitted on its own (no match of it is caught without the names), kept its
share of the pooled fit: 128. Its recall was estimated 0.758 against a true 0.721, the one
subgroup of the data set over 0.015, and its interval missed. The age bands partition the
records, so their figures are now scaled to the overall one (`unknown` 164, the known bands
62/47/68/54/49 against a true 64/40/69/54/35).
"""
from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import quality_eval  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    case, res, df = quality_eval.case_frame(tmp_path_factory.mktemp("strata_total"), "raised",
                                            "ss_raised")
    out = case.bench.dir / "spinelink_out"
    src = case.bench.source
    print("\n" + df[["group", "true_pairs", "true_recall", "est_recall", "est_recall_low",
                     "est_recall_high", "fl_recall"]].round(4).to_string())
    return case, res, df.set_index("group"), out, src


def _true_never_compared(case, out, src) -> pd.Series:
    """Per age band of the census record: linkable source records that nothing linked to
    their person's census record and whose true pair no rule or key generated."""
    ts = pd.read_csv(case.bench.truth_src, dtype=str)[["record_id", "person_uid"]].dropna()
    tr = pd.read_csv(case.bench.truth_ref, dtype=str)[["record_id", "person_uid"]].dropna()
    true = ts.rename(columns={"record_id": "source_id"}).merge(
        tr.rename(columns={"record_id": "reference_id"}), on="person_uid")
    links = pd.read_parquet(out / "links" / f"{src}.parquet")
    pairs = pd.read_parquet(out / "pairs" / f"{src}.parquet")
    key = ["reference_id", "source_id"]
    linked = true.merge(links[key].astype(str), on=key)["source_id"]
    seen = true.merge(pairs[key].astype(str), on=key)["source_id"]
    never = true[~true["source_id"].isin(linked) & ~true["source_id"].isin(seen)]
    never = never.drop_duplicates("source_id")
    job = quality_eval.yaml.safe_load(case.bench.job.read_text(encoding="utf-8"))
    ref_groups, _ = quality_eval.group_tables(out, job, src)
    band = ref_groups["age_band"].reindex(never["reference_id"]).fillna("unknown")
    return band.value_counts()


def test_every_variable_adds_up_to_the_overall_figure(run):
    _, _, _, out, src = run
    fit = pd.read_parquet(out / "quality" / "fit" / f"{src}.parquet")
    overall = float(fit.loc[fit["variable"] == "all", "never_compared"].iloc[0])
    # blocking misses many matches here (240 in truth since session 44's surname + middle
    # initial block; 336 before it)
    assert overall > 150
    sums = fit[fit["variable"] != "all"].groupby("variable")["never_compared"].sum()
    assert set(sums.index) >= {"sex", "age_band"}
    # before: age_band 346 against the overall 444
    np.testing.assert_allclose(sums.to_numpy(), overall, rtol=1e-6)


def test_the_undated_band_gets_its_never_compared_matches(run):
    case, _, _, out, src = run
    fit = pd.read_parquet(out / "quality" / "fit" / f"{src}.parquet")
    est = fit[fit["variable"] == "age_band"].set_index("value")["never_compared"]
    true = _true_never_compared(case, out, src)
    # 158 when written; 102 since intake reads a date of birth mistyped with day and
    # month swapped or letters for digits (those census records are dated now); 64 since
    # the surname + middle initial block (session 44) compares more of them
    assert true["unknown"] > 50
    # before: 128 against 158 (19% short); now within 10%
    assert abs(est["unknown"] - true["unknown"]) < 0.1 * true["unknown"], \
        (est.round(1).to_dict(), true.to_dict())
    # and the bands' figures are nearer the truth in all (before: 81 off, now about 31)
    assert (est - true.reindex(est.index).fillna(0)).abs().sum() < 50


def test_the_undated_bands_recall_within_the_issues_bound(run):
    _, res, df, _, _ = run
    u = df.loc["age_band=unknown"]
    # a band linked far worse than the others (0.721 when written, 0.751 since session 44's
    # surname + middle initial block)
    assert u["true_pairs"] >= quality_eval.MIN_TRUE and u["true_recall"] < 0.77
    err = abs(u["est_recall"] - u["true_recall"])
    # before: 0.758 against 0.721 (0.037), its interval [0.727, 0.789] missing the truth
    assert err <= quality_eval.TOL, u[["est_recall", "true_recall"]].to_dict()
    assert err < abs(u["fl_recall"] - u["true_recall"])
    t = round(u["true_recall"], 4)
    assert u["est_recall_low"] <= t <= u["est_recall_high"]
    # no subgroup of the data set over the bound now (one before); MAE 0.0048 before
    assert res["summary"]["over_tol"] == 0
    assert res["summary"]["mae_spinelink"] < 0.004
