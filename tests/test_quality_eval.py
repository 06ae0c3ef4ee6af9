"""The quality evaluation harness's own scoring (benchmarks/quality_eval.py): true precision
and recall per subgroup, the naive estimators, errors, coverage and the summary, on tiny
hand-made tables with known answers (no spinelink run)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import quality_eval  # noqa: E402

# p1 is twice in the reference (r1, r2); s4's person p9 has no reference record; r5 has
# no sex (unknown); s5 has no candidate pair.
TRUTH_REF = pd.DataFrame({"record_id": ["r1", "r2", "r3", "r4", "r5"],
                          "person_uid": ["p1", "p1", "p2", "p3", "p4"]})
TRUTH_SRC = pd.DataFrame({"record_id": ["s1", "s2", "s3", "s4", "s5"],
                          "person_uid": ["p1", "p2", "p3", "p9", "p4"]})
REF_GROUPS = pd.DataFrame({"sex": ["F", "M", "F", "M"]},
                          index=pd.Index(["r1", "r2", "r3", "r4"], name="record_id"))
SRC_GROUPS = pd.DataFrame({"kind": ["a", "a", "b", "b", "b"]},
                          index=pd.Index(["s1", "s2", "s3", "s4", "s5"], name="record_id"))
# s1 right (deterministic, to r2 of p1); s2 and s4 wrong (probabilistic)
LINKS = pd.DataFrame({"reference_id": ["r2", "r4", "r3"], "source_id": ["s1", "s2", "s4"],
                      "method": ["key:names_dob", "probabilistic", "probabilistic"],
                      "match_probability": [np.nan, 0.8, 0.6]})
PAIRS = pd.DataFrame({"reference_id": ["r4", "r3", "r3", "r4", "r1"],
                      "source_id": ["s2", "s2", "s4", "s3", "s3"],
                      "match_probability": [0.8, 0.3, 0.6, 0.4, 0.1]})


def _by(df: pd.DataFrame) -> dict:
    return {(r["variable"], r["value"]): r for r in df.to_dict("records")}


def test_true_rates_by_reference_group():
    t = _by(quality_eval.true_rates(LINKS, TRUTH_REF, TRUTH_SRC, REF_GROUPS))
    a = t[("all", "all")]
    assert (a["links"], a["true_pairs"], a["linkable"]) == (3, 5, 4)
    assert a["true_precision"] == pytest.approx(1 / 3)
    assert a["true_recall"] == pytest.approx(1 / 4)
    # s1 is found through r2 (M), not its person's first reference record r1 (F)
    m, f, u = t[("sex", "M")], t[("sex", "F")], t[("sex", "unknown")]
    assert (m["true_pairs"], m["linkable"], m["links"]) == (2, 2, 2)
    assert m["true_precision"] == 0.5 and m["true_recall"] == 0.5
    assert (f["true_pairs"], f["linkable"], f["links"]) == (2, 1, 1)
    assert f["true_precision"] == 0.0 and f["true_recall"] == 0.0
    assert (u["true_pairs"], u["linkable"], u["links"]) == (1, 1, 0)
    assert np.isnan(u["true_precision"]) and u["true_recall"] == 0.0


def test_true_rates_by_source_only_variable():
    t = _by(quality_eval.true_rates(LINKS, TRUTH_REF, TRUTH_SRC, REF_GROUPS, SRC_GROUPS))
    assert t[("kind", "a")]["true_precision"] == 0.5 and t[("kind", "a")]["true_recall"] == 0.5
    assert t[("kind", "b")]["true_precision"] == 0.0 and t[("kind", "b")]["true_recall"] == 0.0
    assert t[("kind", "b")]["linkable"] == 2 and t[("kind", "b")]["true_pairs"] == 2


def test_fastlink_style_sums():
    n = _by(quality_eval.naive_rates(LINKS, PAIRS, REF_GROUPS, SRC_GROUPS))
    # precision: mean p of links, the deterministic link at 1
    assert n[("all", "all")]["fl_precision"] == pytest.approx((1 + 0.8 + 0.6) / 3)
    assert n[("sex", "M")]["fl_precision"] == pytest.approx(0.9)
    assert n[("sex", "F")]["fl_precision"] == pytest.approx(0.6)
    # recall: found (best link p) over expected (max of it and the best candidate p);
    # s3 is unlinked with best candidate r4 at 0.4, s5 has nothing and counts 0
    assert n[("all", "all")]["fl_recall"] == pytest.approx(2.4 / 2.8)
    assert n[("sex", "M")]["fl_recall"] == pytest.approx(1.8 / 2.2)
    assert n[("sex", "F")]["fl_recall"] == pytest.approx(1.0)
    assert n[("kind", "b")]["fl_recall"] == pytest.approx(0.6 / 1.0)


def test_compare_rows_and_summary():
    # `one`: a single value for every reference record, the same group as `all`
    groups = REF_GROUPS.reindex(TRUTH_REF["record_id"]).assign(one="x")
    truth = quality_eval.true_rates(LINKS, TRUTH_REF, TRUTH_SRC, groups)
    naive = quality_eval.naive_rates(LINKS, PAIRS, groups)
    est = pd.DataFrame({"variable": ["all", "sex", "sex"], "value": ["all", "M", "F"],
                        "est_precision": [0.30, 0.5, 0.2], "est_precision_low": [0.25, 0.4, 0.1],
                        "est_precision_high": [0.3333, 0.6, 0.3],
                        "est_recall": [0.5, 0.45, 0.0], "est_recall_low": [0.4, 0.3, 0.0],
                        "est_recall_high": [0.6, 0.55, 0.05]})
    rows = quality_eval.compare_rows(est, truth, naive, min_true=2)
    assert rows[["variable", "value"]].values.tolist() == [["all", "all"], ["sex", "F"],
                                                           ["sex", "M"]]
    r = _by(rows)
    a, f, m = r[("all", "all")], r[("sex", "F")], r[("sex", "M")]
    assert a["err_precision"] == pytest.approx(1 / 3 - 0.30)
    assert a["covers_precision"]  # 0.3333 is 1/3 at subgroups.csv's 4 decimals
    assert not a["covers_recall"]  # 0.25 outside [0.4, 0.6]
    assert a["c1_err_recall"] == pytest.approx(0.75)
    assert a["fl_err_precision"] == pytest.approx(0.8 - 1 / 3)
    assert not f["covers_precision"] and f["covers_recall"]
    assert m["err_recall"] == pytest.approx(0.05)
    s = quality_eval.summarise(rows, tol=0.1)
    assert (s["subgroups"], s["estimates"], s["intervals"]) == (3, 6, 6)
    assert s["coverage"] == pytest.approx(4 / 6)
    assert s["mae_spinelink"] == pytest.approx(
        np.mean([1 / 3 - 0.3, 0.2, 0.0, 0.25, 0.0, 0.05]))
    assert s["mae_c1"] == pytest.approx(np.mean([2 / 3, 1.0, 0.5, 0.75, 1.0, 0.5]))
    assert s["over_tol"] == 2  # all (recall 0.25 off) and F (precision 0.2 off)
    # widths over the six intervals; the two that miss, by side and in half-widths
    assert s["width_precision"] == pytest.approx(np.mean([0.3333 - 0.25, 0.2, 0.2]))
    assert s["width_recall"] == pytest.approx(np.mean([0.2, 0.25, 0.05]))
    miss = {(x["subgroup"], x["measure"]): x for x in s["misses"]}
    assert set(miss) == {("all", "recall"), ("sex=F", "precision")}
    assert miss["all", "recall"]["side"] == "below"  # truth 0.25 under [0.4, 0.6]
    assert miss["all", "recall"]["by"] == pytest.approx(0.15)
    assert miss["all", "recall"]["half_widths"] == pytest.approx(1.5)


def test_missing_estimate_is_left_out_of_the_errors():
    truth = quality_eval.true_rates(LINKS, TRUTH_REF, TRUTH_SRC, REF_GROUPS)
    naive = quality_eval.naive_rates(LINKS, PAIRS, REF_GROUPS)
    est = pd.DataFrame({"variable": ["all"], "value": ["all"], "est_precision": [0.3],
                        "est_precision_low": [0.2], "est_precision_high": [0.4],
                        "est_recall": [np.nan], "est_recall_low": [np.nan],
                        "est_recall_high": [np.nan]})
    rows = quality_eval.compare_rows(est, truth, naive, min_true=5)
    assert len(rows) == 1 and pd.isna(rows.loc[0, "covers_recall"])
    s = quality_eval.summarise(rows)
    assert (s["estimates"], s["intervals"]) == (1, 1)


def test_components_count_what_the_estimator_estimates():
    # s5 quarantined; s3 unlinked with its true match r4 a candidate; s2 wrongly linked
    c = quality_eval.components(LINKS, PAIRS, TRUTH_REF, TRUTH_SRC, {"s5"}, set())
    assert c["false_links"] == {"deterministic": 0, "probabilistic": 2, "other": 0}
    assert c["links"] == {"deterministic": 1, "probabilistic": 2}
    # linkable s1..s3, s5; s1 linked deterministically, s5 quarantined: s2 and s3 remain;
    # s2's true match r3 is a candidate (p 0.3), s3's is r4: both compared
    assert c["linkable_residual"] == 2 and c["never_compared"] == 0
    assert c["missed"] == {"quarantined": 1, "wrong_link": 1, "review": 0,
                           "below_review": 1, "never_compared": 0}
    pairs = PAIRS[PAIRS["source_id"] != "s3"]
    c = quality_eval.components(LINKS, pairs, TRUTH_REF, TRUTH_SRC, set(), {"s3"})
    assert c["linkable_residual"] == 3 and c["never_compared"] == 2  # s3 and s5
    assert c["missed"]["review"] == 1 and c["missed"]["never_compared"] == 1


def test_misses_attributed_to_the_part_that_moves_them():
    """quality_misses.attribute: a missed recall interval covers once the part that is off
    is at its true count, not once the part that is right is; a missed precision interval
    once the false links are."""
    import quality_misses

    parts = pd.DataFrame({"variable": ["all"], "value": ["all"], "est_found": [980.0],
                          "est_false": [2.0], "true_false": [12],
                          "est_missed_candidates": [10.0], "true_missed_candidates": [30],
                          "est_never_compared": [10.0], "true_never_compared": [10]})
    # estimated recall 980/1000 = 0.98; true 980/1020 = 0.9608; precision 0.998 vs 0.988
    row = {"variable": "all", "value": "all", "links": 1000,
           "est_recall": 0.98, "est_recall_low": 0.975, "est_recall_high": 0.985,
           "true_recall": 980 / 1020, "covers_recall": False,
           "est_precision": 0.998, "est_precision_low": 0.996,
           "est_precision_high": 1.0, "true_precision": 0.988, "covers_precision": False}
    got = {(x["subgroup"], x["measure"]): x["covers_with_true"]
           for x in quality_misses.attribute([row], parts)}
    assert got["all=all", "recall"] == {"missed_candidates": True, "never_compared": False}
    assert got["all=all", "precision"] == {"false_links": True}
    assert quality_misses.attribute([{**row, "covers_recall": True,
                                      "covers_precision": None}], parts) == []


@pytest.mark.slow
def test_misses_parts_add_up_to_the_estimates_and_the_truth(tmp_path):
    """quality_misses.parts on a generated run (spinelink sample's generator, the harness's
    job): the estimated parts give back the published estimates of every subgroup, and
    the true parts the harness's true precision and recall."""
    import quality_misses
    from datasets import prepare_generated

    bench = quality_eval.quality_job(prepare_generated(tmp_path, 3000, 7, quality=True),
                                     quality_eval.EXTRA_SUBGROUPS["generated"])
    out = bench.dir / "misses_out"
    p = quality_misses.parts(bench, out, quality_misses._capture(
        bench.job, out, ("benefits", quality_misses.true_pairs(bench))))
    sub = pd.read_csv(out / "quality" / "subgroups.csv", dtype={"value": str})
    est = sub[(sub["source"] == "benefits") & (sub["basis"] == "model")].set_index(
        ["variable", "value"])
    job = yaml.safe_load(bench.job.read_text(encoding="utf-8"))
    ref_groups, src_groups = quality_eval.group_tables(out, job, "benefits")
    links = pd.read_parquet(out / "links" / "benefits.parquet")
    t_ref, t_src = (pd.read_csv(f, dtype=str) for f in (bench.truth_ref, bench.truth_src))
    truth = quality_eval.true_rates(links, t_ref, t_src, ref_groups, src_groups).set_index(
        ["variable", "value"])
    assert {"all", "sex", "age_band", "region", "ethnic_group"} <= set(p["variable"])
    compared = 0
    for r in p.to_dict("records"):
        key = (r["variable"], r["value"])
        if r["links"] == 0 or key not in est.index or key not in truth.index:
            continue
        e, t = est.loc[key], truth.loc[key]
        if e[["est_precision", "est_recall"]].isna().any():  # not published (small cell)
            continue
        assert r["est_found"] + r["est_false"] == pytest.approx(r["links"])
        assert 1 - r["est_false"] / r["links"] == pytest.approx(e["est_precision"], abs=1e-4)
        miss = r["est_missed_candidates"] + r["est_never_compared"]
        assert r["est_found"] / (r["est_found"] + miss) == pytest.approx(
            e["est_recall"], abs=1e-4)
        assert 1 - r["true_false"] / r["links"] == pytest.approx(t["true_precision"])
        n = r["true_found"] + r["true_missed_candidates"] + r["true_never_compared"]
        assert 0 <= r["true_dropped"] <= r["true_never_compared"]
        assert n == t["linkable"] and r["true_found"] / n == pytest.approx(t["true_recall"])
        compared += 1
    assert compared >= 15


def test_misses_split_by_whether_the_match_was_compared():
    """quality_misses.compared: a missed record counts in the candidate part only when its
    true match is among its scored pairs; in review or linked to a wrong candidate with its
    match never generated, it is never compared (as `components` counts it), which the
    estimator's never-compared term estimates."""
    import quality_misses

    uid_ref = TRUTH_REF.drop_duplicates("record_id").set_index("record_id")["person_uid"]
    uid_src = TRUTH_SRC.set_index("record_id")["person_uid"]
    miss = ["s2", "s3", "s5"]  # linkable and not found (s1 is, through r2)
    got = quality_misses.compared(miss, LINKS, PAIRS, uid_ref, uid_src)
    assert got.tolist() == [True, True, False]  # s2: r3 a candidate; s3: r4; s5: none
    # s3 in review and s2 linked wrongly, neither with its match among its pairs
    pairs = PAIRS[~PAIRS["source_id"].eq("s3") & ~PAIRS["reference_id"].eq("r3")]
    got = quality_misses.compared(miss, LINKS, pairs, uid_ref, uid_src)
    assert got.tolist() == [False, False, False]
    c = quality_eval.components(LINKS, pairs, TRUTH_REF, TRUTH_SRC, set(), {"s3"})
    assert c["never_compared"] == int((~got).sum())


def test_a_true_pair_a_rule_catches_is_dropped_not_never_compared():
    """quality_misses.caught_by_rule: a source record whose true pair's atoms meet some
    prediction rule (capped keys small enough) was caught by blocking; missing from the
    scored pairs it was dropped after scoring, which the never-compared term does not
    estimate (session 36: 232 of w2_raised's 335 never-compared matches)."""
    import quality_misses

    from spinelink.quality.recapture_design import design

    d = design([[("k0", "k0")], [("dob", "dob")], [("fn", "ln"), ("ln", "fn")]],
               {"k0": ["fn", "pc"]}, {"fn": "name", "ln": "name", "pc": "pc"})
    # atoms: fn, pc, dob, fn-ln, ln-fn; rule 0 (fn and pc) is capped by key 0
    tc = pd.DataFrame({"reference_id": ["r1", "r2", "r3", "r4", "r5"],
                       "source_id": ["s1", "s2", "s3", "s4", "s5"],
                       "agree": [0b00011, 0b00011, 0b00100, 0b11000, 0b01001],
                       "avail": [0b11111] * 5, "caps": [1, 0, 0, 0, 1]})
    # s1: the capped key, small; s2: the same atoms, its key too large; s3: the date of
    # birth; s4: the swapped names; s5: one half of the swap and the first name alone
    assert quality_misses.caught_by_rule(tc, d) == {"s1", "s3", "s4"}
    assert quality_misses.caught_by_rule(tc.iloc[:0], d) == set()
