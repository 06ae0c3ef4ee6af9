"""The only place that knows which engine runs.

`open_engine(backend, ...)` returns an Engine; every stage talks to it through the small
interface of `Engine` (run SQL with bound parameters, read and write Parquet atomically,
hand Splink its db_api). DuckDB is the embedded default; `spark` runs the same stages on
Apache Spark (spark_engine.py, with the DuckDB SQL translated by sql_translate.py).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

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
        try:
            return SparkEngine(master=sc.get("master") or "local[2]", config=sc.get("config"),
                               checkpoint_dir=sc.get("checkpoint_dir"),
                               app_name=sc.get("app_name") or "spinelink",
                               work_dir=work_dir or temp_dir, memory_limit=memory_limit,
                               threads=threads)
        except RuntimeError as e:  # pyspark's own: no JVM started (exit 2, not internal)
            if getattr(e, "getErrorClass", lambda: None)() != "JAVA_GATEWAY_EXITED":
                raise
            raise JobError(f"backend 'spark' could not start Java: {_java()}; Spark 3.5 "
                           "runs on Java 8, 11 or 17: install a JDK and set JAVA_HOME, or "
                           "run with --backend duckdb") from None
    raise JobError(f"unknown backend {backend!r}: expected duckdb or spark")


def _java() -> str:
    """Where pyspark looks for Java (JAVA_HOME, else `java` on PATH) and what it found."""
    home = os.environ.get("JAVA_HOME")
    if home:
        java = Path(home, "bin", "java")
        return (f"JAVA_HOME is {home}, which has no bin/java" if not java.exists()
                else f"{java} (JAVA_HOME) did not start")
    found = shutil.which("java")
    return (f"{found} (on PATH) did not start" if found
            else "JAVA_HOME is not set and there is no java on PATH")


__all__ = ["Engine", "open_engine"]
