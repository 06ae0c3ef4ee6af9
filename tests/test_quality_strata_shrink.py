"""Never-compared matches placed in subgroups by own fits shrunk toward the pooled fit
(`spinelink.quality.recapture_strata`, issue 12).

pseudopeople's census against its W-2/1099 file at raised noise (data nobody here
generated; the harness's `w2_raised`, benchmarks/quality_eval.py): the file has names and
address but no date of birth, so how a pair fails blocking has nothing to do with the
census record's age band. Each age band's own capture-recapture fit rests on a few hundred
caught matches with rare patterns: its bootstrap standard deviation is 34 to 99 matches on
figures of 47 to 120, and the own fits put the never-compared matches in the wrong bands
(18-29: 120 placed where 71 were; 30-49: 84 where 128 were). Recall was 0.023, 0.018 and
0.022 off in three of the eight subgroups with at least 300 true pairs. Shrunk toward the
pooled placement by their noise (empirical Bayes), with the total the own fits find kept,
every subgroup's recall is within 0.015 of the truth, the intervals still cover, and the
estimates beat a constant 1.0 and the fastLink-style sums.
"""
from __future__ import annotations

import sys

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import quality_eval  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    case, res, df = quality_eval.case_frame(tmp_path_factory.mktemp("strata_shrink"),
                                            "raised", "w2_raised")
    print("\n" + df[["group", "true_pairs", "true_recall", "est_recall", "est_recall_low",
                     "est_recall_high", "fl_recall"]].round(4).to_string())
    return df.set_index("group"), res["summary"]


def test_recall_is_well_below_one_here(rows):
    df, _ = rows
    assert len(df) >= 7 and (df["true_pairs"] >= quality_eval.MIN_TRUE).all()
    # a constant 1.0 is more than three times the issue's bound off in every subgroup
    # (true recall below 0.94 when written; 0.932 to 0.949 since a record joins the unit
    # its SSN's other forms are linked to, spinelink.shared_identifiers)
    assert (1 - df["true_recall"] > 3 * quality_eval.TOL).all(), df["true_recall"].to_dict()


# census records without a date of birth: 586 true pairs, 0.004 off when written; since
# intake reads a date mistyped with day and month swapped or letters for digits, 227 of
# them are dated and the band left (359 pairs) is estimated 0.910 against a true 0.936
# (its interval [0.744, 0.980] covers). It was 0.019 off (0.923 against 0.942) until
# session 43 helper C: the names-only records' Chao1 top-up (`recapture_fallback`) had been
# placed on their one-rule catches, 22% of them in this file's 18-29 band against 13-19% of
# the true never-compared and evidence-dropped matches; spread over their likely matches
# it is 0.014 off.
UNDATED = "age_band=unknown"


def test_every_dated_subgroup_recall_within_the_issues_bound(rows):
    df, _ = rows
    df = df.drop(index=UNDATED)
    err = (df["est_recall"] - df["true_recall"]).abs()
    assert (err <= quality_eval.TOL).all(), err[err > quality_eval.TOL].round(4).to_dict()
    # and nearer than the fastLink-style sums in every subgroup
    assert (err < (df["fl_recall"] - df["true_recall"]).abs()).all()


def test_the_undated_band_within_the_issues_bound(rows):
    df, summ = rows
    u = df.loc[UNDATED]
    assert abs(u["est_recall"] - u["true_recall"]) <= quality_eval.TOL
    assert summ["over_tol"] == 0


def test_intervals_cover_and_the_naive_estimators_lose(rows):
    df, summ = rows
    t = df["true_recall"].round(4)
    missed = df[(t < df["est_recall_low"]) | (t > df["est_recall_high"])]
    assert missed.empty, missed[["true_recall", "est_recall_low",
                                 "est_recall_high"]].to_dict("index")
    assert summ["over_tol"] == 0
    assert summ["mae_spinelink"] < 0.5 * summ["mae_fl"] < summ["mae_c1"]
