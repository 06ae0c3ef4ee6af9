"""`spinelink verify OUT`: are a finished run's outputs exactly what it wrote?

`run_manifest.json` records the size and SHA-256 of every output the run wrote or reused
(`outputs`) and the SHA-256 and location of each input (`inputs`). Verify reads every
recorded output again and reports, one line each, a file that is missing, changed or
unreadable; inputs are checked when their recorded location is reachable from here (an
input that is not is noted, not counted as a difference). Only paths and sizes are
printed, never file contents.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from spinelink.errors import JobError
from spinelink.manifest import file_hash
from spinelink.outputs import Hasher

MANIFEST = "run_manifest.json"


@dataclass
class Verification:
    differences: list[str] = field(default_factory=list)  # one line per file
    notes: list[str] = field(default_factory=list)
    outputs: int = 0
    inputs: int = 0  # inputs checked


def _manifest(out: Path) -> dict:
    path = out / MANIFEST
    if not path.is_file():
        raise JobError(f"{out}: no {MANIFEST} (not the output folder of a finished run)")
    try:
        man = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise JobError(f"{path}: unreadable ({type(e).__name__})") from None
    if not isinstance(man, dict) or not isinstance(man.get("outputs"), dict):
        raise JobError(f"{path}: records no output hashes (written by an earlier version "
                       "of spinelink); run the job again to record them")
    return man


def _check_inputs(inputs: dict, result: Verification) -> None:
    for name, rec in sorted(inputs.items()):
        loc, sha = rec.get("location"), rec.get("sha256")
        if not loc or not sha:
            continue
        p = Path(loc)
        if not p.is_file():
            result.notes.append(f"note: input {name} is not reachable at {loc}; not checked")
            continue
        try:
            actual = file_hash(p)
        except OSError as e:
            result.differences.append(f"unreadable: input {name} {loc} ({type(e).__name__})")
            continue
        result.inputs += 1
        if actual != sha:
            result.differences.append(f"changed: input {name} {loc} (different sha256)")


def verify_run(out: Path) -> Verification:
    """Compare the folder `out` with what its run_manifest.json records."""
    out = Path(out)
    man = _manifest(out)
    result = Verification(outputs=len(man["outputs"]))
    hasher = Hasher(out)
    for rel, rec in sorted(man["outputs"].items()):
        problem = hasher.problem(rel, rec if isinstance(rec, dict) else {})
        if problem is not None:
            detail = f" ({problem.detail})" if problem.detail else ""
            result.differences.append(f"{problem.kind}: {rel}{detail}")
    _check_inputs(man.get("inputs") or {}, result)
    return result
