"""Intake: every row is accepted or quarantined with a reason; unusable files stop with
one line naming the file."""
from __future__ import annotations

import pandas as pd
import pytest

from spinelink.backends import open_engine
from spinelink.config import load_job
from spinelink.errors import IntakeError
from spinelink.intake import intake_source

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
    encoding: {encoding}
    delimiter: "{delimiter}"
    columns: {{first_name: forename, last_name: surname, date_of_birth: dob, sex: sex}}
    {extra}
"""
HEADER = "person_id,forename,surname,dob,sex\n"


def _intake(tmp_path, body: bytes | str, *, path="c.csv", encoding="utf-8", delimiter=",",
            extra=""):
    data = body.encode("utf-8") if isinstance(body, str) else body
    (tmp_path / path).write_bytes(data)
    (tmp_path / "job.yaml").write_text(
        JOB.format(path=path, encoding=encoding, delimiter=delimiter, extra=extra))
    lj = load_job(tmp_path / "job.yaml")
    res = intake_source(open_engine(), lj, "census", tmp_path / "out")
    q = pd.read_parquet(tmp_path / "out" / "quarantine" / "census.parquet")
    a = pd.read_parquet(tmp_path / "out" / "intake" / "census.parquet")
    assert res.rows_read == len(q) + len(a) == res.accepted + res.quarantined
    return res, a, q


ROW_CASES = [
    ("ragged row", "1,Ann,Lee,01/02/1980,F\n2,Bob,Day\n", 2, "(row)", "has 3 fields"),
    ("duplicate id", "1,Ann,Lee,01/02/1980,F\n1,Bob,Day,01/02/1970,M\n", 2, "person_id",
     "duplicate identifier (first seen at row 1)"),
    ("null id", "1,Ann,Lee,01/02/1980,F\n,Bob,Day,01/02/1970,M\n", 2, "person_id",
     "missing identifier"),
    ("impossible date", "1,Ann,Lee,31/02/1980,F\n2,Bob,Day,01/02/1970,M\n", 1, "dob",
     "not a valid date"),
    ("future date", "1,Ann,Lee,01/02/2030,F\n2,Bob,Day,01/02/1970,M\n", 1, "dob",
     "after the reference date"),
    ("age over 120", "1,Ann,Lee,01/02/1880,F\n2,Bob,Day,01/02/1970,M\n", 1, "dob",
     "age over 120"),
    ("excel serial date", "1,Ann,Lee,29252,F\n2,Bob,Day,01/02/1970,M\n", 1, "dob",
     "spreadsheet serial number"),
    ("unknown sex code", "1,Ann,Lee,01/02/1980,Q\n2,Bob,Day,01/02/1970,M\n", 1, "sex",
     "unknown sex code"),
    ("control character", "1,Ann\x07,Lee,01/02/1980,F\n2,Bob,Day,01/02/1970,M\n", 1,
     "forename", "control character"),
    ("very long value", f"1,{'A' * 5000},Lee,01/02/1980,F\n2,Bob,Day,01/02/1970,M\n", 1,
     "forename", "longer than"),
    ("lost leading zeros", "".join(f"{i:05d},A,B,01/02/1980,F\n" for i in range(1000, 1030))
     + "7,C,D,01/02/1980,M\n", 31, "person_id", "leading zeros lost"),
]


@pytest.mark.parametrize("label,rows,bad_row,field,reason", ROW_CASES,
                         ids=[c[0] for c in ROW_CASES])
def test_bad_rows_are_quarantined_with_reason(tmp_path, label, rows, bad_row, field, reason):
    res, accepted, q = _intake(tmp_path, HEADER + rows)
    hit = q[q["_row"] == bad_row]
    assert len(hit) == 1, q
    assert hit["field"].iat[0] == field
    assert reason in hit["reason"].iat[0]
    assert bad_row not in set(accepted["_row"])
    assert res.accepted >= 1


def test_accepted_rows_keep_originals_and_parsed_dob(tmp_path):
    _, a, q = _intake(tmp_path, HEADER + "007,Ann,Lee,01/02/1980,F\n")
    assert q.empty
    row = a.iloc[0]
    assert row["record_id"] == "007" and row["person_id"] == "007"
    assert str(row["_dob"])[:10] == "1980-02-01"


def test_cp1251_source_is_decoded(tmp_path):
    body = (HEADER + "1,Олександр,Шевченко,01/02/1980,M\n").encode("cp1251")
    _, a, _ = _intake(tmp_path, body, encoding="cp1251")
    assert a["forename"].iat[0] == "Олександр"


def test_invalid_bytes_for_declared_encoding_are_quarantined(tmp_path):
    body = HEADER.encode() + b"1,Ann,Lee,01/02/1980,F\n2,B\xffob,Day,01/02/1970,M\n"
    _, a, q = _intake(tmp_path, body)
    assert list(q["_row"]) == [2] and "not valid utf-8" in q["reason"].iat[0]
    assert q["field"].iat[0] == "forename"


def test_undeclared_bom_is_removed_and_noted(tmp_path):
    res, a, _ = _intake(tmp_path, b"\xef\xbb\xbf" + (HEADER + "1,Ann,Lee,01/02/1980,F\n").encode())
    assert "person_id" in a.columns and len(a) == 1
    assert any("byte-order mark" in n for n in res.notes)


def test_semicolon_delimiter(tmp_path):
    _, a, _ = _intake(tmp_path, HEADER.replace(",", ";") + "1;Ann;Lee;01/02/1980;F\n",
                      delimiter=";")
    assert a["surname"].iat[0] == "Lee"


def test_date_format_is_inferred_and_reported(tmp_path):
    body = "person_id,forename,surname,dob,sex\n1,A,B,1980-02-13,F\n2,C,D,1975-12-01,M\n"
    res, a, _ = _intake(tmp_path, body)
    assert res.date_format == "%Y-%m-%d" and res.date_format_inferred


def test_parquet_source(tmp_path):
    df = pd.DataFrame({"person_id": [1, 2], "forename": ["Ann", "Bob"], "surname": ["Lee", "Day"],
                       "dob": pd.to_datetime(["1980-02-01", "1970-01-01"]).date,
                       "sex": ["F", "M"]})
    df.to_parquet(tmp_path / "c.parquet")
    (tmp_path / "job.yaml").write_text(JOB.format(path="c.parquet", encoding="utf-8",
                                                  delimiter=",", extra=""))
    res = intake_source(open_engine(), load_job(tmp_path / "job.yaml"), "census",
                        tmp_path / "out")
    a = pd.read_parquet(tmp_path / "out" / "intake" / "census.parquet")
    assert res.accepted == 2 and list(a["record_id"]) == ["1", "2"]


FILE_CASES = [
    ("empty file", b"", "file is empty"),
    ("header only", HEADER.encode(), "has a header but no data rows"),
    ("missing column", b"person_id,forename,surname,sex\n1,A,B,F\n",
     "required column 'dob' is missing"),
    ("wrong delimiter", (HEADER.replace(",", ";") + "1;A;B;01/02/1980;F\n").encode(),
     "is the delimiter right?"),
    ("unclosed quote", (HEADER + '1,"Ann,Lee,01/02/1980,F\n2,B,C,01/02/1980,F\n').encode(),
     "unclosed quote"),
    ("all rows bad", (HEADER + ",A,B,01/02/1980,F\n").encode(), "no usable rows"),
]


@pytest.mark.parametrize("label,body,expected", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_unusable_files_stop_with_one_line(tmp_path, label, body, expected):
    with pytest.raises(IntakeError) as e:
        _intake(tmp_path, body)
    assert "c.csv" in str(e.value) and expected in str(e.value)
    assert "\n" not in str(e.value)


def test_missing_file_and_directory(tmp_path):
    (tmp_path / "job.yaml").write_text(JOB.format(path="nope.csv", encoding="utf-8",
                                                  delimiter=",", extra=""))
    with pytest.raises(IntakeError, match="nope.csv: file does not exist"):
        intake_source(open_engine(), load_job(tmp_path / "job.yaml"), "census", tmp_path / "o")
    (tmp_path / "d.csv").mkdir()
    (tmp_path / "job.yaml").write_text(JOB.format(path="d.csv", encoding="utf-8",
                                                  delimiter=",", extra=""))
    with pytest.raises(IntakeError, match="is a directory"):
        intake_source(open_engine(), load_job(tmp_path / "job.yaml"), "census", tmp_path / "o")


def test_expect_rows_out_of_range(tmp_path):
    with pytest.raises(IntakeError, match="outside expect_rows"):
        _intake(tmp_path, HEADER + "1,A,B,01/02/1980,F\n", extra="expect_rows: {min: 5}")


def test_set_missing_keeps_row_and_records_the_value(tmp_path):
    body = HEADER + "1,Ann,Lee,31/02/1980,F\n2,Bob,Day,01/02/1970,Q\n3,Cy,Ray,01/02/1970,M\n"
    res, a, q = _intake(tmp_path, body, extra="invalid_values: set_missing")
    assert q.empty and res.accepted == 3 and res.values_set_missing == 2
    v = pd.read_parquet(tmp_path / "out" / "quarantine" / "census_values.parquet")
    assert list(zip(v["_row"], v["field"], strict=True)) == [(1, "dob"), (2, "sex")]
    a = a.set_index("_row")
    assert pd.isna(a.loc[1, "dob"]) and pd.isna(a.loc[1, "_dob"]) and a.loc[1, "surname"] == "Lee"
    assert pd.isna(a.loc[2, "sex"]) and str(a.loc[3, "_dob"])[:10] == "1970-02-01"
