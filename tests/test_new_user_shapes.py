"""Sources of shapes the generator never makes, tried as a new user would (issue 11's
lesson): each run works or stops with one `error:` line naming what to change."""
from __future__ import annotations

import json

import pandas as pd
import yaml
from conftest import run_cli

FIRST = ["Anna", "Olga", "Ivan", "Petro", "Maria", "Taras", "Iryna", "Oleh", "Nina", "Yurii",
         "Lesia", "Bohdan", "Daryna", "Roman", "Sofiia", "Maksym", "Zoia", "Artem", "Vira",
         "Denys"]


def _census() -> str:
    rows = [f"C{i},{n},Surname{i},0{1 + i % 9}/0{1 + i % 9}/19{50 + i}"
            for i, n in enumerate(FIRST)]
    return "id,first,last,dob\n" + "\n".join(rows) + "\n"


def test_a_source_with_a_single_name_column_stops_naming_the_link_and_the_way_out(files):
    """One column of first names shares one field with the reference: no model can be
    trained. The run stops with one line naming `links.register` and the setting that
    links it deterministically only (it said only "the source"), when the job loads,
    before any data is read; with that setting it runs, and every record is accounted
    for."""
    folder = files({
        "census.csv": _census(),
        "register.csv": "rid,name\n" + "".join(f"R{i},{n}\n" for i, n in enumerate(FIRST)),
        "job.yaml": """\
            schema_version: 1
            name: one_name
            output_dir: out
            reference: census
            sources:
              census: {role: census, path: census.csv, id: id,
                       columns: {first_name: first, last_name: last, date_of_birth: dob}}
              register: {role: admin, path: register.csv, id: rid,
                         columns: {first_name: name}}
            quality: {enabled: false}
            links:
              register: {}
            """})
    r = run_cli("run", "job.yaml", cwd=folder)
    assert r.returncode == 2, r.stderr
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in r.stderr
    assert "links.register: too few fields in common" in errors[0]
    assert "links.register.probabilistic: null" in errors[0]
    assert not any(n in r.stderr for n in FIRST)  # no personal data in the message
    job = (folder / "job.yaml").read_text().replace("register: {}",
                                                    "register: {probabilistic: null}")
    (folder / "job.yaml").write_text(job)
    r = run_cli("run", "job.yaml", cwd=folder)
    assert r.returncode == 0, r.stderr
    assert "register: read 20, quarantined 0, accepted 20, linked 0, review 0, unlinked 20" \
        in r.stdout
    # no link: the summary says none (it printed "links by method: " and nothing)
    assert "  register links by method: none\n" in r.stdout


def test_since_a_run_without_the_source_links_it_in_full(files):
    """A source added to the job since the previous run (or `--since` given another job's
    output): its records are all new and it is linked in full, with the reason in the
    manifest (it was an internal FileNotFoundError on the previous run's intake)."""
    register = "rid,first,last,dob\n" + "".join(
        f"R{i},{n},Surname{i},0{1 + i % 9}/0{1 + i % 9}/19{50 + i}\n"
        for i, n in enumerate(FIRST[:12]))
    folder = files({"census.csv": _census(), "old.csv": register, "added.csv": register})
    names = {"first_name": "first", "last_name": "last", "date_of_birth": "dob"}

    def job(sources: list[str]) -> dict:
        return {"schema_version": 1, "name": "deliveries", "output_dir": "out",
                "reference": "census", "quality": {"enabled": False},
                "sources": {"census": {"role": "census", "path": "census.csv", "id": "id",
                                       "columns": names},
                            **{s: {"role": "admin", "path": f"{s}.csv", "id": "rid",
                                   "columns": names} for s in sources}},
                "links": {s: {"probabilistic": None} for s in sources}}

    (folder / "one.yaml").write_text(yaml.safe_dump(job(["old"])))
    (folder / "two.yaml").write_text(yaml.safe_dump(job(["old", "added"])))
    r = run_cli("run", "one.yaml", cwd=folder)
    assert r.returncode == 0, r.stderr
    r = run_cli("run", "two.yaml", "--since", "out", "--output-dir", "out2", cwd=folder)
    assert r.returncode == 0, r.stderr
    inc = json.loads((folder / "out2" / "run_manifest.json").read_text())["links"]
    assert inc["added"]["incremental"]["full_reason"] == \
        "the previous run did not read this source"
    assert inc["added"]["incremental"]["changes"] == {"new": 12}
    changes = pd.read_parquet(folder / "out2" / "changes" / "added.parquet")
    assert (changes["status"] == "new").all() and len(changes) == 12
    assert inc["old"]["incremental"]["changes"] == {}  # nothing changed in the old one


def test_two_digit_years_under_a_four_digit_format_are_a_format_mismatch(files):
    """`date_format: "%d.%m.%Y"` on dates such as 03.04.85: DuckDB reads the year 85, and
    intake said "age over 120" of every one. It says the values do not fit the declared
    format (the file, the field, a record id and row, how many) and which format reads
    them, never a value."""
    dates = [f"{1 + i % 28:02d}.{1 + i % 12:02d}.{40 + i}" for i in range(len(FIRST))]
    folder = files({
        "census.csv": _census(),
        "register.csv": "rid,first,last,dob\n" + "".join(
            f"R{i},{n},Surname{i},{d}\n"
            for i, (n, d) in enumerate(zip(FIRST, dates, strict=True))),
        "job.yaml": """\
            schema_version: 1
            name: short_years
            output_dir: out
            reference: census
            sources:
              census: {role: census, path: census.csv, id: id,
                       columns: {first_name: first, last_name: last, date_of_birth: dob}}
              register: {role: admin, path: register.csv, id: rid, date_format: "%d.%m.%Y",
                         columns: {first_name: first, last_name: last, date_of_birth: dob}}
            links:
              register: {}
            """})
    r = run_cli("validate", "job.yaml", cwd=folder)
    assert r.returncode == 0, r.stderr
    expected = (f"{folder / 'register.csv'}: field 'dob': 20 of 20 values (the first: record "
                "R0, line 2) have a two-digit year (dd.mm.yy), which do not fit the declared "
                "date_format '%d.%m.%Y'; they are set to missing; set date_format: "
                "'%d.%m.%y' and declare reference_date (a two-digit year needs it to tell "
                "the century)")
    assert sum(ln.endswith(f"WARNING {expected}") for ln in r.stderr.splitlines()) == 1, \
        r.stderr
    assert "age over" not in r.stderr and "Traceback" not in r.stderr
    assert not any(d in r.stderr for d in dates) and not any(n in r.stderr for n in FIRST)
    report = json.loads((folder / "out" / "intake" / "report.json").read_text())
    assert report["register"]["warnings"] == [expected]
    flagged = pd.read_parquet(folder / "out" / "quarantine" / "register_values.parquet")
    assert set(flagged["reason"]) == {
        "not a valid date in format %d.%m.%Y: the year has fewer than four digits"}
    assert len(flagged) == 20 and set(flagged["value_kind"]) == {"99.99.99"}
