"""Kept tables (`Engine.keeping`): the standardise stage writes its records to a Parquet
file and linkage loads that file back as an engine table; while the stage keeps the table,
the load reads nothing, so the kept table must be exactly what a read of the file gives
(types too: a resumed run reads the file), and a file rewritten since must be read again."""
from __future__ import annotations

import os

from test_standardise import FULL, write_intake

from spinelink.backends import open_engine
from spinelink.config import Source
from spinelink.standardise import standardise_source

TYPED = ("SELECT i::BIGINT AS i, 'r' || i AS s, DATE '2000-01-01' + i::INT AS d, "
         "i / 3 AS x, [i, i + 1] AS l, CASE WHEN i % 2 = 0 THEN NULL ELSE i END AS n "
         "FROM range(5) t(i)")


def _describe(engine, rel: str) -> list:
    return engine.df(f"DESCRIBE {rel}")[["column_name", "column_type"]].values.tolist()


def _rows(engine, rel: str) -> list:
    return engine.df(f"SELECT * FROM {rel}").astype(str).values.tolist()


def _same_as_file(engine, table: str, path) -> None:
    file = f"(SELECT * FROM read_parquet('{path}'))"
    assert _describe(engine, table) == _describe(engine, file)
    assert _rows(engine, table) == _rows(engine, file)  # the same rows in the same order


def test_kept_table_is_the_file_and_its_load_reads_nothing(tmp_path):
    engine = open_engine()
    path = tmp_path / "t.parquet"
    with engine.keeping(path, "t"):
        assert engine.write_parquet(TYPED, path) == 5
    _same_as_file(engine, "t", path)
    engine.execute("INSERT INTO t (i) VALUES (99)")  # a mark the file does not have
    engine.load_parquet("t", path)
    assert engine.scalar("SELECT count(*) FROM t WHERE i = 99") == 1  # not read again

    engine.write_parquet("SELECT 7::BIGINT AS i", path)  # rewritten, not kept
    engine.load_parquet("t", path)
    assert engine.df("SELECT i FROM t")["i"].tolist() == [7]
    engine.close()


def test_a_file_changed_behind_the_engine_is_read_again(tmp_path):
    engine = open_engine()
    path = tmp_path / "t.parquet"
    with engine.keeping(path, "t"):
        engine.write_parquet(TYPED, path)
    other = open_engine()
    other.write_parquet("SELECT 1::BIGINT AS i", path)  # another process rewrites it
    other.close()
    engine.load_parquet("t", path)
    assert engine.df("SELECT i FROM t")["i"].tolist() == [1]

    with engine.keeping(path, "t"):
        engine.write_parquet(TYPED, path)
    engine.create_table("t", "SELECT 2 AS i")  # the table replaced: no longer kept
    engine.load_parquet("t", path)
    _same_as_file(engine, "t", path)
    engine.close()


def test_outside_keeping_nothing_is_kept(tmp_path):
    engine = open_engine()
    path = tmp_path / "t.parquet"
    with engine.keeping(path, "t"):
        pass
    engine.write_parquet(TYPED, path)
    assert engine.scalar("SELECT count(*) FROM duckdb_tables() WHERE table_name = 't'") == 0
    engine.load_parquet("t", path)
    _same_as_file(engine, "t", path)
    engine.close()


def test_standardised_records_kept_as_the_file_reads_back(tmp_path):
    """Every column type the standardise SQL makes survives the Parquet round trip
    unchanged, so a run that keeps the table and a run resumed from the file link the
    same table."""
    rows = [{"id": "a", "fn": "Ольга", "mn": "Ivanivna", "sn": "Kovalenko",
             "dob": "1984-02-29", "sx": "Ж", "pc": "SW1A 1AA", "addr": "12 High St"},
            {"id": "b", "fn": "Bob", "sn": "O'Neil", "dob": "2001-13-01", "sx": "m"},
            {"id": "c"}]
    intake = write_intake(tmp_path / "intake.parquet", rows, list(FULL.values()),
                          "dob")
    source = Source(role="census", path="in.csv", id="id", columns=FULL)
    out = tmp_path / "std.parquet"
    engine = open_engine()
    with engine.keeping(out, "std_census"):
        assert standardise_source(engine, intake, source, out)["rows"] == 3
    before = os.stat(out).st_mtime_ns
    _same_as_file(engine, "std_census", out)
    engine.load_parquet("std_census", out)
    assert os.stat(out).st_mtime_ns == before
    _same_as_file(engine, "std_census", out)
    engine.close()


def _two_records(tmp_path):
    """A two-record intake (a Cyrillic name, a sex written Ж) and its census source."""
    rows = [{"id": "a", "fn": "Ольга", "mn": "Ivanivna", "sn": "Kovalenko",
             "dob": "1984-02-29", "sx": "Ж", "pc": "SW1A 1AA", "addr": "12 High St"},
            {"id": "b", "fn": "Bob", "sn": "O'Neil", "dob": "2001-11-01", "sx": "m",
             "pc": "sw1a1aa", "addr": "12 high street"}]
    intake = write_intake(tmp_path / "intake.parquet", rows, list(FULL.values()), "dob")
    return intake, Source(role="census", path="in.csv", id="id", columns=FULL)


def test_standardise_statement_holds_only_the_lookups_it_reads(tmp_path, monkeypatch):
    """The canonical statement (its sort and, kept, its table: at 5M persons the run's
    peak memory) runs without the lookups' inputs held: the raw and intermediate names,
    the raw addresses and their words, the raw postcodes are released before it; the
    lookups it joins stay until it has run, and none is left after."""
    intake, source = _two_records(tmp_path)
    out = tmp_path / "std.parquet"
    engine = open_engine()
    held_at_write: list[set] = []
    write = type(engine).write_parquet

    def held():
        return {r[0] for r in engine.con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal UNION ALL "
            "SELECT table_name FROM duckdb_tables()").fetchall()
            if r[0].startswith("__sl_standardise_")}

    def recording(self, sql, path, params=None):
        held_at_write.append(held())
        return write(self, sql, path, params)

    monkeypatch.setattr(type(engine), "write_parquet", recording)
    with engine.keeping(out, "std_census"):
        assert standardise_source(engine, intake, source, out)["rows"] == 2
    prefix = "__sl_standardise_"
    at_write = {n.removeprefix(prefix) for n in held_at_write[-1]}
    assert {"names", "addresses", "postcodes", "placeholders"} <= at_write
    assert not at_write & {"names_raw", "names_clean", "names_rom", "address_raw",
                           "address_words", "postcodes_raw"}
    left = {n.removeprefix(prefix) for n in held()}
    assert not left & {"names", "addresses", "postcodes", "placeholders", "names_raw",
                       "names_clean", "names_rom", "address_raw", "address_words",
                       "postcodes_raw"}
    _same_as_file(engine, "std_census", out)
    engine.close()


def test_kept_file_written_from_the_statement_then_loaded(tmp_path, monkeypatch):
    """With the reference's kept table held, a source's canonical statement's rows go to
    the file and its kept table is loaded from it: the statement (its sort) never runs
    while the table it makes is held beside the other (at 5M persons the sort's 2.26 GB,
    the table's 1.45 GB and the census table's 1.72 GB together set the run's peak); the
    first kept write, with nothing else held, makes its table first (no second read). The file's
    bytes are a table's write: a column with no null (here `sex`) written REQUIRED, as
    DuckDB marks it from a table's statistics and not from the sorted statement's."""
    intake, source = _two_records(tmp_path)
    first, out = tmp_path / "std_census.parquet", tmp_path / "std.parquet"
    engine = open_engine()
    sorting: list[str] = []  # what each sorted statement makes (its first word)
    execute = engine.con.execute

    class Recording:  # the connection, its sorted statements recorded
        def __getattr__(self, attr):
            return getattr(engine.con_real, attr)

        def execute(self, sql, *args):
            if "ORDER BY n.record_id, n._row" in sql:
                sorting.append(sql.split()[0])
            return execute(sql, *args)

    engine.con_real = engine.con
    monkeypatch.setattr(engine, "con", Recording())
    with engine.keeping(first, "std_census"):
        assert standardise_source(engine, intake, source, first)["rows"] == 2
    with engine.keeping(out, "std_source"):
        assert standardise_source(engine, intake, source, out)["rows"] == 2
    monkeypatch.setattr(engine, "con", engine.con_real)
    # the census: its table first; the source, beside it: the file, no table
    assert sorting == ["CREATE", "COPY"]
    _same_as_file(engine, "std_census", first)
    _same_as_file(engine, "std_source", out)
    assert out.read_bytes() == first.read_bytes()
    again = tmp_path / "from_table.parquet"
    engine.execute(f"COPY (SELECT * FROM std_source) TO '{again}' "
                   "(FORMAT PARQUET, COMPRESSION ZSTD)")
    assert out.read_bytes() == again.read_bytes()
    engine.close()
