"""CSV export and import through the real CLI: round trip and one-line validation errors
naming the file, row and field."""
from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from conftest import run_cli
from test_review_support import fresh_copy

from spinelink.review.records import raw_columns

pytestmark = pytest.mark.slow


@pytest.fixture
def out(tmp_path):
    return fresh_copy(tmp_path / "p")


def _export(out, tmp_path, *extra) -> pd.DataFrame:
    r = run_cli("review", "export", str(out), "--to", str(tmp_path / "band.csv"), *extra)
    assert r.returncode == 0, r.stderr
    return pd.read_csv(tmp_path / "band.csv", dtype=str, keep_default_na=False)


def test_export_has_every_band_pair_with_both_records(out, tmp_path):
    frame = _export(out, tmp_path)
    band = pd.concat([pd.read_parquet(out / "review" / f"{s}.parquet").assign(source=s)
                      for s in ("benefits", "survey")])
    assert len(frame) == len(band)
    assert {"ref_first_name", "src_first_name", "match_weight", "decision", "note",
            "reviewer"} <= set(frame.columns)
    assert (frame["decision"] == "").all()
    blind = _export(out, tmp_path, "--blind", "--ids-only", "--source", "survey")
    assert "match_weight" not in blind.columns and "ref_first_name" not in blind.columns
    assert set(blind["source"]) == {"survey"}


def test_export_is_utf8_with_a_bom_for_excel_and_imports_back_as_written(out, tmp_path):
    frame = _export(out, tmp_path)
    raw = (tmp_path / "band.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")               # Excel reads it as UTF-8
    assert raw[3:].decode("utf-8").splitlines()[0].startswith("source,reference_id,")
    assert list(frame.columns)[0] == "source"                # pandas skips the mark
    names = "".join(frame["ref_last_name"]) + "".join(frame["src_last_name"])
    assert any(ord(c) > 127 for c in names)  # the band has non-ASCII names to keep
    # the file as exported (mark and all) imports once a decision is typed into it
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    header = rows[0]
    undecided = next(r for r in rows[1:] if r[header.index("decision")] == "")
    undecided[header.index("decision")] = "match"
    undecided[header.index("reviewer")] = "ann"
    with open(tmp_path / "band.csv", "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    r = run_cli("review", "import", str(out), str(tmp_path / "band.csv"))
    assert r.returncode == 0, r.stderr
    assert "1 decisions imported" in r.stdout


def test_import_round_trip_and_re_import_is_unchanged(out, tmp_path):
    frame = _export(out, tmp_path, "--ids-only")
    frame.loc[:2, "decision"] = ["match", "Non-Match", "unsure"]
    frame.loc[1, "note"] = "different dob"
    frame.to_csv(tmp_path / "d.csv", index=False)
    r = run_cli("review", "import", str(out), str(tmp_path / "d.csv"), "--reviewer", "ann")
    assert r.returncode == 0, r.stderr
    assert "3 decisions imported" in r.stdout
    dec = pd.read_parquet(out / "review" / "decisions.parquet")
    assert sorted(dec["decision"]) == ["match", "non-match", "unsure"]
    assert set(dec["reviewer"]) == {"ann"} and "different dob" in set(dec["note"])
    again = _export(out, tmp_path, "--ids-only")      # decisions are exported back
    assert (again["decision"] != "").sum() == 3
    again.to_csv(tmp_path / "d2.csv", index=False)
    r = run_cli("review", "import", str(out), str(tmp_path / "d2.csv"))
    assert r.returncode == 0 and "0 decisions imported, 3 unchanged" in r.stdout


@pytest.mark.parametrize("sep", [";", "\t"], ids=["semicolon", "tab"])
def test_import_reads_excel_csv_with_a_semicolon_or_tab(out, tmp_path, sep):
    """Excel's "CSV UTF-8" uses the locale's list separator: a semicolon in Ukrainian,
    German or French settings. Such a file imports as the comma-separated one does."""
    frame = _export(out, tmp_path)  # full export: names hold commas inside quotes
    frame.loc[:1, "decision"] = ["match", "non-match"]
    frame.to_csv(tmp_path / "excel.csv", index=False, sep=sep, encoding="utf-8-sig")
    r = run_cli("review", "import", str(out), str(tmp_path / "excel.csv"), "--reviewer", "ann")
    assert r.returncode == 0, r.stderr
    assert "2 decisions imported" in r.stdout
    dec = pd.read_parquet(out / "review" / "decisions.parquet")
    assert sorted(dec["decision"]) == ["match", "non-match"]


def test_a_file_saved_in_a_windows_code_page_names_the_row(out, tmp_path):
    """Session 27: Excel's plain "CSV" is written in the Windows code page; the import
    named a byte offset ("not valid UTF-8 (byte 514)"), not the row, nor what to do."""
    frame = _export(out, tmp_path)
    frame.loc[:1, "decision"] = ["match", "non-match"]
    frame.loc[1, "note"] = "née"
    frame.to_csv(tmp_path / "excel.csv", index=False, sep=";", encoding="cp1252",
                 errors="replace")
    r = run_cli("review", "import", str(out), str(tmp_path / "excel.csv"), "--reviewer", "ann")
    assert r.returncode == 6, r.stderr
    assert r.stderr.strip() == (f"error: {tmp_path / 'excel.csv'}: row 3: not valid UTF-8; "
                                'save it as "CSV UTF-8" (in Excel: Save As, CSV UTF-8)')
    assert not (out / "review" / "decisions.jsonl").exists()


def test_a_pair_decided_twice_alike_is_counted_once_and_the_rows_reconcile(out, tmp_path):
    """Session 27: a row repeating a pair's decision was dropped without being counted
    ("3 decisions imported, 0 unchanged, 2 rows without a decision skipped" of 6 rows)."""
    frame = _export(out, tmp_path, "--ids-only").iloc[:5].copy()
    frame["decision"] = ["match", "non-match", "", "unsure", ""]
    frame = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    frame.to_csv(tmp_path / "d.csv", index=False)
    r = run_cli("review", "import", str(out), str(tmp_path / "d.csv"), "--reviewer", "ann")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == (f"{tmp_path / 'd.csv'}: 6 rows: 3 decisions imported, 0 "
                                "unchanged, 1 repeating an earlier row's decision, 2 without a "
                                "decision skipped")
    assert len(pd.read_parquet(out / "review" / "decisions.parquet")) == 3


def test_a_second_review_by_the_first_reviewer_is_refused(out, tmp_path):
    """Session 27: `--round second` by the reviewer who made the first decision was stored,
    never compared (second reviews are of another reviewer's decisions) and replaced the
    second reviewer's decision for the pair, silently."""
    frame = _export(out, tmp_path, "--ids-only").iloc[:3].copy()
    frame["decision"] = "match"
    frame.to_csv(tmp_path / "first.csv", index=False)
    assert run_cli("review", "import", str(out), str(tmp_path / "first.csv"),
                   "--reviewer", "ann").returncode == 0
    frame["decision"] = "non-match"
    frame.to_csv(tmp_path / "second.csv", index=False)
    r = run_cli("review", "import", str(out), str(tmp_path / "second.csv"), "--reviewer",
                "ann", "--round", "second")
    assert r.returncode == 6, r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines[0] == f"error: {tmp_path / 'second.csv'}: 3 problems; nothing was imported"
    assert lines[1] == (f"error: {tmp_path / 'second.csv'}: row 2, field 'reviewer': ann "
                        "made the first decision for this pair; a second review is another "
                        "reviewer's")
    r = run_cli("review", "import", str(out), str(tmp_path / "second.csv"), "--reviewer",
                "bob", "--round", "second")
    assert r.returncode == 0, r.stderr
    dec = pd.read_parquet(out / "review" / "decisions.parquet")
    assert sorted(dec[dec["round"] == "second"]["reviewer"]) == ["bob"] * 3


def _bad(out, tmp_path, edit) -> str:
    frame = _export(out, tmp_path, "--ids-only")
    frame = edit(frame)
    frame.to_csv(tmp_path / "bad.csv", index=False)
    r = run_cli("review", "import", str(out), str(tmp_path / "bad.csv"), "--reviewer", "ann")
    assert r.returncode == 6, (r.stdout, r.stderr)
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (out / "review" / "decisions.jsonl").exists()   # all or nothing
    return r.stderr


def _set(frame, row, **values):
    for k, v in values.items():
        frame.loc[row, k] = v
    return frame


def test_unknown_pair(out, tmp_path):
    err = _bad(out, tmp_path, lambda f: _set(_set(f, 0, decision="match"), 3,
                                              decision="match", source_id="NOPE1"))
    assert "bad.csv: row 5, fields 'reference_id', 'source_id'" in err
    assert "not in the review band" in err


def test_bad_decision_value(out, tmp_path):
    err = _bad(out, tmp_path, lambda f: _set(f, 1, decision="yes please"))
    assert "bad.csv: row 3, field 'decision': expected one of match, non-match, unsure" in err
    assert "yes please" not in err


def test_conflicting_decisions_for_one_pair(out, tmp_path):
    def edit(f):
        f = pd.concat([f, f.iloc[[0]]], ignore_index=True)
        f.loc[0, "decision"] = "match"
        f.loc[len(f) - 1, "decision"] = "non-match"
        return f
    err = _bad(out, tmp_path, edit)
    assert "rows 2 and" in err and "field 'decision': conflicting decisions" in err


def test_every_bad_row_is_reported_at_once_and_nothing_imported(out, tmp_path):
    """A file with 25 problems lists the first 20 (row and field each), counts the rest,
    and stores none of its rows, not even the good one."""
    frame = _export(out, tmp_path, "--ids-only")
    assert len(frame) >= 26
    frame["round"] = ""
    frame.loc[0, "decision"] = "match"                          # good
    frame.loc[1, "decision"] = "yes please"                     # row 3
    _set(frame, 2, decision="match", source_id="NOPE1")         # row 4
    _set(frame, 3, decision="match", round="fourth")            # row 5
    frame.loc[4:25, "decision"] = "maybe"                       # rows 6..27
    frame.to_csv(tmp_path / "bad.csv", index=False)
    r = run_cli("review", "import", str(out), str(tmp_path / "bad.csv"), "--reviewer", "ann")
    assert r.returncode == 6, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    bad = tmp_path / "bad.csv"
    assert lines[0] == f"error: {bad}: 25 problems; nothing was imported", r.stderr
    assert len(lines) == 22 and lines[-1] == f"error: {bad}: ... and 5 more problems"
    assert lines[1].startswith(f"error: {bad}: row 3, field 'decision': expected one of")
    assert lines[2].startswith(f"error: {bad}: row 4, fields 'reference_id', 'source_id'")
    assert lines[3].startswith(f"error: {bad}: row 5, field 'round': expected one of")
    assert [ln.split(": ")[2] for ln in lines[4:21]] == [f"row {n}, field 'decision'"
                                                         for n in range(6, 23)]
    assert "yes please" not in r.stderr and "maybe" not in r.stderr
    assert "Traceback" not in r.stderr
    assert not (out / "review" / "decisions.jsonl").exists()   # all or nothing


def test_unknown_source_and_missing_column(out, tmp_path):
    err = _bad(out, tmp_path, lambda f: _set(f, 0, decision="match", source="payroll"))
    assert "row 2, field 'source'" in err
    err = _bad(out, tmp_path, lambda f: f.drop(columns="decision"))
    assert "bad.csv: missing column 'decision'" in err


def test_missing_reviewer(out, tmp_path):
    frame = _set(_export(out, tmp_path, "--ids-only"), 0, decision="match")
    frame.to_csv(tmp_path / "nr.csv", index=False)
    r = run_cli("review", "import", str(out), str(tmp_path / "nr.csv"))
    assert r.returncode == 6 and "row 2, field 'reviewer'" in r.stderr


def test_delivered_text_that_reads_as_a_formula_is_exported_as_text(out, tmp_path):
    """A name or address beginning with = + - @ would run as a formula in the reviewer's
    spreadsheet (CSV injection): it is exported with a leading apostrophe; identifiers
    and the rest are as they were."""
    band = pd.read_parquet(out / "review" / "benefits.parquet")
    sid = str(band["source_id"].iloc[0])
    # the originals are the intake table's columns the job maps to the fields
    path = out / "intake" / "benefits.parquet"
    cols = raw_columns(out, "benefits")
    intake = pd.read_parquet(path)
    at = intake["record_id"].astype(str) == sid
    intake.loc[at, cols["first_name"]] = "=cmd|' /C calc'!A0"
    intake.loc[at, cols["address"]] = "@SUM(1+1)"
    intake.to_parquet(path, index=False)
    frame = _export(out, tmp_path)
    row = frame[(frame["source"] == "benefits") & (frame["source_id"] == sid)].iloc[0]
    assert row["src_first_name"] == "'=cmd|' /C calc'!A0"
    assert row["src_address"] == "'@SUM(1+1)"
    for col in frame.columns:
        assert not frame[col].str.startswith(("=", "+", "@")).any(), col


def test_a_band_pair_without_a_probability_exports_empty_cells(out, tmp_path):
    """A pair an identifier put in the band (direct:nino, born after the reference date)
    has no probability or weight: the reviewer's file has empty cells there, not "nan"."""
    path = out / "review" / "candidates" / "benefits.parquet"  # the band as run
    if not path.exists():
        path = out / "review" / "benefits.parquet"
    band = pd.read_parquet(path)
    sid, rid = str(band["source_id"].iloc[0]), str(band["reference_id"].iloc[0])
    band.loc[band.index[0], ["match_probability", "match_weight"]] = float("nan")
    band.to_parquet(path, index=False)
    frame = _export(out, tmp_path)
    row = frame[(frame["source"] == "benefits") & (frame["source_id"] == sid)
                & (frame["reference_id"] == rid)].iloc[0]
    assert row["match_probability"] == "" and row["match_weight"] == ""
    assert not frame["match_probability"].str.contains("nan").any()
    assert (frame["match_weight"] != "").sum() == len(frame) - 1
