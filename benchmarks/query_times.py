"""Where a run's stages spend their time: `spinelink run` with every DuckDB engine call
timed (wall and process CPU, which counts every thread), grouped by the stage running.

    PYTHONPATH=$PWD/src python benchmarks/query_times.py --top 8 -- run job.yaml --output-dir O

prints, per stage, the time inside engine calls and Splink's statements (kind `splink`)
and its slowest calls (the first words of the SQL, never values), after the run's own
output. A call made inside another timed call (an `insert` runs an `execute`) is listed but
counted once in the stage's sum. `--from STAGE` reruns a finished run's STAGE and every
stage after it with the running code (on a copy of the run's folder: its checkpoint is
rewritten, as `quality_resume.py` does), e.g. the probabilistic stage alone at 1M:

    cp -r W/spinelink_out O && PYTHONPATH=$PWD/src python benchmarks/query_times.py \
        --from link:benefits -- run W/job.yaml --output-dir O --resume
"""
from __future__ import annotations

import argparse
import gc
import logging
import re
import sys
import time
from collections import defaultdict

CALLS = ("execute", "df", "arrow", "write_parquet", "create_table", "insert", "load_parquet",
         "register", "release", "scalar", "count", "columns")


def follow_stages(stage: list, first: str | None) -> None:
    """Keep `stage[0]` the name of the stage running (from the `<stage> ...` log line);
    with `first`, rerun from that stage on the work folder's checkpoint."""
    if first:
        from pathlib import Path

        from spinelink import pipeline

        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import quality_resume

        pipeline.open_checkpoint = quality_resume.forgetting(first=first)

    class StageLines(logging.Handler):
        def emit(self, record):
            m = re.match(r"^(\S+) \.\.\.$", record.getMessage())
            if m:
                stage[0] = m.group(1)

    logging.getLogger("spinelink").addHandler(StageLines())


def run_spinelink(cli: list[str]) -> None:
    """`spinelink <cli>` in this process, as the console script runs it."""
    gc.disable()  # as the console script does (spinelink.cli.entry)
    from spinelink.cli import main as spinelink_main

    sys.argv = ["spinelink", *cli]
    try:
        spinelink_main()
    except SystemExit:
        pass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--top", type=int, default=8, help="slowest calls shown per stage")
    ap.add_argument("--from", dest="first", metavar="STAGE",
                    help="rerun this stage of a finished run and those after it (--resume)")
    ap.add_argument("cli", nargs=argparse.REMAINDER, help="-- then spinelink's arguments")
    args = ap.parse_args()
    cli = args.cli[1:] if args.cli[:1] == ["--"] else args.cli
    from spinelink.backends import duckdb_engine as de

    calls: list[tuple[str, str, float, float, str]] = []
    stage = ["(start)"]
    depth = [0]

    def timed(name, cls=de.DuckDBEngine, label=None):
        orig = getattr(cls, name)

        def wrapper(self, *a, **k):
            t0, c0 = time.perf_counter(), time.process_time()
            depth[0] += 1
            try:
                return orig(self, *a, **k)
            finally:
                depth[0] -= 1
                first = next((x for x in a if isinstance(x, str)), "")
                sql = re.sub(r"\s+", " ", first)[:100]
                kind = (label or name) if depth[0] == 0 else f"({label or name})"
                calls.append((stage[0], kind, time.perf_counter() - t0,
                              time.process_time() - c0, sql))
        setattr(cls, name, wrapper)

    for n in CALLS:
        if hasattr(de.DuckDBEngine, n):
            timed(n)
    from splink.internals.duckdb import database_api as splink_duckdb

    timed("_execute_sql_against_backend", splink_duckdb.DuckDBAPI, "splink")
    follow_stages(stage, args.first)
    run_spinelink(cli)
    by_stage: dict[str, list] = defaultdict(list)
    for c in calls:
        by_stage[c[0]].append(c)
    for st, rows in by_stage.items():
        outer = [r for r in rows if not r[1].startswith("(")]
        wall, cpu = sum(r[2] for r in outer), sum(r[3] for r in outer)
        print(f"== {st}: {len(outer)} engine calls, {wall:.2f} s wall, {cpu:.2f} s CPU")
        for r in sorted(outer, key=lambda r: -r[2])[:args.top]:
            print(f"   {r[2]:7.3f} {r[3]:7.3f} {r[1]:<13} {r[4]}")


if __name__ == "__main__":
    main()
