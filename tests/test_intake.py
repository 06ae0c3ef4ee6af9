"""Intake: every row is accepted or quarantined with a reason; unusable files stop with
one line naming the file."""
from __future__ import annotations

import datetime as dt
import re

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


# rows that cannot be used at all: quarantined whatever invalid_values says. Rows are
# named by their line in the file (the header is line 1), as errors name them
ROW_CASES = [
    ("ragged row", "1,Ann,Lee,01/02/1980,F\n2,Bob,Day\n", 3, "(row)", "has 3 fields"),
    ("duplicate id", "1,Ann,Lee,01/02/1980,F\n1,Bob,Day,01/02/1970,M\n", 3, "person_id",
     "duplicate identifier (first seen at line 2)"),
    ("null id", "1,Ann,Lee,01/02/1980,F\n,Bob,Day,01/02/1970,M\n", 3, "person_id",
     "missing identifier"),
    ("control character in id", "1,Ann,Lee,01/02/1980,F\n2\x07,Bob,Day,01/02/1970,M\n", 3,
     "person_id", "control character"),
]
# one value that fails a check: by default set to missing and flagged, the row kept
VALUE_CASES = [
    ("impossible date", "1,Ann,Lee,31/02/1980,F\n2,Bob,Day,01/02/1970,M\n", 2, "dob",
     "not a valid date"),
    ("future date", "1,Ann,Lee,01/02/2030,F\n2,Bob,Day,01/02/1970,M\n", 2, "dob",
     "after the reference date"),
    ("age over 120", "1,Ann,Lee,01/02/1880,F\n2,Bob,Day,01/02/1970,M\n", 2, "dob",
     "age over 120"),
    ("excel serial date", "1,Ann,Lee,29252,F\n2,Bob,Day,01/02/1970,M\n", 2, "dob",
     "spreadsheet serial number"),
    ("not a known sex code", "1,Ann,Lee,01/02/1980,Q\n2,Bob,Day,01/02/1970,M\n", 2, "sex",
     "not a known sex code"),
    ("control character", "1,Ann\x07,Lee,01/02/1980,F\n2,Bob,Day,01/02/1970,M\n", 2,
     "forename", "control character"),
    ("very long value", f"1,{'A' * 5000},Lee,01/02/1980,F\n2,Bob,Day,01/02/1970,M\n", 2,
     "forename", "longer than"),
]
BOTH = ["", "invalid_values: set_missing", "invalid_values: quarantine"]


@pytest.mark.parametrize("extra", BOTH)
@pytest.mark.parametrize("label,rows,bad_row,field,reason", ROW_CASES,
                         ids=[c[0] for c in ROW_CASES])
def test_unusable_rows_are_quarantined_with_reason(tmp_path, label, rows, bad_row, field,
                                                   reason, extra):
    res, accepted, q = _intake(tmp_path, HEADER + rows, extra=extra)
    hit = q[q["_row"] == bad_row]
    assert len(hit) == 1, q
    assert hit["field"].iat[0] == field
    assert reason in hit["reason"].iat[0]
    assert bad_row not in set(accepted["_row"])
    assert res.accepted >= 1


def _values(tmp_path) -> pd.DataFrame:
    return pd.read_parquet(tmp_path / "out" / "quarantine" / "census_values.parquet")


@pytest.mark.parametrize("label,rows,bad_row,field,reason", VALUE_CASES,
                         ids=[c[0] for c in VALUE_CASES])
def test_bad_values_are_set_missing_and_flagged_by_default(tmp_path, label, rows, bad_row,
                                                           field, reason):
    res, accepted, q = _intake(tmp_path, HEADER + rows)
    assert q.empty and res.accepted == 2
    v = _values(tmp_path)
    assert list(v.columns) == ["_row", "record_id", "field", "reason", "value_kind", "action"]
    assert list(zip(v["_row"], v["field"], v["action"], strict=True)) == [
        (bad_row, field, "set to missing")]
    assert reason in v["reason"].iat[0] and v["record_id"].iat[0] == str(bad_row - 1)
    bad_value = rows.splitlines()[bad_row - 2].split(",")[HEADER.strip().split(",").index(field)]
    assert not (v.astype(str) == bad_value).any().any()  # the value itself is never written
    row = accepted.set_index("_row").loc[bad_row]
    assert pd.isna(row[field]) and row["surname"] == "Lee"  # only that value is gone
    if field == "dob":
        assert pd.isna(row["_dob"])
    assert res.values_set_missing == 1
    assert res.values_flagged == {f"{field}: {v['reason'].iat[0]}": 1}


@pytest.mark.parametrize("label,rows,bad_row,field,reason", VALUE_CASES,
                         ids=[c[0] for c in VALUE_CASES])
def test_bad_values_quarantine_the_row_when_asked(tmp_path, label, rows, bad_row, field,
                                                  reason):
    res, accepted, q = _intake(tmp_path, HEADER + rows, extra="invalid_values: quarantine")
    hit = q[q["_row"] == bad_row]
    assert len(hit) == 1 and hit["field"].iat[0] == field and reason in hit["reason"].iat[0]
    assert bad_row not in set(accepted["_row"]) and _values(tmp_path).empty


def test_lost_leading_zeros_are_flagged_and_the_record_kept(tmp_path):
    rows = "".join(f"{i:05d},A,B,01/02/1980,F\n" for i in range(1000, 1030))
    rows += "7,C,D,01/02/1980,M\n"
    res, a, q = _intake(tmp_path, HEADER + rows)
    assert q.empty and res.accepted == 31
    v = _values(tmp_path)
    assert list(zip(v["_row"], v["field"], v["action"], strict=True)) == [
        (32, "person_id", "flagged, kept")]
    assert "leading zeros lost" in v["reason"].iat[0]
    assert a.set_index("_row").loc[32, "person_id"] == "7"  # an id is never blanked
    _, _, q = _intake(tmp_path, HEADER + rows, extra="invalid_values: quarantine")
    assert list(q["_row"]) == [32] and "leading zeros lost" in q["reason"].iat[0]


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


def test_invalid_bytes_for_declared_encoding_blank_the_value(tmp_path):
    body = HEADER.encode() + b"1,Ann,Lee,01/02/1980,F\n2,B\xffob,Day,01/02/1970,M\n"
    _, a, q = _intake(tmp_path, body)
    v = _values(tmp_path)
    assert q.empty and list(zip(v["_row"], v["field"], strict=True)) == [(3, "forename")]
    assert "not valid utf-8" in v["reason"].iat[0] and v["value_kind"].iat[0] == "a?aa"
    assert pd.isna(a.set_index("_row").loc[3, "forename"])
    _, a, q = _intake(tmp_path, body, extra="invalid_values: quarantine")
    assert list(q["_row"]) == [3] and "not valid utf-8" in q["reason"].iat[0]
    assert q["field"].iat[0] == "forename"


def test_invalid_bytes_in_a_short_row_and_in_an_id_are_quarantined_not_a_crash(tmp_path,
                                                                                capfd):
    # a row of the wrong width whose id is not UTF-8 (Arrow's fast reader used to see it
    # first, and the quarantine could not store the id)
    body = HEADER.encode() + b"1,Ann,Lee,01/02/1980,F\n\xff\xfe,\xff\n3,Bo,Day,01/02/1970,M\n"
    _, a, q = _intake(tmp_path, body)
    assert list(a["person_id"]) == ["1", "3"]
    assert list(q["_row"]) == [3] and "2 fields where the header has 5" in q["reason"].iat[0]
    assert q["record_id"].isna().iat[0] or "\\xff" in q["record_id"].iat[0]
    assert "Exception ignored" not in capfd.readouterr().err


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
    res, a = _parquet_intake(tmp_path)
    assert res.accepted == 2 and list(a["record_id"]) == ["1", "2"]


def _parquet_intake(tmp_path, extra: str = ""):
    """Intake of the census written to tmp_path/c.parquet: its result and accepted table."""
    (tmp_path / "job.yaml").write_text(JOB.format(path="c.parquet", encoding="utf-8",
                                                  delimiter=",", extra=extra))
    res = intake_source(open_engine(), load_job(tmp_path / "job.yaml"), "census",
                        tmp_path / "out")
    return res, pd.read_parquet(tmp_path / "out" / "intake" / "census.parquet")


def test_integer_postcode_column_is_flagged(tmp_path, caplog):
    # a Parquet postcode column of integers has lost leading zeros (01001 held as 1001):
    # a warning naming the file and column, no value; the job's postcode_digits says so
    df = pd.DataFrame({"person_id": ["1", "2"], "forename": ["Ann", "Bob"],
                       "surname": ["Lee", "Day"], "dob": ["01/02/1980", "01/01/1970"],
                       "sex": ["F", "M"], "pc": pd.array([2100, 79000], dtype="int64")})
    df.to_parquet(tmp_path / "c.parquet")
    job = JOB.replace("sex: sex}", "sex: sex, postcode: pc}")
    notes = {}
    for extra in ("", "postcode_digits: 5"):
        (tmp_path / "job.yaml").write_text(job.format(path="c.parquet", encoding="utf-8",
                                                      delimiter=",", extra=extra))
        with caplog.at_level("WARNING"):
            res = intake_source(open_engine(), load_job(tmp_path / "job.yaml"), "census",
                                tmp_path / "out")
        found = [n for n in res.notes if "column 'pc' (postcode) is an integer column" in n]
        assert len(found) == 1 and "2100" not in found[0]  # no record's value
        notes[extra] = found[0]
        assert any("c.parquet" in r.getMessage() and "'pc'" in r.getMessage()
                   for r in caplog.records)
    assert "set postcode_digits" in notes[""] and "padded" in notes["postcode_digits: 5"]
    # the same postcodes as text: nothing to say
    df.astype({"pc": str}).to_parquet(tmp_path / "c.parquet")
    res = intake_source(open_engine(), load_job(tmp_path / "job.yaml"), "census",
                        tmp_path / "out2")
    assert not [n for n in res.notes if "integer column" in n]


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
    # a spreadsheet's first line before the header (it read "does it start with a header
    # row?", which does not say what to delete)
    ("delimiter hint line", ("sep=,\n" + HEADER + "1,A,B,01/02/1980,F\n").encode(),
     "the first line is a spreadsheet's delimiter hint (sep=), not the header: delete that"),
    # a spreadsheet's "Unicode text" (it read "bytes that are not valid utf-8 ... e.g.
    # encoding: cp1251", an encoding that reads it no better)
    ("utf-16", (HEADER + "1,A,B,01/02/1980,F\n").encode("utf-16"),
     "is UTF-16 text (a spreadsheet's 'Unicode text'), which spinelink does not read; "
     "save it as 'CSV UTF-8'"),
]


@pytest.mark.parametrize("label,body,expected", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_unusable_files_stop_with_one_line(tmp_path, label, body, expected):
    with pytest.raises(IntakeError) as e:
        _intake(tmp_path, body)
    assert "c.csv" in str(e.value) and expected in str(e.value)
    assert "\n" not in str(e.value)


def test_a_parquet_column_name_twice_is_named_not_called_unreadable(tmp_path):
    """pyarrow writes a Parquet file with a column name twice and then cannot read it; the
    error named the file "not a readable Parquet file (ArrowInvalid)" (a new user's
    pandas export of two columns renamed alike). It names the column, at job load and
    when intake reads the file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from spinelink.readers import read_source

    cols = [pa.array(["1", "2"]), pa.array(["Ann", "Bob"]), pa.array(["Lee", "Day"]),
            pa.array(["01/02/1980", "01/02/1970"]), pa.array(["F", "M"]),
            pa.array(["Ann", "Bob"])]
    names = ["person_id", "forename", "surname", "dob", "sex", "forename"]
    pq.write_table(pa.Table.from_arrays(cols, names=names), tmp_path / "c.parquet")
    said = "c.parquet: column 'forename' appears twice in the file's columns"
    with pytest.raises(IntakeError, match=re.escape(said)):
        _intake(tmp_path, (tmp_path / "c.parquet").read_bytes(), path="c.parquet")
    with pytest.raises(IntakeError, match=re.escape(said)):
        read_source(tmp_path / "c.parquet")
    (tmp_path / "c.parquet").write_bytes(b"PAR1 not parquet")  # not Parquet: as before
    with pytest.raises(IntakeError, match="c.parquet: not a readable Parquet file"):
        read_source(tmp_path / "c.parquet")


def test_a_mapped_column_empty_in_every_row_is_named(tmp_path):
    """A mapped column with no value in any row (the wrong column mapped, or a Parquet
    column of nulls) left the run silent: its records linked on the other fields and
    nothing said why. A warning names the source, the field and the column (no value); a
    column with one value, or a typed date column, says nothing."""
    res, a, _ = _intake(tmp_path, HEADER + "1,Ann,,01/02/1980,F\n2,Bob, ,01/02/1970,M\n")
    assert len(a) == 2
    assert res.warnings == ["source census, field last_name: column 'surname' is empty in "
                            "every row; the records link on their other fields (is it the "
                            "right column?)"]
    res, _, _ = _intake(tmp_path, HEADER + "1,Ann,,01/02/1980,F\n2,Bob,Day,01/02/1970,M\n")
    assert res.warnings == []
    import pyarrow as pa
    import pyarrow.parquet as pq
    tbl = pa.table({"person_id": ["1", "2"], "forename": ["Ann", "Bob"],
                    "surname": ["Lee", "Day"], "dob": pa.nulls(2), "sex": ["F", "M"]})
    pq.write_table(tbl, tmp_path / "c.parquet")
    res, a, _ = _intake(tmp_path, (tmp_path / "c.parquet").read_bytes(), path="c.parquet")
    assert len(a) == 2 and [w.split(":")[0] for w in res.warnings] == [
        "source census, field date_of_birth"]
    tbl = tbl.set_column(3, "dob", pa.array([None, dt.date(1970, 2, 1)], pa.date32()))
    pq.write_table(tbl, tmp_path / "c.parquet")
    res, _, _ = _intake(tmp_path, (tmp_path / "c.parquet").read_bytes(), path="c.parquet")
    assert res.warnings == []


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
    assert list(zip(v["_row"], v["field"], strict=True)) == [(2, "dob"), (3, "sex")]
    a = a.set_index("_row")  # lines of the file: the header is line 1
    assert pd.isna(a.loc[2, "dob"]) and pd.isna(a.loc[2, "_dob"]) and a.loc[2, "surname"] == "Lee"
    assert pd.isna(a.loc[3, "sex"]) and str(a.loc[4, "_dob"])[:10] == "1970-02-01"


# ---- dates stored as numbers or as date types; format inference -------------------------

def _intake_parquet(tmp_path, df: pd.DataFrame, extra: str = "", job: str = JOB):
    df.to_parquet(tmp_path / "c.parquet", index=False)
    (tmp_path / "job.yaml").write_text(job.format(path="c.parquet", encoding="utf-8",
                                                  delimiter=",", extra=extra))
    res = intake_source(open_engine(), load_job(tmp_path / "job.yaml"), "census",
                        tmp_path / "out")
    a = pd.read_parquet(tmp_path / "out" / "intake" / "census.parquet")
    return res, a


def _people(dob) -> pd.DataFrame:
    n = len(dob)
    return pd.DataFrame({"person_id": [f"P{i}" for i in range(n)],
                         "forename": ["Ann"] * n, "surname": ["Lee"] * n, "dob": dob,
                         "sex": ["F"] * n})


@pytest.mark.parametrize("numbers", [
    pd.Series([19800131.0, 19751201.0, None, 20010229.0]),  # float (missing values: NaN)
    pd.Series([19800131, 19751201, None, 20010229], dtype="Int64"),  # nullable int
    pd.Series([19800131, 19751201, 19990101, 20010229], dtype="int64"),
], ids=["float", "nullable int", "int"])
def test_parquet_dates_stored_as_numbers_are_read_as_yyyymmdd(tmp_path, numbers):
    res, a = _intake_parquet(tmp_path, _people(numbers))
    assert res.date_format == "%Y%m%d" and res.date_format_inferred
    assert res.quarantined == 0 and res.accepted == 4
    dob = a.set_index("_row")["_dob"].astype(str).str[:10]
    assert dob[1] == "1980-01-31" and dob[2] == "1975-12-01"
    assert a.set_index("_row").loc[1, "dob"] == "19800131"  # no ".0"
    v = _values(tmp_path)  # 29 February 2001 does not exist: blanked, flagged
    assert list(zip(v["_row"], v["field"], v["value_kind"], strict=True)) == [
        (4, "dob", "99999999")]


def test_parquet_dates_stored_as_32_bit_floats_are_warned_about(tmp_path, caplog):
    """A 32-bit float holds whole numbers exactly only up to 2**24: 19800131 is stored as
    19800132 (blanked: no such day) and 19751203 as 19751204 (another day, silently).
    The file holds them so; the run warns, naming the file, the column and the first row
    such a value is on (no value), and what to write instead."""
    dob = pd.Series([12.0, 19800131.0, 19751203.0, None], dtype="float32")
    assert dob[1] == 19800132  # rounded by the writer, not by spinelink
    with caplog.at_level("WARNING", logger="spinelink"):
        res, _ = _intake_parquet(tmp_path, _people(dob), extra="date_format: '%Y%m%d'")
    msg = [r.getMessage() for r in caplog.records if "32-bit" in r.getMessage()]
    assert len(msg) == 1 and str(tmp_path / "c.parquet") in msg[0], msg
    assert "column 'dob'" in msg[0] and "row 2" in msg[0] and "1975" not in msg[0]
    assert any("32-bit" in n for n in res.notes)  # in intake/report.json too
    # 64-bit floats hold them exactly: no warning
    caplog.clear()
    with caplog.at_level("WARNING", logger="spinelink"):
        _intake_parquet(tmp_path, _people(pd.Series([19800131.0, 19751203.0, None])))
    assert not [r for r in caplog.records if "32-bit" in r.getMessage()]


@pytest.mark.parametrize("extra", ["", "date_format: '%m%d%Y'"],
                         ids=["inferred", "declared"])
def test_month_first_dates_stored_as_numbers_get_their_leading_zero_back(tmp_path, extra):
    # MMDDYYYY written as numbers (a spreadsheet, a data frame): 02172018 became 2172018
    # and 01212015 became 1212015, which %m%d%Y would read as 12/12/0015
    dob = pd.Series([12042018, 2172018, 1212015, 10311999, 3162015], dtype="int64")
    res, a = _intake_parquet(tmp_path, _people(dob), extra=extra)
    assert res.date_format == "%m%d%Y" and res.date_format_inferred == (extra == "")
    assert list(a["_dob"].astype(str).str[:10]) == [
        "2018-12-04", "2018-02-17", "2015-01-21", "1999-10-31", "2015-03-16"]
    assert a.set_index("_row").loc[2, "dob"] == "2172018"  # the value as read is kept
    assert _values(tmp_path).empty


def test_csv_dates_written_as_floats_are_read(tmp_path):
    body = HEADER + "1,Ann,Lee,19800131.0,F\n2,Bob,Day,19751201.0,M\n3,Cy,Ray,,M\n"
    res, a, q = _intake(tmp_path, body)
    assert res.date_format == "%Y%m%d" and q.empty
    assert list(a["_dob"].astype(str).str[:10])[:2] == ["1980-01-31", "1975-12-01"]


def test_parquet_nested_and_binary_columns_are_read_or_named(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols = {"person_id": pa.array(["P1", "P2"]), "forename": pa.array([b"Ann", b"Bob"]),
            "surname": pa.array(["Lee", "Day"]), "dob": pa.array(["01/02/1980", None]),
            "sex": pa.array(["F", "M"]),
            "phones": pa.array([["0123", "0456"], None]),  # not mapped: no reason to stop
            "extra": pa.array([{"k": 1}, {"k": 2}])}
    pq.write_table(pa.table(cols), tmp_path / "c.parquet")
    res, a = _parquet_intake(tmp_path)
    assert res.accepted == 2 and list(a["forename"]) == ["Ann", "Bob"]
    assert a["phones"].iloc[0] == '["0123", "0456"]' and pd.isna(a["phones"].iloc[1])
    cols["forename"] = pa.array([b"Ann", b"B\xf6b"])  # latin-1 bytes in a binary column
    pq.write_table(pa.table(cols), tmp_path / "c.parquet")
    with pytest.raises(IntakeError) as e:
        intake_source(open_engine(), load_job(tmp_path / "job.yaml"), "census",
                      tmp_path / "out2")
    assert str(e.value) == (f"{tmp_path / 'c.parquet'}: row 2: column 'forename' holds bytes "
                            "that are not valid UTF-8 (a binary column); write it as a text "
                            "column")


def test_parquet_date_and_timestamp_columns_are_used_as_dates(tmp_path):
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    tbl = pa.table({
        "person_id": ["1", "2", "3"], "forename": ["Ann", "Bob", "Cy"],
        "surname": ["Lee", "Day", "Ray"],
        "dob": pa.array([dt.date(1980, 1, 31), None, dt.date(1890, 5, 1)], pa.date32()),
        "sex": ["F", "M", "M"],
        # midnight in Berlin is the previous day in UTC: the local date is the date
        "born_at": pa.array([dt.datetime(1979, 12, 31, 23, 0)] * 3,
                            pa.timestamp("us", tz="UTC")).cast(
                                pa.timestamp("us", tz="Europe/Berlin"))})
    pq.write_table(tbl, tmp_path / "c.parquet")
    res, a = _parquet_intake(tmp_path, "date_format: '%d/%m/%Y'")
    a = a.set_index("_row")
    assert res.date_format == "date type" and not res.date_format_inferred
    assert any("date type" in n and "not used" in n for n in res.notes)
    assert str(a.loc[1, "_dob"])[:10] == "1980-01-31" and a.loc[1, "dob"] == "1980-01-31"
    assert pd.isna(a.loc[2, "_dob"]) and pd.isna(a.loc[3, "_dob"])  # 1890: over 120, blanked
    assert a.loc[1, "born_at"] == "1980-01-01"
    v = _values(tmp_path)
    assert list(zip(v["_row"], v["reason"], strict=True)) == [
        (3, "date of birth implies an age over 120")]


@pytest.mark.parametrize("dates,fmt", [
    (["1980-02-13", "1975-12-01"], "%Y-%m-%d"),
    (["19800213", "19751201"], "%Y%m%d"),
    (["13/02/1980", "01/12/1975"], "%d/%m/%Y"),  # 13 cannot be a month: day first
    (["02/13/1980", "12/01/1975"], "%m/%d/%Y"),  # 13 cannot be a month: month first
    (["1981-04-03 00:00:00", "1975-12-01 00:00:00"], "%Y-%m-%d"),  # spreadsheet datetimes
    # midnight as 1C and Excel in Ukrainian / Russian locales write it (the hour without
    # its zero) and as US Excel does (12-hour clock): no format matched them
    (["13.02.1980 0:00:00", "01.12.1975 0:00:00"], "%d.%m.%Y"),
    (["2/13/1980 12:00:00 AM", "12/1/1975 12:00 AM"], "%m/%d/%Y"),
    (["13/02/81", "01/12/75"], "%d/%m/%y"),  # two-digit years are not the year 81
    (["12042018", "02132016"], "%m%d%Y"),  # digits only, month first (13 is a day)
    (["13022016", "04122018"], "%d%m%Y"),  # digits only, day first
    (["Feb 13, 1980", "Dec 01, 1975"], "%b %d, %Y"),  # as US spreadsheets write them
    (["February 13, 1980", "December 1, 1975"], "%B %d, %Y"),
    (["13.02.81", "01.12.75"], "%d.%m.%y"),  # two-digit years with dots (de, uk, ru)
])
def test_date_format_is_inferred_from_the_data(tmp_path, dates, fmt):
    body = HEADER + "".join(f'{i},A,B,"{d}",F\n' for i, d in enumerate(dates, 1))
    res, a, q = _intake(tmp_path, body)
    assert (res.date_format, res.date_format_inferred) == (fmt, True)
    assert q.empty and a["_dob"].notna().all() and _values(tmp_path).empty
    assert any(f"date format {fmt} inferred for column 'dob'" in n for n in res.notes)


@pytest.mark.parametrize("dates", [["13/02/81", "01/12/75"], ["13/02/1981", "01/12/1975"]],
                         ids=["two-digit years", "four-digit years"])
def test_the_date_sample_is_not_held_after_intake(tmp_path, dates):
    """The sample read to infer the format is dropped on every path, a two-digit year's
    (which reads no repairs) included: it once stayed in the engine to the end of the run."""
    (tmp_path / "c.csv").write_text(
        HEADER + "".join(f'{i},A,B,"{d}",F\n' for i, d in enumerate(dates, 1)))
    (tmp_path / "job.yaml").write_text(
        JOB.format(path="c.csv", encoding="utf-8", delimiter=",", extra=""))
    engine = open_engine()
    res = intake_source(engine, load_job(tmp_path / "job.yaml"), "census", tmp_path / "out")
    assert res.date_format_inferred and res.accepted == 2
    held = [n for (n,) in engine.con.execute(
        "SELECT table_name FROM duckdb_tables()").fetchall() if "date_sample" in n]
    assert held == []


def test_two_digit_years_take_the_century_before_the_reference_date(tmp_path):
    # DuckDB's strptime reads %y 00-68 as 20xx: 03.01.67 was 2067, and a derived reference
    # date moved past it, so a third of a census was silently a century late
    body = HEADER + "1,A,B,03.01.67,F\n2,A,B,15.06.20,F\n3,A,B,01.05.21,F\n4,A,B,29.02.00,M\n"
    res, a, q = _intake(tmp_path, body, extra="date_format: '%d.%m.%y'")
    assert q.empty and _values(tmp_path).empty
    assert list(a["_dob"].astype(str).str[:10]) == [  # reference date 2021-03-21
        "1967-01-03", "2020-06-15", "1921-05-01", "2000-02-29"]
    (tmp_path / "job.yaml").write_text(JOB.replace("reference_date: 2021-03-21\n", "").format(
        path="c.csv", encoding="utf-8", delimiter=",", extra=""))
    with pytest.raises(IntakeError) as e:  # inferred %d/%m/%y: the century cannot be told
        (tmp_path / "c.csv").write_text(HEADER + "1,A,B,13/02/81,F\n2,A,B,01/12/75,F\n")
        intake_source(open_engine(), load_job(tmp_path / "job.yaml"), "census",
                      tmp_path / "out2")
    assert str(e.value) == (
        f"{tmp_path / 'c.csv'}: dates in column 'dob' have two-digit years (format "
        "%d/%m/%y): declare reference_date in the job file, so that the century can be told "
        "(a date after it is taken 100 years earlier)")


def test_a_few_two_digit_years_in_a_four_digit_column_are_named(tmp_path):
    """Three dates of four written with a two-digit year under %d.%m.%Y: flagged as not
    fitting the format (not as ages over 120), with a warning that names the rows' count
    and the first record and suggests %d.%m.%y; when most values have four-digit years, no
    switch is suggested."""
    body = HEADER + ("1,A,B,13.02.1981,F\n2,A,B,03.04.85,F\n3,A,B,01.12.75,M\n"
                     "4,A,B,1.2.5,M\n")
    res, a, q = _intake(tmp_path, body, extra="date_format: '%d.%m.%Y'")
    v = _values(tmp_path)
    reason = "not a valid date in format %d.%m.%Y: the year has fewer than four digits"
    assert list(zip(v["_row"], v["record_id"], v["reason"], strict=True)) == [
        (3, "2", reason), (4, "3", reason), (5, "4", reason)]
    assert q.empty and a["_dob"].isna().sum() == 3
    assert res.warnings == [
        f"{tmp_path / 'c.csv'}: field 'dob': 3 of 4 values (the first: record 2, line 3) "
        "have a two-digit year (dd.mm.yy), which do not fit the declared date_format "
        "'%d.%m.%Y'; they are set to missing; set date_format: '%d.%m.%y'"]
    body = HEADER + "".join(f"{i},A,B,0{i}.02.19{70 + i},F\n" for i in range(1, 8))
    res, _, _ = _intake(tmp_path, body + "8,A,B,03.04.85,F\n", extra="date_format: '%d.%m.%Y'")
    assert res.warnings == [
        f"{tmp_path / 'c.csv'}: field 'dob': 1 of 8 values (the first: record 8, line 9) "
        "have a two-digit year (dd.mm.yy), which do not fit the declared date_format "
        "'%d.%m.%Y'; they are set to missing; the other 7 values have four-digit years: "
        "write these with four-digit years before intake (date_format takes one format; "
        "'%d.%m.%y' would blank the others)"]


def test_a_four_digit_year_with_a_leading_zero_is_not_a_two_digit_year(tmp_path):
    """pseudopeople's census types 1992 as 0992 (a digit replaced): the value has a
    four-digit year, so it is an age over 120, not a year "with fewer than four digits",
    and no warning tells the user to write the dates with four-digit years or to switch
    the format to %m/%d/%y (which would blank every other value)."""
    body = HEADER + "".join(f"{i},A,B,{1 + i % 12:02d}/02/19{60 + i},F\n" for i in range(1, 21))
    body += "21,A,B,08/03/0992,F\n22,A,B,01/31/0000,M\n23,A,B,03/04/85,M\n"
    res, a, q = _intake(tmp_path, body, extra="date_format: '%m/%d/%Y'")
    v = _values(tmp_path)
    short = "not a valid date in format %m/%d/%Y: the year has fewer than four digits"
    assert list(zip(v["_row"], v["reason"], strict=True)) == [
        (22, "date of birth implies an age over 120"),
        (23, "date of birth implies an age over 120"), (24, short)]
    assert q.empty and a["_dob"].isna().sum() == 3
    assert res.warnings == [
        f"{tmp_path / 'c.csv'}: field 'dob': 1 of 23 values (the first: record 23, line 24) "
        "have a two-digit year (mm/dd/yy), which do not fit the declared date_format "
        "'%m/%d/%Y'; they are set to missing; the other 22 values have four-digit years: "
        "write these with four-digit years before intake (date_format takes one format; "
        "'%m/%d/%y' would blank the others)"]


def test_ambiguous_day_month_order_is_reported(tmp_path):
    res, _, _ = _intake(tmp_path, HEADER + "1,A,B,01/02/1980,F\n2,C,D,03/04/1975,M\n")
    assert res.date_format == "%d/%m/%Y"
    assert any("day and month order cannot be told" in n for n in res.notes)


# ---- reference date ------------------------------------------------------------------

JOB_NO_DATE = JOB.replace("reference_date: 2021-03-21\n", "")


def test_febrl_style_old_dates_are_kept_without_a_reference_date(tmp_path):
    """FEBRL-like data: births 1900-1999 as YYYYMMDD text. With today's date, 1900-1905
    births imply ages over 120; the derived reference date (the day after the latest
    birth, 1999-12-25) keeps them, reproducibly."""
    import random

    rnd = random.Random(4)
    days = [rnd.randrange(36525) for _ in range(400)]
    base = pd.Timestamp("1900-01-01")
    dates = [(base + pd.Timedelta(days=d)).strftime("%Y%m%d") for d in days]
    dates[0], dates[1] = "19991224", "19000112"
    body = HEADER + "".join(f"{i},A,B,{d},F\n" for i, d in enumerate(dates, 1))
    (tmp_path / "c.csv").write_text(body)
    (tmp_path / "job.yaml").write_text(JOB_NO_DATE.format(path="c.csv", encoding="utf-8",
                                                          delimiter=",", extra=""))
    runs = [intake_source(open_engine(), load_job(tmp_path / "job.yaml"), "census",
                          tmp_path / f"out{k}") for k in range(2)]
    assert runs[0].reference_date == runs[1].reference_date == "1999-12-25"
    assert runs[0].reference_date_basis.startswith("derived")
    assert runs[0].quarantined == 0 and runs[0].values_set_missing == 0
    # with a declared reference date far later, the old dates are blanked, never quarantined
    job = JOB.replace("2021-03-21", "2026-01-01")
    (tmp_path / "job.yaml").write_text(job.format(path="c.csv", encoding="utf-8",
                                                  delimiter=",", extra=""))
    res = intake_source(open_engine(), load_job(tmp_path / "job.yaml"), "census",
                        tmp_path / "out2")
    v = pd.read_parquet(tmp_path / "out2" / "quarantine" / "census_values.parquet")
    old = sum(d < "19060101" for d in dates)
    assert res.quarantined == 0 and res.accepted == 400 and len(v) == old > 0
    assert set(v["reason"]) == {"date of birth implies an age over 120"}


def test_two_digit_years_under_a_four_digit_format_do_not_derive_the_reference_date(tmp_path):
    """Most dates of birth written 03.04.85 under date_format %d.%m.%Y (the years 85, 67,
    ...): they are flagged as not fitting the format, and the reference date is derived
    from the dates with four-digit years, not put in the first century (which made every
    four-digit date "after the reference date")."""
    short = [f"0{i}.0{i}.{60 + i}" for i in range(1, 9)]
    body = HEADER + "".join(f"{i},A,B,{d},F\n" for i, d in enumerate(short, 1))
    body += "9,A,B,13.02.1981,M\n10,A,B,01.12.1975,F\n"
    (tmp_path / "c.csv").write_text(body)
    (tmp_path / "job.yaml").write_text(JOB_NO_DATE.format(
        path="c.csv", encoding="utf-8", delimiter=",", extra="date_format: '%d.%m.%Y'"))
    res = intake_source(open_engine(), load_job(tmp_path / "job.yaml"), "census",
                        tmp_path / "out")
    assert res.reference_date == "1981-02-14"
    v = _values(tmp_path)
    assert list(v["_row"]) == list(range(2, 10)) and set(v["reason"]) == {
        "not a valid date in format %d.%m.%Y: the year has fewer than four digits"}
    assert res.warnings == [
        f"{tmp_path / 'c.csv'}: field 'dob': 8 of 10 values (the first: record 1, line 2) "
        "have a two-digit year (dd.mm.yy), which do not fit the declared date_format "
        "'%d.%m.%Y'; they are set to missing; set date_format: '%d.%m.%y' and declare "
        "reference_date (a two-digit year needs it to tell the century)"]


def test_derived_reference_date_ignores_outliers_and_placeholders():
    import datetime as dt

    from spinelink.intake_dates import derive_reference_date

    years = [(y, 100, dt.date(y, 12, 30)) for y in range(1930, 2020)]
    years.append((2020, 20, dt.date(2020, 3, 1)))
    assert derive_reference_date(years) == dt.date(2020, 3, 2)
    typo = [*years, (2091, 1, dt.date(2091, 5, 5))]  # one mistyped year
    placeholder = [*years, (9999, 500, dt.date(9999, 12, 31))]  # "unknown" on many rows
    assert derive_reference_date(typo) == derive_reference_date(placeholder) == dt.date(2020, 3, 2)
    assert derive_reference_date([(1980, 1, dt.date(1980, 5, 1))]) == dt.date(1980, 5, 2)
    assert derive_reference_date([]) is None


def test_linked_source_uses_the_reference_sources_date_in_any_order(tmp_path):
    """Ages are measured at the reference source's derived date whichever source is read
    first; a linked source's own later births (taken after the reference) are not in the
    future, a lone mistyped 2091 is."""
    from spinelink.intake import run_reference_date

    cen = HEADER + "1,A,B,2019-06-01,F\n2,C,D,1950-01-01,M\n3,E,F,1990-01-01,M\n"
    years = [*range(1950, 2017, 3), 2019, 2091]
    adm = HEADER + "".join(f"{i},A,B,{y}-07-01,F\n" for i, y in enumerate(years, 1))
    (tmp_path / "c.csv").write_text(cen)
    (tmp_path / "a.csv").write_text(adm)
    job = JOB_NO_DATE.format(path="c.csv", encoding="utf-8", delimiter=",", extra="")
    admin = ("\n  admin:\n    role: admin\n    path: a.csv\n    id: person_id\n"
             "    columns: {first_name: forename, last_name: surname, date_of_birth: dob}\n")
    (tmp_path / "job.yaml").write_text(job.rstrip() + admin)
    lj = load_job(tmp_path / "job.yaml")
    res = intake_source(open_engine(), lj, "admin", tmp_path / "out")  # before the reference
    assert res.reference_date == "2019-06-02"
    v = pd.read_parquet(tmp_path / "out" / "quarantine" / "admin_values.parquet")
    assert list(zip(v["_row"], v["reason"], strict=True)) == [
        (len(years) + 1, "date of birth after the reference date")]
    lj2 = load_job(tmp_path / "job.yaml")
    assert intake_source(open_engine(), lj2, "census", tmp_path / "o2").reference_date == \
        "2019-06-02"
    assert intake_source(open_engine(), lj2, "admin", tmp_path / "o2").reference_date == \
        "2019-06-02"
    from spinelink import manifest

    manifest.write_json(tmp_path / "o2" / "intake" / "report.json",
                        {"census": {"reference_date": "2019-06-02"}})
    assert run_reference_date(lj2, tmp_path / "o2") == "2019-06-02"


def test_a_given_reference_date_also_allows_a_linked_sources_own_later_births(tmp_path):
    """With the job's reference_date (census day) a linked source taken later keeps its
    births after that day (its own main block of years reaches them); a lone mistyped 2091
    is still in the future, and so is the reference's own birth after census day."""
    cen = HEADER + "1,A,B,2019-06-01,F\n2,C,D,1950-01-01,M\n3,E,F,2019-08-01,M\n"
    years = [*range(1950, 2017, 3), 2019, 2091]
    adm = HEADER + "".join(f"{i},A,B,{y}-07-01,F\n" for i, y in enumerate(years, 1))
    (tmp_path / "c.csv").write_text(cen)
    (tmp_path / "a.csv").write_text(adm)
    job = JOB.replace("2021-03-21", "2019-06-02").format(
        path="c.csv", encoding="utf-8", delimiter=",", extra="")
    admin = ("\n  admin:\n    role: admin\n    path: a.csv\n    id: person_id\n"
             "    columns: {first_name: forename, last_name: surname, date_of_birth: dob}\n")
    (tmp_path / "job.yaml").write_text(job.rstrip() + admin)
    lj = load_job(tmp_path / "job.yaml")
    res = intake_source(open_engine(), lj, "admin", tmp_path / "out")
    assert res.reference_date == "2019-06-02"  # ages are measured at the job's date
    v = pd.read_parquet(tmp_path / "out" / "quarantine" / "admin_values.parquet")
    assert list(zip(v["_row"], v["reason"], strict=True)) == [
        (len(years) + 1, "date of birth after the reference date")]
    a = pd.read_parquet(tmp_path / "out" / "intake" / "admin.parquet")
    assert a["dob"].astype(str).str.startswith("2019-07-01").sum() == 1  # kept
    intake_source(open_engine(), lj, "census", tmp_path / "out")
    c = pd.read_parquet(tmp_path / "out" / "quarantine" / "census_values.parquet")
    assert list(c["reason"]) == ["date of birth after the reference date"]


def test_dates_years_ahead_in_a_small_linked_source_are_in_the_future(tmp_path):
    """In a small file every year is in the main block, so 2026, 2030 and 2035 after a
    census of 2021 chained into it and were kept. A source's births count as later births
    only while they run on from the reference date year on year: a register taken later
    keeps 2022-2024, the file with a gap keeps 2021-12-31 and 2022-06-01 and flags the
    rest; the cutoff used is in the intake report."""
    cen = HEADER + "1,A,B,2019-06-01,F\n2,C,D,1950-01-01,M\n"
    (tmp_path / "c.csv").write_text(cen)
    base = [f"{y}-03-01" for y in range(1950, 2021)]
    ahead = ["2021-12-31", "2022-06-01", "2026-06-15", "2030-01-01", "2035-01-01"]
    later = ["2022-02-01", "2023-05-01", "2024-04-01"]
    admin = ("\n  admin:\n    role: admin\n    path: a.csv\n    id: person_id\n"
             "    columns: {first_name: forename, last_name: surname, date_of_birth: dob}\n")
    job = JOB.replace("2021-03-21", "2021-12-05").format(
        path="c.csv", encoding="utf-8", delimiter=",", extra="")
    (tmp_path / "job.yaml").write_text(job.rstrip() + admin)
    for dates, flagged, cutoff in ((ahead, ahead[2:], "2022-06-02"),
                                   (later, [], "2024-04-02")):
        rows = [*base, *dates]
        (tmp_path / "a.csv").write_text(HEADER + "".join(
            f"{i},A,B,{d},F\n" for i, d in enumerate(rows, 1)))
        out = tmp_path / f"out_{len(dates)}"
        res = intake_source(open_engine(), load_job(tmp_path / "job.yaml"), "admin", out)
        assert res.reference_date == "2021-12-05" and res.future_after == cutoff
        v = out / "quarantine" / "admin_values.parquet"
        got = pd.read_parquet(v) if v.exists() else pd.DataFrame({"_row": [], "reason": []})
        assert sorted(got["_row"]) == [rows.index(d) + 2 for d in flagged]
        assert set(got["reason"]) <= {"date of birth after the reference date"}


@pytest.mark.parametrize("values, fix", [
    (["29221", "32874.0", "36526", "40179", "21916"],
     "the values look like spreadsheet serial day numbers (days since 1899-12-30), which "
     "no date_format reads: export the column from the spreadsheet as dates"),
    (["soon", "later", "29221", "n.k.", "?"], "; declare date_format in the job file")])
def test_dates_no_format_reads_say_what_to_do(tmp_path, values, fix):
    """A column of spreadsheet serials (a date cell exported as a number) is named as
    such, since no date_format reads it; other unreadable columns ask for date_format."""
    body = HEADER + "".join(f"{i},A,B,{v},F\n" for i, v in enumerate(values, 1))
    with pytest.raises(IntakeError, match="match no known format") as e:
        _intake(tmp_path, body)
    assert fix in str(e.value) and "c.csv" in str(e.value) and "'dob'" in str(e.value)
    assert "29221" not in str(e.value)


# ---- loud failure shares -------------------------------------------------------------

def test_numbers_with_the_wrong_declared_format_warn_loudly(tmp_path, caplog):
    dob = pd.Series([19800101.0 + i for i in range(20)] + [None])
    with caplog.at_level("WARNING", logger="spinelink"):
        res, a = _intake_parquet(tmp_path, _people(dob), extra="date_format: '%d/%m/%Y'")
    assert res.quarantined == 0 and res.accepted == 21 and a["_dob"].isna().all()
    msg = ("source census, field dob: 100% of 20 non-empty values failed (most common: not "
           "a valid date in format %d/%m/%Y); the values look like numbers YYYYMMDD; set "
           "date_format: '%Y%m%d'")
    assert res.warnings == [msg]
    assert msg in caplog.text and "19800101" not in caplog.text
    assert res.invalid_shares["dob"]["share"] == 1.0


def test_month_first_dates_under_a_day_first_format_suggest_the_fix(tmp_path, caplog):
    rows = "".join(f"{i},A,B,{m:02d}/{d:02d}/1980,F\n" for i, (m, d) in
                   enumerate([(1, 13), (2, 14), (3, 25), (4, 1), (12, 30)], 1))
    with caplog.at_level("WARNING", logger="spinelink"):
        res, _, _ = _intake(tmp_path, HEADER + rows, extra="date_format: '%d/%m/%Y'")
    assert len(res.warnings) == 1
    assert res.warnings[0].endswith("set date_format: '%m/%d/%Y'")
    assert "80% of 5 non-empty values failed" in res.warnings[0]


def test_a_column_of_two_formats_is_named_as_mixed_not_told_to_switch(tmp_path):
    """Seven dates day first, three ISO: declaring the ISO format would blank the seven,
    so the advice says the column mixes formats instead of suggesting the switch."""
    dates = [f"{d:02d}/0{m}/1980" for d, m in [(13, 1), (14, 2), (25, 3), (1, 4), (30, 5),
                                              (2, 6), (3, 7)]] + [
        "1975-12-01", "1981-04-03", "1990-07-09"]
    rows = "".join(f"{i},A,B,{v},F\n" for i, v in enumerate(dates, 1))
    res, a, _ = _intake(tmp_path, HEADER + rows, extra="date_format: '%d/%m/%Y'")
    assert a["_dob"].notna().sum() == 7
    assert len(res.warnings) == 1 and "30% of 10 non-empty values failed" in res.warnings[0]
    assert res.warnings[0].endswith(
        "3 of them read as %Y-%m-%d, the other 7 values as %d/%m/%Y: the column mixes "
        "formats, and date_format takes one; convert one group to the other's format before "
        "intake (setting date_format: '%Y-%m-%d' would blank the rest)")


def test_shares_under_the_limit_do_not_warn(tmp_path):
    body = HEADER + "1,Ann,Lee,31/02/1980,F\n2,Bob,Day,01/02/1970,M\n"
    res, _, _ = _intake(tmp_path, body, extra="max_invalid_share: 0.6")
    assert res.warnings == [] and res.invalid_shares["dob"]["share"] == 0.5
    res, _, _ = _intake(tmp_path, body, extra="max_invalid_share: 0.4")
    assert len(res.warnings) == 1 and "field dob: 50%" in res.warnings[0]


def test_all_rows_quarantined_names_the_reasons(tmp_path):
    body = HEADER + ",A,B,01/02/1980,F\n,C,D,01/02/1980,F\n3,E,F,01/02/1980,F\n3,G,H,x,F\n"
    with pytest.raises(IntakeError) as e:
        _intake(tmp_path, body.replace("3,E", " ,E").replace("3,G", " ,G"))
    assert "no usable rows (all 4 quarantined: person_id: missing identifier (4)" in str(e.value)
    assert "quarantine/census.parquet" in str(e.value)


# ---- code maps -------------------------------------------------------------------------

def test_code_maps_with_cyrillic_codes(tmp_path):
    body = HEADER + ("1,Олег,Шевченко,01/02/1980,Ч\n2,Олена,Коваль,01/02/1981, ж \n"
                     "3,Іван,Бойко,01/02/1982,Х\n4,Ірина,Мельник,01/02/1983,F\n"
                     "5,Петро,Ткач,01/02/1984,Н\n")
    res, a, q = _intake(tmp_path, body, extra="codes: {sex: {Ч: M, Ж: F, Н: null}}")
    a = a.set_index("_row")
    assert list(a["sex"].fillna("-")) == ["M", "F", "-", "F", "-"]
    assert list(a["_raw_sex"]) == ["Ч", " ж ", "Х", "F", "Н"]  # as read, for audit
    assert res.codes_mapped == {"sex": 3}
    v = _values(tmp_path)  # Х is in no map and no known code: blanked and flagged
    assert list(zip(v["_row"], v["field"], v["reason"], strict=True)) == [
        (4, "sex", "not a known sex code")]
    assert q.empty  # standardisation reads the mapped column: M and F it knows


def test_sex_abbreviations_with_a_full_stop_are_known_codes(tmp_path):
    # Ukrainian and Russian forms abbreviate the sex as "чол." / "жін." (and "M." / "F.",
    # "муж." / "жен."): the codes of sex_input_codes.csv with a full stop, not unknown
    # codes (they were all blanked, flagged, and the run warned that 89% failed)
    codes = ["чол.", "жін.", "M.", "F.", "Ж.", "ч.", "Муж.", "жен.", "Q."]
    body = HEADER + "".join(f"{i},A{i},B,01/02/198{i},{c}\n" for i, c in enumerate(codes))
    res, a, q = _intake(tmp_path, body)
    assert list(a.set_index("_row")["sex"].fillna("-")) == [*codes[:-1], "-"]
    v = _values(tmp_path)
    assert list(zip(v["_row"], v["field"], v["reason"], strict=True)) == [
        (10, "sex", "not a known sex code")]
    assert q.empty and not res.warnings


def test_code_maps_for_a_declared_variable_with_a_code_list(tmp_path):
    body = ("person_id,forename,surname,dob,sex,reg\n1,A,B,01/02/1980,F,Лондон\n"
            "2,C,D,01/02/1980,F,E12000007\n3,E,F,01/02/1980,F,Київ\n")
    extra = ("variables: {region: reg}\n    code_lists: {reg: region}\n"
             "    codes: {region: {Лондон: E12000007}}")
    res, a, q = _intake(tmp_path, body, extra=extra)
    assert list(a["reg"].fillna("-")) == ["E12000007", "E12000007", "-"]
    v = _values(tmp_path)
    assert list(zip(v["_row"], v["reason"], strict=True)) == [(4, "not in code list region")]


@pytest.mark.parametrize("extra,expected", [
    ("codes: {sex: {Ч: Q}}", "key 'sources.census.codes.sex': a target is not a sex code"),
    ("codes: {ethnicity: {a: b}}", "codes.ethnicity: not a canonical field"),
    ("codes: {sex: {yes: M}}", "quote every code"),
])
def test_code_map_faults_are_job_errors(tmp_path, extra, expected):
    from spinelink.errors import JobError

    with pytest.raises(JobError, match=re.escape(expected)):
        _intake(tmp_path, HEADER + "1,A,B,01/02/1980,F\n", extra=extra)


def test_numeric_codes_in_yaml_are_read_as_text(tmp_path):
    res, a, _ = _intake(tmp_path, HEADER + "1,A,B,01/02/1980,7\n2,C,D,01/02/1980,8\n",
                        extra="codes: {sex: {7: M, 8: F}}")
    assert list(a["sex"]) == ["M", "F"] and res.codes_mapped == {"sex": 2}


def test_no_value_markers_in_dates_are_missing_not_failures(tmp_path):
    body = HEADER + ("1,A,B,1980-02-13,F\n2,A,B,nan,F\n3,A,B,NULL,F\n4,A,B,1980-31-31,F\n"
                     "5,A,B,1975-12-01,F\n")
    res, a, q = _intake(tmp_path, body)
    assert res.date_format == "%Y-%m-%d"  # inferred from the values that are values
    assert q.empty and a["_dob"].isna().tolist() == [False, True, True, True, False]
    v = _values(tmp_path)
    assert v["_row"].tolist() == [5]  # only the date that is not a date is flagged
