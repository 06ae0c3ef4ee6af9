"""The cascade's pools: a key links only where it is held once on each side among the
records still in the pools, counted over every reference record holding it (the
reference's keys are grouped only where the source still holds the key); without
one-to-one links no reference record leaves its pool, which is then a view of the
reference's columns, not a copy. Records made by hand, links known."""
from __future__ import annotations

import pandas as pd
import pytest

from spinelink.backends import open_engine
from spinelink.deterministic import link_deterministic, steps_for
from spinelink.jobspec.match_keys import MatchKey, MatchKeys

COLS = ["record_id", "first_name", "last_name", "dob_iso", "postcode"]
REF = [("R1", "ann", "smith", "1980-01-01", "A1"),  # two Ann Smiths born one day: the
       ("R2", "ann", "smith", "1980-01-01", "B2"),  # name and date key is not theirs
       ("R3", "bob", "jones", "1970-02-02", "C3"),  # Bob, held twice by the source
       ("R4", "cy", "lee", "1990-03-03", "D4"),     # a key the source never holds
       ("R5", "dee", "khan", "1960-04-04", "E5")]
SRC = [("S1", "ann", "smith", "1980-01-01", "B2"),  # R2, by the postcode step only
       ("S2", "bob", "jones", "1970-02-02", "C3"),  # R3
       ("S3", "bob", "jones", "1970-02-02", None),  # R3 again: its key is S2's
       ("S4", "dee", "khan", "1960-04-04", None),   # R5
       ("S5", "eve", "khan", "1960-04-04", "E5")]   # R5's postcode, another person


def _keys() -> MatchKeys:
    return MatchKeys(schema_version=1, name="t", keys=[
        MatchKey(name="names_dob", fields=["first_name", "last_name", "dob_iso"]),
        MatchKey(name="names_dob_postcode",
                 fields=["first_name", "last_name", "dob_iso", "postcode"]),
        MatchKey(name="surname_dob", fields=["last_name", "dob_iso"])])


@pytest.mark.parametrize("one_to_one", [True, False])
def test_cascade_links_keys_held_once_on_both_sides(one_to_one):
    engine = open_engine("duckdb")
    try:
        engine.register("ref_std", pd.DataFrame(REF, columns=COLS))
        engine.register("src_std", pd.DataFrame(SRC, columns=COLS))
        counts = link_deterministic(engine, "ref_std", "src_std", steps_for([], _keys()),
                                    "det_links", one_to_one=one_to_one)
        got = engine.df("SELECT reference_id, source_id, method FROM det_links")
        views = set(engine.df("SELECT view_name FROM duckdb_views()")["view_name"])
    finally:
        engine.close()
    links = {(r, s): m.removeprefix("key:") for r, s, m in got.itertuples(index=False)}
    # step 1 (name and date): R1 and R2 share their key, S2 and S3 share R3's: held
    # twice, no link; R5-S4. Step 2 (with the postcode; S3 has none): R2-S1, R3-S2.
    # Step 3 (surname and date) on what is left, S3 and S5: one-to-one, R3 and R5 have
    # left the reference's pool; otherwise they hold the key once and take S3 (R3 again)
    # and S5 (Eve, another person: why one-to-one sources keep the pools apart)
    expected = {("R5", "S4"): "names_dob", ("R2", "S1"): "names_dob_postcode",
                ("R3", "S2"): "names_dob_postcode"}
    if not one_to_one:
        expected |= {("R3", "S3"): "surname_dob", ("R5", "S5"): "surname_dob"}
    assert links == expected
    assert counts == {"key:names_dob": 1, "key:names_dob_postcode": 2,
                      "key:surname_dob": 0 if one_to_one else 2}
    assert ("det_links_refpool" in views) is (not one_to_one)


@pytest.mark.parametrize("exclude", [True, False])
def test_a_sides_residual_reads_the_links_only_when_it_excludes_them(exclude):
    """The keyed reference of a source not linked one-to-one is every reference record:
    its query does not join the deterministic links (DuckDB marked every record against
    them to find none excluded); with exclusion, the linked records are left out."""
    from spinelink.stages.link import _residual_sql

    engine = open_engine("duckdb")
    try:
        engine.register("ref_std", pd.DataFrame(REF, columns=COLS))
        engine.execute("CREATE TABLE det_links AS SELECT 'R2' AS reference_id, "
                       "'S1' AS source_id")
        sql, params = _residual_sql("ref_std", "det_links", "reference_id", exclude,
                                    ["record_id", "last_name"])
        got = engine.df(f"SELECT * FROM ({sql}) q ORDER BY record_id", params)
    finally:
        engine.close()
    assert list(got.columns) == ["record_id", "last_name"]
    assert list(got["record_id"]) == (["R1", "R3", "R4", "R5"] if exclude
                                      else ["R1", "R2", "R3", "R4", "R5"])
    assert ("det_links" in sql) is exclude


@pytest.mark.parametrize("one_to_one", [True, False])
def test_the_sources_pool_is_made_after_the_first_step_of_the_records_it_left(one_to_one):
    """The first step reads every source record through a view; the source's pool is then
    made of the records it left (not every record copied, then the step's links deleted),
    and each later step deletes only its own links from it: the same pool, so the same
    links (the test above), and after the cascade it holds exactly the records no step
    linked."""
    engine = open_engine("duckdb")
    try:
        engine.register("ref_std", pd.DataFrame(REF, columns=COLS))
        engine.register("src_std", pd.DataFrame(SRC, columns=COLS))
        link_deterministic(engine, "ref_std", "src_std", steps_for([], _keys()), "det_links",
                           one_to_one=one_to_one)
        views = set(engine.df("SELECT view_name FROM duckdb_views()")["view_name"])
        tables = set(engine.df("SELECT table_name FROM duckdb_tables()")["table_name"])
        pool = engine.df("SELECT * FROM det_links_srcpool ORDER BY record_id")
        linked = set(engine.df("SELECT source_id FROM det_links")["source_id"])
    finally:
        engine.close()
    assert "det_links_srcall" in views and "det_links_srcpool" in tables
    assert list(pool.columns) == COLS  # the keys' columns (every one here)
    assert pool["record_id"].tolist() == sorted({r[0] for r in SRC} - linked)
    assert pool["record_id"].tolist() == ([] if not one_to_one else ["S3", "S5"])


def test_the_links_born_after_the_reference_date_are_deleted_and_the_rest_kept():
    """born_after: the cascade's links of a record born after the reference date and an
    undated reference record leave the links table by a delete (remove_born_after.sql),
    the links table kept; those an identifier made are held (born_after_links.sql). The
    same links as the table rewritten without them (session 47's query, here)."""
    from spinelink.sqlfiles import sql_file

    links = pd.DataFrame([("R1", "S1", "direct:nino", 0), ("R2", "S1", "key:a", 1),
                          ("R1", "S2", "key:a", 1), ("R3", "S3", "direct:nino", 0),
                          ("R2", "S4", "key:b", 2), (None, "S1", "key:b", 2),
                          ("R3", None, "key:b", 2)],
                         columns=["reference_id", "source_id", "method", "step"])
    engine = open_engine("duckdb")
    try:
        engine.execute("CREATE TEMP TABLE links (reference_id VARCHAR, source_id VARCHAR, "
                       "method VARCHAR, step INTEGER)")
        engine.register("links_df", links)
        engine.execute("INSERT INTO links SELECT * FROM links_df")
        engine.execute("CREATE TABLE born AS SELECT * FROM (VALUES ('S1'), ('S3'), (NULL)) "
                       "t(record_id)")
        engine.execute("CREATE TABLE undated AS SELECT * FROM (VALUES ('R1'), ('R3')) "
                       "t(record_id)")
        old = ("SELECT l.* FROM links l WHERE (EXISTS (SELECT 1 FROM born b WHERE "
               "b.record_id = CAST(l.source_id AS VARCHAR)) AND EXISTS (SELECT 1 FROM "
               "undated u WHERE u.record_id = CAST(l.reference_id AS VARCHAR))) = $held "
               "AND (NOT $held OR l.method LIKE 'direct:%')")
        want_kept = engine.df(old, {"held": False})
        want_held = engine.df(old, {"held": True})
        names = {"links": "links", "born": "born", "undated": "undated"}
        held = engine.df(sql_file("deterministic/born_after_links.sql", **names))
        engine.execute(sql_file("deterministic/remove_born_after.sql", **names))
        kept = engine.df("SELECT * FROM links")
        temp = engine.df("SELECT temporary FROM duckdb_tables() WHERE table_name = 'links'")
    finally:
        engine.close()
    pd.testing.assert_frame_equal(kept, want_kept)
    pd.testing.assert_frame_equal(held, want_held)
    assert held[["reference_id", "source_id"]].values.tolist() == [["R1", "S1"],
                                                                   ["R3", "S3"]]
    assert len(kept) == 5 and bool(temp["temporary"].iloc[0])
