"""DuckDB engine: embedded, spills to a temp directory under a memory limit."""
from __future__ import annotations

import sys
import warnings
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
    local_tables = True

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
        self._keep: dict[str, str] = {}  # path -> table its writes are kept as (keeping)
        self._kept: dict[str, tuple] = {}  # table -> (path, the file's signature)

    def execute(self, sql, params=None):
        self.con.execute(sql, params or {})

    def df(self, sql, params=None) -> pd.DataFrame:
        return self.con.execute(sql, params or {}).df()

    def memory_bytes(self) -> int | None:
        from spinelink.memory_sizes import duckdb_bytes

        return duckdb_bytes(self.con.execute(
            "SELECT current_setting('memory_limit')").fetchone()[0])

    # a table's columns and row count without a pandas frame (a few ms each, a few dozen
    # calls a run)
    def columns(self, table: str) -> list[str]:
        from spinelink.sqlfiles import quote_ident

        result = self.con.execute(f"SELECT * FROM {quote_ident(table)} LIMIT 0")
        names = [d[0] for d in result.description]
        result.fetchall()  # the result finished (DuckDB refuses other work until it is)
        return names

    def count(self, name: str) -> int:
        from spinelink.sqlfiles import quote_ident

        return int(self.con.execute(f"SELECT count(*) FROM {quote_ident(name)}").fetchall()[0][0])

    def arrow(self, sql, params=None) -> pa.Table:
        # execute, not con.sql(...).to_arrow_table(): a relation binds the query once to
        # be made and again to run, and binding is most of a small query's cost here (the
        # cleaning macros' Unicode regular expressions, the romanisation macro's nested
        # replaces: 20 ms a query, 0.05-0.1 s of every standardisation). DuckDB warns
        # that a result's Arrow output is one more copy of its rows: 13 ms at 2M rows.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Arrow output on a DB-API result", UserWarning)
            return self.con.execute(sql, params or {}).to_arrow_table()

    def register(self, name, data):
        # unregister touches registered objects only (a no-op for any other name), so it
        # needs no look-up of the registered names first (a query per call)
        self._kept.pop(name, None)
        self.con.unregister(name)
        self.con.register(name, data)

    def release(self, *names, prefixes=()):
        # an in-memory database holds every table's rows until it is dropped, and a
        # registered frame's until it is unregistered: at a million records a link stage
        # left 2.7 GB of tables no later stage reads (its peak was set with them held)
        held = self.con.execute(
            "SELECT table_name, 'TABLE' FROM duckdb_tables() UNION ALL "
            "SELECT view_name, 'VIEW' FROM duckdb_views() WHERE NOT internal").fetchall()
        wanted = set(names) | {n for n, _ in held if n.startswith(tuple(prefixes))}
        for name in wanted:  # registered frames first (a no-op for any other name)
            self.con.unregister(name)
        for name, kind in held:
            if name in wanted:
                self._kept.pop(name, None)
                self.con.execute(f"DROP {kind} IF EXISTS {quote_ident(name)}")

    def create_table(self, name, query, params=None, temp=False):
        self._kept.pop(name, None)
        super().create_table(name, query, params, temp)

    def view_parquet(self, name, path):
        self.con.execute(
            f"CREATE OR REPLACE VIEW {quote_ident(name)} AS "
            f"SELECT * FROM read_parquet({_sql_string(str(path))})"
        )

    def load_parquet(self, name, path):
        if self._kept.get(name) == (str(path), _signature(path)):
            return  # the table is what this engine wrote to the file, which is unchanged
        self._kept.pop(name, None)
        self.con.execute(
            f"CREATE OR REPLACE TABLE {quote_ident(name)} AS "
            f"SELECT * FROM read_parquet({_sql_string(str(path))})"
        )

    def write_parquet(self, sql, path, params=None) -> int:
        name = self._keep.get(str(path))
        # with another kept table held (the reference's, while a source is standardised) the
        # file is written first and the table loaded from it (as a resume loads it): a table
        # made by the statement itself holds its rows while the statement's sort still
        # holds them, beside the other table (5M persons: 1.45 + 2.26 + 1.72 GB, the run's
        # peak). Alone (the first kept write) the table is made first and the file written
        # from it, which needs no second read (session 52)
        first = name is not None and not set(self._kept) - {name}
        if first:
            self._kept.pop(name, None)
            self.con.execute(f"CREATE OR REPLACE TABLE {quote_ident(name)} AS {sql}",
                             params or {})
            sql, params = f"SELECT * FROM {quote_ident(name)}", None
        with atomic_path(Path(path)) as tmp:
            n = self.con.execute(
                f"COPY ({sql}) TO {_sql_string(str(tmp))} (FORMAT PARQUET, COMPRESSION ZSTD)",
                params or {},
            ).fetchone()[0]
        if name is not None and not first:
            self._kept.pop(name, None)
            self.load_parquet(name, path)
            # the bytes a write from the table makes (its columns' null marks)
            if n == 0 or self._nullable_without_nulls(path):
                with atomic_path(Path(path)) as tmp:
                    self.con.execute(f"COPY (SELECT * FROM {quote_ident(name)}) TO "
                                     f"{_sql_string(str(tmp))} (FORMAT PARQUET, "
                                     f"COMPRESSION ZSTD)")
        if name is not None:
            self._kept[name] = (str(path), _signature(path))
        return int(n)

    def _nullable_without_nulls(self, path) -> bool:
        """Whether the file has a column written nullable that holds no null: DuckDB
        writes a column REQUIRED when the statistics of what it writes show no null, and a
        table's do where a statement's (through a join and a sort) may not, so the same
        rows written from a statement and from a table can differ in their bytes."""
        f = _sql_string(str(path))
        return bool(self.con.execute(
            f"SELECT coalesce(bool_or(n = 0 OR n IS NULL), false) FROM ("
            f"SELECT path_in_schema, sum(stats_null_count) AS n FROM parquet_metadata({f}) "
            f"GROUP BY ALL) m JOIN parquet_schema({f}) s ON s.name = m.path_in_schema "
            f"AND s.repetition_type = 'OPTIONAL'").fetchone()[0])

    @contextmanager
    def keeping(self, path, name):
        self._keep[str(path)] = name
        try:
            yield
        finally:
            self._keep.pop(str(path), None)

    @contextmanager
    def ordered_sums(self) -> Iterator[None]:
        """Splink's EM iterations over its comparison vectors in pair order, on one thread: a
        parallel sum adds the threads' partial sums in the order they finish, and the
        vectors' join writes its rows in the order the threads do, so EM's m-probabilities
        (and every match probability with them) differed in their 12th digit between two
        runs at a million records. The vectors themselves are made on every thread, sorted
        as they are made (the statement that makes them ends in the ORDER BY: a sorted copy
        of the finished table was a second pass over 300,000 wide rows a session, 0.75 s of
        CPU at a million records). The pair is its two records' ids: Splink's
        `unique_id_input_columns` (spinelink's models name the id `record_id`: sorted by the
        dataset names alone, the rows kept the join's order and the 12th digit moved
        still), else the default names; a table not made sorted is sorted here."""
        from splink.internals import em_training_session as session

        original = session.expectation_maximisation
        vectors = session.compute_comparison_vector_values_from_id_pairs_sqls
        made_sorted: list[list[str]] = []  # the ids the last vectors statement sorted by

        def sorted_vectors(*args, **kw):
            sqls = vectors(*args, **kw)
            ids = _pair_ids(kw.get("unique_id_input_column"),
                            kw.get("source_dataset_input_column"))
            made_sorted[:] = [ids] if ids else []
            if ids:
                last = sqls[-1]
                sqls = [*sqls[:-1], {**last, "sql": f"{last['sql']}\nORDER BY "
                                     + ", ".join(quote_ident(c) for c in ids)}]
            return sqls

        def in_order(*args, df_comparison_vector_values, **kwargs):
            table = quote_ident(df_comparison_vector_values.physical_name)
            have = self.columns(df_comparison_vector_values.physical_name)
            named = [n for c in kwargs.get("unique_id_input_columns") or []
                     for n in (c.unquote().name_l, c.unquote().name_r)]
            ids = list(dict.fromkeys(
                [n for n in named if n in have]
                + [c for c in have if c.startswith(("source_dataset_", "unique_id_"))]))
            if made_sorted != [ids]:
                self.con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {table} "
                                 f"ORDER BY {', '.join(quote_ident(c) for c in ids)}")
            made_sorted.clear()
            threads = int(self.scalar("SELECT current_setting('threads')"))
            self.con.execute("SET threads = 1")
            try:
                return original(*args, df_comparison_vector_values=df_comparison_vector_values,
                                **kwargs)
            finally:
                self.con.execute(f"SET threads = {threads}")

        session.expectation_maximisation = in_order
        session.compute_comparison_vector_values_from_id_pairs_sqls = sorted_vectors
        try:
            yield
        finally:
            session.expectation_maximisation = original
            session.compute_comparison_vector_values_from_id_pairs_sqls = vectors

    def splink_db_api(self):
        if self._db_api is None:
            from splink import DuckDBAPI

            self._db_api = DuckDBAPI(connection=self.con)
        return self._db_api

    def release_splink(self):
        from spinelink import splink_compat

        splink_compat.release_tables(self.splink_db_api())

    def row_hashes(self, table):
        # the row's hash in the engine (0.3 s in pandas at 20,000 rows)
        return self.df(f"SELECT CAST(record_id AS VARCHAR) AS record_id, "
                       f"CAST(hash(t) AS VARCHAR) AS h FROM {quote_ident(table)} t")

    def close(self):
        self.con.close()


def _signature(path) -> tuple:
    """What tells a rewritten file from the one written (inode, size, modification time)."""
    st = Path(path).stat()
    return st.st_ino, st.st_size, st.st_mtime_ns


def _sql_string(s: str) -> str:
    """A string literal (COPY ... TO does not take a bound parameter for its path)."""
    return "'" + s.replace("'", "''") + "'"


def _pair_ids(uid, source_dataset) -> list[str]:
    """The columns `ordered_sums` sorts EM's vectors by, in the order `in_order` finds them
    (Splink's `unique_id_input_columns`: the dataset name, when there is one, then the id;
    each as its _l, _r pair)."""
    if uid is None:
        return []
    cols = [source_dataset, uid] if source_dataset is not None else [uid]
    return list(dict.fromkeys(n for c in cols for n in (c.unquote().name_l,
                                                       c.unquote().name_r)))
