"""Resuming an interrupted run: which stages are done, and may a run continue from them.

After each stage the pipeline records in `OUT/checkpoint.json` what later stages need from
it (intake counts, link summaries, stage results, timings) and the size and SHA-256 of
every file it wrote (`written`, spinelink.outputs), under the run's fingerprint: the job
file's hash, the input files' hashes, the package versions, the backend and the
command-line overrides. `spinelink run JOB --resume` reuses a recorded stage when the
fingerprint is unchanged and each of its files is still as recorded (a file a later stage
rewrote is expected as that stage left it); a file missing, changed or unreadable makes
the stage run again, saying which file and why, and once one stage runs again, every
stage after it runs too. It refuses, naming what changed, when the fingerprint differs.
A run without `--resume` starts afresh and removes the file.

Pseudonymisation rewrites outputs in place, so a run interrupted during it cannot be
resumed (some files would be pseudonymised twice): that is refused too.
"""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from spinelink import manifest
from spinelink.errors import JobError, OutputError
from spinelink.outputs import Hasher, Record, Stat, changed, scan

log = logging.getLogger("spinelink")
FILE = "checkpoint.json"
# fingerprint keys (the layout of run_manifest.json) as a user names them
LABELS = {"job": "job file", "inputs": "input files", "linkage_models": "linkage_models/",
          "versions": "package versions", "sources": "source settings"}
# fingerprint keys that follow from others (per source, the hash of its input and settings,
# for run --since): named only when nothing they follow from changed
DERIVED = {"sources"}
IN_PLACE = {"privacy"}  # stages that rewrite earlier outputs
KEYS = {"schema_version", "fingerprint", "done", "timings", "started", "written", "order",
        "since", "sha256"}


class ResumeError(JobError):
    """The run cannot continue from the checkpoint."""


class Checkpoint:
    def __init__(self, path: Path | None, fingerprint: dict, data: dict | None = None):
        data = data or {}
        self.path = path
        self.fingerprint = fingerprint
        self.done: dict[str, dict] = data.get("done", {})
        self.timings: dict[str, dict[str, float]] = data.get("timings", {})
        self.started: list[str] = data.get("started", [])
        # per stage, the files it wrote: relative path -> {"bytes", "sha256"} as they are
        # now expected (updated when a later stage rewrites one)
        self.written: dict[str, dict[str, Record]] = data.get("written", {})
        self.order: list[str] = data.get("order", [])  # stages in the order they finished
        # run --since: per stage, what it took over from the previous run
        # (incremental.reuse.Previous.record_of), replayed into the manifest on --resume
        self.since: dict[str, dict] = data.get("since", {})
        self.reused: list[str] = []
        self.out = path.parent if path is not None else None
        self.hasher = Hasher(self.out) if self.out is not None else None
        self._before: dict[str, Stat] = {}
        self._plan: tuple[str, str] | None = None  # (stage to rerun from, the log line)
        self._planned = False
        self._rerun = False  # a stage ran again: every later stage runs too

    def reusable(self, stage: str, outputs: list[Path] = ()) -> bool:
        if not self._planned:
            self._plan, self._planned = self._first_rerun(), True
        if self._rerun or stage not in self.done:
            self._rerun = True
            return False
        if self._plan is not None and self._plan[0] == stage:
            log.warning("%s", self._plan[1])
            self._rerun = True
            return False
        why = self._why_not(stage, outputs)
        if why:
            log.warning("%s: %s; rerunning from %s", stage, why, stage)
            self._rerun = True
            return False
        return True

    def _first_rerun(self) -> tuple[str, str] | None:
        """The first finished stage with a file not as recorded, or, when a stage that
        rewrites outputs in place (privacy) ran after it, the earliest stage whose files
        that stage rewrote: rerunning from there rebuilds them from scratch."""
        order = [s for s in self.order if s in self.done]
        failed = next(((i, w) for i, s in enumerate(order)
                       if (w := self._why_not(s, [])) is not None), None)
        if failed is None:
            return None
        first, why = failed
        start, note = first, ""
        for later in order[first:]:
            if later not in IN_PLACE:
                continue
            rewritten = set(self.written.get(later, {}))
            for i, s in enumerate(order[:start]):
                if rewritten & set(self.written.get(s, {})):
                    start = i
                    note = f" (the {later} stage rewrote its outputs in place)"
                    break
        return order[start], (f"{order[first]}: {why}; rerunning from {order[start]}"
                              f"{note}")

    def _why_not(self, stage: str, outputs: list[Path]) -> str | None:
        """Which file of `stage` is not as recorded, and why (None: all are)."""
        for p in outputs:
            if not Path(p).exists():
                return f"{self._rel(Path(p))} is missing"
        if self.hasher is None:
            return None
        if stage not in self.written:
            return "the checkpoint records no file hashes for it"
        for rel, rec in sorted(self.written[stage].items()):
            problem = self.hasher.problem(rel, rec)
            if problem is not None:
                return f"{rel} {problem.phrase}"
        return None

    def _rel(self, p: Path) -> str:
        try:
            return p.relative_to(self.out).as_posix() if self.out else str(p)
        except ValueError:
            return str(p)

    def reuse(self, stage: str) -> tuple[dict, dict[str, float]]:
        log.info("%s: done in the earlier run; reused", stage)
        self.reused.append(stage)
        return self.done[stage], self.timings.get(stage, {})

    def start(self, stage: str) -> None:
        if stage in IN_PLACE:
            if stage in self.started and stage not in self.done:
                raise ResumeError(
                    f"{self.path}: the interrupted run stopped while the '{stage}' stage "
                    "was rewriting outputs in place; run again without --resume")
            if stage not in self.started:
                self.started.append(stage)
        save = stage in IN_PLACE
        if stage in self.done:  # running again: not done until it finishes again
            for table in (self.done, self.timings, self.written, self.since):
                table.pop(stage, None)
            self.order = [s for s in self.order if s != stage]
            save = True
        if save:
            self._save()
        if self.out is not None:
            self._before = scan(self.out)

    def record(self, stage: str, payload: dict, timings: dict[str, float],
               since: dict | None = None) -> None:
        self.done[stage] = payload
        self.timings[stage] = timings
        if since:
            self.since[stage] = since
        if self.hasher is not None:
            written, removed = changed(self._before, scan(self.hasher.out))
            records = self.hasher.records(written)
            for files in self.written.values():  # a later stage rewrote or removed them
                for rel in [r for r in files if r in records or r in removed]:
                    if rel in records:
                        files[rel] = records[rel]
                    else:
                        del files[rel]
            self.written[stage] = records
        self.order = [*(s for s in self.order if s != stage), stage]
        self._save()

    def outputs(self, before_run: dict[str, Stat]) -> dict[str, Record]:
        """Size and SHA-256 of every file the run wrote or reused, after checking that each
        file a stage recorded is still as recorded (OutputError naming the first that is
        not)."""
        if self.hasher is None:
            return {}
        for stage, files in self.written.items():
            for rel, rec in sorted(files.items()):
                problem = self.hasher.problem(rel, rec)
                if problem is not None:
                    raise OutputError(f"{self.out / rel}: {problem.phrase} since the "
                                      f"'{stage}' stage wrote it; run the job again")
        rels = set(changed(before_run, scan(self.hasher.out))[0])
        rels.update(r for files in self.written.values() for r in files)
        return self.hasher.records(sorted(rels))

    def _save(self) -> None:
        if self.path is not None:
            data = {"schema_version": 2, "fingerprint": self.fingerprint, "done": self.done,
                    "timings": self.timings, "started": self.started,
                    "written": self.written, "order": self.order}
            if self.since:
                data["since"] = self.since
            manifest.write_json(self.path, {**data, "sha256": _content_hash(data)})


def forget_from(out: Path, rewritten: list[str]) -> list[str]:
    """After a command rewrote a finished run's outputs (`spinelink review apply`): mark
    the first recorded stage that wrote one of `rewritten`, and every stage after it, as
    not done in OUT/checkpoint.json, so that `--resume` runs them again quietly instead of
    reporting their files as changed. Returns the stages forgotten (none without a
    readable checkpoint: `--resume` then reports what it finds, as before)."""
    path = Path(out) / FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(data, dict) or ("sha256" in data
                                      and data["sha256"] != _content_hash(data)):
        return []
    ck = Checkpoint(path, data.get("fingerprint", {}), data)
    touched = set(rewritten)
    first = next((i for i, s in enumerate(ck.order)
                  if touched & set(ck.written.get(s, {}))), None)
    if first is None:
        return []
    gone = ck.order[first:]
    for stage in gone:
        for table in (ck.done, ck.timings, ck.written, ck.since):
            table.pop(stage, None)
    ck.order = ck.order[:first]
    ck._save()
    return gone


def _versions_label(old, new) -> str:
    """Which versions changed: the packages by name, or spinelink's own code alone (an
    editable install after `git pull`: no version number moves)."""
    old, new = old if isinstance(old, dict) else {}, new if isinstance(new, dict) else {}
    diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    packages = [k for k in diff if k != "spinelink_code"]
    if not packages:
        return "spinelink's code (its Python or SQL files)"
    return f"package versions ({', '.join(packages)})"


def _content_hash(data: dict) -> str:
    """SHA-256 of the checkpoint's content, stored in it: what a reused stage passes on
    (counts, summaries) is used only as this run recorded it."""
    text = json.dumps({k: v for k, v in data.items() if k != "sha256"}, sort_keys=True,
                      default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def open_checkpoint(out: Path, fingerprint: dict, resume: bool,
                    record: bool = True) -> Checkpoint:
    """The checkpoint of the run in `out`: fresh unless `resume` (then the interrupted
    run's, checked against `fingerprint`). `record=False`: nothing is written."""
    path = out / FILE
    if not record:
        return Checkpoint(None, fingerprint)
    if not resume:
        path.unlink(missing_ok=True)
        return Checkpoint(path, fingerprint)
    if not path.exists():
        log.info("no checkpoint in %s: starting from the beginning", out)
        return Checkpoint(path, fingerprint)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        old = data["fingerprint"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ResumeError(f"{path}: unreadable checkpoint ({type(e).__name__}); "
                          "run again without --resume") from None
    if (set(data) - KEYS) or ("sha256" in data and data["sha256"] != _content_hash(data)):
        raise ResumeError(f"{path}: the checkpoint has changed since the run wrote it; "
                          "run again without --resume")
    changed = [k for k in sorted(set(old) | set(fingerprint)) if old.get(k) != fingerprint.get(k)]
    if set(changed) - DERIVED:  # named by what the user changed, not what follows from it
        changed = [k for k in changed if k not in DERIVED]
    changed = [_versions_label(old.get(k), fingerprint.get(k)) if k == "versions"
               else LABELS.get(k, k) for k in changed]
    if changed:
        raise ResumeError(f"{path}: cannot resume: {', '.join(changed)} changed since the "
                          "interrupted run; run again without --resume")
    return Checkpoint(path, fingerprint, data)
