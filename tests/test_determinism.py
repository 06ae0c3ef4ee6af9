"""Determinism: the same job run twice, and with a different thread count, gives outputs
with identical content: every Parquet and CSV table row for row in the writer's order,
every JSON file except timings (and, between the two job files, the job file's hash).

The generated data (three sources, two links, Parquet and BOM'd CSV inputs) is large
enough for EM to sum in parallel; its m and u are rounded (probabilistic._clamp) so the
thread count does not reach the model or anything it scores.
"""
from __future__ import annotations

import pytest
import yaml
from bad_inputs.outputs import differences, output_files
from conftest import ROOT, run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("determinism")
    r = run_cli("sample", "--persons", "400", "--seed", "5", "--out", str(d / "data"))
    assert r.returncode == 0, r.stderr
    job = yaml.safe_load((ROOT / "sample_data" / "demo_job.yaml").read_text())
    job["sources"]["census"]["expect_rows"] = {"min": 1}
    for threads in (1, 2):
        job.update(output_dir=f"../t{threads}", resources={"threads": threads})
        (d / "data" / f"job_t{threads}.yaml").write_text(yaml.safe_dump(job))
    for args in (["job_t1.yaml"], ["job_t2.yaml"], ["job_t2.yaml", "--output-dir", "../t2b"]):
        r = run_cli("run", *args, cwd=d / "data")
        assert r.returncode == 0, r.stderr[-2000:]
    return d


def test_the_comparison_covers_every_output(runs):
    names = {str(p.relative_to(runs / "t1")) for p in output_files(runs / "t1")}
    for source in ("benefits", "survey"):
        for folder in ("links", "review", "unlinked", "pairs"):
            assert f"{folder}/{source}.parquet" in names
        assert f"models/{source}.json" in names
    assert {"run_manifest.json", "intake/report.json", "standardised/census.parquet"} <= names


def test_same_job_twice_gives_identical_outputs(runs):
    assert differences(runs / "t2", runs / "t2b", drop={"overrides"}) == []


def test_thread_count_does_not_change_outputs(runs):
    # the two job files differ in resources.threads only: their hashes differ, nothing else
    assert differences(runs / "t1", runs / "t2", drop={"sha256", "overrides"}) == []
