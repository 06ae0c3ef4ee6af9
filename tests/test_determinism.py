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


def test_a_source_is_trained_the_same_after_another_source_as_alone(tmp_path):
    """Splink keeps term frequency tables in a cache of the database that every source's
    linker shares, looked up by column name: benefits, linked after the survey, was
    trained on the survey's term frequencies (names counted over the census and the
    survey), so its model and links differed from a run linking it alone, and from a run
    resumed between the two sources (which trains it in a fresh process)."""
    from spinelink.sample import generate
    from spinelink.sample.job import write_job

    generate(300, 1, tmp_path)
    job = yaml.safe_load(write_job(tmp_path, 1).read_text())
    for key in ("coding", "analysis", "integrate", "integrate_options"):
        job.pop(key)
    job["links"] = {"survey": job["links"]["survey"], "benefits": job["links"]["benefits"]}
    (tmp_path / "both.yaml").write_text(yaml.safe_dump({**job, "output_dir": "both"},
                                                       sort_keys=False))
    del job["links"]["survey"]
    (tmp_path / "alone.yaml").write_text(yaml.safe_dump({**job, "output_dir": "alone"},
                                                        sort_keys=False))
    for name in ("both", "alone"):
        r = run_cli("run", f"{name}.yaml", cwd=tmp_path)
        assert r.returncode == 0, r.stderr[-2000:]
    for path in ("models/benefits.json", "links/benefits.parquet", "pairs/benefits.parquet",
                 "review/benefits.parquet"):
        assert (tmp_path / "both" / path).read_bytes() == (
            tmp_path / "alone" / path).read_bytes(), path
