"""A run killed after its clerical stage applied decisions, then resumed, writes the same
manifest and outputs as an uninterrupted run (issue 13): the clerical stage returns its
accounting change instead of changing shared state, and the pipeline replays it from the
recorded result on `--resume`. Real CLI runs; the kill is put exactly at the start of the
quality stage through the test-only hook spinelink.faults."""
from __future__ import annotations

import json
import os
import shutil

import pandas as pd
import pytest
from bad_inputs.outputs import differences
from conftest import run_cli
from test_review_support import fresh_copy, truth_decisions


def _decide_from_truth(project, out, tmp_path):
    r = run_cli("review", "export", str(out), "--to", str(tmp_path / "all.csv"), "--ids-only")
    assert r.returncode == 0, r.stderr
    frame = pd.read_csv(tmp_path / "all.csv", dtype=str, keep_default_na=False)
    frame["decision"] = truth_decisions(project, frame)
    assert (frame["decision"] == "match").sum() > 10  # the decisions change the links
    frame.to_csv(tmp_path / "all.csv", index=False)
    r = run_cli("review", "import", str(out), str(tmp_path / "all.csv"), "--reviewer", "oracle")
    assert r.returncode == 0, r.stderr


def _accounting(out):
    return json.loads((out / "run_manifest.json").read_text())["accounting"]


@pytest.mark.slow
def test_resume_after_clerical_decisions_matches_an_uninterrupted_run(tmp_path):
    project = tmp_path / "p"
    out = fresh_copy(project)
    before = _accounting(out)
    _decide_from_truth(project, out, tmp_path)
    twin = tmp_path / "q"
    shutil.copytree(project, twin)

    r = run_cli("run", str(project / "job.yaml"), cwd=project)
    assert r.returncode == 0, r.stderr[-2000:]
    clean = _accounting(out)
    assert clean["benefits"]["linked"] > before["benefits"]["linked"]
    assert clean["benefits"]["review"] < before["benefits"]["review"]

    killed = run_cli("run", str(twin / "job.yaml"), cwd=twin,
                     env={**os.environ, "SPINELINK_FAULT": "kill quality start"})
    assert killed.returncode < 0 or killed.returncode == 137, killed.stderr[-2000:]
    done = json.loads((twin / "out" / "checkpoint.json").read_text())["done"]
    assert "clerical" in done and "quality" not in done
    r = run_cli("run", str(twin / "job.yaml"), "--resume", cwd=twin)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "clerical: done in the earlier run; reused" in r.stderr
    assert _accounting(twin / "out") == clean
    assert differences(out, twin / "out", drop={"overrides", "resumed", "location"}) == []


def test_the_stage_contract_is_read_only_and_replays_changes():
    import doctest

    from spinelink import stages

    res = doctest.testmod(stages)
    assert res.attempted >= 4 and res.failed == 0
    with pytest.raises(ValueError, match="unknown kind"):
        stages.apply_changes({}, {}, {"acounting": {}})


@pytest.mark.slow
def test_resume_after_review_apply_reruns_linkage_without_calling_the_outputs_changed(
        tmp_path):
    """Session 27: after `review apply` (as the README says), `run --resume` warned
    "link:benefits: links/benefits.parquet has changed (..., recorded ...)", as if the file
    had been tampered with. Apply now marks the stages whose files it rewrote as to be run
    again in checkpoint.json; the resumed run reuses intake and standardisation and ends as
    a fresh run does."""
    project = tmp_path / "p"
    out = fresh_copy(project)
    _decide_from_truth(project, out, tmp_path)
    r = run_cli("review", "apply", str(out))
    assert r.returncode == 0, r.stderr
    twin = tmp_path / "q"
    shutil.copytree(project, twin)
    r = run_cli("run", str(project / "job.yaml"), "--resume", cwd=project)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "has changed" not in r.stderr and "WARNING" not in r.stderr, r.stderr[-2000:]
    assert "intake:benefits: done in the earlier run; reused" in r.stderr
    assert "link:benefits: done in the earlier run; reused" not in r.stderr
    fresh = run_cli("run", str(twin / "job.yaml"), cwd=twin)
    assert fresh.returncode == 0, fresh.stderr[-2000:]
    assert _accounting(out) == _accounting(twin / "out")
    assert differences(out, twin / "out", drop={"overrides", "resumed", "location"}) == []
