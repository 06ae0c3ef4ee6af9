"""DuckDB engine: embedded, spills to a temp directory under a memory limit."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from spinelink.atomic import atomic_path
from spinelink.backends.base import Engine
from spinelink.sqlfiles import quote_ident


def _terminal() -> bool:
    """DuckDB draws its bar on standard output: only when both streams are a terminal."""
    return sys.stdout.isatty() and sys.stderr.isatty()


class DuckDBEngine(Engine):
    name = "duckdb"

    def __init__(self, memory_limit: str | None = None, threads: int | None = None,
                 temp_dir: str | None = None):
        config: dict[str, Any] = {"preserve_insertion_order": True}
        if memory_limit:
            config["memory_limit"] = memory_limit
        if threads:
            config["threads"] = int(threads)
        if temp_dir:
            config["temp_directory"] = str(temp_dir)
        self.con = duckdb.connect(":memory:", config=config)
        # on a terminal, DuckDB's own bar (with the time remaining) shows for any query
        # over two seconds: the single-statement stages (intake, standardise, keys)
        self.con.execute(f"SET enable_progress_bar = {str(_terminal()).lower()}")
        self._db_api = None

    def execute(self, sql, params=None):
        self.con.execute(sql, params or {})

    def df(self, sql, params=None) -> pd.DataFrame:
        return self.con.execute(sql, params or {}).df()

    def arrow(self, sql, params=None) -> pa.Table:
        return self.con.sql(sql, params=params or None).to_arrow_table()

    def register(self, name, data):
        self.con.unregister(name) if name in self._registered() else None
        self.con.register(name, data)

    def _registered(self) -> set[str]:
        rows = self.con.execute("SELECT view_name FROM duckdb_views() WHERE temporary").fetchall()
        return {r[0] for r in rows}

    def view_parquet(self, name, path):
        self.con.execute(
            f"CREATE OR REPLACE VIEW {quote_ident(name)} AS "
            f"SELECT * FROM read_parquet({_sql_string(str(path))})"
        )

    def load_parquet(self, name, path):
        self.con.execute(
            f"CREATE OR REPLACE TABLE {quote_ident(name)} AS "
            f"SELECT * FROM read_parquet({_sql_string(str(path))})"
        )

    def write_parquet(self, sql, path, params=None) -> int:
        with atomic_path(Path(path)) as tmp:
            n = self.con.execute(
                f"COPY ({sql}) TO {_sql_string(str(tmp))} (FORMAT PARQUET, COMPRESSION ZSTD)",
                params or {},
            ).fetchone()[0]
        return int(n)

    @contextmanager
    def ordered_sums(self) -> Iterator[None]:
        """One thread: a parallel sum adds the threads' partial sums in the order they
        finish, so EM's m-probabilities differed in their 12th digit from run to run at a
        million records (and with them every match probability)."""
        threads = int(self.con.execute("SELECT current_setting('threads')").fetchone()[0])
        self.con.execute("SET threads = 1")
        try:
            yield
        finally:
            self.con.execute(f"SET threads = {threads}")

    def splink_db_api(self):
        if self._db_api is None:
            from splink import DuckDBAPI

            self._db_api = DuckDBAPI(connection=self.con)
        return self._db_api

    def close(self):
        self.con.close()


def _sql_string(s: str) -> str:
    """A string literal (COPY ... TO does not take a bound parameter for its path)."""
    return "'" + s.replace("'", "''") + "'"
