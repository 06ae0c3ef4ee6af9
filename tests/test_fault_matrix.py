"""The fault-injection matrix (issue 18 item 4), on the crash-test job (privacy on, one
thread), through the real CLI. Each case puts one fault exactly where it means to, through
the test-only hook spinelink.faults (SPINELINK_FAULT), not timing luck:

* kill/<stage>/<point>: SIGKILL at a stage's start, in its middle (its first output
  written under its temp name, not yet renamed) or at its end (every output written, the
  checkpoint not yet updated); then `--resume`;
* full/<stage>: from the stage's start every write beyond 64 bytes fails with EFBIG (a
  full disk; SIGXFSZ ignored); the run must stop in one line naming the file; then
  `--resume` once there is room;
* delete|truncate|modify/<output>: a finished run's output deleted, cut to half its size
  or one byte changed, then `--resume` (also the run's own records);
* readonly/<when>: a read-only output folder (a read-only bind mount when the tests run
  as root, where file modes do not stop writes);
* concurrent/<what>: a second run, or a review server, on a folder a run is writing, and
  a run or `review apply` on a folder a review server is open on.

Every case ends `identical` (exit 0 and the outputs of one uninterrupted run: the same
content, the same SHA-256 in run_manifest.json, `spinelink verify` clean, no temp file or
lock left) or `refused (exit N)` (one `error:` line naming the output folder or a file in
it, no trace; then a plain `spinelink run` gives identical outputs). Never exit 0 with a
missing or corrupt output. tests/fault_matrix.md lists the cases and their expected end;
the tests read it, and check it lists every stage and output the job has.
`python tests/test_fault_matrix.py` runs the matrix and rewrites the table.

The cases run two at a time (SPINELINK_FAULT_WORKERS), each in its own folder. By default
the tests run every kill, full-disk, read-only and concurrent case and one tampering per
output, the way (delete, truncate, modify) rotating over the outputs in the table's order, so
that every output and every way is met (105 of 225 cases: the whole matrix was two thirds of
`make test`'s time); SPINELINK_FAULT_MATRIX=full runs all of them, as
`python tests/test_fault_matrix.py` does.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from bad_inputs.outputs import digests, unreadable  # noqa: E402
from test_crash_safety import _env, _job_folder  # noqa: E402

from spinelink import atomic  # noqa: E402
from spinelink.runlock import LOCK_NAME  # noqa: E402
from spinelink.verify import verify_run  # noqa: E402

TABLE = Path(__file__).with_name("fault_matrix.md")
POINTS = ("start", "middle", "end")
TAMPER = ("delete", "truncate", "modify")
RECORDS = ("checkpoint.json", "run_manifest.json")
READONLY = ("run", "resume")
CONCURRENT = ("run-during-run", "review-serve-during-run", "run-and-apply-during-review")
VOLATILE = {"report.html"}  # holds the stage timings: its bytes differ between runs
WORKERS = int(os.environ.get("SPINELINK_FAULT_WORKERS", "2"))
FULL = os.environ.get("SPINELINK_FAULT_MATRIX", "") == "full"
ROW = re.compile(r"^\| `(?P<id>[^`]+)` \| (?P<what>.+?) \| (?P<end>identical|refused "
                 r"\(exit \d+\)) \|$")


# ---- the table ---------------------------------------------------------------------------

def table_cases() -> dict[str, str]:
    """case id -> expected end, as tests/fault_matrix.md lists them."""
    rows = [ROW.match(line) for line in TABLE.read_text(encoding="utf-8").splitlines()]
    return {m["id"]: m["end"] for m in rows if m}


def selected_cases(cases: list[str], full: bool = FULL) -> list[str]:
    """`cases` (in the table's order) as the tests run them: all when `full`, else all but
    the tamperings, of which one per output, the way rotating over the outputs."""
    if full:
        return list(cases)
    split = [c.partition("/")[::2] for c in cases]  # (kind, rest)
    outputs = {rest: i for i, rest in enumerate(dict.fromkeys(
        rest for kind, rest in split if kind in TAMPER))}
    return [c for c, (kind, rest) in zip(cases, split, strict=True)
            if kind not in TAMPER or TAMPER[outputs[rest] % len(TAMPER)] == kind]


def all_cases(ref: Path) -> list[str]:
    """Every case the job calls for: its stages (in the order they ran) and outputs."""
    order = json.loads((ref / "checkpoint.json").read_text())["order"]
    outputs = sorted(json.loads((ref / "run_manifest.json").read_text())["outputs"])
    return ([f"kill/{s}/{p}" for s in order for p in POINTS]
            + [f"full/{s}" for s in order]
            + [f"{t}/{o}" for o in [*outputs, *RECORDS] for t in TAMPER]
            + [f"readonly/{w}" for w in READONLY]
            + [f"concurrent/{w}" for w in CONCURRENT])


def describe(case: str) -> str:
    kind, _, rest = case.partition("/")
    if kind == "kill":
        stage, point = rest.rsplit("/", 1)
        where = {"start": "at its start",
                 "middle": "with its first output written under its temp name",
                 "end": "with every output written, before the checkpoint"}[point]
        return f"SIGKILL in `{stage}` {where}; `--resume`"
    if kind == "full":
        return f"disk full (EFBIG beyond 64 bytes) from the start of `{rest}`; `--resume`"
    if kind in TAMPER:
        how = {"delete": "deleted", "truncate": "cut to half its size",
               "modify": "one byte changed (same size)"}[kind]
        return f"`{rest}` {how} after a finished run; `--resume`"
    if kind == "readonly":
        return {"run": "read-only empty output folder; `run`",
                "resume": "read-only folder of a finished run; `run --resume`"}[rest]
    return {"run-during-run": "a second `run` while a run writes the folder",
            "review-serve-during-run": "`review serve` while a run writes the folder",
            "run-and-apply-during-review": "`run --resume` and `review apply` while a "
            "review server is open (a second review server may open)"}[rest]


def write_table(outcomes: dict[str, Outcome], seconds: float) -> None:
    head = TABLE.read_text(encoding="utf-8").split("\n| case |")[0].rstrip() + "\n"
    head = re.sub(r"<!-- run:.*?-->", f"<!-- run: {len(outcomes)} cases in {seconds:.0f} s "
                  f"with {WORKERS} workers -->", head)
    lines = ["| case | fault | end |", "|---|---|---|"]
    lines += [f"| `{c}` | {describe(c)} | {o.end} |" for c, o in outcomes.items()]
    TABLE.write_text(head + "\n" + "\n".join(lines) + "\n", encoding="utf-8")


# ---- running the job ---------------------------------------------------------------------

def make_reference(root: Path) -> tuple[Path, Path]:
    """The job folder (one thread) and the outputs of one uninterrupted run of it."""
    job = _job_folder(root / "job")
    spec = yaml.safe_load((job / "job.yaml").read_text())
    spec["resources"] = {"threads": 1}
    (job / "job.yaml").write_text(yaml.safe_dump(spec))
    r = _run(job, root / "clean")
    assert r.returncode == 0, r.stderr[-2000:]
    return job, root / "clean"


def _env_for(fault: str | None) -> dict:
    env = {k: v for k, v in _env().items() if k != "SPINELINK_FAULT"}
    if fault:
        env["SPINELINK_FAULT"] = fault
    return env


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "spinelink", *args]


def _run_cmd(job: Path, out: Path, *extra: str) -> list[str]:
    return _cmd("run", str(job / "job.yaml"), "--output-dir", str(out), *extra)


def _run(job: Path, out: Path, *extra: str, fault: str | None = None,
         wrap: list[str] = ()) -> subprocess.CompletedProcess:
    return subprocess.run([*wrap, *_run_cmd(job, out, *extra)], capture_output=True,
                          text=True, env=_env_for(fault), cwd=job, timeout=600)


@dataclass
class Outcome:
    end: str            # "identical", "refused (exit N)", or what went wrong
    detail: str = ""    # the refusal or the rerun line, for messages


def _last_line(r) -> str:
    lines = r.stderr.strip().splitlines()
    return lines[-1] if lines else ""


def _refusal_problem(r, out: Path) -> str | None:
    """None when `r` refused as it must: non-zero exit, one `error:` line naming the
    output folder or a file in it, no trace."""
    last = _last_line(r)
    if r.returncode <= 0:
        return f"exit {r.returncode}"
    if not last.startswith("error: ") or str(out) not in last:
        return f"not a one-line refusal naming the folder: {last[:300]!r}"
    if "Traceback" in r.stderr or "internal error" in last:
        return f"a trace or internal error: {last[:300]!r}"
    return None


def _hashes(out: Path) -> dict:
    recorded = json.loads((out / "run_manifest.json").read_text())["outputs"]
    return {k: v for k, v in recorded.items() if k not in VOLATILE}


_REF_DIGESTS: dict[Path, dict[str, str]] = {}
DROP = {"overrides", "resumed"}  # the output folder; which stages a resume reused


def identical_problems(ref: Path, out: Path) -> list[str]:
    if ref not in _REF_DIGESTS:
        _REF_DIGESTS[ref] = digests(ref, drop=DROP)
    mine, theirs = digests(out, drop=DROP), _REF_DIGESTS[ref]
    problems = [f"content differs: {k}" for k in sorted(mine.keys() | theirs.keys())
                if mine.get(k) != theirs.get(k)]
    if not problems and _hashes(out) != _hashes(ref):
        problems.append("run_manifest.json outputs hashes differ")
    v = verify_run(out)
    problems += [f"verify: {d}" for d in v.differences]
    problems += [f"temp file left: {p.name}" for p in atomic.leftovers(out)]
    if (out / LOCK_NAME).exists():
        problems.append("lock file left")
    return problems


def finish(job: Path, ref: Path, out: Path, r) -> Outcome:
    """The end of a case from the run `r` after the fault: identical outputs, or a
    refusal followed by a plain run that gives them."""
    if r.returncode == 0:
        problems = identical_problems(ref, out)
        reran = next((ln for ln in r.stderr.splitlines() if "rerunning from" in ln), "")
        return Outcome("identical" if not problems else f"exit 0 but {problems[:3]}",
                       reran)
    why = _refusal_problem(r, out)
    if why:
        return Outcome(f"bad refusal: {why}", r.stderr[-1500:])
    again = _run(job, out)
    if again.returncode != 0:
        return Outcome(f"plain run after the refusal failed ({again.returncode})",
                       again.stderr[-1500:])
    problems = identical_problems(ref, out)
    return Outcome(f"refused (exit {r.returncode})" if not problems
                   else f"refused, then the plain run differs: {problems[:3]}",
                   _last_line(r))


# ---- the cases ---------------------------------------------------------------------------

def _kill(job, ref, out, stage, point) -> Outcome:
    r = _run(job, out, fault=f"kill {stage} {point}")
    if r.returncode != -signal.SIGKILL:
        return Outcome(f"the fault did not fire (exit {r.returncode})", r.stderr[-1500:])
    if unreadable(out):
        return Outcome(f"unreadable files after the kill: {unreadable(out)}")
    return finish(job, ref, out, _run(job, out, "--resume"))


def _full(job, ref, out, stage) -> Outcome:
    r = _run(job, out, fault=f"full {stage} start")
    why = _refusal_problem(r, out)
    if why or "cannot write (File too large)" not in _last_line(r):
        return Outcome(f"full disk not reported in one line: {why}", r.stderr[-1500:])
    if unreadable(out):
        return Outcome(f"unreadable files after the full disk: {unreadable(out)}")
    return finish(job, ref, out, _run(job, out, "--resume"))


def _tamper(job, ref, out, how, rel) -> Outcome:
    shutil.copytree(ref, out)
    p = out / rel
    if how == "delete":
        p.unlink()
    elif how == "truncate":
        with open(p, "r+b") as f:
            f.truncate(p.stat().st_size // 2)
    else:
        data = bytearray(p.read_bytes())
        data[len(data) // 2] ^= 0x01
        p.write_bytes(bytes(data))
    return finish(job, ref, out, _run(job, out, "--resume"))


def _readonly_wrap(out: Path) -> list[str] | None:
    """How to run a command with `out` read-only: None when file modes do it (not root),
    a read-only bind mount in a private mount namespace as root; pytest.skip otherwise."""
    if os.geteuid() != 0:
        return None
    wrap = ["unshare", "-m", "sh", "-c", 'mount --bind -o ro "$0" "$0" && exec "$@"', str(out)]
    try:  # the mount works, and then stops a write
        mounts = subprocess.run([*wrap, "true"], capture_output=True, timeout=60).returncode
        probe = subprocess.run([*wrap, "touch", str(out / "probe")], capture_output=True,
                               timeout=60).returncode
    except OSError:  # no unshare here
        mounts = 1
    if mounts != 0 or probe == 0 or (out / "probe").exists():
        (out / "probe").unlink(missing_ok=True)
        pytest.skip("running as root, where file modes do not stop writes, and no "
                    "read-only bind mount is possible here (unshare -m)")
    return wrap


def _readonly(job, ref, out, when) -> Outcome:
    if when == "resume":
        shutil.copytree(ref, out)
    else:
        out.mkdir()
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    wrap = _readonly_wrap(out)
    if wrap is None:
        for d in [out, *[p for p in out.rglob("*") if p.is_dir()]]:
            d.chmod(0o500)
    try:
        r = _run(job, out, *(["--resume"] if when == "resume" else []), wrap=wrap or [])
    finally:
        for d in [out, *[p for p in out.rglob("*") if p.is_dir()]]:
            d.chmod(0o700)
    if r.returncode == 0:
        return Outcome("exit 0 in a read-only folder", r.stderr[-1500:])
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    if after != before:
        return Outcome("the read-only folder changed")
    return finish(job, ref, out, r)


def _wait_stopped(p: subprocess.Popen) -> bool:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and p.poll() is None:
        state = Path(f"/proc/{p.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state == "T":
            return True
        time.sleep(0.05)
    return False


def _serve(out: Path, reviewer: str) -> tuple[subprocess.Popen, str]:
    p = subprocess.Popen(_cmd("review", "serve", str(out), "--reviewer", reviewer),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=_env_for(None))
    return p, p.stdout.readline()


def _stop(p: subprocess.Popen) -> None:
    if p.poll() is None:
        p.terminate()
    p.wait(timeout=60)
    for f in (p.stdout, p.stderr):
        if f:
            f.close()


def _concurrent(job, ref, out, what) -> Outcome:
    env = _env_for(None)
    if what == "run-and-apply-during-review":
        shutil.copytree(ref, out)
        s1, url1 = _serve(out, "alice")
        try:
            if "http://127.0.0.1" not in url1:
                return Outcome("the review server did not start", s1.stderr.read()[-1500:])
            s2, url2 = _serve(out, "bob")  # a second review server shares the folder
            _stop(s2)
            if "http://127.0.0.1" not in url2:
                return Outcome("a second review server was refused")
            r = _run(job, out, "--resume")
            why = _refusal_problem(r, out) or ("" if r.returncode == 2 else "not exit 2")
            apply = subprocess.run(_cmd("review", "apply", str(out)), capture_output=True,
                                   text=True, env=env, timeout=300)
            why = why or _refusal_problem(apply, out) or (
                "" if apply.returncode == 2 else "apply not exit 2")
            if why:
                return Outcome(f"bad refusal while a review server is open: {why}",
                               r.stderr[-800:] + apply.stderr[-800:])
        finally:
            _stop(s1)
        after = _run(job, out, "--resume")
        problems = identical_problems(ref, out) if after.returncode == 0 else ["exit"]
        return Outcome(f"refused (exit {r.returncode})" if not problems
                       else f"after the servers: {problems[:3]}", _last_line(r))
    if what == "review-serve-during-run":
        shutil.copytree(ref, out)
        (out / "integrated.parquet").unlink()
        first = subprocess.Popen(_run_cmd(job, out, "--resume"), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True,
                                 env=_env_for("stop integrate start"), cwd=job)
    else:
        first = subprocess.Popen(_run_cmd(job, out), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True,
                                 env=_env_for("stop link:admin start"), cwd=job)
    try:
        if not _wait_stopped(first):
            return Outcome("the first run did not stop at the hook")
        if what == "run-during-run":
            r = _run(job, out)
        else:
            r = subprocess.run(_cmd("review", "serve", str(out), "--reviewer", "alice"),
                               capture_output=True, text=True, env=env, timeout=300)
        why = _refusal_problem(r, out)
    finally:
        first.send_signal(signal.SIGCONT)
        rc = first.wait(timeout=600)
        err = first.stderr.read()
        first.stderr.close()
    if why:
        return Outcome(f"bad refusal: {why}", r.stderr[-1500:])
    if rc != 0:
        return Outcome(f"the first run failed after the second was refused ({rc})", err[-1500:])
    problems = identical_problems(ref, out)
    return Outcome(f"refused (exit {r.returncode})" if not problems
                   else f"first run's outputs: {problems[:3]}", _last_line(r))


def run_case(case: str, job: Path, ref: Path, work: Path) -> Outcome:
    kind, _, rest = case.partition("/")
    out = work / "out"
    try:
        if kind == "kill":
            stage, point = rest.rsplit("/", 1)
            return _kill(job, ref, out, stage, point)
        if kind == "full":
            return _full(job, ref, out, rest)
        if kind in TAMPER:
            return _tamper(job, ref, out, kind, rest)
        if kind == "readonly":
            return _readonly(job, ref, out, rest)
        if kind == "concurrent":
            return _concurrent(job, ref, out, rest)
    except pytest.skip.Exception as e:
        return Outcome("skipped", str(e))
    return Outcome(f"unknown case {case}")


def run_cases(cases: list[str], job: Path, ref: Path, root: Path) -> dict[str, Outcome]:
    def one(i_case):
        i, case = i_case
        work = root / f"case{i:03d}"
        work.mkdir(parents=True)
        try:
            return case, run_case(case, job, ref, work)
        except Exception as e:  # noqa: BLE001 - reported as the case's end
            return case, Outcome(f"the case failed: {type(e).__name__}: {e}")
        finally:
            shutil.rmtree(work, ignore_errors=True)

    # the longest cases first (a kill or a fault before linkage reruns nearly everything)
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return dict(pool.map(one, enumerate(cases)))


# ---- the tests ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def reference(tmp_path_factory):
    return make_reference(tmp_path_factory.mktemp("fault_reference"))


@pytest.fixture(scope="session")
def outcomes(request, reference, tmp_path_factory):
    """Every selected case run once, WORKERS at a time."""
    wanted = [it.callspec.params["case"] for it in request.session.items
              if getattr(it, "originalname", "") == "test_fault_case"
              and hasattr(it, "callspec")]
    job, ref = reference
    t0 = time.monotonic()
    result = run_cases(wanted, job, ref, tmp_path_factory.mktemp("fault_cases"))
    print(f"\nfault matrix: {len(result)} cases in {time.monotonic() - t0:.0f} s "
          f"with {WORKERS} workers")
    return result


@pytest.mark.slow
@pytest.mark.parametrize("case", selected_cases(list(table_cases())))
def test_fault_case(case, outcomes):
    o = outcomes[case]
    if o.end == "skipped":
        pytest.skip(o.detail)
    assert o.end == table_cases()[case], (o.end, o.detail[-1500:])


@pytest.mark.slow
def test_the_table_lists_every_case_the_job_calls_for(reference):
    """Every stage (start, middle, end; full disk), every output and record (deleted,
    truncated, modified), the read-only and concurrent cases: no more, no fewer."""
    job, ref = reference
    listed = table_cases()
    assert list(listed) == all_cases(ref), (
        "tests/fault_matrix.md is out of date: run `python tests/test_fault_matrix.py`; "
        f"missing {sorted(set(all_cases(ref)) - set(listed))}, "
        f"extra {sorted(set(listed) - set(all_cases(ref)))}")


def test_the_default_selection_meets_every_output_and_every_way():
    """Without SPINELINK_FAULT_MATRIX=full: every case that is not a tampering, and for each
    output exactly one tampering, each way used for a third of the outputs."""
    cases = list(table_cases())
    chosen = selected_cases(cases, full=False)
    assert selected_cases(cases, full=True) == cases
    tampered = [c for c in cases if c.partition("/")[0] in TAMPER]
    assert [c for c in chosen if c not in tampered] == [c for c in cases if c not in tampered]
    per_output: dict[str, list[str]] = {}
    for c in chosen:
        kind, _, rest = c.partition("/")
        if kind in TAMPER:
            per_output.setdefault(rest, []).append(kind)
    assert set(per_output) == {c.partition("/")[2] for c in tampered}
    assert all(len(ways) == 1 for ways in per_output.values())
    ways = [w[0] for w in per_output.values()]
    assert {ways.count(t) for t in TAMPER} <= {len(ways) // 3, len(ways) // 3 + 1}


def test_the_fault_hook_costs_nothing_when_unset():
    """The hook module reads SPINELINK_FAULT once; unset, every check returns at once."""
    import spinelink.faults as faults

    if faults.SPEC is None:
        t0 = time.perf_counter()
        for _ in range(100_000):
            faults.writing()
            faults.stage_start("x")
        assert time.perf_counter() - t0 < 0.5
    src = Path(faults.__file__).read_text(encoding="utf-8")
    assert src.count("os.environ") == 1


if __name__ == "__main__":  # run the whole matrix and rewrite tests/fault_matrix.md
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        job, ref = make_reference(Path(d))
        cases = all_cases(ref)
        t0 = time.monotonic()
        res = run_cases(cases, job, ref, Path(d) / "cases")
        secs = time.monotonic() - t0
        for c, o in res.items():
            if o.end not in ("identical", "skipped") and not o.end.startswith("refused (exit"):
                print(f"{c}: {o.end}\n    {o.detail[-600:]}")
        write_table(res, secs)
        print(f"{len(res)} cases in {secs:.0f} s with {WORKERS} workers; wrote {TABLE}")
