"""The matches a blocking rule held that reached neither the scored pairs nor the
no-evidence records' pairs, counted as a term of their own (issue 12).

pseudopeople's census against its W-2 and 1099 records at raised noise (the harness's
`w2_raised`, benchmarks/quality_eval.py, noise seed 42; data nobody here generated). A W-2
has no date of birth: where the true pair's first name is at its lowest level the pair has
no personal evidence and `evidence.personal_evidence` drops it, and when another pair of the
record had some the record keeps that pair and loses its match (101 true matches at seed 42,
89-120 a set and seed: benchmarks/RESULTS.md, session 53 helper C). On main no term counted
them; the names-only fallback's Chao1 top-up stood in for them and for the no-evidence
records' matches (main's never-compared figure 380 less 65 found through a shared
identifier, against about 100 that neither file reaches). They are now written to
`pairs/no_evidence/` (`kept_others`) and counted as candidates not linked, and the fallback's
point is its Horvitz-Thompson end: each term near its own truth.
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
def w2(tmp_path_factory):
    case, res, df = quality_eval.case_frame(tmp_path_factory.mktemp("dropped_pairs"),
                                            "raised", "w2_raised")
    return case, res, df.set_index("group")


def _person(path) -> dict:
    t = pd.read_csv(path, dtype=str)
    return dict(zip(t["record_id"], t["person_uid"], strict=True))


def _true(frame, ref, src):
    return [ref.get(str(r)) is not None and ref.get(str(r)) == src.get(str(s))
            for r, s in zip(frame["reference_id"], frame["source_id"], strict=True)]


def test_each_term_of_the_misses_a_rule_held_is_near_its_truth(w2):
    case, _, _ = w2
    out = case.bench.dir / "spinelink_out"
    ref, src = _person(case.bench.truth_ref), _person(case.bench.truth_src)
    links = pd.read_parquet(out / "links" / "w2_1099.parquet")
    found = set(links.loc[_true(links, ref, src), "source_id"].astype(str))
    linked = set(links["source_id"].astype(str))
    scored = pd.read_parquet(out / "pairs" / "w2_1099.parquet")
    dropped = pd.read_parquet(out / "pairs" / "no_evidence" / "w2_1099.parquet")
    others = dropped[dropped["kept_others"].astype(bool)]
    # their records kept other candidates: every one is in the scored pairs
    assert others["source_id"].isin(set(scored["source_id"])).all()
    # the new kind holds true matches of unlinked records no other file holds (101)
    held = set(others.loc[_true(others, ref, src), "source_id"].astype(str)) - linked
    assert len(held) > 60
    # the never-compared figure, net of the matches found since through a shared identifier,
    # against the linkable records whose true pair no file holds (93 against 101 at seed 42;
    # main: 315, three times the truth, standing in for the dropped kinds)
    refp = set(ref.values())
    linkable = {s for s, u in src.items() if u in refp}
    reached = set(scored.loc[_true(scored, ref, src), "source_id"].astype(str)) | set(
        dropped.loc[_true(dropped, ref, src), "source_id"].astype(str))
    truth = len(linkable - found - reached)
    blk = json.loads((out / "quality" / "summary.json").read_text())[
        "sources"]["w2_1099"]["blocking"]
    net = blk["expected_matches_never_compared"] - blk[
        "of_them_found_through_a_shared_identifier"]
    print(f"\nnever compared, net: {net:.1f} against {truth}; dropped kind: {len(held)} true")
    assert abs(net - truth) < 0.3 * truth


def test_the_overall_recall_is_near_its_truth(w2):
    _, res, df = w2
    a = df.loc["all=all"]
    # seed 42: 0.9385 against 0.9385 (the no-evidence term with main's fallback: -0.0155)
    assert abs(a["est_recall"] - a["true_recall"]) < 0.005 and a["covers_recall"]
    assert res["summary"]["mae_spinelink"] < 0.006
