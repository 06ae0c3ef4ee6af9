"""Where clerical review finds things under OUT, and the review band it works on.

The band of a source is the snapshot `review/candidates/<source>.parquet`, taken from
`review/<source>.parquet` when the run wrote it (the clerical stage) or before the first
`review apply` changes it; `review/<source>.parquet` is what remains undecided.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from spinelink import atomic
from spinelink.errors import ClericalError

RESERVED = {"decisions"}
SETTINGS_NAME = "settings.json"
LINK_COLUMNS = ["reference_id", "source_id", "method", "match_probability", "match_weight"]


class ReviewError(ClericalError):
    """Clerical review cannot proceed: missing outputs, invalid decisions or files (exit 6)."""


def review_dir(out: Path) -> Path:
    return Path(out) / "review"


def manifest(out: Path) -> dict:
    path = Path(out) / "run_manifest.json"
    if not path.exists():
        raise ReviewError(f"{path}: does not exist; run `spinelink run` on the job first")
    return json.loads(path.read_text(encoding="utf-8"))


def reference(out: Path) -> str:
    return manifest(out)["reference"]


def pseudonymised(out: Path) -> bool:
    """True when the privacy stage replaced the ids in the published outputs (links,
    review, unlinked); the band snapshot and the decisions keep the source ids."""
    return bool(manifest(out).get("stages", {}).get("privacy", {}).get("pseudonymised"))


def sources(out: Path) -> list[str]:
    """Linked sources that have a review band, in name order."""
    rd = review_dir(out)
    names = {p.stem for p in rd.glob("*.parquet")} | {
        p.stem for p in (rd / "candidates").glob("*.parquet")}
    return sorted(names - RESERVED)


def check_source(out: Path, source: str | None) -> list[str]:
    manifest(out)  # a run's output folder, or a clear error
    names = sources(out)
    if not names:
        raise ReviewError(f"{review_dir(out)}: no review band found; run `spinelink run` "
                          "first")
    if source is None:
        return names
    if source not in names:
        raise ReviewError(f"{review_dir(out)}: no review band for source '{source}' "
                          f"(have: {', '.join(names)})")
    return [source]


def candidates(out: Path, source: str) -> pd.DataFrame:
    """The whole band of a source (decided or not), sorted by reference unit."""
    rd = review_dir(out)
    snap = rd / "candidates" / f"{source}.parquet"
    frame = pd.read_parquet(snap if snap.exists() else rd / f"{source}.parquet")
    frame = frame.astype({"reference_id": str, "source_id": str})
    return frame.sort_values(["reference_id", "source_id"]).reset_index(drop=True)


def snapshot(out: Path, source: str, force: bool = False) -> Path:
    """Keep the band as the run wrote it, before decisions shrink review/<source>."""
    rd = review_dir(out)
    snap = rd / "candidates" / f"{source}.parquet"
    if force or not snap.exists():
        atomic.copy_file(rd / f"{source}.parquet", snap)
    return snap


def band_settings(out: Path) -> dict:
    """{source: {one_to_one, accept, review}} as the run's job had them."""
    path = review_dir(out) / SETTINGS_NAME
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8")).get("sources", {})


def all_pairs(out: Path, names: list[str]) -> pd.DataFrame:
    """Every band pair of the given sources with a `source` column."""
    frames = [candidates(out, s).assign(source=s) for s in names]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=["source", *LINK_COLUMNS])
    return pd.concat(frames, ignore_index=True)[["source", *LINK_COLUMNS]]
