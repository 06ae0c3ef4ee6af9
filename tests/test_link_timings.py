"""The link stage is not timed as a whole (its steps are): every part of it is a timed
step in the manifest (`fields:`, `deterministic:`, `probabilistic:`, `outputs:<source>`),
so the manifest's timings add up to the run. The links' sorted write, the relatives held
and the fields' shares were untimed before: about 4 s of a 1M run counted nowhere
(benchmarks/RESULTS.md, session 46 hC)."""
from __future__ import annotations

import json
import time

import yaml
from conftest import demo_job

from spinelink import faults
from spinelink.pipeline import run_job
from spinelink.sample import generate


def test_the_link_stage_s_steps_are_timed_and_add_up_to_it(tmp_path, monkeypatch):
    generate(1500, 5, tmp_path / "data")
    job = yaml.safe_load(demo_job(any_rows=True))
    job["quality"] = {**(job.get("quality") or {}), "enabled": False}
    (tmp_path / "data" / "job.yaml").write_text(yaml.safe_dump(job, sort_keys=False))
    began, took = {}, {}
    start, end = faults.stage_start, faults.stage_end

    def stage_start(stage):
        start(stage)
        began[stage] = time.perf_counter()

    def stage_end(stage):
        end(stage)
        took[stage] = time.perf_counter() - began[stage]

    monkeypatch.setattr(faults, "stage_start", stage_start)
    monkeypatch.setattr(faults, "stage_end", stage_end)
    res = run_job(tmp_path / "data" / "job.yaml")
    timings = json.loads(res.manifest_path.read_text())["timings_seconds"]
    for source in job["links"]:
        steps = [f"{s}:{source}" for s in ("fields", "deterministic", "probabilistic",
                                           "outputs")]
        assert set(steps) <= set(timings), (source, sorted(timings))
        assert all(timings[s] > 0 for s in steps), timings
        # what is left outside the steps: the summary's few lines
        untimed = took[f"link:{source}"] - sum(timings[s] for s in steps)
        assert -0.01 <= untimed < 0.05 * took[f"link:{source}"] + 0.05, (source, untimed)
