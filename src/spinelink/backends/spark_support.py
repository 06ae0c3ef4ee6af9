"""Module-level helpers of the Spark engine: session settings, memory sizes, the accent
UDF, jar function aliases, constant conditions, configuration values, table names and
Arrow conversion."""
from __future__ import annotations

import logging
from typing import Any

import pyarrow as pa
from sqlglot import exp

from spinelink.backends.sql_translate import TranslationError

log = logging.getLogger("spinelink.spark")


# DuckDB's names of string similarity functions (in custom comparison levels written in
# DuckDB SQL, which Splink transpiles with sqlglot) bound to the Splink jar's classes.
SIMILARITY_ALIASES = {
    "jaro_winkler_similarity": "uk.gov.moj.dash.linkage.JaroWinklerSimilarity",
    "jarowinkler_similarity": "uk.gov.moj.dash.linkage.JaroWinklerSimilarity",
    "jaro_similarity": "uk.gov.moj.dash.linkage.JaroSimilarity",
}


def _register_similarity_aliases(spark) -> None:
    from pyspark.sql.types import DoubleType

    for name, cls in SIMILARITY_ALIASES.items():
        try:
            spark.udf.registerJavaFunction(name, cls, DoubleType())
        except Exception as e:  # noqa: BLE001 - the jar missing: Splink warns about it too
            log.warning("could not register %s from Splink's jar (%s)", name, type(e).__name__)
            return


def _never(cond: exp.Expression, params: dict[str, Any] | None) -> bool:
    """Whether a condition is FALSE whatever the rows, once its parameters are bound."""
    from sqlglot.optimizer.simplify import simplify

    from spinelink.backends.sql_translate import PARAM_PREFIX

    params = params or {}

    def bind(n: exp.Expression) -> exp.Expression:
        if (isinstance(n, exp.Column) and not n.table and n.name.startswith(PARAM_PREFIX)
                and isinstance(params.get(n.name[len(PARAM_PREFIX):]), bool)):
            return exp.Boolean(this=params[n.name[len(PARAM_PREFIX):]])
        return n

    try:
        out = simplify(cond.copy().transform(bind, copy=False))
    except Exception:  # noqa: BLE001 - not simplifiable: run the DELETE
        return False
    return isinstance(out, exp.Boolean) and out.this is False


def _conf_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _table_name(t: exp.Expression) -> str:
    if isinstance(t, exp.Table):
        if t.args.get("db") or t.args.get("catalog"):
            raise TranslationError("qualified table names are not supported on Spark")
        return t.name
    if isinstance(t, exp.Identifier):
        return t.name
    raise TranslationError(f"expected a table name, got {type(t).__name__}")


def _to_arrow(df) -> pa.Table:
    from pyspark.sql.pandas.types import to_arrow_schema

    schema = to_arrow_schema(df.schema)
    batches = df._collect_as_arrow()
    if not batches:
        return schema.empty_table()
    return pa.Table.from_batches(batches).cast(schema)


# Session settings spinelink relies on (a job's spark.config may add to them; those
# marked REQUIRED below are kept whatever the job says, because results depend on them).
DEFAULT_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.parquet.compression.codec": "zstd",
    # the romanisation-key macro is a chain of ~200 replace() calls (romanisation.csv,
    # its {C} / {V} rules expanded), which the analyser resolves in more than its default
    # 100 iterations
    "spark.sql.analyzer.maxIterations": "500",
}
REQUIRED_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "false",         # make_date / casts give NULL, as try_* do
    "spark.sql.caseSensitive": "false",
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
    "spark.sql.parquet.datetimeRebaseModeInWrite": "CORRECTED",
    "spark.sql.parquet.datetimeRebaseModeInRead": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInWrite": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInRead": "CORRECTED",
}


def _strip_accents_udf():
    """A UDF built in a closure, so it is pickled by value (executors need no spinelink)."""
    import unicodedata

    def strip_accents(s):
        if s is None:
            return None
        d = unicodedata.normalize("NFD", s)
        kept = "".join(c for c in d if unicodedata.category(c) not in ("Mn", "Mc", "Me"))
        return unicodedata.normalize("NFC", kept)

    return strip_accents


# Spark logs, at ERROR, each generated class over the JVM's 64 KB method limit with the
# whole generated source and a trace (hundreds of lines a query on the demo job), then
# runs that plan without generated code, with the same results: for a user, not an
# error. A job that sets `spark.log.level` keeps Spark's own logging as it is.
CODEGEN_LOGGER = "org.apache.spark.sql.catalyst.expressions.codegen.CodeGenerator"


def _quiet_codegen(spark) -> None:
    jvm = spark.sparkContext._jvm
    log4j = jvm.org.apache.logging.log4j
    log4j.core.config.Configurator.setLevel(CODEGEN_LOGGER, log4j.Level.OFF)
