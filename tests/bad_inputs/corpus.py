"""The bad-input corpus: build each case of cases.yaml in a folder, run the real CLI on it,
check the outcome, and render the table of cases and outcomes.

    python tests/bad_inputs/corpus.py            # run every case, print the markdown table
    python tests/bad_inputs/corpus.py --write    # ... and write tests/bad_inputs/CASES.md

tests/test_bad_inputs.py runs the same cases and fails on any problem `check` reports.
"""
from __future__ import annotations

import copy
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"
DELETE = "<delete>"
LOG_LINE = re.compile(r"^\d\d:\d\d:\d\d (DEBUG|INFO|WARNING|VERBOSE) ")
PROGRESS = re.compile(r"^\s*$|\d+%\||\d+/\d+ \[")  # blank, or a progress bar (tqdm)


@dataclass
class Case:
    id: str
    what: str
    base: str = "validate"
    command: str = "validate"
    job: dict | str = field(default_factory=dict)
    job_text: str | None = None
    files: dict = field(default_factory=dict)
    expect: dict = field(default_factory=dict)


@dataclass
class Outcome:
    exit: int
    stdout: str
    stderr: str
    folder: Path
    inputs: dict[str, bytes]

    @property
    def error_lines(self) -> list[str]:
        return [ln for ln in self.stderr.splitlines() if ln.startswith("error:")]


def load_cases(path: Path = HERE / "cases.yaml") -> tuple[list[Case], dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Case(**c) for c in data["cases"]], data["bases"]


def merge(base: dict, patch: dict) -> dict:
    """Deep-merge `patch` into a copy of `base`; the value "<delete>" removes a key."""
    out = copy.deepcopy(base)
    for k, v in patch.items():
        if v == DELETE:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _content(spec, base_spec) -> bytes | str | None:
    """File bytes for a spec; "dir" for a directory; None for no file."""
    if spec == DELETE:
        return None
    if isinstance(spec, str):
        return spec.encode("utf-8")
    if spec.get("dir"):
        return "dir"
    if "bytes" in spec:
        return spec["bytes"].encode("latin-1")
    if "copy" in spec:
        body = (FILES / spec["copy"]).read_bytes()
    else:  # append to the base's file
        body = _content(base_spec, None)
    return body + spec.get("append", "").encode("utf-8")


def build(case: Case, bases: dict, folder: Path) -> tuple[Path, dict[str, bytes]]:
    """Write the case's job and files into `folder`; return the job path and the inputs."""
    base = bases[case.base]
    folder.mkdir(parents=True, exist_ok=True)
    inputs: dict[str, bytes] = {}
    for name, spec in {**base["files"], **case.files}.items():
        body = _content(spec, base["files"].get(name))
        target = folder / name
        if body == "dir":
            target.mkdir()
        elif body is not None:
            target.write_bytes(body)
            inputs[name] = body
    job = folder / "job.yaml"
    if case.job_text is not None:
        job.write_text(case.job_text, encoding="utf-8")
    elif case.job != "absent":
        job.write_text(yaml.safe_dump(merge(base["job"], case.job), sort_keys=False),
                       encoding="utf-8")
    return job, inputs


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPINELINK")}
    env["PYTHONPATH"] = str(HERE.parents[1] / "src")
    return env


def run(case: Case, bases: dict, folder: Path) -> Outcome:
    job, inputs = build(case, bases, folder)
    p = subprocess.run([sys.executable, "-m", "spinelink", case.command, str(job)],
                       cwd=folder, capture_output=True, text=True, env=_env(), timeout=600)
    return Outcome(p.returncode, p.stdout, p.stderr, folder, inputs)


def run_all(cases: list[Case], bases: dict, root: Path, workers: int = 2) -> dict[str, Outcome]:
    """Run the cases in parallel (each in its own folder under `root`)."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {c.id: pool.submit(run, c, bases, root / c.id) for c in cases}
        return {k: f.result() for k, f in futures.items()}


# ---- checks ---------------------------------------------------------------------------

def _input_values(inputs: dict[str, bytes]) -> set[str]:
    """Values from the input files that must never be printed: every cell but the header
    and the first column (record ids may be printed), at least 4 characters long."""
    values: set[str] = set()
    for name, body in inputs.items():
        if not name.endswith(".csv"):
            continue
        text = body.decode("utf-8", errors="ignore").lstrip("\ufeff")
        rows = list(csv.reader(io.StringIO(text.replace("\0", ""))))
        header = set(rows[0]) if rows else set()
        for row in rows[1:]:
            values |= {v for v in row[1:] if len(v.strip()) >= 4 and v not in header}
    return values


def _quarantine_problems(case: Case, out: Path) -> list[str]:
    problems = []
    expected: dict[str, list] = {}
    for src, row, fld, reason in case.expect.get("quarantine", []):
        expected.setdefault(src, []).append((row, fld, reason))
    for path in sorted((out / "quarantine").glob("*.parquet")):
        if path.stem.endswith("_values"):
            continue
        q = pd.read_parquet(path)
        want = expected.pop(path.stem, [])
        got = {(int(r), f): reason for r, f, reason in zip(q["_row"], q["field"], q["reason"],
                                                          strict=True)}
        if set(got) != {(r, f) for r, f, _ in want}:
            problems.append(f"quarantine/{path.name}: rows {sorted(got)}, expected "
                            f"{sorted((r, f) for r, f, _ in want)}")
            continue
        problems += [f"quarantine/{path.name} row {r}: reason {got[(r, f)]!r} lacks {reason!r}"
                     for r, f, reason in want if reason not in got[(r, f)]]
    problems += [f"no quarantine file for {src}" for src in expected]
    want_v = {tuple(x) for x in case.expect.get("set_missing", [])}
    got_v = set()
    for path in (out / "quarantine").glob("*_values.parquet"):
        v = pd.read_parquet(path)
        got_v |= {(path.stem.removesuffix("_values"), int(r), f)
                  for r, f in zip(v["_row"], v["field"], strict=True)}
    if got_v != want_v:
        problems.append(f"values set to missing {sorted(got_v)}, expected {sorted(want_v)}")
    return problems


def accounting_problems(out: Path, linked: bool) -> list[str]:
    """read = accepted + quarantined, with the Parquet files' row counts; for linked
    sources, accepted = linked + review + unlinked and every accepted id is in one place."""
    problems = []
    report = json.loads((out / "intake" / "report.json").read_text())
    for name, r in report.items():
        n_acc = len(pd.read_parquet(out / "intake" / f"{name}.parquet"))
        n_q = len(pd.read_parquet(out / "quarantine" / f"{name}.parquet"))
        if not r["rows_read"] == r["accepted"] + r["quarantined"] == n_acc + n_q:
            problems.append(f"{name}: read {r['rows_read']} != accepted {r['accepted']} "
                            f"({n_acc} rows) + quarantined {r['quarantined']} ({n_q} rows)")
    if not linked:
        return problems
    man = json.loads((out / "run_manifest.json").read_text())
    for name, a in man["accounting"].items():
        if a["read"] != a["accepted"] + a["quarantined"]:
            problems.append(f"manifest {name}: read != accepted + quarantined")
        if "linked" not in a:
            continue
        if a["accepted"] != a["linked"] + a["review"] + a["unlinked"]:
            problems.append(f"manifest {name}: accepted != linked + review + unlinked")
        ids = set(pd.read_parquet(out / "intake" / f"{name}.parquet")["record_id"])
        placed = (set(pd.read_parquet(out / "links" / f"{name}.parquet")["source_id"])
                  | set(pd.read_parquet(out / "review" / f"{name}.parquet")["source_id"])
                  | set(pd.read_parquet(out / "unlinked" / f"{name}.parquet")["record_id"]))
        if placed != ids:
            problems.append(f"{name}: linked/review/unlinked ids differ from accepted ids")
    return problems


def check(case: Case, o: Outcome) -> list[str]:
    """Everything wrong with an outcome (empty when the case behaves as it should)."""
    exp, problems = case.expect, []
    if "Traceback" in o.stderr or "Traceback" in o.stdout:
        problems.append("a Python traceback was printed")
    if o.exit != exp["exit"]:
        problems.append(f"exit {o.exit}, expected {exp['exit']}: {o.stderr.strip()[-300:]}")
    other = [ln for ln in o.stderr.splitlines() if not ln.startswith("error:")
             and not LOG_LINE.match(ln) and not PROGRESS.search(ln)]
    if other:
        problems.append(f"stderr has lines that are neither log lines nor the error: {other[:3]}")
    leaked = sorted(v for v in _input_values(o.inputs) if v in o.stdout + o.stderr)
    if leaked:
        problems.append(f"input values printed: {leaked[:5]}")
    if exp["exit"] != 0:
        if len(o.error_lines) != 1:
            problems.append(f"{len(o.error_lines)} error lines, expected exactly one")
        line = o.error_lines[0] if o.error_lines else ""
        problems += [f"error line lacks {s!r}: {line}" for s in exp.get("error", [])
                     if s not in line]
        return problems
    if o.error_lines:
        problems.append(f"error printed on success: {o.error_lines}")
    if o.exit != 0:
        return problems
    out = o.folder / "out"
    problems += _quarantine_problems(case, out)
    problems += accounting_problems(out, linked=case.command == "run")
    report = json.loads((out / "intake" / "report.json").read_text())
    notes = " ".join(n for r in report.values() for n in r["notes"])
    problems += [f"report notes lack {s!r}" for s in exp.get("notes", []) if s not in notes]
    return problems


# ---- the table ------------------------------------------------------------------------

def describe(case: Case, o: Outcome) -> str:
    if o.exit != 0:
        line = o.error_lines[0] if o.error_lines else o.stderr.strip()[-200:]
        line = line.replace(str(o.folder) + "/", "")
        return f"exit {o.exit}: `{line}`"
    parts = []
    out = o.folder / "out"
    for path in sorted((out / "quarantine").glob("*.parquet")):
        src = path.stem.removesuffix("_values")
        for r in pd.read_parquet(path).itertuples():
            kind = getattr(r, "action", "quarantined")
            parts.append(f"{kind}: {src} row {r._1} `{r.field}` ({r.reason})")
    if case.expect.get("notes"):
        parts.append("noted in intake/report.json: " + "; ".join(case.expect["notes"]))
    return "exit 0; " + ("; ".join(parts) if parts else "nothing quarantined")


def table(cases: list[Case], results: dict[str, Outcome]) -> str:
    rows = ["| case | input | command | outcome | check |", "|---|---|---|---|---|"]
    for c in cases:
        o = results[c.id]
        ok = "ok" if not check(c, o) else "FAIL"
        cell = describe(c, o).replace("|", "\\|")
        rows.append(f"| `{c.id}` | {c.what} | {c.command} | {cell} | {ok} |")
    return "\n".join(rows) + "\n"


def main(argv: list[str]) -> int:
    cases, bases = load_cases()
    with tempfile.TemporaryDirectory() as tmp:
        results = run_all(cases, bases, Path(tmp), workers=os.cpu_count() or 2)
        text = ("# Bad-input corpus: cases and outcomes\n\nGenerated by "
                "`python tests/bad_inputs/corpus.py --write` from `cases.yaml`.\n\n"
                + table(cases, results))
        failed = [c.id for c in cases if check(c, results[c.id])]
        shutil.rmtree(tmp, ignore_errors=True)
    if "--write" in argv:
        (HERE / "CASES.md").write_text(text, encoding="utf-8")
    print(text)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
