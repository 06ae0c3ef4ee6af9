"""Intake's passes over a source, made cheaper without changing what they find (session 48,
issue 16): the fast CSV reader takes a file that ends in one line break as it is (no copy),
row numbers come from a NumPy range, the date sample is looked for among the first rows
first, a code list is looked up once per distinct value, the length check runs only for
the columns that hold a long value, and a column's emptiness is settled by its first value.
Each is checked against the form it replaced, on tables made by hand."""
from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from spinelink import intake_dates
from spinelink.backends import open_engine
from spinelink.jobspec.code_lists import sex_code_key, sex_codes
from spinelink.readers import _one_final_newline, read_source
from spinelink.sqlfiles import quote_ident, sql_file


@pytest.mark.parametrize("body", [b"a,b\n1,2\n", b"a,b\r\n1,2\r\n", b"a,b\n1,2", b"a,b\n1,2\n\n",
                                  b"a,b\n1,2\r\n\r\n", b"a,b\n1,2\r", b"\n", b"\r\n\n"])
def test_the_fast_reader_takes_a_file_ending_in_one_line_break_as_it_is(body, tmp_path):
    """The body given to Arrow's reader: the file itself when it ends in one line break
    (\\n or \\r\\n: no copy of it), else without its trailing breaks and one \\n added, as
    before; and a file read either way gives one table."""
    got = _one_final_newline(body)
    stripped = body.rstrip(b"\r\n")
    one_break = body[len(stripped):] in (b"\n", b"\r\n")
    assert (got is body) is one_break
    assert got == (body if one_break else stripped + b"\n")
    lf, crlf = tmp_path / "lf.csv", tmp_path / "crlf.csv"
    lf.write_bytes(b"id,name\n1,ann\n2,bob\n")
    crlf.write_bytes(b"id,name\r\n1,ann\r\n2,bob\r\n")
    assert read_source(lf).table.equals(read_source(crlf).table)


def test_row_numbers_count_from_the_first_line_or_row(tmp_path):
    csv, pq = tmp_path / "s.csv", tmp_path / "s.parquet"
    csv.write_text("id,name\n" + "".join(f"{i},n{i}\n" for i in range(1000)))
    pd.DataFrame({"id": [str(i) for i in range(1000)]}).to_parquet(pq)
    for path, first in ((csv, 2), (pq, 1)):
        rows = read_source(path).table.column("_row")
        assert rows.type == pa.int64() and rows.to_pylist() == list(range(first, first + 1000))


def _raw(engine, values, rows):
    engine.register("raw", pa.table({"_row": pa.array(rows, pa.int64()),
                                     "id": pa.array([f"i{r}" for r in rows]),
                                     "dob": pa.array(values, pa.string())}))


@pytest.mark.parametrize("every", [2, 50])
def test_a_date_sample_from_the_first_rows_is_the_files_first_values(monkeypatch, every):
    """The first SAMPLE non-empty values by `_row` (blank, 'nan' and NULL are not values),
    whatever the table's order: found among the first SAMPLE_SPAN row numbers when they
    hold SAMPLE values (every other row), else among every row (one row in 50)."""
    monkeypatch.setattr(intake_dates, "SAMPLE", 30)
    monkeypatch.setattr(intake_dates, "SAMPLE_SPAN", 120)
    rows = list(range(7, 2007))[::-1]  # the table's order is not the rows' order
    values = [(f"0{r % 9 + 1}/02/1980" if r % every == 0 else
               ["", " ", "nan", None, "N/A"][r % 5]) for r in rows]
    engine = open_engine("duckdb")
    try:
        _raw(engine, values, rows)
        got = engine.df(f"SELECT * FROM {intake_dates.sample_dates(engine, 'raw', 'dob')}")
        engine.execute(sql_file("intake/date_sample.sql", sample="whole", raw="raw",
                                col="dob"), {"sample": 30, "span": None})
        want = engine.df("SELECT * FROM whole")
    finally:
        engine.close()
    pd.testing.assert_frame_equal(got, want)
    assert len(got) == 30 and got["_row"].is_monotonic_increasing
    assert got["_row"].iloc[0] == (8 if every == 2 else 50)


def test_a_code_list_is_looked_up_once_per_value_with_the_rows_a_lookup_per_row_finds():
    values = ["M", " f ", "M.", "zz", "", None, "zz", "  ", "Female", "Mxx.", "m"] * 3
    rows = list(range(2, 2 + len(values)))
    old = ("SELECT _row, trim(id) AS record_id, 'sex' AS field, 'bad' AS reason, "
           "sl_intake_value_kind(dob) AS value_kind, 20 AS priority FROM raw "
           "WHERE dob IS NOT NULL AND trim(dob) <> '' "
           f"AND NOT list_contains($codes, {sex_code_key(quote_ident('dob'))}) ORDER BY _row")
    engine = open_engine("duckdb")
    try:
        intake_dates.install_macros(engine)
        _raw(engine, values, rows)
        new = sql_file("intake/check_known_codes.sql", raw="raw", id="id", col="dob",
                       normalised=sex_code_key(quote_ident("v")))
        params = {"codes": sex_codes(), "field": "sex", "reason": "bad", "priority": 20}
        got = engine.df(f"SELECT * FROM ({new}) q ORDER BY _row", params)
        want = engine.df(old, {"codes": sex_codes()})
    finally:
        engine.close()
    pd.testing.assert_frame_equal(got, want)
    assert set(got["value_kind"]) == {"aa", "aaa."} and len(got) == 9  # not m., f, female


def test_the_length_check_runs_for_the_columns_holding_a_long_value_only(tmp_path):
    """`_long_columns` finds in one pass the columns the length check finds rows in."""
    from spinelink.config import load_job
    from spinelink.intake import MAX_LEN, _long_columns

    (tmp_path / "c.csv").write_text("pid,fn,sn,dob\n1,a,b,01/02/1980\n")
    (tmp_path / "job.yaml").write_text(
        "schema_version: 1\nname: t\nreference: c\nreference_date: 2021-03-21\n"
        "sources:\n  c:\n    role: census\n    path: c.csv\n    id: pid\n"
        "    columns: {first_name: fn, last_name: sn, date_of_birth: dob}\n")
    src = load_job(tmp_path / "job.yaml").job.sources["c"]
    engine = open_engine("duckdb")
    try:
        intake_dates.install_macros(engine)
        engine.register("raw", pa.table({
            "_row": [2, 3, 4], "pid": ["1", "2", "3"], "fn": ["a", "x" * MAX_LEN, None],
            "sn": ["b", "c", "y" * (MAX_LEN + 1)], "dob": [None, None, None]}))
        got = _long_columns(engine, "raw", src)
        per_column = {c for c in ("fn", "sn", "dob") if engine.scalar(
            "SELECT count(*) FROM ({}) q".format(
                sql_file("intake/check_length.sql", raw="raw", id="pid", col=c)),
            {"field": c, "max_len": MAX_LEN})}
    finally:
        engine.close()
    assert got == per_column == {"sn"}


@pytest.mark.parametrize("values,empty", [(["", None, " ", "v"], False), (["", None, " "], True)])
def test_a_column_is_empty_when_no_row_holds_a_value(values, empty):
    engine = open_engine("duckdb")
    try:
        _raw(engine, values, list(range(2, 2 + len(values))))
        got = engine.scalar(sql_file("intake/all_empty.sql", raw="raw", col="dob"))
    finally:
        engine.close()
    assert bool(got) is empty


def test_one_to_one_sources_read_the_record_ids_only_when_no_unit_is_linked_twice(tmp_path):
    """A links file whose units repeat is not one-to-one whatever its record ids hold: they
    are not read (here a file without them is judged), as the scratch DuckDB counts each
    column alone."""
    from spinelink.quality.protect_spec import one_to_one_sources

    (tmp_path / "links").mkdir()
    pd.DataFrame({"reference_id": ["u1", "u1"]}).to_parquet(tmp_path / "links" / "a.parquet")
    pd.DataFrame({"reference_id": ["u1", "u2"], "source_id": ["r1", "r2"]}).to_parquet(
        tmp_path / "links" / "b.parquet")
    assert one_to_one_sources(tmp_path, ["a", "b"]) == ("b",)
