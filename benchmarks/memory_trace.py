"""Where a run's peak memory is set: `spinelink run` with the process's resident memory,
DuckDB's own accounting (`duckdb_memory()`, by tag, with what it spilled to disk), Arrow's
pool and the C library's heap sampled every `--every` seconds from a thread, each sample
with the stage and the engine call running (the first words of the SQL, never values).

    PYTHONPATH=$PWD/src python benchmarks/memory_trace.py --json T.json -- \
        run job.yaml --output-dir O
    # one stage and those after it, on a copy of a finished run (as query_times.py)
    cp -r W/spinelink_out O && PYTHONPATH=$PWD/src python benchmarks/memory_trace.py \
        --from link:benefits --json T.json -- run W/job.yaml --output-dir O --resume

prints the peak sample and, per stage, its highest resident memory split into DuckDB's
part and the rest (Python, pandas, Arrow results, allocator caches); `--json` keeps every
sample and engine call. The sampler reads DuckDB's accounting through a cursor of the
run's connection (its own connection to the same database), so it adds a query every
`--every` seconds: read the times of a traced run as approximate.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import re
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

MIB = 1 << 20
CALLS = ("execute", "df", "arrow", "write_parquet", "create_table", "insert", "load_parquet",
         "register", "scalar", "count")
DUCK = ("SELECT tag, memory_usage_bytes, temporary_storage_bytes FROM duckdb_memory() "
        "WHERE memory_usage_bytes + temporary_storage_bytes > 0")


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def _heap():
    """The C library's heap in use (MiB), or None off glibc."""
    try:
        f = ctypes.CDLL(None).mallinfo2
    except (AttributeError, OSError):
        return None
    f.restype = _Mallinfo2
    m = f()
    return (m.uordblks + m.hblkhd) // MIB


def _rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024
    return 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--every", type=float, default=0.2, help="seconds between samples")
    ap.add_argument("--json", type=Path, help="write every sample and engine call here")
    ap.add_argument("--from", dest="first", metavar="STAGE",
                    help="rerun this stage of a finished run and those after it (--resume)")
    ap.add_argument("cli", nargs=argparse.REMAINDER, help="-- then spinelink's arguments")
    args = ap.parse_args()
    cli = args.cli[1:] if args.cli[:1] == ["--"] else args.cli
    import pyarrow as pa

    from spinelink.backends import duckdb_engine as de

    t0 = time.perf_counter()
    calls: list[tuple] = []  # (start, end, stage, kind, sql head)
    running: list[tuple] = []  # the outermost engine call running
    samples: list[tuple] = []
    stage, cursors = ["(start)"], []

    init = de.DuckDBEngine.__init__

    def opened(self, *a, **k):
        init(self, *a, **k)
        cursors.append(self.con.cursor())
    de.DuckDBEngine.__init__ = opened

    def timed(cls, name, label=None):
        orig = getattr(cls, name)

        def wrapper(self, *a, **k):
            sql = re.sub(r"\s+", " ", next((x for x in a if isinstance(x, str)), ""))[:100]
            start = time.perf_counter() - t0
            outer = not running
            if outer:
                running.append((label or name, sql))
            try:
                return orig(self, *a, **k)
            finally:
                if outer:
                    running.clear()
                calls.append((start, time.perf_counter() - t0, stage[0], label or name, sql))
        setattr(cls, name, wrapper)

    for n in CALLS:
        if hasattr(de.DuckDBEngine, n):
            timed(de.DuckDBEngine, n)
    from splink.internals.duckdb import database_api as splink_duckdb

    timed(splink_duckdb.DuckDBAPI, "_execute_sql_against_backend", "splink")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from query_times import follow_stages, run_spinelink

    follow_stages(stage, args.first)
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            duck: dict = {}
            if cursors:
                try:
                    duck = {t: (m // MIB, s // MIB)
                            for t, m, s in cursors[-1].execute(DUCK).fetchall()}
                except Exception:  # the connection closing: no DuckDB figures
                    duck = {}
            call = running[0] if running else ("", "")
            samples.append((round(time.perf_counter() - t0, 2), stage[0], _rss(), duck,
                            pa.total_allocated_bytes() // MIB, _heap(), *call))
            stop.wait(args.every)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    run_spinelink(cli)
    stop.set()
    thread.join()
    _report(samples)
    if args.json:
        args.json.write_text(json.dumps({"samples": samples, "calls": calls}))


def _report(samples: list[tuple]) -> None:
    """The peak sample, then per stage its highest resident memory and its parts."""
    if not samples:
        return
    by_stage: dict[str, tuple] = defaultdict(tuple)
    for s in samples:
        if not by_stage[s[1]] or s[2] > by_stage[s[1]][2]:
            by_stage[s[1]] = s
    print(f"{'stage':<26}{'t s':>8}{'RSS MiB':>9}{'DuckDB':>8}{'spilled':>8}{'rest':>7}"
          f"{'Arrow':>7}{'heap':>7}  call")
    peak = max(samples, key=lambda s: s[2])
    for st, s in sorted(by_stage.items(), key=lambda kv: kv[1][0]):
        duck = sum(m for m, _ in s[3].values())
        spilled = sum(t for _, t in s[3].values())
        mark = "*" if s is peak else " "
        print(f"{mark}{st[:25]:<25}{s[0]:>8.1f}{s[2]:>9}{duck:>8}{spilled:>8}{s[2] - duck:>7}"
              f"{s[4]:>7}{s[5] if s[5] is not None else '-':>7}  {s[6]} {s[7][:60]}")
    print("DuckDB by tag at the peak (MiB in memory, spilled):",
          ", ".join(f"{t} {m}/{d}" for t, (m, d) in sorted(peak[3].items())))


if __name__ == "__main__":
    main()
