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


def test_a_household_register_keyed_by_household_links_every_person(files):
    """A household register identifies a person by household and person number together.
    Declared `id: household_id` alone, every person after a household's first was
    quarantined as a duplicate (nothing said what to change; now a warning names the
    column and the setting); declared `id: [household_id, person_no]`, every person is a
    record (`H1/2`) and links to the census; a row without a person number is
    quarantined naming the row and both columns; a column of the id missing from the
    file stops the job naming `sources.households.id`."""
    people = [(i // 3, i % 3 + 1, n, f"Surname{i // 3}", f"0{1 + i % 9}/0{1 + i % 7}/19{50 + i}")
              for i, n in enumerate(FIRST)]
    census = "id,first,last,dob\n" + "".join(
        f"C{i},{n},{s},{d}\n" for i, (_, _, n, s, d) in enumerate(people))
    rows = [f"H{h},{p},{n},{s},{d}" for h, p, n, s, d in people]
    rows[5] = rows[5].replace(f"H1,{people[5][1]},", "H1,,")  # no person number
    folder = files({"census.csv": census,
                    "households.csv": "household_id,person_no,first,last,dob\n"
                    + "\n".join(rows) + "\n",
                    "job.yaml": """\
            schema_version: 1
            name: households
            output_dir: out
            reference: census
            sources:
              census: {role: census, path: census.csv, id: id,
                       columns: {first_name: first, last_name: last, date_of_birth: dob}}
              households: {role: admin, path: households.csv, id: household_id,
                           columns: {first_name: first, last_name: last, date_of_birth: dob}}
            quality: {enabled: false}
            links:
              households: {probabilistic: null}
            """})
    r = run_cli("run", "job.yaml", cwd=folder)
    assert r.returncode == 0, r.stderr
    assert "households: read 20, quarantined 13, accepted 7" in r.stdout
    assert ("households.csv: 13 of 20 rows repeat an identifier of column 'household_id'"
            in r.stderr) and "id: [household_id, <person number column>]" in r.stderr
    job = (folder / "job.yaml").read_text()
    composite = job.replace("id: household_id", "id: [household_id, person_no]")
    (folder / "job.yaml").write_text(composite)
    r = run_cli("run", "job.yaml", cwd=folder)
    assert r.returncode == 0, r.stderr
    assert "households: read 20, quarantined 1, accepted 19, linked 19" in r.stdout
    assert "repeat an identifier" not in r.stderr
    q = pd.read_parquet(folder / "out" / "quarantine" / "households.parquet")
    assert q[["_row", "field", "reason"]].values.tolist() == [
        [7, "person_no", "missing identifier"]]  # the part that is missing, named
    links = pd.read_parquet(folder / "out" / "links" / "households.parquet")
    expect = {f"H{h}/{p}": f"C{i}" for i, (h, p, *_) in enumerate(people) if i != 5}
    assert dict(zip(links["source_id"], links["reference_id"], strict=True)) == expect
    intake = pd.read_parquet(folder / "out" / "intake" / "households.parquet")
    assert "__sl_record_id" not in intake.columns  # the joined id is record_id only
    assert intake.loc[intake["record_id"] == "H0/2", "person_no"].tolist() == ["2"]
    (folder / "job.yaml").write_text(composite.replace("person_no]", "person_nr]"))
    r = run_cli("validate", "job.yaml", cwd=folder)
    assert r.returncode in (2, 3) and "person_nr" in r.stderr, r.stderr
    assert "sources.households.id" in r.stderr and "Traceback" not in r.stderr
