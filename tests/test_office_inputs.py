"""An office's own deliveries, tried as a new user would (session 54, helper E): what the
trial found, each against the truth its made-up records carry."""
from __future__ import annotations

import pandas as pd
from conftest import run_cli

from spinelink import summary

FIRST = ["Олена", "Тарас", "Ірина", "Петро", "Марія", "Остап", "Надія", "Богдан", "Віра",
         "Юрій", "Леся", "Роман"]
STATUS = ["employed", "unemployed", "retired", "employed"]
CODES = {"employed": "зайнятий", "unemployed": "безробітний", "retired": "пенсіонер"}


def _files(files):
    census = "id,first,last,dob,sex,status\n" + "".join(
        f"C{i},{n},Коваль{i},0{1 + i % 9}.0{1 + i % 9}.19{50 + i},{'ЖЧ'[i % 2]},пенсіонер\n"
        for i, n in enumerate(FIRST))
    # the admin file delivers its own codes, mapped by the job's codes: (`Retired ` with
    # a trailing space and capital, as a spreadsheet keeps it; A11 has no status)
    admin = "rid;first;last;dob;sex;status\n" + "".join(
        f"A{i};{n};Коваль{i};0{1 + i % 9}.0{1 + i % 9}.19{50 + i};{'ЖЧ'[i % 2]};"
        f"{'' if i == 11 else 'Retired ' if i == 2 else STATUS[i % 4]}\n"
        for i, n in enumerate(FIRST))
    return files({
        "census.csv": census, "admin.csv": admin,
        "job.yaml": """\
            schema_version: 1
            name: codes_audit
            output_dir: out
            reference: census
            reference_date: 2021-12-01
            sources:
              census: {role: census, path: census.csv, id: id, variables: {status: status},
                       columns: {first_name: first, last_name: last, date_of_birth: dob,
                                 sex: sex}}
              admin: {role: admin, path: admin.csv, id: rid, delimiter: ";",
                      variables: {status: status},
                      columns: {first_name: first, last_name: last, date_of_birth: dob,
                                sex: sex},
                      codes: {status: {employed: зайнятий, unemployed: безробітний,
                                       retired: пенсіонер},
                              sex: {Ж: F, Ч: M}}}
            links:
              admin: {probabilistic: null}
            integrate:
              status: {priority: [admin, census]}
              sex: {priority: [admin, census]}
            quality: {enabled: false}
            """})


def test_a_sources_code_map_is_in_the_audit_trail(files):
    """A value the job's `codes:` map changed at intake (the admin file's `retired`, read
    as пенсіонер) had no row in audit.parquet: its `integrate` row named the admin record
    and the mapped code, and the code as delivered was nowhere in it (only in the intake
    table's `_raw_<column>`), so one integrated value could not be traced back to what
    the source delivered. Each is now a `codes` row: the value as delivered, the code."""
    folder = _files(files)
    r = run_cli("run", "job.yaml", cwd=folder)
    assert r.returncode == 0, r.stderr
    audit = pd.read_parquet(folder / "out" / "audit.parquet")
    integrated = pd.read_parquet(folder / "out" / "integrated.parquet")
    links = pd.read_parquet(folder / "out" / "links" / "admin.parquet")
    assert dict(zip(links["source_id"], links["reference_id"], strict=True)) == {
        f"A{i}": f"C{i}" for i in range(len(FIRST))}
    codes = audit[audit["stage"] == "codes"]
    status = codes[codes["variable"] == "status"].set_index("source_record_id")
    delivered = {f"A{i}": ("Retired " if i == 2 else STATUS[i % 4]) for i in range(11)}
    assert sorted(status.index) == sorted(delivered)  # A11 delivered none: no change
    for rid, value in delivered.items():
        row = status.loc[rid]
        assert (row["raw_value"], row["new_value"]) == (value, CODES[value.strip().lower()])
        assert row["source"] == "admin" and row["reference_id"] == "C" + rid[1:]
        assert row["rule"] == "codes.status of source admin"
    # the trail reads through: delivered -> mapped (codes) -> integrated (integrate)
    by_unit = integrated.set_index("reference_id")
    for rid in delivered:
        unit = "C" + rid[1:]
        assert by_unit.loc[unit, "status"] == status.loc[rid, "new_value"]
        assert by_unit.loc[unit, "status__source"] == "admin"
    sex = codes[codes["variable"] == "sex"]
    assert len(sex) == len(FIRST) and set(zip(sex["raw_value"], sex["new_value"], strict=True)) == {
        ("Ж", "F"), ("Ч", "M")}
    # the census's own values went through no map: no codes row
    assert set(codes["source"]) == {"admin"}


def test_the_console_says_when_a_sources_link_count_is_suppressed(capsys):
    """A source of one record (under quality.min_cell): quality/summary.json holds
    "suppressed" for its links, and the console read "d quality of all suppressed links"."""
    overall = {"est_precision": 1.0, "est_precision_low": 1.0, "est_precision_high": 1.0,
               "est_recall": 1.0, "est_recall_low": 1.0, "est_recall_high": 1.0}
    summary._quality_line("d", {"links": "suppressed", "overall": overall})
    summary._quality_line("a", {"links": 235, "overall": overall})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("  d quality of all its links (their number suppressed: "
                               "under quality.min_cell): estimated precision 1.0000")
    assert lines[1].startswith("  a quality of all 235 links: estimated precision 1.0000")


def test_a_column_name_typed_with_a_latin_look_alike_says_which_letter(files):
    """The job's `Iндекс` (a Latin I, typed on the other keyboard layout) against the
    file's `Індекс`: the message said "did you mean 'Індекс'?", a name that looks the same,
    and then asked whether the spreadsheet's empty last column was the one meant. It says
    which letter differs, and asks about the unnamed column only when the header does not
    hold the name itself (a merely close name still gets the question: bad_inputs'
    blank_header_name, surname / forename)."""
    census = "id;first;last;dob;Індекс;\n" + "".join(
        f"C{i};{n};Коваль;0{1 + i}.01.1980;0100{i};\n" for i, n in enumerate(FIRST[:3]))
    folder = files({"census.csv": census, "job.yaml": """\
        schema_version: 1
        name: look_alike
        output_dir: out
        reference: census
        sources:
          census: {role: census, path: census.csv, id: id, delimiter: ";",
                   columns: {first_name: first, last_name: last, date_of_birth: dob,
                             postcode: Iндекс, address: adress}}
        """})
    r = run_cli("validate", "job.yaml", cwd=folder)
    assert r.returncode == 3, r.stderr  # a source's header: an unusable source
    lines = [ln for ln in r.stderr.splitlines() if "required column" in ln]
    postcode = next(ln for ln in lines if "columns.postcode" in ln)
    assert ("did you mean 'Індекс'? (they look alike: letter 1 is a Latin 'I' in the job, "
            "a Cyrillic 'І' in the name meant)") in postcode
    assert "has no name" not in postcode
    address = next(ln for ln in lines if "columns.address" in ln)  # no close name: asked
    assert "did you mean" not in address and "column 6 of the header has no name" in address
