"""Matches the personal-evidence filter drops before scoring count as missed (issue 12).

pseudopeople's census against its W-2 and 1099 records at default noise (the harness's
`w2_default`, benchmarks/quality_eval.py; data nobody here generated). A W-2 has no date of
birth, so where the first name is at its lowest level (a nickname, a typo, an initial) a
pair has no personal evidence and the linkage drops it as a relative's
(`evidence.personal_evidence`): 85 of the 165 true misses (benchmarks/RESULTS.md, session
49 helper E). No estimator term counted them, and the names-only records' never-compared
figure, the arithmetic middle of Horvitz-Thompson and Chao1, was twice its truth: recall
estimated 0.9882 against a true 0.9818 (main 22c5fd0). The pairs of the records whose every
pair lacked personal evidence are now scored for the estimate (`pairs/no_evidence/`) and
count as candidates the stage did not link (with the dropped pairs of records that kept
other candidates, `kept_others`), and the names-only fallback's point is its
Horvitz-Thompson end.
"""
from __future__ import annotations

import sys

import pandas as pd
import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import quality_eval  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def w2(tmp_path_factory):
    case, res, df = quality_eval.case_frame(tmp_path_factory.mktemp("no_evidence"),
                                            "default", "w2_default")
    print("\n" + df[["group", "true_pairs", "true_recall", "est_recall", "est_recall_low",
                     "est_recall_high", "fl_recall"]].round(4).to_string())
    return case, res, df.set_index("group")


def _person(path) -> dict:
    t = pd.read_csv(path, dtype=str)
    return dict(zip(t["record_id"], t["person_uid"], strict=True))


def test_the_pairs_without_personal_evidence_are_scored_and_hold_true_matches(w2):
    case, _, _ = w2
    out = case.bench.dir / "spinelink_out"
    got = pd.read_parquet(out / "pairs" / "no_evidence" / "w2_1099.parquet")
    got = got[~got["kept_others"].astype(bool)]  # the records without personal evidence
    pairs = pd.read_parquet(out / "pairs" / "w2_1099.parquet")
    ref, src = _person(case.bench.truth_ref), _person(case.bench.truth_src)
    true = [ref.get(str(r)) is not None and ref.get(str(r)) == src.get(str(s))
            for r, s in zip(got["reference_id"], got["source_id"], strict=True)]
    # 73 of the 193 records without personal evidence have their person among these pairs
    # (main: no such file; the records count as having no candidate)
    assert got.groupby("source_id").ngroups > 100 and sum(true) > 50
    # no candidate of the linkage: their records have no pair in the pairs file
    assert not got["source_id"].isin(set(pairs["source_id"])).any()
    assert got["match_weight"].notna().all()


def test_recall_estimate_counts_the_dropped_matches(w2):
    _, res, df = w2
    a = df.loc["all=all"]
    # the premise: a true recall that the constant and the sums miss by 0.018 and 0.014
    assert a["true_recall"] < 0.985
    assert a["c1_err_recall"] > 0.015 and a["fl_err_recall"] > 0.01
    # main: 0.9882 against 0.9818 (0.0064 off); now 0.0004
    assert a["err_recall"] < 0.002 and a["covers_recall"]
    # every subgroup's recall nearer the truth than the sums, and the mean error below
    # both naive estimators' (main: 0.0042 against 0.0077 and 0.0112)
    assert (df["err_recall"] < df["fl_err_recall"]).all()
    assert res["summary"]["mae_spinelink"] < 0.0035
