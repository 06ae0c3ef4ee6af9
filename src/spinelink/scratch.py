"""One in-memory DuckDB per process for the small work done outside the engine (the
catalogue file, telling a delivery's changed rows): each use takes a cursor of it.

Starting a DuckDB database costs about 14 ms (its buffer manager, catalog and settings),
and a run needed four for a few small queries: a quarter of the catalogue's and the
incremental checks' time at 20,000 records. A cursor of one database costs nothing; a
file is attached to it (`ATTACH`, about 1 ms) rather than opened as a database of its own.
The database is never the engine's (which may be Spark's, or hold a job's memory limit).
"""
from __future__ import annotations

import itertools
import threading

import duckdb

_LOCK = threading.Lock()
_HOST: duckdb.DuckDBPyConnection | None = None
_NAMES = itertools.count(1)


def cursor() -> duckdb.DuckDBPyConnection:
    """A connection of its own (its own default database, registered tables and
    transaction) to the process's scratch database; close it when done."""
    global _HOST
    with _LOCK:
        if _HOST is None:
            _HOST = duckdb.connect(":memory:")
        return _HOST.cursor()


def alias() -> str:
    """A name for one more attached file, unused in this process."""
    with _LOCK:
        return f"__sl_file_{next(_NAMES)}"


def string(s: str) -> str:
    """A string literal (ATTACH does not take a bound parameter for its path)."""
    return "'" + s.replace("'", "''") + "'"
