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
