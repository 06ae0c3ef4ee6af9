"""Run manifest: what ran, on what, with which versions, and where every record went."""
from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
from importlib import metadata
from pathlib import Path

from spinelink import atomic
from spinelink.errors import AccountingError

PACKAGES = ("spinelink", "splink", "duckdb", "pandas", "pyarrow", "jellyfish", "pydantic")


def file_hash(path: Path) -> str:
    """The SHA-256 of a file. A run hashes some files more than once (the reference's
    standardised table: the incremental checks, the quality stage's fit conditions, the
    outputs; an input by its relative and its absolute path), so each result is kept with
    what tells a rewritten file from the one hashed (device, inode, size, modification
    time in ns: outputs are replaced by a rename, a new inode; not the path, one file has
    several) and reused while those are the same."""
    key = _identity(path)
    if key not in _HASHES:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        _remember(key, h.hexdigest())
    return _HASHES[key]


def known_hash(path: Path, sha256: str) -> None:
    """Record the SHA-256 of a file just written as a copy of one whose hash was checked
    (spinelink.incremental.reuse), so hashing it again reads nothing."""
    _remember(_identity(path), sha256)


def _identity(path: Path) -> tuple:
    st = os.stat(path)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _remember(key: tuple, sha256: str) -> None:
    if len(_HASHES) > 10_000:
        _HASHES.clear()
    _HASHES[key] = sha256


_HASHES: dict[tuple, str] = {}


def recorded_outputs(folder: Path) -> dict:
    """The outputs a finished run's `run_manifest.json` records (relative path -> size and
    SHA-256); empty when the folder has none or it cannot be read."""
    try:
        data = json.loads((Path(folder) / "run_manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    outputs = data.get("outputs") if isinstance(data, dict) else None
    return outputs if isinstance(outputs, dict) else {}


def as_recorded(folder: Path, rel: str, outputs: dict | None = None) -> bool:
    """Whether `folder/rel` is the file the run's manifest (or `outputs`, read from it
    already) records: same SHA-256."""
    rec = (recorded_outputs(folder) if outputs is None else outputs).get(rel)
    path = Path(folder) / rel
    try:
        return (isinstance(rec, dict) and rec.get("sha256") is not None and path.is_file()
                and file_hash(path) == rec["sha256"])
    except OSError:
        return False


def versions() -> dict[str, str]:
    """Python's and the packages' versions, and `spinelink_code`: a fingerprint of the
    engine's own code (`code_fingerprint`), which a version number does not pin while it
    is developed. What compares versions (resume, an incremental run's carried results)
    then never mixes results of two versions of the code."""
    return {**_package_versions(), "spinelink_code": code_fingerprint()}


@functools.cache
def _package_versions() -> dict[str, str]:
    """Python's and the packages' versions (looked up once per process: ~35 ms each time,
    and a run records them three times); `versions` hands out copies."""
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = _version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


def _version(package: str) -> str:
    """An installed package's version, from its metadata's headers: `metadata.version`
    parses the whole file, long description included (33 ms for Splink's)."""
    dist = metadata.distribution(package)
    for line in (dist.read_text("METADATA") or dist.read_text("PKG-INFO") or "").splitlines():
        if not line.strip():  # the headers end at the first empty line
            break
        if line.startswith("Version:"):
            return line.split(":", 1)[1].strip()
    return dist.version


@functools.cache
def code_fingerprint() -> str:
    """SHA-256 (first 16 hex digits) of the package's Python files and the SQL it runs,
    by relative path and content (about 200 small files, read once per process)."""
    from spinelink.resources import data_dir

    h = hashlib.sha256()
    for root, pattern in ((Path(__file__).resolve().parent, "*.py"),
                          (data_dir("sql"), "*.sql")):
        for f in sorted(root.rglob(pattern)):
            h.update(f"{root.name}/{f.relative_to(root).as_posix()}\0".encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def check_accounting(acc: dict[str, dict]) -> None:
    """read = accepted + quarantined; accepted = linked + review + unlinked (linked sources);
    for an added delivery read with the previous state, its delivered file's read =
    accepted + quarantined, and the state's read = the previous records kept + the
    delivered rows it could hold (read - unreadable)."""
    for name, a in acc.items():
        d = a.get("delivered")
        if d is not None and (d["read"] != d["accepted"] + d["quarantined"] or a["read"] != (
                d["previous_records"] + d["read"] - d["unreadable"])):
            raise AccountingError(
                f"source {name}: the delivered file {d['file']}: read {d['read']}, accepted "
                f"{d['accepted']}, quarantined {d['quarantined']} ({d['unreadable']} "
                f"unreadable), with {d['previous_records']} previous records, does not add "
                f"up to the {a['read']} rows read")
        if a["read"] != a["accepted"] + a["quarantined"]:
            raise AccountingError(f"source {name}: read {a['read']} != accepted "
                                  f"{a['accepted']} + quarantined {a['quarantined']}")
        if "linked" in a and a["accepted"] != a["linked"] + a["review"] + a["unlinked"]:
            raise AccountingError(f"source {name}: accepted {a['accepted']} != linked "
                                  f"{a['linked']} + review {a['review']} + "
                                  f"unlinked {a['unlinked']}")


def write_json(path: Path, data: dict) -> None:
    """Atomic JSON write (temp file, then rename; owner-only, see spinelink.atomic)."""
    atomic.write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
