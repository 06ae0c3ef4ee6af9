"""The label-free estimate against the truth and both naive estimators where they differ
(issue 12, item 4).

pseudopeople's census against its WIC records at raised noise (the harness's
`wic_raised`, benchmarks/quality_eval.py; data nobody here generated): about 700 true
pairs, mostly mothers and infants, a true recall near 0.96. A constant 1.0 is 0.04 off
every recall, and the fastLink-style sums (each record's best candidate alone) miss the
matches among a record's other candidates and the never-compared ones, about 0.01 off.
The estimate is nearer the truth than both (than the sums by a clear margin), every
interval holds the truth, and the recall interval stays under 0.13 wide (the
never-compared matches of a 700-pair source: 3 expected, 0 to 7 in the draws).
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
    _, res, df = quality_eval.case_frame(tmp_path_factory.mktemp("naive_wic"), "raised",
                                         "wic_raised")
    print("\n" + df[["group", "true_pairs", "true_recall", "est_recall", "fl_recall",
                     "true_precision", "est_precision", "fl_precision"]].round(4).to_string())
    return df.set_index("group"), res["summary"]


def test_recall_nearer_the_truth_than_both_naive_estimators(rows):
    df, _ = rows
    assert len(df) >= 3 and (df["true_pairs"] >= quality_eval.MIN_TRUE).all()
    a = df.loc["all=all"]
    # the premise: the constant is far off (s36 main: 0.040; s50: 0.0375)
    assert a["true_recall"] < 0.97
    assert a["c1_err_recall"] > 0.03
    # the estimate: 0.0094 off (0.969 against 0.960); s50: 0.0072 (0.9697 against 0.9625)
    assert a["err_recall"] < 0.011
    # and the sums, which count each record's best candidate alone, stand above the
    # estimate by the matches among a record's other candidates and the never-compared
    # ones: nearer the truth by a clear margin (s36 main: 0.013 against 0.0094; s49 main
    # 0.0117 against 0.0088; s50, one more true link found, the truth 0.0015 higher and
    # both estimates where they were: 0.0103 against 0.0072). A naive estimator standing
    # where the sums stand fails here whatever the truth; the premise was `the sums more
    # than 0.011 off`, a bound the truth moved across (benchmarks/RESULTS.md, session 50)
    assert a["fl_err_recall"] - a["err_recall"] > 0.0025
    assert (df["err_recall"] < df["c1_err_recall"] / 2).all()


def test_mean_error_below_both_and_every_interval_holds_the_truth(rows):
    df, summ = rows
    # s36 main: 0.0053 against the sums' 0.0068 and the constant's 0.0221
    assert summ["mae_spinelink"] < summ["mae_fl"] < summ["mae_c1"]
    assert summ["mae_spinelink"] < 0.0062
    assert summ["coverage"] == 1.0 and summ["over_tol"] == 0
    assert ((df["est_recall_high"] - df["est_recall_low"]) < 0.13).all()
