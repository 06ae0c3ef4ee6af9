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
