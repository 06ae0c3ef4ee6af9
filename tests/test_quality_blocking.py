"""Matches no blocking rule compared, estimated from the data (issue 12: the recall blind
spot of blocking; `spinelink.quality.recapture`).

The generator's benefits file, with one region's records delivered without national
insurance number and, independently, 60% without a date of birth, 35% under another first
name, 35% under another surname and 35% at another address (moved). A record whose date of
birth is missing, one of whose names changed and who moved is caught by no prediction
blocking rule: its match is never compared. Their number is known here (the prediction
rules applied to the true pairs); the estimate must find it within a tolerance a constant
(none missed) cannot meet, its interval must cover it, and the region's recall must be
nearer the truth than a constant 1.0 or the fastLink-style sums. What is left of the gap
in recall is matches a rule caught but the model scored below the pair floor (as many
again here), not estimated yet.
"""
from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, demo_job, generated_run

from spinelink.backends import open_engine
from spinelink.capped_keys import add_capped_keys
from spinelink.deterministic import load_match_keys, steps_for
from spinelink.jobspec.files import data_dir
from spinelink.model_spec import CappedBlock, capped_column, load_model_spec
from spinelink.quality import per_source, recapture
from spinelink.quality.nullcal import full_tables

sys.path.insert(0, str(ROOT / "benchmarks"))
from quality_eval import components, run_against_truth  # noqa: E402
from regions import benefits_in_region  # noqa: E402

pytestmark = pytest.mark.slow
PERSONS, SEED, REGION = 6000, 23, "North West"
COUNT_TOL = 0.35    # relative error of the never-compared count


def _degrade(data) -> None:
    b, hit = benefits_in_region(data, REGION)
    rng = np.random.default_rng(7)
    b.loc[hit, "nino"] = None
    b.loc[hit & (rng.random(len(b)) < 0.6), "birth_date"] = None
    for cols in (["first_name"], ["last_name"], ["post_code", "address"]):
        moved = hit & (rng.random(len(b)) < 0.35)
        donor = rng.permutation(np.flatnonzero(~hit))[:moved.sum()]  # another person's
        b.loc[moved, cols] = b.loc[donor, cols].to_numpy()
    b.to_parquet(data / "benefits.parquet", index=False)


def _job() -> str:
    job = demo_job(any_rows=True)
    return job + "  bootstrap: 50\n"


def _caught_by_no_rule(out, links, t_ref, t_src) -> int:
    """Linkable residual records whose true pair no prediction blocking rule catches."""
    model = json.loads((out / "models" / "benefits.json").read_text())
    spec = load_model_spec(data_dir("linkage_models") / "person_auto.yaml")
    capped = {capped_column(i): list(r.columns) for i, r in enumerate(spec.blocking)
              if isinstance(r, CappedBlock)}
    design = per_source.capture_design(model, capped)
    det = links[links["method"].astype(str).str.startswith(("direct:", "key:"))]
    true = t_src[["record_id", "person_uid"]].rename(columns={"record_id": "source_id"}).merge(
        t_ref[["record_id", "person_uid"]].rename(columns={"record_id": "reference_id"}),
        on="person_uid").drop_duplicates("source_id")
    true = true[~true["source_id"].isin(set(det["source_id"].astype(str)))]
    engine = open_engine("duckdb")
    try:
        full_tables(engine, out, "census", "benefits")
        got = per_source.rule_captures(
            engine, "benefits", true, det.iloc[:0], design,
            lambda t: add_capped_keys(engine, spec, t, blocked_only=True))[0]
    finally:
        engine.close()
    fires = recapture.fires(design, got["agree"].to_numpy(np.int64),
                            got["caps"].to_numpy(np.int64))
    return int((~fires.any(axis=1)).sum())


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    d = generated_run(tmp_path_factory.mktemp("quality_blocking"), PERSONS, SEED, _degrade, _job())
    return d


@pytest.fixture(scope="module")
def run(outputs):
    d = outputs
    out = d / "out"
    t_ref = pd.read_csv(d / "data" / "truth" / "census.csv", dtype=str)
    t_src = pd.read_csv(d / "data" / "truth" / "benefits.csv", dtype=str)
    std = pd.read_parquet(out / "standardised" / "census.parquet")
    groups = pd.DataFrame({"region": std["region"].astype(str).to_numpy()},
                          index=std["record_id"].astype(str))
    links = pd.read_parquet(out / "links" / "benefits.parquet")
    pairs = pd.read_parquet(out / "pairs" / "benefits.parquet")
    rows = run_against_truth(out, d / "data" / "truth", groups, "region")
    parts = components(links, pairs, t_ref, t_src, set(), set())
    parts["no_rule"] = _caught_by_no_rule(out, links, t_ref, t_src)
    summary = json.loads((out / "quality" / "summary.json").read_text())
    blocking = summary["sources"]["benefits"]["blocking"]
    print("\n", rows[["value", "true_pairs", "true_recall", "est_recall", "est_recall_low",
                      "est_recall_high", "fl_recall"]].round(4).to_string(),
          "\nnever compared: true", parts["never_compared"], "caught by no rule",
          parts["no_rule"], "estimated",
          blocking["expected_matches_never_compared"], blocking["between"])
    return rows.set_index("value"), parts, blocking


def test_blocking_misses_known_matches_in_the_region(run):
    rows, parts, _ = run
    assert parts["no_rule"] >= 50
    assert rows.loc[REGION, "true_recall"] < 0.8


def test_the_never_compared_count_is_estimated_from_the_data(run):
    _, parts, blocking = run
    true, est = parts["no_rule"], blocking["expected_matches_never_compared"]
    assert abs(est - true) <= COUNT_TOL * true, (est, true)
    lo, hi = blocking["between"]
    assert lo <= true <= hi and hi - lo < true  # an interval that covers, not a guess range
    assert abs(0 - true) > COUNT_TOL * true  # what a constant "none missed" would say


def test_the_region_recall_nearer_than_naive_estimators(run):
    rows, _, _ = run
    bad = rows.loc[REGION]
    err = abs(bad["est_recall"] - bad["true_recall"])
    assert err < 0.6 * abs(bad["fl_recall"] - bad["true_recall"]), bad.to_dict()
    assert err < 0.5 * abs(1.0 - bad["true_recall"])
    # the other regions are not pulled down by the degraded one
    others = rows.drop(index=[REGION, "all"])
    assert ((others["est_recall"] - others["true_recall"]).abs() <= 0.01).all()


def test_captures_read_capped_keys_as_on_the_whole_tables(outputs):
    """The quality stage keys only the pairs' and key links' reference records and every
    source record (the whole tables are views of the standardised ones, unkeyed): the
    captures and the residual records' profiles are those of the whole tables keyed."""
    out = outputs / "out"
    model = json.loads((out / "models" / "benefits.json").read_text())
    spec = load_model_spec(data_dir("linkage_models") / "person_auto.yaml")
    capped = {capped_column(i): list(r.columns) for i, r in enumerate(spec.blocking)
              if isinstance(r, CappedBlock)}
    links = pd.read_parquet(out / "links" / "benefits.parquet")
    det = links[links["method"].astype(str).str.startswith(("direct:", "key:"))]
    have = set(pd.read_parquet(out / "standardised" / "census.parquet").columns) & set(
        pd.read_parquet(out / "standardised" / "benefits.parquet").columns)
    used = set(det["method"].astype(str))
    steps = steps_for([], load_match_keys(data_dir("linkage_models") / "match_keys"
                                          / "default.yaml"))
    keys = {st.method: list(zip(st.ref_fields, st.src_fields, strict=True)) for st in steps
            if st.method in used and set(st.ref_fields) | set(st.src_fields) <= have}
    assert keys  # the match keys that linked count as rules too
    design = per_source.capture_design(model, capped, keys)
    assert design is not None and design.caps
    pairs = pd.read_parquet(out / "pairs" / "benefits.parquet")
    got = []
    for whole in (False, True):
        engine = open_engine("duckdb")
        try:
            full_tables(engine, out, "census", "benefits")
            tag = "__sl_q_benefits"
            if whole:  # every record of both tables keyed first, as q18 had it
                add_capped_keys(engine, spec, {"ref_full": f"{tag}_ref_full",
                                               "src_full": f"{tag}_src_full"})
                extend = None
            else:
                def extend(t, engine=engine):
                    add_capped_keys(engine, spec, t, blocked_only=True)
            got.append(per_source.rule_captures(engine, "benefits", pairs, det, design,
                                                extend))
        finally:
            engine.close()
    (a, a_det, a_none, a_some), (b, b_det, b_none, b_some) = got
    key = ["reference_id", "source_id"]
    pd.testing.assert_frame_equal(a.sort_values(key).reset_index(drop=True),
                                  b.sort_values(key).reset_index(drop=True),
                                  check_dtype=False)
    pd.testing.assert_frame_equal(a_det.reset_index(drop=True),
                                  b_det.reset_index(drop=True), check_dtype=False)
    assert (a_none, a_some) == (b_none, b_some) and a_some > 0
    assert (a["caps"] > 0).any() and len(a_det) > 0


def test_shared_units_on_the_null_samples_term_frequencies(outputs):
    """The shared units scored with term-frequency tables made before (the null
    sample's, `per_source._sample_tf`) give the same survival chances as with their own,
    and make none of their own."""
    from spinelink.probabilistic import tf_columns
    from spinelink.quality import shared
    from spinelink.sqlfiles import sql_file

    out = outputs / "out"
    model = json.loads((out / "models" / "benefits.json").read_text())
    links = pd.read_parquet(out / "links" / "benefits.parquet")
    assert tf_columns(model)
    got = []
    for made in (False, True):
        engine = open_engine("duckdb")
        try:
            full_tables(engine, out, "census", "benefits")
            tag, tf = "__sl_q_benefits", {}
            for col in tf_columns(model) if made else ():
                tf[col] = f"__sl_qn_benefits_tf_{col}"
                engine.create_table(tf[col], sql_file(
                    "probabilistic/tf_lookup.sql", col=col, tf_col=f"tf_{col}",
                    ref=f"{tag}_ref_full", src=f"{tag}_src_full"))
            got.append(shared.shared_units(engine, model, links, f"{tag}_ref_full",
                                           f"{tag}_src_full", f"{tag}_sh", tf))
            own = [c for c in tf_columns(model)
                   if per_source._has_table(engine, f"{tag}_sh_tf_{c}")]
            assert len(own) == (0 if made else len(tf_columns(model)))
        finally:
            engine.close()
    a, b = got
    assert a.units > 0 and (a.survive < 1).any()
    assert np.array_equal(a.survive, b.survive)
    assert np.array_equal(a.survive_three, b.survive_three)
    assert (a.units, a.links, a.prior) == (b.units, b.links, b.prior)
