"""Prediction chunks sized by the pairs the blocking rules make (issue 16): the count is
each rule's pairs exactly, and the pairs scored do not depend on the number of chunks."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT

import spinelink.chunks as prob
from spinelink.backends import open_engine
from spinelink.backends.duckdb_engine import DuckDBEngine
from spinelink.config import MODELS_DIR
from spinelink.jobspec.files import AUTO_SPEC
from spinelink.model_spec import CappedBlock, capped_column, load_model_spec
from spinelink.pipeline import run_job
from spinelink.sample import generate


def _pairs(ref: pd.DataFrame, src: pd.DataFrame, lcols: list[str], rcols: list[str]) -> int:
    a = ref.dropna(subset=lcols).groupby(lcols).size().rename("a")
    b = src.dropna(subset=rcols).groupby(rcols).size().rename("b")
    b.index.names = lcols
    both = pd.concat([a, b], axis=1, join="inner")
    return int((both["a"] * both["b"]).sum())


def test_blocked_pairs_counts_each_rule_and_declines_what_it_cannot():
    ref = pd.DataFrame({"fn": ["ann", "ann", "bob", None, "cy", "ann"],
                        "ln": ["lee", "lee", "ray", "lee", "cy", None],
                        "dob": ["2000-01-02", "2000-01-02", "1990-05-06", None, "1981-11-03",
                                "2000-02-01"]})
    src = pd.DataFrame({"fn": ["ann", "bob", "lee", "ann", None],
                        "ln": ["lee", "ray", "ann", "lee", "ray"],
                        "dob": ["2000-01-02", "1990-05-06", "1990-05-06", "1990-05-06", None],
                        "dob_swapped": ["2000-02-01", "1990-06-05", None, "1990-06-05", None]})
    engine = open_engine()
    engine.register("r", ref)
    engine.register("s", src)
    rules = ['(l."fn" = r."fn") AND (l."ln" = r."ln")', 'l."dob" = r."dob"',
             "l.dob = r.dob_swapped", "l.fn = r.ln AND l.ln = r.fn"]
    model = {"blocking_rules_to_generate_predictions":
             [{"blocking_rule": r, "sql_dialect": "duckdb"} for r in rules]}
    want = (_pairs(ref, src, ["fn", "ln"], ["fn", "ln"]) + _pairs(ref, src, ["dob"], ["dob"])
            + _pairs(ref, src, ["dob"], ["dob_swapped"])
            + _pairs(ref, src, ["fn", "ln"], ["ln", "fn"]))
    assert want == 5 + 5 + 1 + 2  # the data above: every rule makes pairs, nulls none
    assert prob.blocked_pairs(engine, model, "r", "s") == want
    model["blocking_rules_to_generate_predictions"].append(
        {"blocking_rule": "levenshtein(l.fn, r.fn) <= 1", "sql_dialect": "duckdb"})
    assert prob.blocked_pairs(engine, model, "r", "s") is None
    assert prob.prediction_chunks(None, 10**6, 10**5) == 5  # the sides' product instead
    assert prob.prediction_chunks(0.0, 10**6, 10**5) == 1
    assert prob.prediction_chunks(prob.PAIRS_PER_CHUNK * 2.5, 10, 10) == 3


def test_blocked_pairs_made_here_are_splinks(tmp_path, monkeypatch):
    """The blocked pairs spinelink makes for a small residual (blocked_id_pairs_sql) are
    Splink's own, pair for pair, each with the first rule that makes it; and the pairs
    Splink scores from them are those it scores from its own blocking, its inputs the two
    sides whole (`splink_compat.sides_as_inputs`: Splink's search of both sides for the
    pairs' records not run)."""
    from splink import Linker
    from splink.internals.duckdb import pruned_prediction as pp

    from spinelink.splink_import import splink_ready

    splink_ready()
    rng = np.random.default_rng(5)
    def side(n, prefix):
        return pd.DataFrame({
            "record_id": [f"{prefix}{i}" for i in range(n)],
            "fn": rng.choice(["ann", "bob", "lee", "cy", "dee", None], n),
            "ln": rng.choice(["lee", "ray", "ann", "fox", None], n),
            "dob": rng.choice(["2000-01-02", "1990-05-06", "1981-11-03", None], n),
            "dob_swapped": rng.choice(["2000-02-01", "1990-05-06", "1981-11-03", None], n)})
    engine = open_engine()
    engine.register("ref_t", side(120, "r"))
    engine.register("src_t", side(80, "s"))
    rules = ['(l."fn" = r."fn") AND (l."ln" = r."ln")', 'l."dob" = r."dob"',
             "l.dob = r.dob_swapped", "l.fn = r.ln AND l.ln = r.fn", 'l."ln" = r."ln"']
    model = {"link_type": "link_only", "unique_id_column_name": "record_id",
             "probability_two_random_records_match": 0.01,
             "blocking_rules_to_generate_predictions":
                 [{"blocking_rule": r, "sql_dialect": "duckdb"} for r in rules],
             "comparisons": [{"output_column_name": "fn", "comparison_levels": [
                 {"sql_condition": "fn_l IS NULL OR fn_r IS NULL", "is_null_level": True},
                 {"sql_condition": "fn_l = fn_r", "m_probability": 0.9,
                  "u_probability": 0.2},
                 {"sql_condition": "ELSE", "m_probability": 0.1, "u_probability": 0.8}]}]}
    db_api = engine.splink_db_api()
    names = {"d_pred_ref": "ref_t", "d_pred_src": "src_t"}

    sdfs = [db_api.register(t, table_name=n) for n, t in names.items()]

    def linker():
        return Linker(sdfs, model, log_level=None, validate_settings=False)

    theirs = linker().inference.compute_blocked_pairs_for_predict().as_pandas_dataframe()
    engine.create_table("ours", prob.blocked_id_pairs_sql(model, "ref_t", "src_t", (1, 1)),
                        {"left": "d_pred_ref", "right": "d_pred_src"})
    ours = engine.df("SELECT * FROM ours")
    key = ["join_key_l", "join_key_r"]
    assert len(theirs) > 300 and theirs["match_key"].nunique() == len(rules)
    pd.testing.assert_frame_equal(
        ours[["match_key", *key]].sort_values(key, ignore_index=True),
        theirs[["match_key", *key]].astype(str).sort_values(key, ignore_index=True))
    # in three chunks: the same pairs
    parts = [engine.df(prob.blocked_id_pairs_sql(model, "ref_t", "src_t", (i, 3)),
                       {"left": "d_pred_ref", "right": "d_pred_src"}) for i in (1, 2, 3)]
    assert all(len(p) for p in parts)
    pd.testing.assert_frame_equal(pd.concat(parts).sort_values(key, ignore_index=True),
                                  ours.sort_values(key, ignore_index=True))
    searched = []
    real = pp._materialise_pruned_predict_input

    def search(linker, pairs, side):
        searched.append(side)
        return real(linker, pairs, side)

    monkeypatch.setattr(pp, "_materialise_pruned_predict_input", search)
    scored = {}
    for way, blocking in (("splink", None), ("here", (engine, model, names))):
        df = prob.predict_in_chunks(linker(), 1, "__sl_t", blocking=blocking)
        if way == "here":
            assert searched == [] and len(df) > 300
        scored[way] = df[["record_id_l", "record_id_r", "match_weight", "match_key"]] \
            .astype({"match_key": str}).sort_values(["record_id_l", "record_id_r"],
                                                    ignore_index=True)
    pd.testing.assert_frame_equal(scored["here"], scored["splink"])

def test_a_name_with_the_year_blocks_only_where_few_reference_records_share_them():
    """The auto model's name + year-of-birth rules are a fallback (a date with two wrong
    parts, the other name changed). At a million persons a common name's year holds 30 to
    100 reference records: blocking on it made 1.97M of 5.12M pairs for 5 true pairs no
    other rule blocks (benchmarks/RESULTS.md, session 28 hC). A block of 40 makes no pair;
    a block of 5 (a rarer name, or a smaller population) still pairs."""
    spec = load_model_spec(MODELS_DIR / AUTO_SPEC)
    year = [r for r in spec.blocking
            if isinstance(r, CappedBlock) and r.columns[-1] == "dob_year"]
    assert [r.columns[0] for r in year] == ["last_name_mp", "first_name_mp"]
    spec = spec.model_copy(update={"blocking": year})
    # 40 reference records share first name JN and 1980, each with its own surname; 5
    # share surname SMT and 1975; nothing else in common with the source records
    ref = pd.DataFrame({"first_name_mp": ["JN"] * 40 + [f"F{i}" for i in range(5)],
                        "last_name_mp": [f"L{i}" for i in range(40)] + ["SMT"] * 5,
                        "dob_year": [1980] * 40 + [1975] * 5})
    src = pd.DataFrame({"first_name_mp": ["JN", "KT"], "last_name_mp": ["QQ", "SMT"],
                        "dob_year": [1980, 1975]})
    engine = _keyed(spec, ref, src)
    model = {"blocking_rules_to_generate_predictions": [
        {"blocking_rule": f'l."{capped_column(i)}" = r."{capped_column(i)}"',
         "sql_dialect": "duckdb"} for i in range(len(year))]}
    assert prob.blocked_pairs(engine, model, "r", "s") == 5


@pytest.mark.slow
def test_pairs_scored_do_not_depend_on_the_chunks(tmp_path, monkeypatch):
    generate(600, 11, tmp_path / "data")
    job = yaml.safe_load((ROOT / "sample_data" / "demo_job.yaml").read_text())
    job["sources"]["census"]["expect_rows"] = {"min": 1}
    (tmp_path / "data" / "job.yaml").write_text(yaml.safe_dump(job))
    chunks = []
    real = prob.predict_in_chunks

    def counted(linker, n, tag, **kw):
        chunks.append(n)
        return real(linker, n, tag, **kw)

    monkeypatch.setattr(prob, "predict_in_chunks", counted)
    outs = {}
    for n in (1, 3, "memory"):
        if n == "memory":  # chunks of at most 40 pairs under the engine's memory limit
            monkeypatch.undo()
            monkeypatch.setattr(prob, "predict_in_chunks", counted)
            monkeypatch.setattr(prob, "MIN_PAIRS_PER_CHUNK", 1)
            monkeypatch.setattr(DuckDBEngine, "memory_bytes", lambda self: 4000)
            monkeypatch.setattr(prob, "PAIR_BYTES", 100)
        else:
            monkeypatch.setattr(prob, "prediction_chunks", lambda pairs, a, b, c, n=n: n)
        run_job(tmp_path / "data" / "job.yaml", output_dir=str(tmp_path / f"out{n}"))
        outs[n] = {f: pd.read_parquet(tmp_path / f"out{n}" / d / f"{s}.parquet")
                   for d in ("pairs", "links") for s in ("benefits", "survey")
                   for f in [f"{d}/{s}"]}
    # each run: two probabilistic links, and the quality stage's scoring
    third = len(chunks) // 3
    assert third >= 2 and chunks[:2 * third] == [1] * third + [3] * third
    assert min(chunks[2 * third:]) > 3  # the memory limit's chunks: more than 3 each
    for f, frame in outs[1].items():
        assert len(frame) > 0, f
        for n in (3, "memory"):
            pd.testing.assert_frame_equal(frame, outs[n][f], obj=f)


def test_chunks_are_sized_by_the_engines_memory_limit():
    """A chunk holds the memory limit over PAIR_BYTES blocked pairs: one chunk for the
    ~34M pairs of 5M persons under the default limit there (~6 GB), three under 2 GB; an
    engine without a known limit keeps PAIRS_PER_CHUNK."""
    big, small = (open_engine("duckdb", memory_limit=m).memory_bytes()
                  for m in ("6139MiB", "2GB"))
    assert 6.2e9 < big < 6.5e9 and 1.9e9 < small < 2.0e9  # DuckDB's own reading (GiB)
    assert prob.prediction_chunks(3.4e7, 1, 1, prob.pairs_per_chunk(big)) == 1
    assert prob.prediction_chunks(3.4e7, 1, 1, prob.pairs_per_chunk(small)) == 3
    assert prob.pairs_per_chunk(None) == prob.PAIRS_PER_CHUNK
    assert prob.pairs_per_chunk(10) == prob.MIN_PAIRS_PER_CHUNK


def test_common_names_and_birth_dates_block_only_where_few_reference_records_share_them():
    """Every rule of the auto model on names or a name with part of the date caps its
    blocks (issue 16). Uncapped, a surname with a day and month of birth held up to 175
    reference records at 5M persons, a first name with a year and month 130, and a first
    and last name pair capped at 100 blocks up to 100 (3.7M pairs): pairs grew with the
    square of the population (benchmarks/RESULTS.md, session 30 hG). Through the spec's
    whole blocking (capped keys, then each rule's pairs): three blocks of 40 census records
    (a surname with a birthday, a first name with a year and month, a first and last name)
    make no pair; a block of 5 still pairs."""
    from spinelink.model_spec import blocking_rule

    spec = load_model_spec(MODELS_DIR / AUTO_SPEC)
    # every column a rule reads (those not set below are null: their rules make no pair)
    cols = sorted({c for r in spec.blocking for c in (
        r.columns if isinstance(r, CappedBlock) else r if isinstance(r, list)
        else re.findall(r"[lr]\.(\w+)", r.sql))})

    def rows(recs):
        return pd.DataFrame([{c: rec.get(c) for c in cols} for rec in recs]).astype(
            {c: "object" for c in cols})

    ref = rows([{"last_name_mp": "SMT", "first_name_mp": f"A{i}", "dob_year": 1900 + i,
                 "dob_month": 3, "dob_day": 14} for i in range(40)]
               + [{"first_name_mp": "JN", "last_name_mp": f"B{i}", "dob_year": 1980,
                   "dob_month": 5, "dob_day": 1 + i % 28} for i in range(40)]
               + [{"first_name_mp": "AL", "last_name_mp": "BRN"} for _ in range(40)]
               + [{"last_name_mp": "KLM", "first_name_mp": f"C{i}", "dob_year": 1950 + i,
                   "dob_month": 7, "dob_day": 1} for i in range(5)])
    src = rows([{"last_name_mp": "SMT", "first_name_mp": "QQ", "dob_year": 1990,
                 "dob_month": 3, "dob_day": 14},
                {"first_name_mp": "JN", "last_name_mp": "QR", "dob_year": 1980,
                 "dob_month": 5, "dob_day": 30},
                {"first_name_mp": "AL", "last_name_mp": "BRN"},
                {"last_name_mp": "KLM", "first_name_mp": "QS", "dob_year": 1990,
                 "dob_month": 7, "dob_day": 1}])
    engine = _keyed(spec, ref, src)
    model = {"blocking_rules_to_generate_predictions": [
        {"blocking_rule": blocking_rule(i, r).get_blocking_rule("duckdb").blocking_rule_sql,
         "sql_dialect": "duckdb"} for i, r in enumerate(spec.blocking)]}
    assert prob.blocked_pairs(engine, model, "r", "s") == 5


def _keyed(spec, ref: pd.DataFrame, src: pd.DataFrame):
    """An engine holding `ref` as table r and `src` as s, with the capped keys of `spec`'s
    rules added to both."""
    from spinelink.capped_keys import add_capped_keys

    engine = open_engine()
    engine.register("ref_df", ref)
    engine.register("src_df", src)
    engine.create_table("r", "SELECT * FROM ref_df")
    engine.create_table("s", "SELECT * FROM src_df")
    add_capped_keys(engine, spec, {"ref_full": "r", "ref": "r", "src": "s"},
                    blocked_only=True)
    return engine
