"""Probabilistic links a generation apart (`quality.generation_apart`, issue 12): a son
linked to his father's record of one name and address at p 0.9999 (the generator's
`generated` holds four such links, all false: session 52 helper E). The outcome draw
never questions them, so a subgroup holding them has its precision interval at 1.0 while
its truth is lower. The term reads both records' dates of birth from the standardised
tables (as the quality stage does), finds the links more than 12 years apart, and each
bootstrap replicate draws them wrong also with a share q ~ Beta(0.5, 0.5) on a stream of
its own: the subgroup's interval then holds its truth, the points and every other
subgroup's interval are as they were.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spinelink.backends.duckdb_engine import DuckDBEngine
from spinelink.quality import generation_apart, labelfree

N, N_A = 400, 100      # links; the first N_A are subgroup A's, the rest B's
APART = [3, 17, 42, 88]  # subgroup A's links a generation apart (all false here)


def _tables():
    dob_ref = ["1985-06-01"] * N
    dob_src = list(dob_ref)
    dates = [("2009-03-14", "1967-03-14"), ("2011-05-02", "1973-11-30"),
             ("1983-06-09", "1971-01-09"), ("2010-07-07", "1994-07-07")]
    for i, (r, s) in zip(APART, dates, strict=True):
        dob_ref[i], dob_src[i] = r, s
    dob_ref[5], dob_src[5] = "1980-01-01", "1990-01-01"   # ten years: a typo, not apart
    dob_ref[7], dob_src[7] = "1967-08-12", "1987-08-12"   # one digit: a typo, not apart
    dob_ref[6], dob_src[6] = "1980-01-01", None           # a date missing: not read
    dob_ref[150], dob_src[150] = "1962-04-04", "1982-04-04"  # B: a deterministic link
    ref = pd.DataFrame({"record_id": [f"r{i:03d}" for i in range(N)], "dob_iso": dob_ref})
    src = pd.DataFrame({"record_id": [f"s{i:03d}" for i in range(N)], "dob_iso": dob_src})
    links = pd.DataFrame({"reference_id": ref["record_id"], "source_id": src["record_id"],
                          "method": ["probabilistic"] * N, "match_probability": 0.9999})
    links.loc[150, "method"] = "direct:nino"
    prob = links["method"] == "probabilistic"
    pairs = links[prob][["reference_id", "source_id", "match_probability"]].assign(
        match_weight=np.log2(0.9999 / 0.0001))
    return ref, src, links, pairs


def _estimate(with_term: bool, tmp_path, seed: int = 42):
    ref, src, links, pairs = _tables()
    engine = DuckDBEngine(threads=1)
    engine.register("ref_std", ref)
    engine.register("src_std", src)
    prep = labelfree.prepare(labelfree.SourceData(links, pairs, int(len(pairs)), None))
    got = generation_apart.mark(engine, tmp_path, "census", "benefits",
                                {"ref": "ref_std", "src": "src_std"}, links, prep)
    if not with_term:
        prep.generation = None
    group = np.where(np.arange(N) < N_A, 0, 1)
    by_src = pd.Series(group, index=links["source_id"].to_numpy())
    bds = [labelfree.Breakdown("all", ["all"], np.zeros(N, int),
                               np.zeros(len(prep.cand_src), int)),
           labelfree.Breakdown("grp", ["A", "B"], group,
                               by_src.reindex(prep.cand_src).to_numpy(int))]
    est = labelfree.estimate(prep, None, bds, 400, seed, "model")
    return got, est.rows.set_index(["variable", "value"])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("generation_apart")
    return _estimate(True, tmp), _estimate(False, tmp)


def test_the_links_a_generation_apart_are_read_from_the_dates(runs):
    (got, _), _ = runs
    # more than 12 years apart, probabilistic: not the ten-year typo, the one-digit typo 20
    # years apart, the missing date or the deterministic link 20 years apart; 1983 / 1971
    # (12 years and five months) is apart
    assert got is not None and got.at.tolist() == APART


def test_without_a_date_of_birth_there_is_no_term(tmp_path):
    ref, src, links, pairs = _tables()
    engine = DuckDBEngine(threads=1)
    engine.register("ref_std", ref)
    engine.register("src_std", src.drop(columns="dob_iso"))
    prep = labelfree.prepare(labelfree.SourceData(links, pairs, int(len(pairs)), None))
    assert generation_apart.mark(engine, tmp_path, "census", "benefits",
                                 {"ref": "ref_std", "src": "src_std"}, links, prep) is None
    assert prep.generation is None


def test_the_interval_holds_the_generation_apart_false_links(runs):
    (_, with_term), (_, without) = runs
    truth = 1 - len(APART) / N_A  # all four false: 0.96
    # the premise: the draw alone never questions them
    assert without.loc[("grp", "A"), "est_precision_low"] > truth + 0.02
    assert with_term.loc[("grp", "A"), "est_precision_low"] <= truth + 1e-12
    assert with_term.loc[("grp", "A"), "est_precision_high"] >= truth


def test_the_points_and_the_other_subgroups_are_unchanged(runs):
    (_, with_term), (_, without) = runs
    pd.testing.assert_frame_equal(with_term.loc[[("grp", "B")]], without.loc[[("grp", "B")]])
    for c in ("est_precision", "est_recall", "expected_false_links", "expected_linkable"):
        np.testing.assert_array_equal(with_term[c].to_numpy(), without[c].to_numpy())


def test_links_5_to_12_years_apart_bound_the_share_of_relatives():
    """True links a generation apart carry another person's date and come with links 5 to
    12 years apart in the ratio of two persons' years of birth (pseudopeople's ss_default:
    21 and 119, 116 of them true): they are taken as true, the share drawn bounded by the
    rest; with none near (`generated`: 0 and 4, all false) the share is the prior's."""
    at = np.arange(119)
    rng = np.random.default_rng(0)
    alone = np.mean([generation_apart.Draw(at[:4], 0, 4.6)(rng).mean() for _ in range(4000)])
    near = np.mean([generation_apart.Draw(at, 21, 4.6)(rng).mean() for _ in range(4000)])
    many = np.mean([generation_apart.Draw(at, 53, 4.6)(rng).mean() for _ in range(4000)])
    assert 0.2 < alone < 0.4   # Jeffreys' mean 0.5 times 1 - 4.6 * Gamma(0.5) / 4, over 0
    assert 0.03 < near < 0.15          # bounded near 1 - 4.6 * 21.5 / 119
    assert many < 0.01                 # 4.6 * 53 explains every link apart


def test_the_gap_ratio_is_that_of_two_records_drawn_from_the_years_of_birth():
    years = pd.DataFrame({"y": np.arange(1920, 2020), "n": 10})  # 100 years, flat
    lags = np.abs(np.subtract.outer(np.arange(100), np.arange(100)))
    want = (lags > 12).sum() / ((lags > 5) & (lags <= 12)).sum()
    assert generation_apart.ratio(years) == pytest.approx(want)
    assert generation_apart.ratio(years.iloc[:3]) == 0.0  # no pair 6 to 12 years apart
