"""Shared fixtures: tiny jobs built from {filename: content} in a temp folder."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def write_files(folder: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        p = folder / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(textwrap.dedent(content), encoding="utf-8")
    return folder


def demo_job(any_rows: bool = False) -> str:
    """The demo job (sample_data/demo_job.yaml) for a copy of the sample data in `data/`,
    writing to `../out`; `any_rows`: no upper bound on the rows a source may have (a test
    generating more persons than the demo). Tests append their settings to it."""
    job = (ROOT / "sample_data" / "demo_job.yaml").read_text()
    job = job.replace("output_dir: ../out/demo", "output_dir: ../out")
    if any_rows:
        job = job.replace("expect_rows: {min: 1000, max: 10000}", "expect_rows: {min: 1000}")
    return job


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None):
    """Run the real CLI in a subprocess; returns CompletedProcess (text)."""
    return subprocess.run([sys.executable, "-m", "spinelink", *args], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=900)


def run_outputs(folder: Path, source: str, *kinds: str):
    """Run folder/job.yaml through the CLI (it must succeed) and read the source's output
    tables of each kind (links, review, pairs) from folder/out, in that order."""
    import pandas as pd

    r = run_cli("run", "job.yaml", cwd=folder)
    assert r.returncode == 0, r.stderr
    return tuple(pd.read_parquet(folder / "out" / k / f"{source}.parquet") for k in kinds)


def sample_run(d: Path, persons: int, seed: int) -> Path:
    """Generate the sample data (`spinelink sample`) into d/data and run its job into
    d/out through the CLI; returns the output folder."""
    r = run_cli("sample", "--persons", str(persons), "--seed", str(seed), "--out",
                str(d / "data"))
    assert r.returncode == 0, r.stderr
    r = run_cli("run", "job.yaml", "--output-dir", str(d / "out"), cwd=d / "data")
    assert r.returncode == 0, r.stderr[-2000:]
    return d / "out"


def generated_run(d: Path, persons: int, seed: int, degrade, job: str) -> Path:
    """Generate `persons` (spinelink.sample) into d/data, change them with `degrade(data)`,
    write `job` there and run it (in process); returns d (data in d/data, outputs where
    the job says, d/out for demo_job())."""
    from spinelink.pipeline import run_job
    from spinelink.sample import generate

    generate(persons, seed, d / "data")
    degrade(d / "data")
    (d / "data" / "job.yaml").write_text(job)
    run_job(d / "data" / "job.yaml")
    return d


@pytest.fixture
def files(tmp_path):
    return lambda mapping: write_files(tmp_path, mapping)


# pseudopeople's simulated files as the sources of a test's job (tests that use them
# import pseudopeople with pytest.importorskip): PSP_CENSUS opens a job's sources with
# its decennial census (the census's `columns:` and the other sources follow)
PSP_CENSUS = """seed: 1
reference: census
reference_date: 2020-04-01
sources:
  census:
    role: census
    path: census.csv
    id: person_id
    date_format: "%m/%d/%Y"
    postcode_format: other
"""


def linked_pseudopeople(tmp_path: Path, kind: str, noise: str):
    """The external benchmark's pseudopeople pair `kind` at `noise` (benchmarks/
    external_data.py: census against the source, seed 42, one link per record) linked by
    spinelink with its defaults: (the pair, benchmarks/compare.run_spinelink's figures),
    the run without an error."""
    pytest.importorskip("pseudopeople")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import compare
    import external_data

    pair = external_data.prepare_pseudopeople(tmp_path, kind, noise, 42, "best")
    res = compare.run_spinelink(pair.bench)
    assert "error" not in res, res.get("error")
    return pair, res


def psp_census(psp, rows: int | None = None):
    """The decennial census sample (its first `rows`), numbered C00000... in `person_id`."""
    census = psp.generate_decennial_census()
    census = (census if rows is None else census.head(rows)).reset_index(drop=True)
    census["person_id"] = [f"C{i:05d}" for i in range(len(census))]
    return census


def psp_ss_creations(psp, rows: int):
    """The first `rows` social security creation records, numbered N00000... in `rec_id`."""
    ss = psp.generate_social_security()
    ss = ss[ss["event_type"] == "creation"].head(rows).reset_index(drop=True)
    ss["rec_id"] = [f"N{i:05d}" for i in range(len(ss))]
    return ss
