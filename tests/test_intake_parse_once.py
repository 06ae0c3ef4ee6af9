"""Intake parses each distinct date of birth once (intake_dates.parse_once) and the checks,
the reference date and the accepted rows read the parsed column: every file intake
writes is byte-identical to intake parsing every row in each query, and the parse runs
over the distinct values only (benchmarks/RESULTS.md, session 36 helper D)."""
from __future__ import annotations

import pandas as pd
import pytest
from test_intake import HEADER, JOB

from spinelink import intake, intake_dates
from spinelink.backends import open_engine
from spinelink.config import load_job

# day first beyond doubt, repeated; mistyped ones (read swapped, or with letters as
# digits); impossible, future and over-age ones; blanks and words for none
CSV_DATES = ([f"{d}/0{m}/19{40 + d}" for m in (1, 3) for d in range(13, 31)] * 3
             + ["03/21/1961", "O7/11/1972", "l2/1Z/1955", "31/02/1980", "77/99/1966",
                "12/3O/2071", "01/01/1850", "", " ", "n/a", "13/01/1953", "13/01/1953 00:00"])
# two-digit years (the century from the reference date), one after it
SHORT_DATES = ["03.01.67", "15.07.99", "29.02.00", "01.01.30", "31.12.20", "03.01.67", ""]


def _run(tmp_path, rows: str, extra: str, once: bool, monkeypatch) -> dict[str, bytes]:
    out = tmp_path / ("once" if once else "each")
    (tmp_path / "c.csv").write_text(rows, encoding="utf-8")
    (tmp_path / "job.yaml").write_text(JOB.format(path="c.csv", encoding="utf-8",
                                                  delimiter=",", extra=extra))
    with monkeypatch.context() as m:
        if not once:  # every query parses every row, as before parse_once
            m.setattr(intake, "parse_once", lambda engine, table, spec, *a: (table, spec))
        res = intake.intake_source(open_engine(), load_job(tmp_path / "job.yaml"), "census",
                                   out)
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*.parquet")}
    files["result"] = repr(res.as_dict()).encode()
    return files


@pytest.mark.parametrize("dates,extra", [
    (CSV_DATES, ""),
    (SHORT_DATES, "date_format: '%d.%m.%y'"),
], ids=["repaired", "two-digit years"])
def test_dates_parsed_once_give_the_same_files(tmp_path, monkeypatch, dates, extra):
    rows = HEADER + "".join(f"{i},Ann,Lee,{d},F\n" for i, d in enumerate(dates, start=1))
    seen = []
    original = intake_dates.parse_once

    def counting(engine, table, spec, *a):
        table, parsed = original(engine, table, spec, *a)
        seen.append((spec, parsed))
        return table, parsed
    monkeypatch.setattr(intake, "parse_once", counting)
    once = _run(tmp_path, rows, extra, True, monkeypatch)
    each = _run(tmp_path, rows, extra, False, monkeypatch)
    assert set(once) == set(each) == {"intake/census.parquet", "quarantine/census.parquet",
                                      "quarantine/census_values.parquet", "result"}
    for name in once:
        assert once[name] == each[name], name
    (spec, parsed), = seen
    assert spec.parsed_column is None and parsed.parsed_column
    assert (parsed.written_column is not None) == (spec.alt is not None)
    assert (spec.alt is not None) == (not extra)  # the CSV's dates are read with repairs
    a = pd.read_parquet(tmp_path / "once" / "intake" / "census.parquet").set_index("_row")
    assert not any(c.startswith(intake.TYPED_PREFIX) for c in a.columns)
    if extra:  # the century that puts each date on or before the reference date
        assert [str(d)[:10] for d in a["_dob"].iloc[:5]] == [
            "1967-01-03", "1999-07-15", "2000-02-29", "1930-01-01", "2020-12-31"]
    else:
        assert str(a.loc[len(CSV_DATES) - 10, "_dob"])[:10] == "1961-03-21"  # swapped
        assert pd.isna(a.loc[len(CSV_DATES) - 7, "_dob"])  # 31/02: no such day


def test_a_typed_date_column_is_not_parsed(tmp_path):
    df = pd.DataFrame({"person_id": ["1", "2", "3"], "forename": ["Ann"] * 3,
                       "surname": ["Lee"] * 3, "sex": ["F"] * 3,
                       "dob": pd.to_datetime(["1980-01-31", None, "1975-12-01"])})
    df.to_parquet(tmp_path / "c.parquet", index=False)
    (tmp_path / "job.yaml").write_text(JOB.format(path="c.parquet", encoding="utf-8",
                                                  delimiter=",", extra=""))
    engine = open_engine()
    lj = load_job(tmp_path / "job.yaml")
    raw = intake.raw_table("census")
    read, typed, _ = intake._read(engine, lj, "census", raw)
    spec = intake_dates.date_spec(engine, raw, tmp_path / "c.parquet",
                                  lj.job.sources["census"], typed)
    table, same = intake_dates.parse_once(engine, read.table, spec, "scratch",
                                          intake.TYPED_PREFIX)
    assert same is spec and spec.typed_column and table is read.table
