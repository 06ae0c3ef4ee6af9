"""Disclosure control: primary and secondary suppression, rounding, published tables."""
from __future__ import annotations

import pandas as pd
import pytest

from spinelink.quality import disclosure
from spinelink.quality.per_source import Result
from spinelink.quality.stage import SUBGROUP_COLUMNS, publish


def _cov(rows):
    return pd.DataFrame(rows, columns=["variable", "value", "n_reference", "n_linked"])


@pytest.mark.parametrize("counts, expected", [
    ([50, 40, 30], [False, False, False]),        # nothing small
    ([50, 40, 3], [False, True, True]),           # one small: next-smallest goes too
    ([50, 4, 3], [False, True, True]),            # two small: nothing more to do
    ([50, 40, 0], [False, False, False]),         # zero cells are published
    ([9, 10, 11], [True, True, False]),           # 9 is small, 10 is not; 10 is next
])
def test_primary_and_secondary(counts, expected):
    df = pd.DataFrame({"variable": "v", "value": list("abc"), "n": counts})
    assert disclosure.suppress(df, ["n"], ["variable"], 10, "n").tolist() == expected


def test_total_rows_never_take_secondary_suppression():
    df = pd.DataFrame({"variable": ["all", "v", "v"], "value": ["all", "a", "b"],
                       "n": [100, 97, 3]})
    assert disclosure.suppress(df, ["n"], ["variable"], 10, "n").tolist() == [
        False, True, True]


def test_secondary_is_within_each_group():
    df = pd.DataFrame({"source": ["s1"] * 3 + ["s2"] * 3, "variable": "v",
                       "value": list("abcabc"), "n": [50, 40, 3, 50, 40, 30]})
    got = disclosure.suppress(df, ["n"], ["source", "variable"], 10, "n").tolist()
    assert got == [False, True, True, False, False, False]


def test_rounding_to_base():
    s = pd.Series([0, 1, 2, 3, 7, 8, 12, 13, 1002])
    assert disclosure.round_counts(s, 5).tolist() == [0, 0, 0, 5, 5, 10, 10, 15, 1000]
    assert disclosure.round_counts(s, None).tolist() == s.tolist()


def test_suppress_counts_for_histograms():
    got = disclosure.suppress_counts(pd.Series([100, 5, 40, 60]), 10)
    assert got.isna().tolist() == [False, True, True, False]


def _result(cov):
    est = cov[["variable", "value"]].assign(
        est_precision=0.99, est_precision_low=0.98, est_precision_high=1.0,
        est_recall=0.97, est_recall_low=0.95, est_recall_high=0.99,
        expected_false_links=1.0, expected_linkable=10.0)
    bias = cov[cov["variable"] != "all"].assign(
        n_unlinked=lambda d: d["n_reference"] - d["n_linked"])[
        ["variable", "value", "n_linked", "n_unlinked"]]
    curve = pd.DataFrame({"threshold": [0.5, 0.99], "links": [200, 7],
                          "est_precision": [0.9, 0.99], "est_recall": [0.99, 0.5],
                          "model_precision": [0.95, 1.0]})
    return Result(cov, est, None, bias, curve, {})


def test_publish_blanks_suppressed_rows_and_keeps_the_contract():
    cov = _cov([("all", "all", 330, 250), ("sex", "F", 160, 120), ("sex", "M", 165, 126),
                ("sex", "unknown", 5, 4)])
    tables = publish({"benefits": _result(cov)}, min_cell=10, rounding=None)
    sub = tables["subgroups"]
    assert list(sub.columns) == SUBGROUP_COLUMNS
    by = sub.set_index("value")
    assert bool(by.loc["unknown", "suppressed"]) and bool(by.loc["F", "suppressed"])
    assert not bool(by.loc["M", "suppressed"]) and not bool(by.loc["all", "suppressed"])
    for col in SUBGROUP_COLUMNS[3:14]:
        assert pd.isna(by.loc["unknown", col]) and pd.isna(by.loc["F", col])
    assert by.loc["M", "n_linked"] == 126 and by.loc["M", "basis"] == "model"
    assert tables["curve"]["suppressed"].tolist() == [False, True]
    assert pd.isna(tables["curve"]["links"].iloc[1])
    bias = tables["bias"].set_index("value")
    assert bool(bias.loc["unknown", "suppressed"]) and pd.isna(bias.loc["unknown", "n_linked"])


def test_unlinked_complement_counts_as_a_cell():
    cov = _cov([("all", "all", 400, 300), ("sex", "F", 200, 195), ("sex", "M", 200, 105)])
    sub = publish({"s": _result(cov)}, 10, None)["subgroups"].set_index("value")
    assert bool(sub.loc["F", "suppressed"])  # 5 unlinked women would be revealed


def test_rounding_applies_before_rates():
    cov = _cov([("all", "all", 333, 251), ("sex", "F", 163, 122), ("sex", "M", 170, 129)])
    sub = publish({"s": _result(cov)}, 10, 5)["subgroups"].set_index("value")
    assert sub.loc["F", "n_reference"] == 165 and sub.loc["F", "n_linked"] == 120
    assert sub.loc["F", "link_rate"] == pytest.approx(120 / 165)
