"""A stage's scratch is freed at its end (`Engine.release`): an in-memory DuckDB holds every
table it was given until the table is dropped, and every registered frame until it is
unregistered. Intake's file as read and the link stage's tables (Splink's comparison
vectors and blocked pairs, the keyed reference, the capped keys' counts, the link tables)
were held to the end of the run: at a million records 2.7 GB through prediction,
integration and the report (benchmarks/RESULTS.md, session 29 hD)."""
from __future__ import annotations

import yaml
from conftest import demo_job

from spinelink import faults, pipeline
from spinelink.pipeline import run_job
from spinelink.sample import generate


def _held(engine) -> set[str]:
    con = engine.con
    return {n for (n,) in con.execute(
        "SELECT table_name FROM duckdb_tables() UNION ALL "
        "SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}


def test_a_stage_leaves_only_what_later_stages_read(tmp_path, monkeypatch):
    d = tmp_path
    generate(1500, 5, d / "data")
    job = yaml.safe_load(demo_job(any_rows=True))
    job["quality"] = {**(job.get("quality") or {}), "enabled": False}
    (d / "data" / "job.yaml").write_text(yaml.safe_dump(job, sort_keys=False))
    engines, after = [], {}
    opened = pipeline.open_engine

    def open_engine(*a, **k):
        engines.append(opened(*a, **k))
        return engines[-1]

    ended = faults.stage_end

    def stage_end(stage):
        ended(stage)
        after[stage] = _held(engines[-1])

    monkeypatch.setattr(pipeline, "open_engine", open_engine)
    monkeypatch.setattr(faults, "stage_end", stage_end)
    run_job(d / "data" / "job.yaml")

    for source in job["sources"]:  # the file as read: not held after its intake
        assert not {n for n in after[f"intake:{source}"] if n.startswith("__sl_raw_")}
    std = {"__sl_std_census", "__sl_std_benefits", "__sl_std_survey"}
    for source in job["links"]:
        tables = after[f"link:{source}"]
        assert not {n for n in tables if n.startswith("__splink__")}, source
        assert not {n for n in tables if n.startswith(("__sl_res_", "__sl_out_"))}, source
        assert not {n for n in tables if "_blk" in n}, source
        # what integration and later stages read from the engine stays
        assert std <= tables, source
    links = d / "out" / "links"
    assert (links / "benefits.parquet").stat().st_size > 0


def _quality_run(d, monkeypatch, keep_all: bool):
    """The demo job with quality on (1,500 persons): the engine's tables when each linked
    source's estimate starts, and the tables after integration; `keep_all`: nothing
    released (Engine.release a no-op), the run to compare the outputs with."""
    from spinelink.backends.duckdb_engine import DuckDBEngine
    from spinelink.quality import labelfree

    generate(1500, 5, d / "data")
    job = yaml.safe_load(demo_job(any_rows=True))
    (d / "data" / "job.yaml").write_text(yaml.safe_dump(job, sort_keys=False))
    engines, at_estimate, after = [], [], {}
    opened = pipeline.open_engine

    def open_engine(*a, **k):
        engines.append(opened(*a, **k))
        return engines[-1]

    ended, estimate = faults.stage_end, labelfree.estimate

    def stage_end(stage):
        ended(stage)
        after[stage] = _held(engines[-1])

    def estimating(*a, **k):
        # the engine's work beside the estimate (quality.beside) ends, releasing what it
        # read, before anything else may use the connection: the estimate waits for it
        # before its bootstrap
        if k.get("ready") is not None:
            k["ready"]()
        at_estimate.append(_held(engines[-1]))
        return estimate(*a, **k)

    monkeypatch.setattr(pipeline, "open_engine", open_engine)
    monkeypatch.setattr(faults, "stage_end", stage_end)
    monkeypatch.setattr(labelfree, "estimate", estimating)
    if keep_all:
        monkeypatch.setattr(DuckDBEngine, "release", lambda self, *a, **k: None)
    run_job(d / "data" / "job.yaml")
    return job, at_estimate, after


def test_the_quality_estimate_runs_without_the_tables_it_read(tmp_path, monkeypatch):
    """At a million records the tables the quality stage had read (the standardised
    tables, the linkage's keyed reference and key counts) and integration's were held
    through the estimate, the run's peak with quality on (benchmarks/RESULTS.md, session
    33 helper F). Released once read: the same outputs as a run that releases nothing."""
    job, at, after = _quality_run(tmp_path / "a", monkeypatch, keep_all=False)
    assert list(job["links"]) == ["benefits", "survey"]
    assert not {n for n in after["integrate"] if n.startswith("__sl_int_")}
    assert len(at) == 2  # one estimate per linked source, in the job's order
    first, second = at
    # benefits (links not one-to-one: its quality read the linkage's keyed reference)
    for t in ("__sl_std_benefits", "__sl_res_ref_benefits", "__sl_lk_ref_benefits"):
        assert t not in first, t
    assert not {n for n in first if n.startswith(("__sl_lk_ref_benefits_blk",
                                                   "__sl_q_benefits_"))}
    # the reference's table stays for the survey's quality, the survey's own tables too
    assert {"__sl_std_census", "__sl_std_survey", "__sl_res_ref_survey"} <= first
    assert not {n for n in second if n.startswith(("__sl_std_", "__sl_res_ref_", "__sl_lk_",
                                                    "__sl_q_survey_"))}
    kept_job, kept_at, _ = _quality_run(tmp_path / "b", monkeypatch, keep_all=True)
    assert "__sl_std_benefits" in kept_at[0]  # the comparison run held them
    for f in ("subgroups.csv", "bias.csv", "threshold.csv"):
        a = (tmp_path / "a" / "out" / "quality" / f).read_bytes()
        assert a == (tmp_path / "b" / "out" / "quality" / f).read_bytes(), f
