"""Stages an incremental run takes over from the run it follows (`run --since PREVIOUS`).

A source whose input file and settings are the same as in the previous run (typically the
reference: the census does not change between monthly deliveries) gives the same intake
and standardised tables again. The run then copies them from the previous output folder
instead of recomputing: the stages `intake:<source>` and `standardise:<source>`, with the
files the previous run's checkpoint records for them (each checked against its recorded
SHA-256 while it is copied) and their recorded results. The later tables built from them
in memory (blocking keys, term frequencies) are built as before.

A stage is taken over only when all of these hold, otherwise it runs (the reason is
logged and listed in the manifest, `incremental.not_reused`):
* the previous folder has its `checkpoint.json`, unchanged since written (content hash),
  with the stage done and its files as recorded;
* the source's key is the same: the SHA-256 of the input file, the source's job settings
  (all but its path), whether it is the reference, the job's `reference_date` and
  `max_age`, and the source's edit rules;
* `linkage_models/`, the package versions and the backend are the same;
* the source has no free-text coding or control totals (they read further files and the
  coding decisions of the output folder).
"""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from spinelink import atomic, manifest
from spinelink.checkpoint import FILE, _content_hash

log = logging.getLogger("spinelink")
STAGES = ("intake", "standardise")
SAME = ("linkage_models", "versions", "backend")  # fingerprint keys that must agree


def source_keys(lj, inputs: dict) -> dict[str, dict | None]:
    """Per source, what its intake and standardisation depend on: `input` (the file's
    SHA-256) and `settings` (a hash of the rest); None: never taken over (coding or
    control totals declared, or the input is not a readable file)."""
    job = lj.job
    keys: dict[str, str | None] = {}
    for name, src in job.sources.items():
        sha = inputs.get(name, {}).get("sha256")
        if sha is None or name in job.coding or name in job.control_totals:
            keys[name] = None
            continue
        what = {"source": src.model_dump(mode="json", exclude={"path"}),
                "reference": name == job.reference,
                "reference_date": str(job.reference_date), "max_age": job.max_age,
                "edit_rules": [r.model_dump(mode="json")
                               for r in job.edit_rules.get(name, [])]}
        keys[name] = {"input": sha, "settings": hashlib.sha256(json.dumps(
            what, sort_keys=True, default=str).encode()).hexdigest()}
    return keys


class Previous:
    """The previous run's checkpoint, and which of its stages this run may take over."""

    def __init__(self, since: Path, fingerprint: dict, out: Path):
        self.since, self.out = Path(since), Path(out)
        self.fingerprint = fingerprint
        self.data: dict | None = None
        self.why: str | None = None  # why nothing can be taken over
        self.reused: list[str] = []
        self.not_reused: dict[str, str] = {}
        self.partly: dict[str, dict] = {}  # stage -> records redone / taken over
        path = self.since / FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.why = f"no readable {FILE} in the previous folder"
            return
        if not isinstance(data, dict) or data.get("sha256") != _content_hash(data):
            self.why = f"the previous {FILE} has changed since it was written"
            return
        old = data.get("fingerprint") or {}
        differ = [k for k in SAME if old.get(k) != fingerprint.get(k)]
        if differ:
            self.why = f"{', '.join(differ)} changed since the previous run"
            return
        self.data = data

    def covers(self, stage: str) -> bool:
        """May `stage` (`intake:<s>` / `standardise:<s>`) be taken over? (Records why
        not.)"""
        kind, _, name = stage.partition(":")
        if kind not in STAGES:
            return False
        why = self._why_not(stage, name)
        if why is not None:
            self.not_reused[stage] = why
            log.info("%s: not taken over from %s (%s)", stage, self.since, why)
            return False
        return True

    def _why_not(self, stage: str, name: str) -> str | None:
        if self.data is None:
            return self.why
        why = self.why_not_settings(name)
        if why is not None:
            return why
        if self.previous_key(name)["input"] != self.fingerprint["sources"][name]["input"]:
            return "its input file changed"
        if stage not in self.data.get("done", {}) or stage not in self.data.get("written", {}):
            return "the previous run did not record it"
        for rel in self.data["written"][stage]:
            if not (self.since / rel).is_file():
                return f"{rel} is missing in the previous folder"
        return None

    def previous_key(self, name: str) -> dict | None:
        return ((self.data or {}).get("fingerprint", {}).get("sources") or {}).get(name)

    def why_not_settings(self, name: str) -> str | None:
        """Why the previous run's tables of `name` cannot stand for this run's records
        with the same values (None: they can)."""
        if self.data is None:
            return self.why
        key = self.fingerprint.get("sources", {}).get(name)
        if key is None:
            return "coding or control totals declared, or no readable input"
        old = self.previous_key(name)
        if not isinstance(old, dict) or old.get("settings") != key["settings"]:
            return "its settings changed"
        return None

    def intact(self, stage: str, rel: str) -> bool:
        """Is the previous run's file `rel` (written by `stage`) as it recorded it?"""
        rec = ((self.data or {}).get("written", {}).get(stage) or {}).get(rel)
        path = self.since / rel
        return rec is not None and path.is_file() and manifest.file_hash(path) == rec["sha256"]

    def or_run(self, stage: str, run):
        """A stage function: take `stage` over, or (a file differs) `run()` it."""
        def fn() -> dict:
            payload = self.take_over(stage)
            return run() if payload is None else payload
        return fn

    def take_over(self, stage: str) -> dict | None:
        """Copy the stage's files into `out`, each checked against its recorded SHA-256,
        and return the stage's recorded result (None when a file differs: the stage then
        runs, and writes every file again)."""
        for rel, rec in sorted(self.data["written"][stage].items()):
            if not _copy_checked(self.since / rel, self.out / rel, rec["sha256"]):
                self.not_reused[stage] = f"{rel} changed since the previous run wrote it"
                log.warning("%s: not taken over from %s (%s)", stage, self.since,
                            self.not_reused[stage])
                return None
        self.reused.append(stage)
        log.info("%s: taken over from %s (same input and settings)", stage, self.since)
        return json.loads(json.dumps(self.data["done"][stage]))

    def record_of(self, stage: str) -> dict | None:
        """What this run took over from the previous one for `stage` (None: nothing to
        say), for the checkpoint: a --resume that reuses the stage restores it."""
        rec = {k: v for k, v in (("reused", stage in self.reused),
                                  ("not_reused", self.not_reused.get(stage)),
                                  ("partly", self.partly.get(stage))) if v}
        return rec or None

    def restore(self, stage: str, rec: dict | None) -> None:
        """Put back what `record_of` said of a stage the resumed run reuses."""
        rec = rec or {}
        if rec.get("reused") and stage not in self.reused:
            self.reused.append(stage)
        if rec.get("not_reused"):
            self.not_reused[stage] = rec["not_reused"]
        if rec.get("partly"):
            self.partly[stage] = rec["partly"]

    def summary(self) -> dict:
        return {"since": str(self.since), "reused_stages": list(self.reused),
                "not_reused": dict(self.not_reused), "partly_reused": dict(self.partly)}


def _copy_checked(src: Path, dst: Path, sha256: str) -> bool:
    """Copy `src` to `dst` atomically if its SHA-256 is `sha256` (else nothing, False)."""
    if manifest.file_hash(src) != sha256:
        return False
    atomic.copy_file(src, dst)
    manifest.known_hash(dst, sha256)
    return True
