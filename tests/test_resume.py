"""`spinelink run --resume`: a run killed part-way continues from the stages it finished,
and gives exactly the outputs of an uninterrupted run; it refuses when the job, an input
or the state of the outputs makes that unsafe. Real CLI runs, with a real SIGKILL."""
from __future__ import annotations

import json

import pytest
import yaml
from bad_inputs.outputs import differences
from test_crash_safety import _run_and_kill, clean_run, run_job

from spinelink.checkpoint import _content_hash

pytestmark = pytest.mark.slow
FIRST_STAGES = ["intake:census", "intake:admin", "standardise:census", "standardise:admin",
                "link:admin", "clerical", "integrate"]


_run = run_job


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return clean_run(tmp_path_factory, "resume")


def _copy_job(folder, dest):
    dest.mkdir()
    for f in folder.iterdir():
        (dest / f.name).write_bytes(f.read_bytes())
    return dest


def test_killed_run_resumes_from_finished_stages_and_matches(base, tmp_path):
    folder, clean = base
    out = tmp_path / "killed"
    assert _run_and_kill(folder, out, "quality", 0.0)
    done = json.loads((out / "checkpoint.json").read_text())["done"]
    assert set(FIRST_STAGES) <= set(done) and "quality" not in done
    r = _run(folder, out, "--resume")
    assert r.returncode == 0, r.stderr[-2000:]
    for stage in FIRST_STAGES:
        assert f"{stage}: done in the earlier run; reused" in r.stderr
    assert "quality ..." in r.stderr and "privacy ..." in r.stderr
    man = json.loads((out / "run_manifest.json").read_text())
    assert sorted(man["resumed"]["reused_stages"]) == sorted(FIRST_STAGES)
    assert differences(clean, out, drop={"overrides", "resumed"}) == []


def test_a_stage_whose_outputs_are_gone_runs_again_with_every_later_stage(base, tmp_path):
    folder, clean = base
    out = tmp_path / "out"
    assert _run(folder, out).returncode == 0
    order = list(yaml.safe_load((folder / "job.yaml").read_text())["sources"])
    first, second = order  # sources are standardised in the job's order
    (out / "standardised" / f"{second}.parquet").unlink()
    r = _run(folder, out, "--resume")
    assert r.returncode == 0, r.stderr[-2000:]
    assert f"standardise:{first}: done in the earlier run; reused" in r.stderr
    assert (f"standardise:{second}: standardised/{second}.parquet is missing; rerunning from "
            f"standardise:{second}") in r.stderr
    for stage in (f"standardise:{second} ...", "deterministic:admin ...", "integrate ...",
                  "privacy ..."):
        assert stage in r.stderr
    assert differences(clean, out, drop={"overrides", "resumed"}) == []


@pytest.mark.parametrize("change", ["job file", "input files"])
def test_resume_refuses_when_the_job_or_an_input_changed(base, tmp_path, change):
    folder = _copy_job(base[0], tmp_path / "job")
    out = tmp_path / "out"
    assert _run(folder, out).returncode == 0
    if change == "job file":
        job = yaml.safe_load((folder / "job.yaml").read_text())
        job["seed"] = job.get("seed", 0) + 1
        (folder / "job.yaml").write_text(yaml.safe_dump(job))
    else:
        with open(folder / "admin.csv", "a", encoding="utf-8") as f:
            f.write("\n")
    r = _run(folder, out, "--resume")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and "Traceback" not in r.stderr
    assert f"cannot resume: {change} changed" in lines[-1]
    assert "without --resume" in lines[-1]
    # without --resume the same folder is simply run again, from the start
    r = _run(folder, out)
    assert r.returncode == 0 and "reused" not in r.stderr


def test_resume_refuses_after_the_engine_code_changed(base, tmp_path):
    """The same package version with other code (a SQL file or a module edited) is another
    engine: its fingerprint in the checkpoint differs, and stages it ran are not reused."""
    folder, _ = base
    out = tmp_path / "out"
    assert _run(folder, out).returncode == 0
    ck = json.loads((out / "checkpoint.json").read_text())
    versions = ck["fingerprint"]["versions"]
    assert len(versions["spinelink_code"]) == 16
    versions["spinelink_code"] = "0" * 16  # as written by an earlier build of the code
    ck["sha256"] = _content_hash(ck)
    (out / "checkpoint.json").write_text(json.dumps(ck))
    r = _run(folder, out, "--resume")
    assert r.returncode == 2
    assert ("cannot resume: spinelink's code (its Python or SQL files) changed"
            in r.stderr.strip().splitlines()[-1])
    versions["duckdb"] = "0.0.1"  # a package upgraded too: named
    ck["sha256"] = _content_hash(ck)
    (out / "checkpoint.json").write_text(json.dumps(ck))
    r = _run(folder, out, "--resume")
    assert "cannot resume: package versions (duckdb) changed" in r.stderr.strip().splitlines()[-1]


def test_code_fingerprint_follows_the_sql_and_the_modules(tmp_path, monkeypatch):
    import shutil

    from spinelink import manifest, resources

    fingerprint = manifest.code_fingerprint.__wrapped__
    sql = tmp_path / "sql"
    shutil.copytree(resources.data_dir("sql"), sql)
    monkeypatch.setattr(resources, "data_dir", lambda name: sql)
    before = fingerprint()
    assert before == fingerprint() == manifest.code_fingerprint()  # the installed SQL
    first = sorted(sql.rglob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited\n")
    edited = fingerprint()
    assert edited != before
    (sql / "extra").mkdir()
    first.rename(sql / "extra" / first.name)  # the same content in another place
    assert fingerprint() not in (before, edited)


def test_run_interrupted_while_pseudonymising_is_not_resumed(base, tmp_path):
    folder, _ = base
    out = tmp_path / "out"
    assert _run(folder, out).returncode == 0
    ck = json.loads((out / "checkpoint.json").read_text())
    del ck["done"]["privacy"]  # as if killed while privacy rewrote the outputs
    assert "privacy" in ck["started"]
    ck["sha256"] = _content_hash(ck)  # the checkpoint's own hash, as a run would write it
    (out / "checkpoint.json").write_text(json.dumps(ck))
    r = _run(folder, out, "--resume")
    assert r.returncode == 2
    assert "'privacy' stage was rewriting outputs in place" in r.stderr.strip().splitlines()[-1]


def test_resume_without_a_checkpoint_runs_everything(base, tmp_path):
    folder, clean = base
    out = tmp_path / "new"
    r = _run(folder, out, "--resume")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "no checkpoint" in r.stderr and "reused" not in r.stderr
    assert differences(clean, out, drop={"overrides"}) == []


def test_unreadable_checkpoint_is_refused_in_one_line(base, tmp_path):
    folder, _ = base
    out = tmp_path / "out"
    assert _run(folder, out).returncode == 0
    (out / "checkpoint.json").write_text('{"fingerprint": {"job": ')  # cut short
    r = _run(folder, out, "--resume")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: {out / 'checkpoint.json'}: unreadable checkpoint")
    assert "without --resume" in last
