"""Content digests of a run's output folder, for comparing runs (determinism, crash and
rerun): Parquet and CSV as rows in the writer's order (or sorted by every column), JSON
without timings and run-specific keys."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

# JSON keys that differ between runs by nature (anywhere in the document)
VOLATILE = {"timings_seconds", "timings", "started", "finished", "created", "duration_seconds",
            "elapsed_seconds", "written_at", "run_at"}
# top-level keys of a run's own records that hold sizes and hashes of the other files (the
# report's timings make its hash differ by nature; the files themselves are compared)
RECORD_HASHES = {"run_manifest.json": {"outputs"}, "checkpoint.json": {"written", "sha256"}}
# parts of the HTML report that differ between runs by nature
HTML_VOLATILE = re.compile(r"<h3>Stage timings</h3>.*?</table>", re.S)


def _frame_digest(df: pd.DataFrame, sort: bool) -> str:
    if sort and len(df.columns):
        df = df.assign(**{c: df[c].astype(str) for c in df.columns})
        df = df.sort_values(list(df.columns), kind="mergesort").reset_index(drop=True)
    body = df.to_csv(index=False, float_format="%.17g", lineterminator="\n")
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _strip(obj, drop: set[str]):
    if isinstance(obj, dict):
        return {k: _strip(v, drop) for k, v in obj.items() if k not in drop}
    if isinstance(obj, list):
        return [_strip(v, drop) for v in obj]
    return obj


def digest(path: Path, sort: bool = False, drop: set[str] = frozenset()) -> str:
    if path.suffix == ".parquet":
        return _frame_digest(pq.read_table(path).to_pandas(), sort)
    if path.suffix == ".csv":
        return _frame_digest(pd.read_csv(path, dtype=str, keep_default_na=False), sort)
    if path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and path.name in RECORD_HASHES:
            data = {k: v for k, v in data.items() if k not in RECORD_HASHES[path.name]}
        data = _strip(data, VOLATILE | set(drop))
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    if path.suffix == ".html":
        text = HTML_VOLATILE.sub("", path.read_text(encoding="utf-8"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def output_files(out: Path) -> list[Path]:
    """Every output file, without hidden ones (temp files, engine work folders)."""
    return sorted(p for p in out.rglob("*") if p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(out).parts))


def digests(out: Path, sort: bool = False, drop: set[str] = frozenset()) -> dict[str, str]:
    return {str(p.relative_to(out)): digest(p, sort, drop) for p in output_files(out)}


def differences(a: Path, b: Path, sort: bool = False, drop: set[str] = frozenset()) -> list[str]:
    da, db = digests(a, sort, drop), digests(b, sort, drop)
    return sorted(k for k in da.keys() | db.keys() if da.get(k) != db.get(k))


def unreadable(out: Path) -> list[str]:
    """Output files under their final names that are not complete (cannot be read)."""
    bad = []
    for p in output_files(out):
        try:
            if p.suffix == ".parquet":
                pq.read_table(p)
            elif p.suffix == ".json":
                json.loads(p.read_text(encoding="utf-8"))
            elif p.suffix == ".csv":
                pd.read_csv(p, dtype=str)
        except Exception as e:  # noqa: BLE001 - any failure means a partial file
            bad.append(f"{p.relative_to(out)}: {type(e).__name__}")
    return bad
