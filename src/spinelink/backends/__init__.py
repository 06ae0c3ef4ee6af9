"""The only place that knows which engine runs.

`open_engine(backend, ...)` returns an Engine; every stage talks to it through the small
interface of `Engine` (run SQL with bound parameters, read and write Parquet atomically,
hand Splink its db_api). DuckDB is the embedded default; `spark` runs the same stages on
Apache Spark (spark_engine.py, with the DuckDB SQL translated by sql_translate.py).
"""
from __future__ import annotations

from spinelink.backends.base import Engine
from spinelink.errors import JobError


def open_engine(backend: str = "duckdb", *, memory_limit=None, threads=None, temp_dir=None,
                spark_conf=None, work_dir=None) -> Engine:
    """`spark_conf`: the job's `spark:` section (config.Spark) or a dict of its keys;
    `work_dir`: where the Spark engine keeps staged tables and checkpoints (default:
    `temp_dir`, else the system temp folder)."""
    if backend == "duckdb":
        from spinelink.backends.duckdb_engine import DuckDBEngine

        return DuckDBEngine(memory_limit=memory_limit, threads=threads, temp_dir=temp_dir)
    if backend == "spark":
        try:
            from spinelink.backends.spark_engine import SparkEngine
        except ImportError as e:  # the job asks for a backend not installed: exit 2
            raise JobError(f"backend 'spark' needs pyspark ({e.name} is missing): "
                                 "pip install 'spinelink[spark]'") from None
        sc = spark_conf if isinstance(spark_conf, dict) else (
            spark_conf.model_dump() if spark_conf is not None else {})
        return SparkEngine(master=sc.get("master") or "local[2]", config=sc.get("config"),
                           checkpoint_dir=sc.get("checkpoint_dir"),
                           app_name=sc.get("app_name") or "spinelink",
                           work_dir=work_dir or temp_dir, memory_limit=memory_limit,
                           threads=threads)
    raise JobError(f"unknown backend {backend!r}: expected duckdb or spark")


__all__ = ["Engine", "open_engine"]
