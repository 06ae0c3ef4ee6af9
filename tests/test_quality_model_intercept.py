"""Recall intervals that hold the model's calibration intercept (`spinelink.quality.slope`,
issue 12).

The harness's `ua_names_address` (benchmarks/quality_eval.py: the handmade Ukrainian
register whose records are told apart by names and address alone): the review band's
candidates that the stage did not link are the person's match more often than their
posteriors say in every band of probability (about 239 true against 189 expected), so
the estimated recall is 0.018 over the truth. That is the model's prior odds of a match
off, not its slope: a calibration slope within 1/2 to 2 moves those candidates, most of
them near even odds, by a few matches at most (187 to 220), and the recall interval that
held only the slope missed the truth at the default seed and at each of eight others.
With one intercept drawn per replicate too (the odds within a factor of 2 at 95%) the
interval reaches the truth at the default seed and at most others, and stays informative
(narrower than 0.05). The point estimates do not move.
"""
from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import quality_eval  # noqa: E402
import quality_misses  # noqa: E402

pytestmark = pytest.mark.slow

NAME = "ua_names_address"
SEEDS = range(1, 9)


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    work = tmp_path_factory.mktemp("model_intercept")
    bench = quality_eval._cases(work, "default", 42, 20_000)[NAME]().bench
    args, kwargs = quality_misses._capture(bench.job, bench.dir / "spinelink_out")
    res = quality_eval.evaluate(bench)
    rows = pd.DataFrame(res["rows"])
    rows["group"] = rows["variable"] + "=" + rows["value"]
    print("\n" + rows[["group", "true_recall", "est_recall", "est_recall_low",
                       "est_recall_high", "fl_recall"]].round(4).to_string())
    return bench, args, kwargs, rows.set_index("group"), res["summary"]


def _true_missed_candidates(bench, pr) -> tuple[float, np.ndarray]:
    """The unlinked candidates (one per tie group): true matches among them, and their
    posteriors."""
    t_ref, t_src = (pd.read_csv(p, dtype=str).dropna(subset=["person_uid"])
                    for p in (bench.truth_ref, bench.truth_src))
    uid_ref = t_ref.drop_duplicates("record_id").set_index("record_id")["person_uid"]
    uid_src = t_src.drop_duplicates("record_id").set_index("record_id")["person_uid"]
    same = pd.Series(pr.cand_ref).map(uid_ref).eq(pd.Series(pr.cand_src).map(uid_src))
    linked = np.zeros(len(pr.cand_ref), bool)
    linked[pr.link_group[pr.link_group >= 0]] = True
    unlinked = pr.cands.first & ~linked
    return float(same.to_numpy()[unlinked].sum()), unlinked


def test_the_review_band_is_under_confident_beyond_any_slope(case):
    from spinelink.quality import slope
    from spinelink.quality.calibrate import fit

    bench, args, _, rows, _ = case
    pr, null = args[0], args[1]
    post = fit(pr.cands, null, method="model").posterior
    true_missed, unlinked = _true_missed_candidates(bench, pr)
    tilt = slope.Tilt(pr.cands.rec, pr.cands.first)
    reach = [float(tilt(post, b)[unlinked].sum()) for b in np.geomspace(0.5, 2.0, 9)]
    # the model's expected missed candidates fall short of the true ones by more than 30,
    # at every slope of the stated range
    assert max(reach) < true_missed - 15, (reach, true_missed)
    assert float(post[unlinked].sum()) < true_missed - 30
    a = rows.loc["all=all"]
    assert a["est_recall"] > a["true_recall"] + 0.01  # recall overstated by the model


def _recall_interval(args, kwargs, seed: int, **kw) -> tuple[float, float]:
    import pickle

    from spinelink.quality import labelfree

    a = list(pickle.loads(pickle.dumps(args)))  # `estimate` collapses its input's rows
    a[4] = seed
    r = labelfree.estimate(*a, **{**kwargs, **kw}).rows
    r = r[r["variable"] == "all"].iloc[0]
    return round(float(r["est_recall_low"]), 4), round(float(r["est_recall_high"]), 4)


def test_the_recall_interval_holds_the_truth_and_stays_informative(case):
    _, _, _, rows, summ = case
    a = rows.loc["all=all"]
    t = round(a["true_recall"], 4)  # the harness's rule: subgroups.csv's 4 decimals
    assert a["est_recall_low"] <= t <= a["est_recall_high"], a.to_dict()
    assert a["est_recall_high"] - a["est_recall_low"] < 0.05
    assert a["est_precision_low"] <= round(a["true_precision"], 4) <= a["est_precision_high"]
    assert summ["coverage"] == 1.0
    # the point estimates are the model's, closer than the naive ones
    assert summ["mae_spinelink"] < summ["mae_fl"] < summ["mae_c1"]


def test_the_intercept_reaches_the_truth_where_the_slope_alone_does_not(case):
    _, args, kwargs, rows, _ = case
    t = round(rows.loc["all=all", "true_recall"], 4)
    with_shift = [_recall_interval(args, kwargs, s) for s in SEEDS]
    slope_only = [_recall_interval(args, kwargs, s, shift_sd=0.0) for s in SEEDS]
    print("intercept:", with_shift, "\nslope only:", slope_only, "\ntruth", t)
    covered = sum(lo <= t <= hi for lo, hi in with_shift)
    assert sum(lo <= t <= hi for lo, hi in slope_only) == 0
    assert covered >= 3, with_shift
    # the lower ends move down by more than the bootstrap's own noise between seeds
    assert np.mean([lo for lo, _ in slope_only]) - np.mean([lo for lo, _ in with_shift]) \
        > 0.002
