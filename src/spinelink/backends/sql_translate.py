"""DuckDB SQL, as the stages write it, turned into Spark SQL.

The stages' SQL is DuckDB's dialect. `SparkTranslator` parses it with sqlglot (DuckDB
dialect), rewrites what Spark lacks, and generates Spark SQL:

* `CREATE [OR REPLACE] TEMP MACRO name(args) AS body` is remembered, and every later call
  of the macro is expanded inline (its body with the arguments put in place of the
  parameters). Macros may call macros defined before them.
* `regexp_full_match(x, p)` -> `x RLIKE '^(?:p)\\z'`; `regexp_replace(x, p, r, 'g')` ->
  Spark's (which always replaces every match; without 'g' DuckDB replaces the first
  only, which has no Spark equivalent and is refused).
* `try_strptime(x, fmt)` with a literal or bound format -> a regular expression over the
  text and `make_date` of its parts, with DuckDB's rules (day and month one or two
  digits, year one to four, `%y` 69-99 as 19xx and 00-68 as 20xx, `%b`/`%B` month names
  in any case, blanks around the value ignored, a blank in the format matching one or
  more). Returns a DATE (DuckDB: a TIMESTAMP at midnight; the stages cast it to DATE or
  count it). Formats with other directives (time of day, week days, ...) are refused.
* `to_years(n)` / `to_months(n)` -> `make_ym_interval`; `to_days(n)` -> `make_dt_interval`.
* `strip_accents(x)` -> `spinelink_strip_accents(x)`, a Python UDF the engine registers
  (NFD, combining marks removed, NFC: DuckDB's result).
* `read_parquet(path)` in FROM -> a temporary view over the file (the engine makes it).
* `list(x)` -> `collect_list` of x wrapped in a struct, so NULLs are kept as in DuckDB.
* `list_position(l, x)` -> `nullif(array_position(l, x), 0)` (DuckDB: NULL when absent);
  `len` of a bound list -> `size`.
* `$name` parameters -> Spark named parameter markers `:name` bound through
  `spark.sql(text, args=...)`; list values (Spark 3.5 binds no arrays) are written as
  `array(...)` literals by sqlglot, which quotes them.

Everything else is sqlglot's own DuckDB -> Spark translation (quoting, types,
`strpos`->`locate`, `list`->`collect_list`, `list_contains`->`array_contains`, ...).
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB

from spinelink.backends.spark_dates import (  # noqa: F401 - TranslationError re-exported
    TranslationError,
    _wrap,
    date_diff_expr,
    date_sub_expr,
    strptime_expr,
)

STRIP_ACCENTS_UDF = "spinelink_strip_accents"
_MACRO = re.compile(
    r"(?is)^CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP|TEMPORARY)\s+MACRO\s+"
    r"([A-Za-z_][A-Za-z0-9_]*)\s*\(([^)]*)\)\s+AS\s+(.*)$")
_TABLE_MACRO = re.compile(r"(?is)^TABLE\b")


@dataclass
class Macro:
    name: str
    params: list[str]
    body: exp.Expression  # already expanded (no macro calls left)


@dataclass
class Statement:
    """One statement of a script: a macro definition (macro set) or a parsed tree."""
    text: str
    tree: exp.Expression | None = None
    macro: Macro | None = None


PARAM_PREFIX = "__sl_param__"
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def mark_parameters(sql: str) -> str:
    """`$name` outside strings, quoted names and comments -> the column `__sl_param__name`
    (sqlglot's DuckDB tokenizer can mistake `$name ... ''` for a dollar-quoted string);
    `to_spark` turns those columns into parameter markers."""
    out, i, n = [], 0, len(sql)
    while i < n:
        c = sql[i]
        if c in "'\"":
            j = i + 1
            while j < n:
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            out.append(sql[i:j + 1])
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            out.append(sql[i:j])
            i = j
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(sql[i:j])
            i = j
        elif c == "$" and (m := _PARAM.match(sql, i)):
            out.append(PARAM_PREFIX + m.group(1))
            i = m.end()
        else:
            out.append(c)
            i += 1
    return "".join(out)


def split_statements(sql: str) -> list[str]:
    """The statements of a script, split at semicolons outside strings and comments."""
    sql = mark_parameters(sql)
    tokens = DuckDB().tokenize(sql)
    out, start = [], None
    for t in tokens:
        if t.token_type == sqlglot.TokenType.SEMICOLON:
            if start is not None:
                out.append(sql[start:t.start])
            start = None
        elif start is None:
            start = t.start
    if start is not None:
        out.append(sql[start:])
    return [s.strip() for s in out if s.strip()]


def _literal(value: Any) -> exp.Expression:
    """A Python value as a SQL literal (sqlglot quotes and escapes it)."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalar
        value = value.item()
    if isinstance(value, (int, float, Decimal)):
        return exp.Literal.number(value)
    if isinstance(value, dt.datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP")
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, (list, tuple)):
        return exp.Array(expressions=[_literal(v) for v in value])
    raise TranslationError(f"a bound parameter of type {type(value).__name__} has no Spark "
                           "literal form")


def spark_arg(value: Any) -> Any:
    """A parameter value in the form `spark.sql(args=...)` accepts."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


class SparkTranslator:
    def __init__(self) -> None:
        self.macros: dict[str, Macro] = {}

    # -- scripts and macros -------------------------------------------------------------
    def parse_script(self, sql: str) -> list[Statement]:
        """Split and parse a script; macro definitions are recorded as they come."""
        out = []
        for text in split_statements(sql):
            m = _MACRO.match(text)
            if m:
                out.append(Statement(text, macro=self.define_macro(*m.groups())))
                continue
            try:
                tree = sqlglot.parse_one(text, read="duckdb")
            except sqlglot.errors.ParseError as e:
                raise TranslationError(f"SQL the Spark backend cannot parse: {_first_line(e)}"
                                       ) from None
            if isinstance(tree, exp.Command):
                raise TranslationError("SQL statement not supported on Spark: "
                                       f"{text.split(None, 3)[:3]}")
            out.append(Statement(text, tree=tree))
        return out

    def define_macro(self, name: str, params: str, body: str) -> Macro:
        if _TABLE_MACRO.match(body.strip()):
            raise TranslationError(f"table macro {name} is not supported on Spark")
        names = [p.strip() for p in params.split(",") if p.strip()]
        try:
            tree = sqlglot.parse_one("SELECT " + body, read="duckdb").expressions[0]
        except sqlglot.errors.ParseError as e:
            raise TranslationError(f"macro {name}: {_first_line(e)}") from None
        if isinstance(tree, exp.Alias):  # `AS x` at the end would be an alias: not a body
            raise TranslationError(f"macro {name}: unexpected alias in the body")
        macro = Macro(name.lower(), [n.lower() for n in names], self.expand(tree))
        self.macros[macro.name] = macro
        return macro

    def expand(self, tree: exp.Expression) -> exp.Expression:
        """Expand macro calls (bottom-up, so arguments are expanded first)."""
        if not self.macros:
            return tree

        def fn(node: exp.Expression) -> exp.Expression:
            if isinstance(node, exp.Anonymous) and str(node.this).lower() in self.macros:
                m = self.macros[str(node.this).lower()]
                args = node.expressions
                if len(args) != len(m.params):
                    raise TranslationError(f"macro {m.name} takes {len(m.params)} argument(s), "
                                           f"got {len(args)}")
                bound = dict(zip(m.params, args, strict=True))

                def put(n: exp.Expression) -> exp.Expression:
                    if (isinstance(n, exp.Column) and not n.table
                            and n.name.lower() in bound):
                        return _wrap(bound[n.name.lower()].copy())
                    return n

                return _wrap(m.body.copy().transform(put, copy=False))
            return node

        return _post_order(tree, fn)

    # -- queries ------------------------------------------------------------------------
    def to_spark(self, tree: exp.Expression, params: dict[str, Any] | None,
                 parquet_view: Callable[[str], str]) -> tuple[str, dict[str, Any]]:
        """Spark SQL text for a DuckDB tree, and the named arguments it uses."""
        params = dict(params or {})
        tree = self.expand(tree.copy())
        used: set[str] = set()

        def unmark(node: exp.Expression) -> exp.Expression:
            if (isinstance(node, exp.Column) and not node.table
                    and node.name.startswith(PARAM_PREFIX)):
                return exp.Placeholder(this=node.name[len(PARAM_PREFIX):])
            return node

        tree = tree.transform(unmark, copy=False)

        def value_of(node: exp.Expression, what: str) -> Any:
            if isinstance(node, exp.Literal) and node.is_string:
                return node.this
            if isinstance(node, exp.Null):
                return None
            if isinstance(node, exp.Placeholder) and node.name in params:
                return params[node.name]
            raise TranslationError(f"{what} must be a string literal or a bound parameter "
                                   "on Spark")

        def fn(node: exp.Expression) -> exp.Expression:
            if isinstance(node, exp.Anonymous):
                name = str(node.this).lower()
                args = node.expressions
                if name == "try_strptime" and len(args) == 2:
                    fmt = value_of(args[1], "the try_strptime format")
                    if fmt is None:
                        return exp.cast(exp.Null(), "DATE")
                    return strptime_expr(args[0], fmt)
                if name in ("list_position", "list_indexof") and len(args) == 2:
                    pos = exp.Anonymous(this="array_position", expressions=args)
                    return exp.Nullif(this=pos, expression=exp.Literal.number(0))
                if name in ("to_years", "to_months") and len(args) == 1:
                    n = _wrap(args[0])
                    ym = [n, exp.Literal.number(0)] if name == "to_years" else [
                        exp.Literal.number(0), n]
                    return exp.Anonymous(this="make_ym_interval", expressions=ym)
                if name == "to_days" and len(args) == 1:
                    return exp.Anonymous(this="make_dt_interval", expressions=[_wrap(args[0])])
                if (name in ("date_sub", "datesub") and len(args) == 3
                        and isinstance(args[0], exp.Literal) and args[0].is_string):
                    return date_sub_expr(args[0].this, args[1], args[2])
                if name == "strip_accents" and len(args) == 1:
                    return exp.Anonymous(this=STRIP_ACCENTS_UDF, expressions=args)
                return node
            if isinstance(node, exp.ArrayAgg) and not isinstance(
                    node.this, (exp.Distinct, exp.Order)):
                # DuckDB's list() keeps NULLs, Spark's collect_list drops them
                x = node.this.sql(dialect="spark")
                return sqlglot.parse_one(
                    f"transform(collect_list(named_struct('v', {x})), e -> e.v)",
                    read="spark")
            if isinstance(node, exp.DateDiff) and node.args.get("date_part_boundary"):
                unit = node.args.get("unit")
                return date_diff_expr(unit.name if unit is not None else "day",
                                      node.expression, node.this)
            if isinstance(node, exp.RegexpFullMatch):
                return exp.RegexpLike(this=node.this,
                                      expression=_anchored(node.expression))
            if isinstance(node, exp.RegexpReplace):
                return _regexp_replace(node)
            if isinstance(node, exp.Table) and isinstance(node.this, exp.ReadParquet):
                paths = node.this.expressions
                if len(paths) != 1:
                    raise TranslationError("read_parquet of several files is not supported "
                                           "on Spark")
                view = parquet_view(str(value_of(paths[0], "the read_parquet path")))
                return exp.Table(this=exp.to_identifier(view, quoted=True),
                                 alias=node.args.get("alias"))
            return node

        tree = _post_order(tree, fn)

        def bind(node: exp.Expression) -> exp.Expression:
            if isinstance(node, exp.Placeholder):
                name = node.name
                if name not in params:
                    raise TranslationError(f"parameter ${name} has no value")
                v = params[name]
                if v is None or isinstance(v, (list, tuple)):
                    return _literal(v)
                used.add(name)
            return node

        tree = tree.transform(bind, copy=False)

        def sizes(node: exp.Expression) -> exp.Expression:
            # len() of a list written as a literal (a bound list): Spark's size()
            if isinstance(node, exp.Length) and isinstance(node.this, exp.Array):
                return exp.ArraySize(this=node.this)
            return node

        tree = tree.transform(sizes, copy=False)
        sql = tree.sql(dialect="spark")
        return sql, {k: spark_arg(params[k]) for k in used}


def _post_order(tree: exp.Expression, fn: Callable[[exp.Expression], exp.Expression]
                ) -> exp.Expression:
    """Apply fn to every node, children first (a replaced node is not revisited)."""
    for key, value in list(tree.args.items()):
        if isinstance(value, exp.Expression):
            new = _post_order(value, fn)
            if new is not value:
                tree.set(key, new)
        elif isinstance(value, list):
            items = [(_post_order(v, fn) if isinstance(v, exp.Expression) else v)
                     for v in value]
            if any(a is not b for a, b in zip(items, value, strict=True)):
                tree.set(key, items)
    return fn(tree)


def _first_line(e: Exception) -> str:
    return str(e).splitlines()[0][:200] if str(e) else type(e).__name__


def _anchored(pattern: exp.Expression) -> exp.Expression:
    if isinstance(pattern, exp.Literal) and pattern.is_string:
        return exp.Literal.string(f"^(?:{pattern.this})\\z")
    return exp.Concat(expressions=[exp.Literal.string("^(?:"), pattern,
                                   exp.Literal.string(")\\z")])


def _regexp_replace(node: exp.RegexpReplace) -> exp.Expression:
    mods = node.args.get("modifiers")
    flags = ""
    if mods is not None:
        if not (isinstance(mods, exp.Literal) and mods.is_string):
            raise TranslationError("regexp_replace options must be a string literal on Spark")
        flags = mods.this
    if "g" not in flags:
        raise TranslationError("regexp_replace without the 'g' option (first match only) has "
                               "no Spark equivalent; write it with 'g'")
    unknown = set(flags) - {"g", "i", "c"}
    if unknown:
        raise TranslationError(f"regexp_replace options {sorted(unknown)} are not supported "
                               "on Spark")
    pattern = node.expression
    if "i" in flags.replace("c", "") and flags.rfind("i") > flags.rfind("c"):
        if not (isinstance(pattern, exp.Literal) and pattern.is_string):
            raise TranslationError("case-insensitive regexp_replace needs a literal pattern")
        pattern = exp.Literal.string("(?i)" + pattern.this)
    return exp.RegexpReplace(this=node.this, expression=pattern,
                             replacement=node.args.get("replacement"))


# -- date parts -----------------------------------------------------------------------------
