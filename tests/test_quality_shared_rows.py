"""A source with several rows per person: the shared units' two readings (issue 12).

pseudopeople's census against its social security records at raised noise (data nobody
here generated; the harness's `ss_raised`, benchmarks/quality_eval.py). About 190 persons
have two rows, each with errors of its own, and both rows link to the person's census
record: 59 reference units carry two links, 7 of them false. Read with one source row as
the person's clean rendering, two noisy rows agree too little with each other and the
shared units expect 13.8 false links; with the census record also a rendering (the
reading `quality.shared` adds) 9.4. Every shared link's false odds the stage cannot tell
apart by labels, so half the bootstrap replicates take each reading: the precision
intervals, whose upper ends stopped below the truth in 6 of the 9 subgroups with at least
300 true pairs, now reach it in all but three (by under 0.2 half-widths), under 0.075 wide; the
point estimates stay the first reading's.
"""
from __future__ import annotations

import json
import sys

import pandas as pd
import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import quality_eval  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    case, res, df = quality_eval.case_frame(tmp_path_factory.mktemp("shared_rows"), "raised",
                                            "ss_raised")
    print("\n" + df[["group", "true_pairs", "true_precision", "est_precision",
                     "est_precision_low", "est_precision_high"]].round(4).to_string())
    out = case.bench.dir / "spinelink_out"
    summ = json.loads((out / "quality" / "summary.json").read_text())
    shared = summ["sources"][case.bench.source]["shared_units"]
    links = pd.read_parquet(out / "links" / f"{case.bench.source}.parquet")
    truth_src = pd.read_csv(case.bench.truth_src, dtype=str)
    truth_ref = pd.read_csv(case.bench.truth_ref, dtype=str)
    return df.set_index("group"), res["summary"], shared, links, truth_src, truth_ref, out


def test_both_rows_of_a_person_link_to_one_unit(run):
    _, _, shared, links, ts, tr, _ = run
    person_s = dict(zip(ts["record_id"], ts["person_uid"], strict=True))
    person_r = dict(zip(tr["record_id"], tr["person_uid"], strict=True))
    lk = links.astype({"reference_id": str, "source_id": str})
    on = lk[lk["reference_id"].duplicated(keep=False)]
    false = sum(person_s.get(s) != person_r.get(r)
                for s, r in zip(on["source_id"], on["reference_id"], strict=True))
    assert shared["units"] >= 40 and shared["links"] == len(on)
    # the first reading over-counts the false links there; the reference record as a
    # rendering is nearer the truth (session 33: 13.8 and 9.4 expected against 7 false;
    # session 34, with the taken reference records a class of their own in the record
    # model, 2 of those false links are gone: 7.27 and 4.87 against 5; session 44, with the
    # surname + middle initial block linking more of the set's true pairs: 6.54 and 4.64
    # against 5)
    two, three = shared["expected_false_links"], shared["expected_false_links_reference_rendering"]
    assert two > false + 1
    assert abs(three - false) < abs(two - false) - 1


def test_precision_intervals_reach_the_truth(run):
    df, _, _, _, _, _, _ = run
    assert len(df) >= 8 and (df["true_pairs"] >= quality_eval.MIN_TRUE).all()
    lo, hi = df["est_precision_low"], df["est_precision_high"]
    t = df["true_precision"].round(4)  # the harness's rule: subgroups.csv's 4 decimals
    covered = (lo <= t) & (t <= hi)
    assert covered.sum() >= 6, df.loc[~covered, ["true_precision", "est_precision_high"]]
    # where one still misses, the truth is within a fifth of a half-width of its end
    # (0.07 when written; 0.14 since the surname key joins particles, which moved one of
    # ss_raised's links to a key)
    half = (hi - lo) / 2
    gap = ((t - hi).clip(lower=0) + (lo - t).clip(lower=0)) / half
    assert (gap < 0.2).all(), gap.max()
    # informative: unknown age, the smallest subgroup, 0.059 when written, 0.069 since the
    # surname key joins particles
    assert ((hi - lo) < 0.075).all(), (hi - lo).max()


def test_point_estimates_keep_the_first_reading(run):
    _, summ, _, _, _, _, _ = run
    assert summ["mae_spinelink"] < summ["mae_fl"] < summ["mae_c1"]
    # 0.0049 when written; 0.0051 when a record born after the reference date was no
    # longer linked to an undated reference record (three social security dates mistyped
    # into 2022-2038 lost their true links, which the estimate could not see); 0.0048
    # since those pairs count as possible misses (`quality.born_after`); the naive
    # estimators' are 0.029 (fastLink-style) and 0.039 (a constant 1.0)
    assert summ["mae_spinelink"] < 0.005


def test_true_links_the_born_after_rule_set_aside_count_as_misses(run):
    """The true pairs the born-after rule kept from being candidates (a date of birth
    mistyped into the future against an undated census record) are scored, set aside,
    and counted by the quality stage as misses at nearly their model odds: Social
    Security has few records born after census day (136 of 16,497), and a fifth of them
    link to a dated census record, so the date says little. The undated census records
    are the `unknown` age band, whose recall estimate comes nearer its truth (0.721)."""
    df, _, _, _, ts, tr, out = run
    from spinelink.quality import per_source

    person_s = dict(zip(ts["record_id"], ts["person_uid"], strict=True))
    person_r = dict(zip(tr["record_id"], tr["person_uid"], strict=True))
    apart = pd.read_parquet(out / "pairs" / "born_apart" / "social_security.parquet")
    true = [person_s.get(str(s)) == person_r.get(str(r))
            for s, r in zip(apart["source_id"], apart["reference_id"], strict=True)]
    # three when written; one since intake reads a date mistyped with day and month
    # swapped or letters for digits (two of the three are in the past when so read)
    assert sum(true) >= 1
    manifest = json.loads((out / "run_manifest.json").read_text())
    info = manifest["links"]["social_security"]
    pairs = pd.read_parquet(out / "pairs" / "social_security.parquet")
    cands = per_source._with_born_apart(out, "social_security", pairs, info,
                                        info["accounting"])
    added = cands.iloc[len(pairs):].astype({"reference_id": str, "source_id": str})
    key = apart.astype({"reference_id": str, "source_id": str}).assign(true=true)
    got = key.merge(added, on=["reference_id", "source_id"])
    assert len(got) == len(apart)
    # the true pairs are possible misses at nearly their odds; the expected misses added
    # are within one of the true ones
    assert (got.loc[got["true"], "match_probability"] > 0.9).all()
    assert abs(got["match_probability"].sum() - sum(true)) < 1
    # every record's probabilities still add up to at most one
    one = cands.drop_duplicates(["source_id", "person_ref"])
    assert one.groupby("source_id")["match_probability"].sum().max() <= 1 + 1e-9
    unknown = df.loc["age_band=unknown"]
    # 0.7641 before (the three invisible), 0.7579 since; truth 0.7208
    assert unknown["est_recall"] < 0.760
