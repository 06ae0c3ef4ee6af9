"""Intervals that hold what the relatives terms leave out (issue 12): the co-twin term's
own uncertainty (`quality.twins.Draw`) and the relatives rule read on the candidates the
stage did not link (`quality.named_apart`).

The hand-made Ukrainian register with one of each pair of look-alike relatives taken out
(the harness's `ua_missed_relatives`, benchmarks/quality_eval.py): the admin file still
holds both, so the absent twin's record links to the co-twin's register record, every
field but the first name agreeing, at p 0.99 to 1.0. The co-twin term (`quality.twins`)
gives such links a chance from the reference's co-twin share, which a register that
missed the look-alikes holds almost none of (0.0007 against 0.04 on the register before
the removal), so the point expects 0.05 false links of the kind where 6 are. Its rates are
shares of small counts and the reference's share is only one file's reading: a bootstrap
replicate draws each from its counts and half of them take the larger of the reference's
and the source's co-twin shares. The women's precision interval then holds the truth (on
main it missed it by 1.03 half-widths). On the recall side the absent relatives' own
records stay unlinked beside their relative's link, each a candidate on that unit at p 0.35
to 0.75 (the record model's claimed class cannot tell a relative from the person held
twice): 8.5 expected missed matches, 1 true. Read also as the relatives rule names them,
the overall and the men's recall intervals hold the truth (on main they missed by 0.44 and
0.47 half-widths). Every interval stays narrower than 0.015; the points are the model's.
"""
from __future__ import annotations

import sys

import numpy as np
import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import quality_eval  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    c, res, df = quality_eval.case_frame(tmp_path_factory.mktemp("twin_draw"), "default",
                                         "ua_missed_relatives")
    print("\n" + df[["group", "links", "true_precision", "est_precision",
                     "est_precision_low", "est_precision_high"]].round(4).to_string())
    return c, res, df.set_index("group")


def test_the_point_misses_the_absent_co_twins(case):
    """The premise: the reference's share expects almost none of the kind's false links."""
    _, res, _ = case
    tw = res["diagnostics"]["twins"]
    assert tw["links"] >= 8 and tw["expected_false_links"] < 0.5
    # the source holds the co-twins the reference lacks
    assert tw["source_twin_share"] > 10 * tw["reference_twin_share"]


@pytest.mark.parametrize("measure", ["precision", "recall"])
def test_every_interval_covers_the_truth_and_stays_informative(case, measure):
    _, _, df = case
    lo, hi = df[f"est_{measure}_low"], df[f"est_{measure}_high"]
    t = df[f"true_{measure}"].round(4)  # the harness's rule
    missed = df[(t < lo) | (t > hi)]
    assert missed.empty, missed[[f"true_{measure}", f"est_{measure}_low",
                                 f"est_{measure}_high"]].to_dict("index")
    # informative: the widest on main was 0.0094 (65+ recall), with both readings 0.011
    assert ((hi - lo) < 0.015).all(), (hi - lo).max()
    assert np.isfinite(df[f"est_{measure}"]).all()


def test_the_points_stay_closer_than_the_probability_sums(case):
    """The readings move the intervals only: the MAE is below the fastLink-style sums'."""
    _, res, _ = case
    s = res["summary"]
    assert s["mae_spinelink"] < s["mae_fl"]
