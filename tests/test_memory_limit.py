"""DuckDB's memory limit when the job sets none is sized from the job's inputs
(`backends.memory`): DuckDB's own default (80% of the machine) let a 1M-person run hold
~4 GB that its stages do not need; a fixed smaller one would starve bigger runs
(benchmarks/RESULTS.md, session 30 hD). The engine runs under the chosen limit, the run
manifest records it, and a job's `resources.memory_limit` wins."""
from __future__ import annotations

import json
import shutil

import duckdb
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import demo_job

from spinelink import faults, pipeline
from spinelink.backends import memory
from spinelink.pipeline import run_job
from spinelink.sample import generate


def _as_duckdb_shows(limit: str) -> str:
    con = duckdb.connect(":memory:")
    con.execute(f"SET memory_limit = '{limit}'")
    return con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]


def _run(d, resources=None):
    """Run the demo job (quality off) on d/data; returns (the manifest, DuckDB's
    memory_limit as the engine had it during the run)."""
    job = yaml.safe_load(demo_job(any_rows=True))
    job["quality"] = {**(job.get("quality") or {}), "enabled": False}
    if resources:
        job["resources"] = resources
    (d / "data" / "job.yaml").write_text(yaml.safe_dump(job, sort_keys=False))
    engines, seen = [], []
    opened, ended = pipeline.open_engine, faults.stage_end

    def open_engine(*a, **k):
        engines.append(opened(*a, **k))
        return engines[-1]

    def stage_end(stage):
        ended(stage)
        seen.append(engines[-1].con.execute(
            "SELECT current_setting('memory_limit')").fetchall()[0][0])

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pipeline, "open_engine", open_engine)
        mp.setattr(faults, "stage_end", stage_end)
        out = run_job(d / "data" / "job.yaml", output_dir=d / "out").output_dir
    man = json.loads((out / "run_manifest.json").read_text())
    assert len(set(seen)) == 1, seen
    return man, seen[0], job


def _inputs_as_read(data, job) -> int:
    total = 0
    for s in job["sources"].values():
        p = data / s["path"]
        if p.suffix == ".parquet":
            meta = pq.ParquetFile(p).metadata
            total += sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        else:
            total += p.stat().st_size
    return total


def test_the_default_limit_follows_the_inputs(tmp_path, monkeypatch):
    # a test's data (~0.3 MB) asks for far less than the floor (1 GiB) and than DuckDB
    # needs to run at all: the multiple raised and the floor lowered, so the inputs decide
    monkeypatch.setattr(memory, "FLOOR", 1 << 20)
    monkeypatch.setattr(memory, "PER_INPUT_BYTE", 1000)
    generate(1500, 5, tmp_path / "small" / "data")
    man, engine_limit, job = _run(tmp_path / "small")
    res = man["resources"]
    assert res["source"] == "inputs" and res["basis"] == "inputs"
    data = _inputs_as_read(tmp_path / "small" / "data", job)
    assert res["input_bytes"] == data
    assert res["bytes"] == (memory.PER_INPUT_BYTE * data) >> 20 << 20
    assert engine_limit == _as_duckdb_shows(res["memory_limit"])  # the run's engine had it

    # the same persons' census given twice over (every row again, new ids): a bigger
    # limit, by the census's added bytes
    big = tmp_path / "big" / "data"
    shutil.copytree(tmp_path / "small" / "data", big)
    census = big / job["sources"]["census"]["path"]
    lines = census.read_text(encoding="utf-8").splitlines()
    id_col = lines[0].split(",").index(job["sources"]["census"]["id"])

    def renumbered(line):
        cells = line.split(",")
        cells[id_col] = "X" + cells[id_col]
        return ",".join(cells)

    census.write_text("\n".join(lines + [renumbered(x) for x in lines[1:]]) + "\n",
                      encoding="utf-8")
    got = memory.default_limit([big / s["path"] for s in job["sources"].values()])
    assert got["input_bytes"] == _inputs_as_read(big, job) > data
    assert got["bytes"] > res["bytes"]
    # between the floor and the ceiling (DuckDB's own default, 80% of memory)
    assert memory.default_limit([census], ram=4 * got["bytes"])["basis"] == "inputs"
    assert memory.default_limit([census], ram=got["bytes"] // 2)["basis"] == "ceiling"
    # Spark sizes its own memory: given nothing, as before
    assert memory.choose("spark", None, [census]) == {"memory_limit": None,
                                                      "source": "engine default"}
    monkeypatch.setattr(memory, "FLOOR", 4 * got["bytes"])
    assert memory.default_limit([census])["bytes"] == 4 * got["bytes"]


def test_the_default_limit_tapers_beyond_a_quarter_gigabyte_of_inputs(tmp_path):
    """Beyond TAPER_FROM of inputs each byte asks for PER_INPUT_BYTE_BEYOND, not
    PER_INPUT_BYTE: a limit proportional to the data made the peak grow as fast as the data
    (5M persons: 11.1 GB against 2.8 GB at 1M; docs/scaling.md, session 33)."""
    mib = memory.MIB
    sizes = {"small.csv": 100 * mib, "edge.csv": 256 * mib, "big.csv": 768 * mib}
    for name, size in sizes.items():  # sparse files: their size is what is read
        with open(tmp_path / name, "wb") as f:
            f.truncate(size)
    ram = 1 << 40
    got = {n: memory.default_limit([tmp_path / n], ram=ram)["bytes"] for n in sizes}
    assert got["small.csv"] == 16 * 100 * mib  # as before below the taper
    assert got["edge.csv"] == 16 * 256 * mib
    assert got["big.csv"] == 16 * 256 * mib + 4 * 512 * mib  # 6 GiB, not 12
    both = memory.default_limit([tmp_path / "small.csv", tmp_path / "big.csv"], ram=ram)
    assert both["bytes"] == 16 * 256 * mib + 4 * 612 * mib  # the job's inputs together


def test_the_jobs_limit_wins(tmp_path):
    generate(1500, 5, tmp_path / "data")
    man, engine_limit, _ = _run(tmp_path, {"memory_limit": "700MB"})
    assert man["resources"] == {"memory_limit": "700MB", "source": "job"}
    assert engine_limit == _as_duckdb_shows("700MB")
