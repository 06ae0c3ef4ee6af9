"""One row numbering in every table and message: a CSV record is named by the line it
starts on (the header is line 1, as an editor shows), a Parquet row by its 1-based number.
Quarantine `_row`, flagged values, accepted rows and error lines agree."""
from __future__ import annotations

import pandas as pd
import pytest

from spinelink.backends import open_engine
from spinelink.config import load_job
from spinelink.errors import IntakeError
from spinelink.intake import intake_source
from spinelink.readers import read_source

JOB = """\
schema_version: 1
name: t
reference: census
reference_date: 2021-03-21
sources:
  census:
    role: census
    path: {path}
    id: person_id
    columns: {{first_name: forename, last_name: surname, date_of_birth: dob}}
    date_format: "%d/%m/%Y"
"""
HEADER = "person_id,forename,surname,dob\n"


def _intake(tmp_path, name: str, write) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    write(tmp_path / name)
    (tmp_path / "job.yaml").write_text(JOB.format(path=name))
    intake_source(open_engine(), load_job(tmp_path / "job.yaml"), "census", tmp_path / "out")
    read = lambda p: pd.read_parquet(tmp_path / "out" / p)  # noqa: E731
    return (read("intake/census.parquet"), read("quarantine/census.parquet"),
            read("quarantine/census_values.parquet"))


def test_csv_rows_are_the_lines_an_editor_shows(tmp_path):
    body = (HEADER
            + "1,Ann,Lee,01/02/1980\n"          # line 2
            + "\n"                              # line 3: blank, not a record
            + '2,"Bo\nb",Day,31/02/1970\n'      # lines 4-5: a line break inside a value
            + "1,Cy,Ray,01/02/1970\n"           # line 6: duplicate id
            + "3,Di,Fox\n")                     # line 7: too few fields
    a, q, v = _intake(tmp_path, "c.csv", lambda p: p.write_text(body))
    assert a["_row"].tolist() == [2, 4]
    assert list(zip(q["_row"], q["reason"], strict=True)) == [
        (6, "duplicate identifier (first seen at line 2)"),
        (7, "has 3 fields where the header has 4")]
    assert list(zip(v["_row"], v["field"], strict=True)) == [(4, "dob")]


def test_the_fast_and_the_exact_csv_reader_number_rows_alike(tmp_path):
    clean = HEADER + "".join(f"{i},A,B,01/02/1980\n" for i in range(1, 6))
    (tmp_path / "clean.csv").write_text(clean)
    (tmp_path / "cp.csv").write_text(clean, encoding="cp1252")  # the exact reader
    (tmp_path / "crlf.csv").write_bytes(clean.replace("\n", "\r\n").encode() + b"\r\n\r\n")
    want = [2, 3, 4, 5, 6]
    assert read_source(tmp_path / "clean.csv").table.column("_row").to_pylist() == want
    assert read_source(tmp_path / "cp.csv", encoding="cp1252").table.column(
        "_row").to_pylist() == want
    assert read_source(tmp_path / "crlf.csv").table.column("_row").to_pylist() == want


def test_error_lines_use_the_same_numbers(tmp_path):
    body = HEADER + "1,Ann,Lee,01/02/1980\n" + '2,"Bob,Day,01/02/1970\n'  # line 3 opens a quote
    (tmp_path / "c.csv").write_text(body)
    with pytest.raises(IntakeError, match=r"c\.csv: line 3: a quoted field is never closed"):
        read_source(tmp_path / "c.csv")


def test_parquet_rows_are_numbered_from_one(tmp_path):
    df = pd.DataFrame({"person_id": ["1", "2", "1"], "forename": ["A", "B", "C"],
                       "surname": ["X", "Y", "Z"], "dob": ["01/02/1980", "31/02/1980",
                                                           "01/02/1980"]})
    a, q, v = _intake(tmp_path, "c.parquet", lambda p: df.to_parquet(p, index=False))
    assert a["_row"].tolist() == [1, 2]
    assert list(zip(q["_row"], q["reason"], strict=True)) == [
        (3, "duplicate identifier (first seen at row 1)")]
    assert v["_row"].tolist() == [2]


@pytest.mark.parametrize("body", [
    "1,a,\n2,b,\n",                  # the fast reader
    '1,a,\n2,"b\nc",\n',             # a line break in a value: the exact reader
    "1,a\x01,\n2,b,\n",              # a control character: the exact reader
])
def test_an_empty_unnamed_column_is_dropped_with_a_note(tmp_path, body):
    f = tmp_path / "t.csv"
    f.write_text("id,name,\n" + body, encoding="utf-8", newline="")
    got = read_source(f)
    assert got.table.column_names == ["id", "name", "_row"]
    assert got.table.num_rows == 2
    assert any("column 3 of the header has no name and no values" in n for n in got.notes)


@pytest.mark.parametrize("body, line", [
    ("1,a,\n2,b,x\n", 3),
    ('1,a,\n2,"b\nc",x\n', 3),
    ("1,a,\x01\n2,b,\n", 2),  # a value the exact reader blanks still counts
])
def test_an_unnamed_column_with_a_value_stops_intake_naming_its_line(tmp_path, body, line):
    f = tmp_path / "t.csv"
    f.write_text("id,name,\n" + body, encoding="utf-8", newline="")
    with pytest.raises(IntakeError, match=rf"line 1: column 3 of the header has no name, "
                                          rf"and line {line} has a value in it"):
        read_source(f)
