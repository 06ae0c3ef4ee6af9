"""Resuming an interrupted run: which stages are done, and may a run continue from them.

After each stage the pipeline records in `OUT/checkpoint.json` what later stages need from
it (intake counts, link summaries, stage results, timings), under the run's fingerprint:
the job file's hash, the input files' hashes, the package versions, the backend and the
command-line overrides. `spinelink run JOB --resume` reuses the recorded stages when the
fingerprint is unchanged and their outputs are on disk, and runs the rest; once one stage
runs again, every stage after it runs too. It refuses, naming what changed, when the
fingerprint differs. A run without `--resume` starts afresh and removes the file.

Pseudonymisation rewrites outputs in place, so a run interrupted during it cannot be
resumed (some files would be pseudonymised twice): that is refused too.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

from spinelink import manifest
from spinelink.errors import JobError

log = logging.getLogger("spinelink")
FILE = "checkpoint.json"
# fingerprint keys (the layout of run_manifest.json) as a user names them
LABELS = {"job": "job file", "inputs": "input files", "linkage_models": "linkage_models/",
          "versions": "package versions"}
IN_PLACE = {"privacy"}  # stages that rewrite earlier outputs


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
        self.reused: list[str] = []
        self._rerun = False  # a stage ran again: every later stage runs too

    def reusable(self, stage: str, outputs: list[Path] = ()) -> bool:
        if self._rerun or stage not in self.done:
            self._rerun = True
            return False
        if not all(Path(p).exists() for p in outputs):
            log.info("%s: its outputs are gone; running it again", stage)
            self._rerun = True
            return False
        return True

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
            self.started.append(stage)
            self._save()

    def record(self, stage: str, payload: dict, timings: dict[str, float]) -> None:
        self.done[stage] = payload
        self.timings[stage] = timings
        self._save()

    def _save(self) -> None:
        if self.path is not None:
            manifest.write_json(self.path, {
                "schema_version": 1, "fingerprint": self.fingerprint, "done": self.done,
                "timings": self.timings, "started": self.started})


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
    except (ValueError, KeyError, TypeError) as e:
        raise ResumeError(f"{path}: unreadable checkpoint ({type(e).__name__}); "
                          "run again without --resume") from None
    changed = [LABELS.get(k, k) for k in sorted(set(old) | set(fingerprint))
               if old.get(k) != fingerprint.get(k)]
    if changed:
        raise ResumeError(f"{path}: cannot resume: {', '.join(changed)} changed since the "
                          "interrupted run; run again without --resume")
    return Checkpoint(path, fingerprint, data)
