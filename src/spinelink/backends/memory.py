"""DuckDB's memory limit when the job sets none (`resources.memory_limit`): sized from the
job's inputs.

DuckDB's own default is 80% of the machine's memory, and its allocator keeps what it once
used: at a million persons a run then holds ~4 GB although its stages' work fits in far
less (under a 2 GB limit the same links at ~5% more CPU; benchmarks/RESULTS.md, sessions
29 and 30 hD). A fixed smaller limit would bind at one size and starve a bigger one, so the
default grows with the data: `PER_INPUT_BYTE` times the bytes of the inputs as read (a
Parquet file's uncompressed size from its footer, so that the format does not matter; a
CSV file's size), at least `FLOOR` (small jobs: the process itself is bigger than their
data) and at most DuckDB's own default (`RAM_SHARE` of the machine's or the container's
memory). A job's explicit `resources.memory_limit` always wins; the chosen value is logged
and recorded in the run manifest (`resources`).
"""
from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

import pyarrow.parquet as pq

log = logging.getLogger("spinelink")

MIB = 1 << 20
# what DuckDB may hold per byte of the inputs as read (200k and 1M persons, session 30 hD:
# 4x runs out of memory, 8x makes the same links at 16-20% more CPU, 16x at none
# measurable at 1M; docs/scaling.md)
PER_INPUT_BYTE = 16
# ... up to TAPER_FROM of inputs; beyond it PER_INPUT_BYTE_BEYOND: the work of a bigger job
# does not need the same multiple (5M persons, ~770 MiB of inputs, session 33: under 5.6 GiB
# the same F1 as under 16x's 12 GiB, peak 7.0 GB against 11.1 GB, ~5% more CPU), and a
# limit proportional to the data made the peak grow as fast as the data (docs/scaling.md)
TAPER_FROM = 256 * MIB
PER_INPUT_BYTE_BEYOND = 4
FLOOR = 1024 * MIB
RAM_SHARE = 0.8  # DuckDB's own default: never more than it would take unasked


def input_bytes(paths: Iterable[Path]) -> int:
    """The inputs' bytes as read: a Parquet file's uncompressed column data (its footer),
    any other file's size; a path that is not a readable file counts 0 (intake stops the
    run with the reason)."""
    total = 0
    for p in paths:
        try:
            if p.suffix.lower() in (".parquet", ".pq"):
                meta = pq.ParquetFile(p).metadata
                total += sum(meta.row_group(i).total_byte_size
                             for i in range(meta.num_row_groups))
            else:
                total += p.stat().st_size
        except Exception:  # not a readable file: intake reports it
            continue
    return total


def machine_memory() -> int:
    """The memory this process may use: the machine's, or the container's (cgroup) limit
    when lower."""
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for f in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(f).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < ram:
            ram = int(text)
    return ram


def wanted(data: int) -> int:
    """What a job with `data` bytes of inputs may hold: `PER_INPUT_BYTE` times them up to
    `TAPER_FROM`, `PER_INPUT_BYTE_BEYOND` times the rest."""
    return (PER_INPUT_BYTE * min(data, TAPER_FROM)
            + PER_INPUT_BYTE_BEYOND * max(data - TAPER_FROM, 0))


def default_limit(paths: Iterable[Path], ram: int | None = None) -> dict:
    """The limit for a job that sets none: {"memory_limit": "<n>MiB" (DuckDB's syntax),
    "bytes", "input_bytes", "basis": "inputs" | "floor" | "ceiling"}."""
    data = input_bytes(paths)
    ceiling = int((machine_memory() if ram is None else ram) * RAM_SHARE)
    want, basis = wanted(data), "inputs"
    if want < FLOOR:
        want, basis = FLOOR, "floor"
    if want > ceiling:
        want, basis = ceiling, "ceiling"
    n = max(want // MIB, 1)
    return {"memory_limit": f"{n}MiB", "bytes": n * MIB, "input_bytes": data,
            "basis": basis}


def choose(backend: str, explicit: str | None, paths: Iterable[Path]) -> dict:
    """The run's memory limit and where it came from, for the engine and the manifest.
    DuckDB only: Spark sizes its own (`spark.driver.memory`, `resources.memory_limit`)."""
    if explicit:
        return {"memory_limit": explicit, "source": "job"}
    if backend != "duckdb":
        return {"memory_limit": None, "source": "engine default"}
    chosen = default_limit(paths)
    log.info("DuckDB memory limit %s (%s: %d x %.0f MB of inputs up to %d MiB, %d x beyond; "
             "floor %d MB, ceiling %.0f%% of memory); set resources.memory_limit to choose "
             "another", chosen["memory_limit"], chosen["basis"], PER_INPUT_BYTE,
             chosen["input_bytes"] / 1e6, TAPER_FROM // MIB, PER_INPUT_BYTE_BEYOND,
             FLOOR // MIB, RAM_SHARE * 100)
    return {**chosen, "source": "inputs", "per_input_byte": PER_INPUT_BYTE,
            "taper_from_bytes": TAPER_FROM, "per_input_byte_beyond": PER_INPUT_BYTE_BEYOND}
