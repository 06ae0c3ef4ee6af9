"""The Python API for notebooks: spinelink.run / open_run and the Result helpers, on a
small generated job (deterministic linkage only, to keep it quick)."""
from __future__ import annotations

import inspect
import json
import re

import pandas as pd
import pytest
from conftest import ROOT

import spinelink
from spinelink.checkpoint import _content_hash
from spinelink.errors import SpinelinkError
from spinelink.sample import generate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    d = tmp_path_factory.mktemp("api")
    generate(1100, 5, d / "data")
    job = (ROOT / "sample_data" / "demo_job.yaml").read_text()
    job = re.sub(r"probabilistic: \{model: auto[^}]*\}[^\n]*", "probabilistic: null", job)
    (d / "data" / "job.yaml").write_text(job)
    return spinelink.run(str(d / "data" / "job.yaml"), output_dir=d / "out")


def test_run_returns_paths_accounting_and_summary(result):
    assert result.output_dir.name == "out"
    for key in ("integrated", "conflicts", "audit", "invalid_codes", "links/benefits",
                "unlinked/survey", "intake/census", "manifest"):
        assert result.paths[key].exists(), key
    for a in result.accounting.values():
        assert a["read"] == a["accepted"] + a["quarantined"]
        if "linked" in a:
            assert a["accepted"] == a["linked"] + a["review"] + a["unlinked"]
    assert result.summary["integrate"]["units"] == result.accounting["census"]["accepted"]
    assert "benefits" in result.summary["links"]
    text = repr(result)
    assert "integrated:" in text and "census: read" in text


def test_the_report_is_a_path_and_not_read_as_a_table(result):
    # session 49: a notebook had no path to report.html in `paths`, and
    # result.table("report") listed the tables without saying what the report is
    assert result.paths["report"] == result.output_dir / "report.html"
    assert result.paths["report"].exists()
    with pytest.raises(SpinelinkError, match=r"'report' is a file, not a table: .*report.html"):
        result.table("report")
    with pytest.raises(SpinelinkError, match=r"no output table 'nosuch'.*expected one of "
                       r"\[.*'integrated'"):
        result.table("nosuch")


def test_integrated_links_and_tables_as_pandas(result):
    integrated = result.integrated()
    assert isinstance(integrated, pd.DataFrame)
    assert len(integrated) == result.accounting["census"]["accepted"]
    links = result.links("benefits")
    assert list(links.columns)[:3] == ["reference_id", "source_id", "method"]
    assert len(result.table("unlinked/survey")) == result.accounting["survey"]["unlinked"]
    with pytest.raises(SpinelinkError, match="linked sources: \\['benefits', 'survey'\\]"):
        result.links("census")
    with pytest.raises(SpinelinkError, match="no output table 'nope'"):
        result.table("nope")


def test_duckdb_views_over_every_output(result):
    con = result.duckdb()
    n = con.execute("SELECT count(*) FROM integrated").fetchall()[0][0]
    assert n == result.accounting["census"]["accepted"]
    linked = con.execute("SELECT count(*) FROM integrated i JOIN links_benefits l "
                         "ON l.reference_id = i.reference_id").fetchall()[0][0]
    assert linked == result.accounting["benefits"]["linked"]
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() "
                                       "WHERE NOT internal").fetchall()}
    assert {"integrated", "conflicts", "audit", "invalid_codes", "unlinked_survey"} <= views


def test_open_run_reads_a_finished_run(result, tmp_path):
    again = spinelink.open_run(result.output_dir)
    assert again.accounting == result.accounting
    assert again.integrated().equals(result.integrated())
    with pytest.raises(SpinelinkError, match="no run_manifest.json"):
        spinelink.open_run(tmp_path)


def test_open_run_on_a_folder_that_is_not_a_finished_run_says_what_it_is(tmp_path):
    """Session 27: a folder that does not exist was "no run_manifest.json"; the folder of
    an interrupted run gave no hint of --resume; an unreadable run_manifest.json raised
    json's JSONDecodeError (a traceback, not a spinelink error)."""
    with pytest.raises(SpinelinkError, match=r"nowhere: does not exist"):
        spinelink.open_run(tmp_path / "nowhere")
    (tmp_path / "checkpoint.json").write_text("{}")
    with pytest.raises(SpinelinkError, match=r"no run_manifest.json: the run did not finish "
                                             r"\(checkpoint.json\); continue it with "
                                             r"`spinelink run JOB --resume`"):
        spinelink.open_run(tmp_path)
    (tmp_path / "run_manifest.json").write_text('{"accounting": ')
    with pytest.raises(SpinelinkError, match=r"run_manifest.json: unreadable "
                                             r"\(JSONDecodeError\)"):
        spinelink.open_run(tmp_path)


def test_top_level_run_takes_every_api_argument():
    from spinelink import api

    assert (list(inspect.signature(spinelink.run).parameters)
            == list(inspect.signature(api.run).parameters)
            == ["job", "output_dir", "resume", "since", "retrain"])


def test_run_with_resume_continues_from_the_finished_stages(result):
    """spinelink.run(job, resume=True), as the README documents: a run stopped before
    integration reuses the stages it finished and gives the same outputs (last in this
    module: it runs the fixture's job again in its output folder)."""
    out = result.output_dir
    path = out / "checkpoint.json"
    ck = json.loads(path.read_text())
    order = list(ck["done"])  # stage names (the file keeps them sorted)
    del ck["done"]["integrate"]  # as if killed during integration
    ck["sha256"] = _content_hash(ck)  # the checkpoint's own hash, as a run would write it
    path.write_text(json.dumps(ck))
    before = result.integrated()
    again = spinelink.run(out.parent / "data" / "job.yaml", output_dir=out, resume=True)
    first = {s for s in order if s.split(":")[0] in ("intake", "coding", "standardise", "link",
                                                      "clerical")}
    assert "intake:census" in first and "link:benefits" in first
    assert set(again.manifest["resumed"]["reused_stages"]) == first
    assert again.accounting == result.accounting
    pd.testing.assert_frame_equal(again.integrated(), before)


def test_flagged_values_are_an_output_table(tmp_path):
    """quarantine/<source>_values.parquet (values set to missing or flagged in kept rows)
    is reachable as the other outputs are: a table and a DuckDB view."""
    (tmp_path / "c.csv").write_text("pid,fn,ln,dob\nP1,Ann,Lee,31/02/1980\nP2,Bob,Day,"
                                    "01/02/1970\nP3,Cy,Ray,03/04/1975\n", encoding="utf-8")
    (tmp_path / "job.yaml").write_text(
        "schema_version: 1\nname: t\nreference: census\nreference_date: 2021-03-21\n"
        "sources:\n  census: {role: census, path: c.csv, id: pid, date_format: '%d/%m/%Y', "
        "columns: {first_name: fn, last_name: ln, date_of_birth: dob}}\n", encoding="utf-8")
    r = spinelink.run(tmp_path / "job.yaml", output_dir=tmp_path / "out")
    v = r.table("quarantine/census_values")
    assert list(zip(v["_row"], v["record_id"], v["field"], strict=True)) == [(2, "P1", "dob")]
    con = r.duckdb()
    assert con.execute("SELECT count(*) FROM quarantine_census_values").fetchall() == [(1,)]


def test_an_incremental_run_offers_its_changes_and_spine(tmp_path):
    """A run with `--since` (from Python: `spinelink.run(job, since=...)`) writes
    changes/<source>.parquet and spine.parquet (README, "Monthly deliveries"); a notebook
    opening it reads them as it reads the other tables
    (they were missing from `paths`: `result.table("changes/benefits")` said there was no
    such table, and `result.duckdb()` had no view of them)."""
    from spinelink.sample import generate
    from spinelink.sample.job import write_job

    generate(300, 1, tmp_path)
    job = write_job(tmp_path, 1)
    first = spinelink.run(job, output_dir=tmp_path / "first")
    benefits = pd.read_parquet(tmp_path / "benefits.parquet")
    benefits.iloc[:-5].to_parquet(tmp_path / "benefits.parquet")  # 5 claims withdrawn
    with pytest.raises(ValueError, match="retrain=True goes with since"):  # as the CLI
        spinelink.run(job, output_dir=tmp_path / "second", retrain=True)
    second = spinelink.run(job, output_dir=tmp_path / "second", since=first.output_dir)
    assert second.manifest["links"]["benefits"]["incremental"]["mode"] == "incremental"
    assert spinelink.open_run(tmp_path / "second").paths == second.paths
    changes = second.table("changes/benefits")
    assert set(changes["reason"]) == {"removed in a replacing delivery"}
    assert sorted(changes["record_id"]) == sorted(benefits["claim_id"].iloc[-5:])
    spine = second.table("spine")
    assert len(spine) == second.accounting["census"]["accepted"]
    con = second.duckdb()
    assert con.execute("SELECT count(*) FROM changes_benefits").fetchall() == [(5,)]
    assert con.execute("SELECT count(*) FROM spine").fetchall() == [(len(spine),)]


def test_run_given_the_job_as_a_dict_says_to_write_it_to_a_file():
    # a notebook user's first try (session 49): was "TypeError: expected str, bytes or
    # os.PathLike object, not dict" from deep in the job loader
    import yaml

    job = yaml.safe_load((ROOT / "sample_data" / "demo_job.yaml").read_text(encoding="utf-8"))
    with pytest.raises(TypeError, match=r"spinelink.run takes the path of a job file, not a "
                       r"dict: write the job to a YAML file first"):
        spinelink.run(job)
