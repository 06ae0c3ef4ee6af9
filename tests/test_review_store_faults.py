"""The review decisions store under the fault discipline (issue 18 item 5): two review
servers on one output folder, a kill during an append (the test-only hook
spinelink.faults), a full disk during an append (a file-size limit in the writing
process, SIGXFSZ ignored): no acknowledged decision is lost, none is counted twice, and
a decision whose append failed is not saved at all."""
from __future__ import annotations

import json
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from spinelink.review.store import Decision, DecisionStore

ADD = """
import sys
from spinelink.atomic import WriteError
from spinelink.review.store import DecisionStore
store = DecisionStore(sys.argv[1])
try:
    for i in range(int(sys.argv[3])):
        store.add(sys.argv[2], "match", "s", f"C{i}", f"B{sys.argv[2]}{i}")
except WriteError as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(8)
"""


def _add(folder: Path, reviewer: str, n: int = 1, fault: str | None = None,
         limit: int | None = None) -> subprocess.CompletedProcess:
    """Add `n` decisions from another process (with a fault, or a file-size limit)."""
    env = {k: v for k, v in os.environ.items() if k != "SPINELINK_FAULT"}
    if fault:
        env["SPINELINK_FAULT"] = fault

    def full_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG, not a kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run([sys.executable, "-c", ADD, str(folder), reviewer, str(n)],
                          capture_output=True, text=True, env=env, timeout=120,
                          preexec_fn=full_disk if limit is not None else None)


def _log_events(folder: Path) -> list[dict]:
    data = (folder / "decisions.jsonl").read_bytes()
    assert data.endswith(b"\n")
    return [json.loads(line) for line in data.splitlines()]  # every line whole


def _assert_whole(folder: Path, reviewers: dict[str, int]) -> None:
    events = _log_events(folder)
    ids = [e["decision_id"] for e in events]
    assert len(ids) == len(set(ids))
    store = DecisionStore(folder)
    by = pd.Series([d.reviewer for d in store.effective()]).value_counts().to_dict()
    assert by == reviewers
    frame = pd.read_parquet(folder / "decisions.parquet")
    assert len(frame) == len(store.current())


def test_a_kill_during_an_append_loses_only_the_decision_it_never_saved(tmp_path):
    assert _add(tmp_path, "alice", 3).returncode == 0
    r = _add(tmp_path, "bob", 1, fault="kill decisions append")
    assert r.returncode == -signal.SIGKILL
    data = (tmp_path / "decisions.jsonl").read_bytes()
    assert not data.endswith(b"\n")                      # half a line on disk
    assert len(DecisionStore(tmp_path)) == 3             # readers skip it
    assert _add(tmp_path, "carol", 2).returncode == 0    # the next append removes it
    _assert_whole(tmp_path, {"alice": 3, "carol": 2})


def test_a_full_disk_during_an_append_saves_all_or_nothing(tmp_path):
    assert _add(tmp_path, "alice", 3).returncode == 0
    log = tmp_path / "decisions.jsonl"
    before = log.read_bytes()
    parquet = (tmp_path / "decisions.parquet").read_bytes()
    # room for 20 more bytes in the log: half a decision gets written, then EFBIG
    r = _add(tmp_path, "bob", 1, limit=len(before) + 20)
    assert r.returncode == 8, r.stderr
    assert re.fullmatch(r"error: \S+decisions\.jsonl: cannot write \(File too large\); the "
                        r"decision was not saved\n", r.stderr)
    assert log.read_bytes() == before                    # cut back: nothing half-saved
    assert (tmp_path / "decisions.parquet").read_bytes() == parquet
    # room for the decision but not for decisions.parquet: saved (so not made again), and
    # the parquet view catches up at the next decision
    r = _add(tmp_path, "bob", 1, limit=len(before) + 1000)
    assert r.returncode == 0, r.stderr
    assert "decisions.parquet: not updated" in r.stderr
    assert _add(tmp_path, "carol", 1).returncode == 0
    _assert_whole(tmp_path, {"alice": 3, "bob": 1, "carol": 1})


def test_a_retried_append_or_import_duplicates_nothing(tmp_path):
    store = DecisionStore(tmp_path)
    batch = [Decision(f"d{i}", "alice", "2021-01-01T00:00:00", "match", "", "s", f"C{i}",
                      f"B{i}") for i in range(5)]
    store.add_many(batch)
    store.add_many(batch)                                # a retry after an unclear error
    DecisionStore(tmp_path).add_many(batch[:2])          # from another process's view
    _assert_whole(tmp_path, {"alice": 5})
    # the same line twice in the log (copied by hand) still counts once
    log = tmp_path / "decisions.jsonl"
    log.write_bytes(log.read_bytes() + log.read_bytes().splitlines(keepends=True)[0])
    assert len(DecisionStore(tmp_path)) == 5


def test_concurrent_appends_from_two_processes_interleave_whole(tmp_path):
    procs = [subprocess.Popen([sys.executable, "-c", ADD, str(tmp_path), who, "60"],
                              stderr=subprocess.PIPE, text=True) for who in ("alice", "bob")]
    for p in procs:
        assert p.wait(timeout=300) == 0, p.stderr.read()
        p.stderr.close()
    _assert_whole(tmp_path, {"alice": 60, "bob": 60})


# ---- two review servers on one output folder -------------------------------------------

def _serve(out: Path, reviewer: str) -> tuple[subprocess.Popen, str]:
    p = subprocess.Popen([sys.executable, "-m", "spinelink", "review", "serve", str(out),
                          "--reviewer", reviewer], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    m = re.search(r"http://127\.0\.0\.1:\d+/\?token=[\w-]+", line)
    assert m, (line, p.stderr.read() if p.poll() is not None else "")
    return p, m.group(0)


def _post(url: str, path: str, body: dict) -> dict:
    base, token = url.split("/?token=")
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST")
    req.add_header("X-Review-Token", token)
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.status == 200
        return json.loads(r.read())


@pytest.mark.slow
def test_two_review_servers_on_one_folder_lose_and_duplicate_nothing(tmp_path):
    from test_review_support import fresh_copy

    out = fresh_copy(tmp_path / "p")
    servers = [_serve(out, who) for who in ("alice", "bob")]  # both open: a shared lock
    try:
        n = 30
        errors: list[BaseException] = []

        def decide(url, decision):
            try:
                for i in range(n):
                    _post(url, "/api/decision", {"pair": i, "decision": decision})
                _post(url, "/api/undo", {})                   # withdraws its pair n - 1
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=decide, args=(url, d))
                   for (_, url), d in zip(servers, ("match", "non-match"), strict=True)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
        assert not errors, errors
    finally:
        for p, _ in servers:
            p.terminate()
            p.wait(timeout=60)
            p.stdout.close()
            p.stderr.close()
    folder = out / "review"
    events = _log_events(folder)
    assert sum(e["event"] == "decision" for e in events) == 2 * n
    assert sum(e["event"] == "undo" for e in events) == 2
    store = DecisionStore(folder)
    assert len(store) == 2 * (n - 1)
    by_reviewer = {who: sorted(d.reference_id + "|" + d.source_id for d in store.effective()
                               if d.reviewer == who) for who in ("alice", "bob")}
    assert by_reviewer["alice"] == by_reviewer["bob"]          # the same n - 1 pairs each
    assert len(set(by_reviewer["alice"])) == n - 1
    assert len(pd.read_parquet(folder / "decisions.parquet")) == len(store.current())


# ---- review servers and runs share the output folder's lock ------------------------------

def test_review_servers_share_the_lock_that_runs_and_apply_take_alone(tmp_path):
    from spinelink import runlock

    a = runlock.acquire_shared(tmp_path)
    b = runlock.acquire_shared(tmp_path)                 # a second review server
    with pytest.raises(runlock.OutputFolderBusy, match="a review server or a run"):
        runlock.acquire(tmp_path)                        # a run, or `review apply`
    runlock.release_shared(tmp_path, a)
    assert (tmp_path / runlock.LOCK_NAME).exists()       # b still holds it
    runlock.release_shared(tmp_path, b)
    assert not (tmp_path / runlock.LOCK_NAME).exists()   # the last one out removes it
    fd = runlock.acquire(tmp_path)
    with pytest.raises(runlock.OutputFolderBusy, match=f"pid {os.getpid()} on "):
        runlock.acquire_shared(tmp_path)                 # a review server while a run writes
    runlock.release(tmp_path, fd)
    runlock.release_shared(tmp_path, runlock.acquire_shared(tmp_path))


def test_review_serve_and_apply_refuse_while_a_run_holds_the_folder(tmp_path):
    from spinelink import runlock

    out = tmp_path / "out"
    out.mkdir()
    (out / "run_manifest.json").write_text("{}")
    fd = runlock.acquire(out)
    try:
        for args in (["serve", str(out), "--reviewer", "x"], ["apply", str(out)]):
            r = subprocess.run([sys.executable, "-m", "spinelink", "review", *args],
                               capture_output=True, text=True, timeout=120)
            assert r.returncode == 2, r.stderr
            last = r.stderr.strip().splitlines()[-1]
            assert last.startswith(f"error: {out}: another spinelink run (pid {os.getpid()}")
    finally:
        runlock.release(out, fd)
