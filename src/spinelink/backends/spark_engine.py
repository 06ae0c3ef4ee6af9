"""Spark engine: the same stages on Apache Spark (local mode or a cluster).

Tables live as Spark temporary views. The stages' DuckDB SQL is translated by
`sql_translate.SparkTranslator`; the statements that change tables are carried out on
DataFrames:

* `CREATE [OR REPLACE] [TEMP] TABLE t AS q` -> q's DataFrame, materialised (its lineage
  cut: a local checkpoint in local mode, a reliable checkpoint on a cluster), as view t;
* `CREATE [OR REPLACE] [TEMP] TABLE t (col TYPE, ...)` -> an empty DataFrame of that schema;
* `CREATE [OR REPLACE] [TEMP] VIEW v AS q` -> q's DataFrame as view v (bound when made:
  a view made over another view keeps the rows that view had then);
* `INSERT INTO t q` -> t UNION ALL q (by position, cast to t's types), materialised;
* `DELETE FROM t WHERE c` -> the rows of t where c is not true, materialised;
* `DROP TABLE|VIEW [IF EXISTS] t` -> the view dropped.

In-memory tables (`register`) are staged as Parquet files in the engine's work folder
and read back by Spark, so their types are kept exactly. `write_parquet` writes one
Parquet file (Spark writes a single partition into the work folder; the file is then
moved to a temp name beside the target and renamed), with the same column types as the
DuckDB engine (VARCHAR -> string, DOUBLE, BIGINT, INTEGER, DATE).

On a cluster the output folder and the work folder must be on a file system that the
driver and every executor see at the same path (see docs/spark.md).
"""
from __future__ import annotations

import itertools
import logging
import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from spinelink.atomic import WriteError, atomic_path
from spinelink.backends.base import Engine
from spinelink.backends.spark_support import (
    DEFAULT_CONF,
    REQUIRED_CONF,
    _conf_value,
    _never,
    _quiet_codegen,
    _register_similarity_aliases,
    _strip_accents_udf,
    _table_name,
    _to_arrow,
)
from spinelink.backends.sql_translate import (
    STRIP_ACCENTS_UDF,
    SparkTranslator,
    TranslationError,
)
from spinelink.errors import JobError, SpinelinkError
from spinelink.memory_sizes import spark_memory

log = logging.getLogger("spinelink.spark")

class SparkEngine(Engine):
    name = "spark"

    def __init__(self, master: str = "local[2]", config: dict[str, Any] | None = None,
                 checkpoint_dir: str | None = None, work_dir: str | Path | None = None,
                 app_name: str = "spinelink", memory_limit: str | None = None,
                 threads: int | None = None):
        try:
            from pyspark.sql import SparkSession
            from pyspark.sql.types import StringType
        except ImportError:
            raise JobError("backend 'spark' needs pyspark: pip install "
                                 "'spinelink[spark]' (and Java 17)") from None
        from splink.backends.spark import similarity_jar_location

        if threads and master == "local[2]":
            master = f"local[{int(threads)}]"
        self.local = master.startswith("local")
        base = Path(work_dir) if work_dir else Path(tempfile.gettempdir())
        self._work = base / f"spark-{uuid.uuid4().hex[:12]}"
        self._work.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._owns_work = True
        conf = dict(DEFAULT_CONF)
        if self.local:  # stay on the loopback interface
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            conf["spark.driver.host"] = "127.0.0.1"
            conf["spark.driver.bindAddress"] = "127.0.0.1"
            cores = re.fullmatch(r"local\[(\d+)\]", master)
            n = int(cores.group(1)) if cores else os.cpu_count() or 2
            conf["spark.sql.shuffle.partitions"] = str(max(2, n))
            conf["spark.default.parallelism"] = str(max(2, n))
            # many small queries: adaptive execution adds a job per shuffle and gains
            # little with few partitions (a job's spark.config may turn it back on)
            conf["spark.sql.adaptive.enabled"] = "false"
        mem = spark_memory(memory_limit)
        if mem:
            conf["spark.driver.memory"] = mem
        conf.update({str(k): _conf_value(v) for k, v in (config or {}).items()})
        conf.update(REQUIRED_CONF)
        jar = similarity_jar_location()
        jars = [j for j in str(conf.get("spark.jars", "")).split(",") if j]
        conf["spark.jars"] = ",".join([*jars, jar] if jar not in jars else jars)
        builder = SparkSession.builder.master(master).appName(app_name)
        for k, v in conf.items():
            builder = builder.config(k, v)
        active = SparkSession.getActiveSession()
        self._owns_session = active is None
        self.spark = builder.getOrCreate()
        for k, v in REQUIRED_CONF.items():  # a session that already existed
            self.spark.conf.set(k, v)
        self.spark.sparkContext.setLogLevel(str(conf.get("spark.log.level", "ERROR")).upper())
        if "spark.log.level" not in (config or {}):
            _quiet_codegen(self.spark)
        ckpt = checkpoint_dir or str(self._work / "checkpoints")
        self.spark.sparkContext.setCheckpointDir(ckpt)
        self.spark.udf.register(STRIP_ACCENTS_UDF, _strip_accents_udf(), StringType())
        _register_similarity_aliases(self.spark)
        self.translator = SparkTranslator()
        self._counter = itertools.count()
        self._parquet_views: dict[str, str] = {}
        # tables with rows inserted but not yet materialised (done when next read)
        self._pending: dict[str, Any] = {}
        self._frames: dict[str, Any] = {}  # materialised tables by name
        self._counts: dict[str, int] = {}  # and their row counts
        self._db_api = None
        log.info("spark %s, master %s, work folder %s", self.spark.version, master,
                 self._work)

    # -- running SQL --------------------------------------------------------------------
    def _sql(self, tree: exp.Expression, params: dict[str, Any] | None):
        for t in tree.find_all(exp.Table):
            if t.name in self._pending:
                self._flush(t.name)
        text, args = self.translator.to_spark(tree, params, self._parquet_view)
        log.debug("spark sql: %s", text)
        try:
            return self.spark.sql(text, args=args) if args else self.spark.sql(text)
        except Exception as e:  # AnalysisException, ParseException, ...
            if isinstance(e, SpinelinkError):
                raise
            msg = str(e).splitlines()[0][:300] if str(e) else type(e).__name__
            raise TranslationError(f"Spark could not run translated SQL: {msg}") from e

    def _one_query(self, sql: str) -> exp.Query:
        stmts = self.translator.parse_script(sql)
        queries = [s for s in stmts if s.tree is not None]
        if len(queries) != 1 or not isinstance(queries[0].tree, exp.Query):
            raise TranslationError("expected one query (SELECT ...)")
        return queries[0].tree

    def _query(self, sql: str, params: dict[str, Any] | None):
        return self._sql(self._one_query(sql), params)

    def execute(self, sql, params=None):
        for st in self.translator.parse_script(sql):
            if st.tree is not None:
                self._statement(st.tree, params)

    def _statement(self, tree: exp.Expression, params):
        if isinstance(tree, exp.Create):
            kind = (tree.args.get("kind") or "").upper()
            target = tree.this
            if kind == "TABLE":
                if isinstance(target, exp.Schema) and tree.expression is None:
                    self._empty_table(_table_name(target.this), target.expressions)
                    return
                if tree.expression is None:
                    raise TranslationError("CREATE TABLE without AS or columns")
                self._set_table(_table_name(target), self._sql(tree.expression, params),
                                tree)
                return
            if kind == "VIEW":
                self._set_view(_table_name(target), self._sql(tree.expression, params), tree)
                return
            raise TranslationError(f"CREATE {kind} is not supported on Spark")
        if isinstance(tree, exp.Insert):
            self._insert(tree, params)
            return
        if isinstance(tree, exp.Delete):
            self._delete(tree, params)
            return
        if isinstance(tree, exp.Drop):
            name = _table_name(tree.this)
            if not self._exists(name) and not tree.args.get("exists"):
                raise TranslationError(f"DROP: no table {name}")
            self._pending.pop(name, None)
            self._frames.pop(name, None)
            self.spark.catalog.dropTempView(name)
            return
        if isinstance(tree, exp.Query):
            self._sql(tree, params).collect()
            return
        raise TranslationError(f"{type(tree).__name__} statements are not supported on Spark")

    def _exists(self, name: str) -> bool:
        return bool(name) and self.spark.catalog.tableExists(name)

    def _check_create(self, name: str, tree: exp.Create) -> None:
        if not tree.args.get("replace") and self._exists(name):
            if tree.args.get("exists"):
                return
            raise TranslationError(f"table {name} already exists")

    def _materialise(self, df):
        """(df with its lineage cut, its row count): one Spark job."""
        cut = df.localCheckpoint(eager=False) if self.local else df.checkpoint(eager=False)
        return cut, cut.count()  # the count computes, and so checkpoints, every partition

    def _store(self, name: str, df) -> None:
        """Materialise df as table `name` (and remember its row count)."""
        self._pending.pop(name, None)
        self._frames[name], self._counts[name] = self._materialise(df)
        self._frames[name].createOrReplaceTempView(name)

    def _set_table(self, name: str, df, tree: exp.Create | None = None) -> None:
        if tree is not None:
            self._check_create(name, tree)
        self._store(name, df)

    def _flush(self, name: str | None = None) -> None:
        """Materialise tables with pending inserts (one, or all)."""
        for n in [name] if name else list(self._pending):
            if n in self._pending:
                self._store(n, self._pending[n])

    def _set_view(self, name: str, df, tree: exp.Create) -> None:
        self._check_create(name, tree)
        self._forget(name)
        df.createOrReplaceTempView(name)

    def _forget(self, name: str) -> None:
        """`name` is about to be something other than a materialised table."""
        self._pending.pop(name, None)
        self._frames.pop(name, None)
        self._counts.pop(name, None)

    def _empty_table(self, name: str, columns: list[exp.Expression]) -> None:
        defs = []
        for c in columns:
            if not isinstance(c, exp.ColumnDef):
                raise TranslationError("only column definitions are supported in CREATE TABLE")
            defs.append(f"`{c.name.replace('`', '``')}` {c.args['kind'].sql(dialect='spark')}")
        self._pending.pop(name, None)
        self._frames[name] = self.spark.createDataFrame([], schema=", ".join(defs))
        self._counts[name] = 0
        self._frames[name].createOrReplaceTempView(name)

    # -- the engine interface, without SQL text in between ----------------------------
    def create_table(self, name, query, params=None, temp=False):
        self._set_table(name, self._query(query, params))

    def insert(self, name, query, params=None):
        tree = self._one_query(query)
        self._append(name, tree, params)

    def count(self, name):
        self._flush(name)
        if name in self._counts:
            return int(self._counts[name])
        return super().count(name)

    def _insert(self, tree: exp.Insert, params) -> None:
        target = tree.this
        if isinstance(target, exp.Schema):
            raise TranslationError("INSERT with a column list is not supported on Spark")
        self._append(_table_name(target), tree.expression, params)

    def _append(self, name: str, query: exp.Expression, params) -> None:
        from pyspark.sql import functions as F

        reads_itself = any(t.name == name for t in query.find_all(exp.Table))
        old = self._pending.pop(name, None)
        if old is None:
            old = self._frames.get(name)
        if old is None:  # made outside this engine: a copy without the view's name in it
            old = self._materialise(self.spark.table(name))[0]
        new = self._sql(query, params)
        if len(new.columns) != len(old.columns):
            raise TranslationError(f"INSERT INTO {name}: {len(new.columns)} columns for a "
                                   f"table of {len(old.columns)}")
        cast = new.select([F.col(f"`{c}`").cast(f.dataType).alias(f.name)
                           for c, f in zip(new.columns, old.schema.fields, strict=True)])
        both = old.unionAll(cast)
        if reads_itself:  # a view may not be defined over itself: materialise now
            self._set_table(name, both)
        else:  # rows are usually inserted in runs: materialise when the table is next read
            self._pending[name] = both
            self._counts.pop(name, None)
            both.createOrReplaceTempView(name)

    def _delete(self, tree: exp.Delete, params) -> None:
        name = _table_name(tree.this)
        where = tree.args.get("where")
        keep = exp.select("*").from_(exp.Table(this=exp.to_identifier(name, quoted=True)))
        if where is not None and _never(where.this, params):
            return  # e.g. `WHERE $one_to_one AND ...` with one_to_one false: nothing to do
        if where is not None:
            cond = exp.Coalesce(this=exp.Paren(this=where.this.copy()),
                                expressions=[exp.false()])
            keep = keep.where(exp.Not(this=cond))
        else:
            keep = keep.where(exp.false())
        self._set_table(name, self._sql(keep, params))

    def _parquet_view(self, path: str) -> str:
        """A view over a Parquet file named in read_parquet(...)."""
        key = str(Path(path).resolve())
        view = f"__sl_parquet_{next(self._counter)}"
        self.spark.read.parquet(key).createOrReplaceTempView(view)
        self._parquet_views[view] = key
        return view

    # -- Engine interface ---------------------------------------------------------------
    def df(self, sql, params=None) -> pd.DataFrame:
        table = self.arrow(sql, params)
        df = table.to_pandas(date_as_object=False)
        for f in table.schema:  # DATE as datetime64[us], as DuckDB's .df() gives it
            if pa.types.is_date(f.type):
                df[f.name] = df[f.name].astype("datetime64[us]")
        return df

    def arrow(self, sql, params=None) -> pa.Table:
        stmts = self.translator.parse_script(sql)
        if len(stmts) == 1 and stmts[0].tree is not None:
            n = self._known_count(stmts[0].tree)
            if n is not None:
                return pa.table({"count_star()": pa.array([n], pa.int64())})
        return _to_arrow(self._query(sql, params))

    def _known_count(self, tree: exp.Expression) -> int | None:
        """`SELECT count(*) FROM t` of a table this engine materialised: known already."""
        if not isinstance(tree, exp.Select) or len(tree.expressions) != 1:
            return None
        if any(tree.args.get(k) for k in ("where", "group", "having", "joins", "limit",
                                          "offset", "qualify", "with_", "with", "distinct")):
            return None
        e = tree.expressions[0]
        e = e.this if isinstance(e, exp.Alias) else e
        src = tree.args.get("from_") or tree.args.get("from")
        if not (isinstance(e, exp.Count) and isinstance(e.this, exp.Star)
                and isinstance(src, exp.From) and isinstance(src.this, exp.Table)
                and not src.this.args.get("db")):
            return None
        name = src.this.name
        if name in self._pending:
            self._flush(name)
        return self._counts.get(name)

    def register(self, name, data):
        if isinstance(data, pd.DataFrame):
            data = pa.Table.from_pandas(data, preserve_index=False)
        if not isinstance(data, pa.Table):
            raise TypeError("register takes a pandas DataFrame or an Arrow table")
        # columns of no type (an empty pandas object column) become strings
        fields = [pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else
                  pa.field(f.name, f.type) for f in data.schema]
        data = data.cast(pa.schema(fields))
        staged = self._work / "registered" / f"{next(self._counter)}.parquet"
        staged.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(data, staged)
        self._forget(name)
        self.spark.read.parquet(str(staged)).createOrReplaceTempView(name)

    def view_parquet(self, name, path):
        self._forget(name)
        self.spark.read.parquet(str(Path(path).resolve())).createOrReplaceTempView(name)

    def load_parquet(self, name, path):
        self._set_table(name, self.spark.read.parquet(str(Path(path).resolve())))

    def write_parquet(self, sql, path, params=None) -> int:
        df = self._query(sql, params)
        out_dir = self._work / "writes" / f"{next(self._counter)}"
        df.coalesce(1).write.mode("overwrite").parquet(str(out_dir))
        parts = sorted(p for p in out_dir.glob("part-*") if p.name.endswith(".parquet"))
        if len(parts) != 1:
            raise WriteError(f"{path}: Spark wrote {len(parts)} files, expected one")
        with atomic_path(Path(path)) as tmp:
            shutil.move(str(parts[0]), str(tmp))
        shutil.rmtree(out_dir, ignore_errors=True)
        return int(pq.read_metadata(path).num_rows)

    def splink_db_api(self):
        self._flush()  # Splink reads the views directly
        if self._db_api is None:
            from splink.backends.spark import SparkAPI

            self._db_api = SparkAPI(spark_session=self.spark, break_lineage_method="parquet")
        return self._db_api

    def close(self):
        try:
            if self._owns_session:
                self.spark.stop()
        finally:
            if self._owns_work:
                shutil.rmtree(self._work, ignore_errors=True)
                try:  # the parent too, when nothing else is in it
                    self._work.parent.rmdir()
                except OSError:
                    pass
