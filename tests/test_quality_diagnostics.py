"""The quality checks that say when not to trust an estimate (issue 12, item 3)."""
from __future__ import annotations

import pandas as pd

from spinelink.quality.diagnostics import group_checks, source_checks, warnings


def _summary(**over) -> dict:
    s = {"calibration": {"estimates_use": "model", "method": "... checked against the "
                         "leave-partner-out null", "model_expected_false_links": 10.0,
                         "calibrated_expected_false_links": 12.0},
         "deterministic": {"partner_below_review_share": 0.0, "sample": 5000,
                           "rival_scored_above_partner": 1},
         "residual_records": 1000, "residual_with_candidates": 950,
         "blocking": {"between": [3.0, 5.0]}, "overall": {"expected_linkable": 900.0}}
    s.update(over)
    return s


def test_a_run_that_meets_every_assumption_gets_no_warning():
    checks = source_checks(_summary(), n_boot=200)
    assert {c["check"] for c in checks} == {
        "calibration", "deterministic_partners_scored_low", "deterministic_rivals",
        "residual_without_candidates", "never_compared_spread", "bootstrap_replicates"}
    assert all(c["ok"] for c in checks) and warnings(checks) == []


def test_each_failed_assumption_warns_in_plain_words():
    bad = _summary(
        calibration={"estimates_use": "model", "method": "checked against the null",
                     "model_expected_false_links": 4.0, "calibrated_expected_false_links": 40.0},
        deterministic={"partner_below_review_share": 0.03, "sample": 1000,
                       "rival_scored_above_partner": 20},
        residual_with_candidates=500, blocking={"between": [0.0, 60.0]})
    checks = {c["check"]: c for c in source_checks(bad, n_boot=20)}
    assert not any(c["ok"] for c in checks.values())
    assert "precision may be overstated" in checks["calibration"]["warning"]
    assert "3.0% of deterministic links" in checks["deterministic_partners_scored_low"][
        "warning"]
    assert "recall is overstated" in checks["residual_without_candidates"]["warning"]
    assert "between 0 and 60" in checks["never_compared_spread"]["warning"]
    assert "20 bootstrap replicates" in checks["bootstrap_replicates"]["warning"]
    # an under-confident model is named the other way round
    under = _summary(calibration={"estimates_use": "model", "method": "checked",
                                  "model_expected_false_links": 40.0,
                                  "calibrated_expected_false_links": 4.0})
    cal = [c for c in source_checks(under, 200) if c["check"] == "calibration"][0]
    assert "understated" in cal["warning"]


def test_no_calibration_check_when_the_estimate_is_the_check_itself():
    s = _summary(calibration={"estimates_use": "null", "method": "leave-partner-out null",
                              "model_expected_false_links": 1.0,
                              "calibrated_expected_false_links": 90.0})
    assert "calibration" not in {c["check"] for c in source_checks(s, 200)}


def test_groups_with_many_unknown_values_and_wide_intervals_are_named():
    rows = pd.DataFrame({
        "variable": ["all", "sex", "sex", "sex", "region", "region"],
        "value": ["all", "F", "M", "unknown", "North", "South"],
        "n_reference": [1000, 450, 450, 100, 600, 400],
        "est_recall_low": [0.95, 0.94, 0.95, 0.70, 0.95, 0.94],
        "est_recall_high": [0.97, 0.97, 0.97, 0.95, 0.97, 0.97],
        "est_precision_low": [0.99] * 6, "est_precision_high": [1.0] * 6})
    checks = {c["check"]: c for c in group_checks(rows)}
    assert not checks["unknown_sex"]["ok"] and checks["unknown_sex"]["value"] == 0.1
    assert "10% of records have no sex" in checks["unknown_sex"]["warning"]
    assert checks["unknown_region"]["ok"]
    assert not checks["wide_intervals_share"]["ok"]
    assert "1 subgroup estimate(s)" in checks["wide_intervals_share"]["warning"]


def test_records_without_personal_evidence_bound_the_recall():
    from spinelink.quality.summary import _recall_floor

    overall = {"expected_linkable": 900.0, "est_recall": 0.95}
    assert _recall_floor(overall, 0) == 0.95
    floor = _recall_floor(overall, 100)  # 855 found; 1000 linkable if all 100 were matches
    assert floor == 0.855
    s = _summary(overall={"expected_linkable": 900.0, "est_recall": 0.95,
                          "est_recall_floor": floor},
                 records_without_personal_evidence=100)
    check = [c for c in source_checks(s, 200)
             if c["check"] == "records_without_personal_evidence"][0]
    assert not check["ok"] and check["value"] == 0.095
    assert "100 source records" in check["warning"] and "0.855" in check["warning"]
