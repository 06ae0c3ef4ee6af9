"""Fault tolerance that is checked, not assumed (issue 18 items 1-3): `--resume` verifies
the size and SHA-256 of every file a stage wrote before reusing it, and reruns from a
stage whose file is missing or changed; `spinelink verify OUT` checks a finished run
against the hashes in its run_manifest.json; one run per output folder (a lock, stale
locks taken over). Real CLI runs of the crash-test job (privacy on)."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from bad_inputs.outputs import differences
from conftest import ROOT, run_cli
from test_crash_safety import _job_folder, clean_run, run_job

from spinelink import runlock
from spinelink.checkpoint import Checkpoint
from spinelink.errors import OutputError
from spinelink.outputs import scan
from spinelink.verify import verify_run

slow = pytest.mark.slow
KEEP_VOLATILE = {"report.html"}  # holds the stage timings: its bytes differ between runs


_run = run_job


def _verify(out):
    return subprocess.run([sys.executable, "-m", "spinelink", "verify", str(out)],
                          capture_output=True, text=True, timeout=300)


def _hashes(out) -> dict:
    recorded = json.loads((out / "run_manifest.json").read_text())["outputs"]
    return {k: v for k, v in recorded.items() if k not in KEEP_VOLATILE}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return clean_run(tmp_path_factory, "verify")


# ---- item 1: resume verifies what it reuses ---------------------------------------------

@slow
@pytest.mark.parametrize("fault, stage, why", [
    # privacy pseudonymised links/admin in place: linkage runs again to rebuild it
    ("delete", "link:admin", "integrate: integrated.parquet is missing; rerunning from "
     "link:admin (the privacy stage rewrote its outputs in place)"),
    ("truncate", "link:admin", "link:admin: links/admin.parquet has changed (100 bytes, "
     "recorded "),
])
def test_resume_rebuilds_a_deleted_or_truncated_output(base, tmp_path, fault, stage, why):
    folder, clean = base
    out = tmp_path / "out"
    assert _run(folder, out).returncode == 0
    target = out / ("integrated.parquet" if fault == "delete" else "links/admin.parquet")
    if fault == "delete":
        target.unlink()
    else:
        with open(target, "r+b") as f:
            f.truncate(100)
    r = _run(folder, out, "--resume")
    assert r.returncode == 0, r.stderr[-2000:]
    lines = [ln for ln in r.stderr.splitlines() if "rerunning from" in ln]
    assert len(lines) == 1 and why in lines[0], r.stderr[-2000:]
    assert "intake:census: done in the earlier run; reused" in r.stderr
    assert f"{stage}: done in the earlier run; reused" not in r.stderr
    assert "deterministic:admin ..." in r.stderr
    assert "privacy ..." in r.stderr  # every later stage ran again
    # identical outputs: byte for byte (sizes and SHA-256), and by content
    assert _hashes(out) == _hashes(clean)
    assert differences(clean, out, drop={"overrides", "resumed"}) == []
    assert _verify(out).returncode == 0


@slow
def test_demo_job_deleted_then_truncated_output_resumes_to_identical_outputs(tmp_path):
    """The two cases of issue 18, on the demo job as a new user would try them."""
    out, before = tmp_path / "out", tmp_path / "before"
    # one thread: with two, the demo's benefits model can differ in the last digits between
    # two uninterrupted runs (parallel float sums), and linkage runs again here
    demo = yaml.safe_load((ROOT / "sample_data" / "demo_job.yaml").read_text())
    for src in demo["sources"].values():
        src["path"] = str(ROOT / "sample_data" / src["path"])
    demo["resources"] = {"threads": 1}
    job = str(tmp_path / "demo_job.yaml")
    Path(job).write_text(yaml.safe_dump(demo))
    assert run_cli("run", job, "--output-dir", str(out)).returncode == 0
    shutil.copytree(out, before)  # the uninterrupted run
    for fault, line in [
            ("integrated.parquet", "integrate: integrated.parquet is missing; rerunning from "
                                   "integrate"),
            ("links/benefits.parquet", "link:benefits: links/benefits.parquet has changed "
                                       "(100 bytes, recorded ")]:
        if fault == "integrated.parquet":
            (out / fault).unlink()
        else:
            os.truncate(out / fault, 100)
        r = run_cli("run", job, "--output-dir", str(out), "--resume")
        assert r.returncode == 0, r.stderr[-2000:]
        reruns = [ln for ln in r.stderr.splitlines() if "rerunning from" in ln]
        assert len(reruns) == 1 and line in reruns[0], r.stderr[-2000:]
        assert _hashes(out) == _hashes(before)
        assert differences(before, out, drop={"overrides", "resumed"}) == []
    assert run_cli("verify", str(out)).returncode == 0


@slow
def test_without_privacy_resume_reruns_from_the_stage_that_wrote_the_file(base, tmp_path):
    folder = tmp_path / "job"
    shutil.copytree(base[0], folder)
    job = yaml.safe_load((folder / "job.yaml").read_text())
    del job["privacy"]
    (folder / "job.yaml").write_text(yaml.safe_dump(job))
    out, before = tmp_path / "out", tmp_path / "before"
    assert _run(folder, out).returncode == 0
    shutil.copytree(out, before)  # the uninterrupted run
    (out / "integrated.parquet").unlink()
    r = _run(folder, out, "--resume")
    assert r.returncode == 0, r.stderr[-2000:]
    lines = [ln for ln in r.stderr.splitlines() if "rerunning from" in ln]
    assert len(lines) == 1
    assert lines[0].endswith("integrate: integrated.parquet is missing; rerunning from integrate")
    assert "clerical: done in the earlier run; reused" in r.stderr
    assert _hashes(out) == _hashes(before)
    assert differences(before, out, drop={"overrides", "resumed"}) == []


@slow
def test_resume_of_an_intact_run_reuses_everything_and_verifies(base, tmp_path):
    folder, clean = base
    out = tmp_path / "out"
    assert _run(folder, out).returncode == 0
    r = _run(folder, out, "--resume")
    assert r.returncode == 0 and "rerunning from" not in r.stderr
    assert "privacy: done in the earlier run; reused" in r.stderr
    assert _hashes(out) == _hashes(clean)


def test_a_file_changed_after_its_stage_recorded_it_fails_the_run(tmp_path):
    ck = Checkpoint(tmp_path / "checkpoint.json", {})
    ck.start("one")
    (tmp_path / "a.parquet").write_bytes(b"abc")
    ck.record("one", {}, {})
    assert ck.written["one"] == {"a.parquet": {
        "bytes": 3, "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}}
    assert set(ck.outputs({})) == {"a.parquet"}
    (tmp_path / "a.parquet").write_bytes(b"abd")
    with pytest.raises(OutputError, match=r"a\.parquet: has changed .*'one' stage wrote it"):
        ck.outputs({})


def test_a_later_stage_that_rewrites_a_file_becomes_its_expected_state(tmp_path):
    ck = Checkpoint(tmp_path / "checkpoint.json", {})
    ck.start("one")
    (tmp_path / "a.parquet").write_bytes(b"abc")
    ck.record("one", {}, {})
    ck.start("two")
    (tmp_path / ".a.parquet.tmp").write_bytes(b"pseudonymised")
    os.replace(tmp_path / ".a.parquet.tmp", tmp_path / "a.parquet")
    ck.record("two", {}, {})
    assert ck.written["one"]["a.parquet"] == ck.written["two"]["a.parquet"]
    assert ck.written["one"]["a.parquet"]["bytes"] == len(b"pseudonymised")
    fresh = Checkpoint(tmp_path / "checkpoint.json", {},
                       json.loads((tmp_path / "checkpoint.json").read_text()))
    assert fresh.reusable("one") and fresh.reusable("two")


def test_outputs_leave_out_hidden_files_and_the_runs_own_records(tmp_path):
    for name in ("a.parquet", "run_manifest.json", "checkpoint.json", ".spinelink.lock",
                 ".spark/x", "links/.b.parquet.tmp-1", "links/b.parquet"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    assert sorted(scan(tmp_path)) == ["a.parquet", "links/b.parquet"]


# ---- item 2: spinelink verify -----------------------------------------------------------

@pytest.fixture
def finished(base, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(base[1], out)
    return out


@slow
def test_verify_an_unchanged_run_is_ok(finished):
    r = _verify(finished)
    assert r.returncode == 0, r.stdout + r.stderr
    n = len(json.loads((finished / "run_manifest.json").read_text())["outputs"])
    assert r.stdout.strip().splitlines() == [
        f"OK: {n} outputs and 2 inputs match run_manifest.json"]


@slow
def test_verify_reports_a_one_byte_change_in_any_output(finished):
    recorded = json.loads((finished / "run_manifest.json").read_text())["outputs"]
    assert "run_manifest.json" not in recorded and "checkpoint.json" not in recorded
    assert {"integrated.parquet", "links/admin.parquet", "report.html"} <= set(recorded)
    for rel in sorted(recorded):
        path = finished / rel
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x01
        path.write_bytes(bytes(data))
        assert verify_run(finished).differences == [
            f"changed: {rel} (same size, different sha256)"], rel
        if rel in ("links/admin.parquet", "report.html"):  # and through the CLI
            r = _verify(finished)
            assert r.returncode == 7
            assert r.stdout.strip().splitlines() == [
                f"changed: {rel} (same size, different sha256)"]
            assert r.stderr.strip().splitlines()[-1].startswith("error: ")
        data[len(data) // 2] ^= 0x01
        path.write_bytes(bytes(data))
    assert verify_run(finished).differences == []


@slow
def test_verify_reports_missing_outputs_and_changed_inputs(finished, tmp_path):
    (finished / "integrated.parquet").unlink()
    man = json.loads((finished / "run_manifest.json").read_text())
    moved = tmp_path / "admin.csv"
    shutil.copy(man["inputs"]["admin"]["location"], moved)
    with open(moved, "a", encoding="utf-8") as f:
        f.write("\n")
    man["inputs"]["admin"]["location"] = str(moved)
    man["inputs"]["census"]["location"] = str(tmp_path / "gone.csv")
    (finished / "run_manifest.json").write_text(json.dumps(man))
    r = _verify(finished)
    assert r.returncode == 7
    assert r.stdout.strip().splitlines() == [
        "missing: integrated.parquet", f"changed: input admin {moved} (different sha256)"]
    assert f"note: input census is not reachable at {tmp_path / 'gone.csv'}" in r.stderr


def test_verify_of_a_folder_without_a_manifest_is_one_line(tmp_path):
    r = _verify(tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [
        f"error: {tmp_path}: no run_manifest.json (not the output folder of a finished run)"]


# ---- item 3: one run per output folder -------------------------------------------------

def _lock(out, pid, host=None):
    out.mkdir(parents=True, exist_ok=True)
    (out / runlock.LOCK_NAME).write_text(json.dumps(
        {"pid": pid, "host": host or socket.gethostname(), "started": "2026-01-01T00:00:00Z"}))


@pytest.fixture
def job(tmp_path):
    return _job_folder(tmp_path / "job")


@pytest.mark.parametrize("held_by", ["live pid", "flock"])
def test_a_second_run_on_the_same_folder_refuses(job, tmp_path, held_by):
    folder = job
    out = tmp_path / "out"
    out.mkdir()
    fd = None
    if held_by == "live pid":
        _lock(out, os.getpid())  # this test process is alive
    else:
        fd = runlock.acquire(out)  # a run in progress: holds the lock
    try:
        before = (out / runlock.LOCK_NAME).read_text()
        r = _run(folder, out)
    finally:
        if fd is not None:
            runlock.release(out, fd)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: {out}: another spinelink run (pid {os.getpid()} on ")
    assert f"remove {out / runlock.LOCK_NAME} if no run is using the folder" in last
    assert not (out / "intake").exists()  # nothing written
    if held_by == "live pid":
        assert (out / runlock.LOCK_NAME).read_text() == before  # left alone


def test_a_lock_of_another_host_is_not_taken_over(tmp_path):
    _lock(tmp_path, 1, host="some-other-host.invalid")
    with pytest.raises(runlock.OutputFolderBusy, match="on some-other-host.invalid"):
        runlock.acquire(tmp_path)


def test_the_lock_is_released_on_an_error(tmp_path):
    with pytest.raises(RuntimeError):
        with runlock.output_lock(tmp_path):
            info = json.loads((tmp_path / runlock.LOCK_NAME).read_text())
            assert info["pid"] == os.getpid() and info["host"] == socket.gethostname()
            raise RuntimeError("stage failed")
    assert not (tmp_path / runlock.LOCK_NAME).exists()


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


HOLD = ("import sys, time\nfrom pathlib import Path\nfrom spinelink import runlock\n"
        "runlock.acquire(Path(sys.argv[1]))\nprint('held', flush=True)\ntime.sleep(600)\n")


@pytest.mark.parametrize("ask", ["proc", "ps"])
def test_the_lock_of_a_killed_run_not_yet_reaped_is_taken_over_at_once(tmp_path, caplog,
                                                                          monkeypatch, ask):
    """A run killed with SIGKILL is a zombie until its parent (a shell, a scheduler) reaps
    it: it released its flock, but its pid still answers a signal, and the next run
    refused for as long ("another spinelink run ... is using this output folder"). A
    zombie holds nothing: its lock is taken over at once, from /proc/<pid>/stat or, where
    there is no /proc, from `ps`."""
    if ask == "ps":
        if shutil.which("ps") is None:
            pytest.skip("no ps here")
        monkeypatch.setattr(runlock, "_proc_state", lambda pid: None, raising=False)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], env=env,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(runlock.OutputFolderBusy, match=f"pid {holder.pid} on "):
            runlock.acquire(tmp_path)  # alive: refused
        holder.kill()
        # exited, not reaped (WNOWAIT): a zombie, as after `kill -9` from a shell
        os.waitid(os.P_PID, holder.pid, os.WEXITED | os.WNOWAIT)
        stat = Path(f"/proc/{holder.pid}/stat")
        assert not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"
        with caplog.at_level("WARNING", logger="spinelink"):
            fd = runlock.acquire(tmp_path)
        runlock.release(tmp_path, fd)
        assert f"stale lock of a run that is no longer running (pid {holder.pid} on " in \
            caplog.text
    finally:
        holder.kill()
        holder.wait()


@slow
def test_a_stale_lock_is_taken_over_with_a_warning(base, tmp_path):
    folder, clean = base
    out = tmp_path / "out"
    pid = _dead_pid()
    _lock(out, pid)
    r = _run(folder, out)
    assert r.returncode == 0, r.stderr[-2000:]
    warning = [ln for ln in r.stderr.splitlines() if "stale lock" in ln]
    assert len(warning) == 1 and "WARNING" in warning[0] and f"pid {pid} on " in warning[0]
    assert not (out / runlock.LOCK_NAME).exists()  # released at the end
    assert _hashes(out) == _hashes(clean)


def test_a_failed_run_releases_its_lock(job, tmp_path):
    # a header the job load accepts, then a row that is not UTF-8: intake stops the run,
    # after the lock is taken
    src = job / "admin.csv"
    header = src.read_bytes().split(b"\n", 1)[0]
    src.write_bytes(header + b"\n\xff\xfe,\xff\n")
    out = tmp_path / "out"
    r = _run(job, out)
    assert r.returncode == 3, r.stderr[-2000:]
    assert out.is_dir() and not (out / runlock.LOCK_NAME).exists()


def test_a_lock_whose_pid_now_belongs_to_another_process_is_taken_over(tmp_path, caplog):
    """The lock records its process's start from /proc; a pid the system gave to an
    unrelated process since (alive, but started at another time) is not the owner, and
    its lock is taken over instead of refusing every run for as long as that process
    lives. The lock a real holder writes, with its own start, is still refused."""
    if not Path("/proc/self/stat").exists():
        pytest.skip("no /proc here: the pid alone decides")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], env=env,
                              stdout=subprocess.PIPE, text=True)
    other = None
    try:
        assert holder.stdout.readline().strip() == "held"
        # started well after the holder (the start is in clock ticks of 10 ms)
        other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        info = json.loads((tmp_path / runlock.LOCK_NAME).read_text())
        assert info["pid"] == holder.pid
        with pytest.raises(runlock.OutputFolderBusy, match=f"pid {holder.pid} on "):
            runlock.acquire(tmp_path)  # its owner runs: refused
        holder.kill()
        holder.wait()
        # the holder's lock left behind, its pid now an unrelated live process's
        (tmp_path / runlock.LOCK_NAME).write_text(json.dumps({**info, "pid": other.pid}))
        with caplog.at_level("WARNING", logger="spinelink"):
            fd = runlock.acquire(tmp_path)
        mine = json.loads((tmp_path / runlock.LOCK_NAME).read_text())
        runlock.release(tmp_path, fd)
        assert mine["pid"] == os.getpid() and info.get("pid_start")
        assert mine["pid_start"] != info["pid_start"]
        assert (f"stale lock of a run that is no longer running (pid {other.pid} on "
                in caplog.text)
        assert f"pid {other.pid} now belongs to another process" in caplog.text
        assert other.poll() is None  # the unrelated process is left alone
    finally:
        holder.kill()
        holder.wait()
        if other is not None:
            other.kill()
            other.wait()
