"""The engine interface every stage uses."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa


class Engine(ABC):
    name: str
    # registered tables live in this process as Arrow: a column added to one in Python is
    # free (DuckDB); on Spark it would stage the whole table again
    local_tables: bool = False

    @abstractmethod
    def execute(self, sql: str, params: dict[str, Any] | None = None) -> None:
        """Run SQL for its effect (CREATE ..., INSERT ...)."""

    @abstractmethod
    def df(self, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Run a query and return a pandas DataFrame."""

    @abstractmethod
    def arrow(self, sql: str, params: dict[str, Any] | None = None) -> pa.Table:
        """Run a query and return an Arrow table."""

    @abstractmethod
    def register(self, name: str, data: pd.DataFrame | pa.Table) -> None:
        """Make an in-memory table available to SQL under `name` (a trusted name)."""

    @abstractmethod
    def view_parquet(self, name: str, path: Path) -> None:
        """Create or replace a view `name` over a Parquet file."""

    @abstractmethod
    def load_parquet(self, name: str, path: Path) -> None:
        """Create or replace a table `name` holding a Parquet file's rows."""

    @abstractmethod
    def write_parquet(self, sql: str, path: Path, params: dict[str, Any] | None = None) -> int:
        """Write the result of `sql` to `path` atomically (temp file, then rename); return rows."""

    @contextmanager
    def keeping(self, path: Path, name: str) -> Iterator[None]:
        """While open, what `write_parquet` writes to `path` may also be kept as table
        `name`, so that `load_parquet(name, path)` of the unchanged file reads nothing (the
        standardised tables: written by one stage, loaded for linkage). No-op by default."""
        yield

    @abstractmethod
    def splink_db_api(self):
        """The Splink db_api object for this engine."""

    @contextmanager
    def ordered_sums(self) -> Iterator[None]:
        """Within: Splink's EM sums add up in the same order run after run, so that its
        m-probabilities, and every probability scored with them, repeat to the last digit
        (spinelink.training runs its EM sessions here). Engines whose sums already do, or
        cannot, leave this as it is."""
        yield

    def scalar(self, sql: str, params: dict[str, Any] | None = None):
        return self.df(sql, params).iat[0, 0]

    def create_table(self, name: str, query: str, params: dict[str, Any] | None = None,
                     temp: bool = False) -> None:
        """Create or replace table `name` holding the rows of `query` (one SELECT)."""
        from spinelink.sqlfiles import quote_ident

        kind = "TEMP TABLE" if temp else "TABLE"
        self.execute(f"CREATE OR REPLACE {kind} {quote_ident(name)} AS {query}", params)

    def insert(self, name: str, query: str, params: dict[str, Any] | None = None) -> None:
        """Append the rows of `query` (one SELECT, columns in the table's order)."""
        from spinelink.sqlfiles import quote_ident

        self.execute(f"INSERT INTO {quote_ident(name)} {query}", params)

    def count(self, name: str) -> int:
        """The number of rows of a table or view."""
        from spinelink.sqlfiles import quote_ident

        return int(self.scalar(f"SELECT count(*) FROM {quote_ident(name)}"))

    def union_by_name(self, tables: list[str]) -> str:
        """One SELECT of the rows of `tables` one after the other, their columns matched by
        name (the first table's, then any others'; NULL where a table lacks one): DuckDB's
        `UNION ALL BY NAME`, which Spark's SQL lacks."""
        from spinelink.sqlfiles import quote_ident

        have = {t: self.columns(t) for t in tables}
        cols = list(dict.fromkeys(c for t in tables for c in have[t]))
        return " UNION ALL ".join(
            "SELECT " + ", ".join(quote_ident(c) if c in have[t] else f"NULL AS {quote_ident(c)}"
                                  for c in cols) + f" FROM {quote_ident(t)}" for t in tables)

    def memory_bytes(self) -> int | None:
        """The engine's memory limit in bytes, or None when it is not known (an engine
        that sizes its own, such as Spark's executors)."""
        return None

    def columns(self, table: str) -> list[str]:
        """The column names of a table or view, in order."""
        from spinelink.sqlfiles import quote_ident

        return list(self.df(f"SELECT * FROM {quote_ident(table)} LIMIT 0").columns)

    def release(self, *names: str, prefixes: tuple[str, ...] = ()) -> None:  # noqa: B027
        """Free a stage's scratch: the tables, views and registered frames named, and those
        whose name starts with one of `prefixes`; names not held are ignored. An engine that
        holds nothing between queries has nothing to free."""

    def release_splink(self) -> None:  # noqa: B027
        """Free the tables Splink made through this engine's database (blocked pairs,
        comparison vectors, term frequencies). No-op by default: an engine whose Splink
        tables are not held in this process's memory has nothing to gain."""

    def row_hashes(self, table: str) -> pd.DataFrame:
        """`record_id` and `h` (both text): a hash of each whole row of `table`, equal for
        equal rows within one engine (not across engines)."""
        from spinelink.sqlfiles import quote_ident

        rows = self.df(f"SELECT * FROM {quote_ident(table)}")
        h = pd.util.hash_pandas_object(rows.astype("string"), index=False).astype(str)
        return pd.DataFrame({"record_id": rows["record_id"].astype(str), "h": h})

    def close(self) -> None:  # noqa: B027  # pragma: no cover - nothing to release by default
        pass
