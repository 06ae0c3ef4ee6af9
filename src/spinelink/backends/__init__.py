"""The only place that knows which engine runs.

`open_engine(job_resources, backend, seed)` returns an Engine; every stage talks to it
through the small interface of `Engine` (run SQL with bound parameters, read and write
Parquet atomically, hand Splink its db_api). DuckDB is the embedded default.
"""
from __future__ import annotations

from spinelink.backends.base import Engine
from spinelink.errors import SpinelinkError


def open_engine(backend: str = "duckdb", *, memory_limit=None, threads=None, temp_dir=None,
                spark_conf=None) -> Engine:
    if backend == "duckdb":
        from spinelink.backends.duckdb_engine import DuckDBEngine

        return DuckDBEngine(memory_limit=memory_limit, threads=threads, temp_dir=temp_dir)
    if backend == "spark":
        raise SpinelinkError("backend 'spark' is not available yet in this version (see issue 5)")
    raise SpinelinkError(f"unknown backend {backend!r}: expected duckdb or spark")


__all__ = ["Engine", "open_engine"]
