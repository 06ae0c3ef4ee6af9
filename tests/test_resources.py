"""A job that runs out of memory under its `resources.memory_limit` stops with one plain
line saying what to change, exit code 70, no trace and no personal data."""
from __future__ import annotations

import subprocess
import sys

import yaml


def test_out_of_memory_says_what_to_change(tmp_path):
    data = tmp_path / "data"
    r = subprocess.run([sys.executable, "-m", "spinelink", "sample", "--persons", "3000",
                        "--seed", "3", "--out", str(data)], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    job = yaml.safe_load((data / "job.yaml").read_text())
    job["resources"] = {"memory_limit": "30MB", "threads": 1}
    (data / "job.yaml").write_text(yaml.safe_dump(job))
    r = subprocess.run([sys.executable, "-m", "spinelink", "run", str(data / "job.yaml")],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 70, (r.returncode, r.stderr[-2000:])
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("error: out of memory"), last
    assert "resources.memory_limit" in last and "--resume" in last
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    forename = (data / "census.csv").read_text().splitlines()[1].split(",")[1]
    assert forename and forename not in r.stderr  # no data reaches the console
