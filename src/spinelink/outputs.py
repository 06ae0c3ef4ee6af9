"""What a run wrote: each output file's size and SHA-256, to check what is reused or published.

A stage's outputs are the files under the output folder it created or replaced: every
writer goes through spinelink.atomic (temp file, then rename), so a rewritten file is a new
inode, and a scan before and after the stage finds them. Hidden files and folders (temp
files, engine work folders, the run lock) and the run's own records (`checkpoint.json`,
`run_manifest.json`) are not outputs. Hashes are streamed (spinelink.manifest.file_hash);
a `Hasher` reads each file once while it is unchanged.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from spinelink.manifest import file_hash

RECORDS = frozenset({"checkpoint.json", "run_manifest.json"})
Stat = tuple[int, int, int, int]  # inode, size, mtime_ns, ctime_ns
Record = dict  # {"bytes": int, "sha256": str}


def _stat(path: Path) -> Stat:
    s = path.stat()
    return (s.st_ino, s.st_size, s.st_mtime_ns, s.st_ctime_ns)


def scan(out: Path) -> dict[str, Stat]:
    """Every output file under `out` (posix path relative to it) with its identity."""
    found: dict[str, Stat] = {}
    for root, dirs, files in os.walk(out):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.startswith("."):
                continue
            p = Path(root, name)
            rel = p.relative_to(out).as_posix()
            if rel in RECORDS:
                continue
            try:
                found[rel] = _stat(p)
            except OSError:  # removed meanwhile
                continue
    return found


def changed(before: dict[str, Stat], after: dict[str, Stat]) -> tuple[list[str], list[str]]:
    """(files created or replaced, files removed) between two scans."""
    written = sorted(k for k, v in after.items() if before.get(k) != v)
    removed = sorted(k for k in before if k not in after)
    return written, removed


@dataclass(frozen=True)
class Problem:
    """Why a file does not match its record: `kind` missing / changed / unreadable."""
    kind: str
    detail: str = ""

    @property
    def phrase(self) -> str:
        verb = {"missing": "is missing", "changed": "has changed",
                "unreadable": "is unreadable"}[self.kind]
        return f"{verb} ({self.detail})" if self.detail else verb


class Hasher:
    """Size and SHA-256 of files under one folder; a file is read again only if changed."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self._cache: dict[str, tuple[Stat, Record]] = {}

    def record(self, rel: str) -> Record:
        """{"bytes", "sha256"} of `rel` (raises OSError when it cannot be read)."""
        p = self.out / rel
        st = _stat(p)
        hit = self._cache.get(rel)
        if hit is not None and hit[0] == st:
            return dict(hit[1])
        rec = {"bytes": st[1], "sha256": file_hash(p)}
        if _stat(p) == st:  # not replaced while it was read
            self._cache[rel] = (st, rec)
        return dict(rec)

    def records(self, rels: list[str]) -> dict[str, Record]:
        return {r: self.record(r) for r in rels}

    def problem(self, rel: str, expected: Record) -> Problem | None:
        """What is wrong with `rel` against `expected`, or None when it matches."""
        p = self.out / rel
        try:
            size = p.stat().st_size
        except FileNotFoundError:
            return Problem("missing")
        except OSError as e:
            return Problem("unreadable", type(e).__name__)
        if not p.is_file():
            return Problem("unreadable", "not a file")
        if size != expected.get("bytes"):
            return Problem("changed", f"{size} bytes, recorded {expected.get('bytes')}")
        try:
            rec = self.record(rel)
        except OSError as e:
            return Problem("unreadable", type(e).__name__)
        if rec["sha256"] != expected.get("sha256"):
            return Problem("changed", "same size, different sha256")
        return None


def refresh(out: Path, recorded: dict | None, before: dict[str, Stat]) -> dict | None:
    """`recorded` (a manifest's `outputs`) brought up to date for the files written or
    removed under `out` since the scan `before`: for a command that changes a finished
    run's outputs (`spinelink review apply`). None stays None (an older manifest)."""
    if recorded is None:
        return None
    written, removed = changed(before, scan(out))
    fresh = {k: v for k, v in recorded.items() if k not in removed}
    fresh.update(Hasher(out).records(written))
    return dict(sorted(fresh.items()))
