"""Edit-rule expressions: SQL conditions over one record's columns (DuckDB dialect).

An expression is parsed with sqlglot and accepted only when it is a single condition built
from columns, literals, comparisons, boolean and arithmetic operators, CASE, IN, BETWEEN,
LIKE, IS NULL, CAST/TRY_CAST and the scalar functions sqlglot knows (not unknown ones):
no sub-query, no aggregate, no statement, no table.
The SQL that runs is regenerated from the parsed tree (with every column quoted), never
pasted from the job file.
sqlglot is imported on first use (0.1 s: a run without edit rules does not need it before
Splink does, spinelink.splink_import).
"""
from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlglot import exp


@cache
def _forbidden() -> tuple:
    from sqlglot import exp

    return (exp.Select, exp.Subquery, exp.Table, exp.Create, exp.Insert, exp.Update,
            exp.Delete, exp.Drop, exp.Command, exp.Union, exp.Star, exp.Placeholder,
            exp.Parameter, exp.Window, exp.AggFunc, exp.Anonymous)


def parse(expression: str) -> exp.Expression:
    import sqlglot

    if not isinstance(expression, str) or not expression.strip():
        raise ValueError("an empty expression")
    try:
        trees = sqlglot.parse(expression, read="duckdb")
    except sqlglot.errors.ParseError:
        raise ValueError("not a valid SQL expression") from None
    if len(trees) != 1 or trees[0] is None:
        raise ValueError("one SQL expression expected (no ';')")
    tree = trees[0]
    from sqlglot import exp

    for node in tree.walk():
        if isinstance(node, exp.Anonymous):  # TRY_STRPTIME said only "anonymous"
            raise ValueError(f"function {str(node.name).upper()}() is not one an edit rule "
                             "knows (use DuckDB's functions sqlglot parses: STRPTIME, "
                             "TRY_CAST, DATE_DIFF, ...)")
        if isinstance(node, exp.AggFunc):
            raise ValueError(f"aggregate function {node.sql_name()}() is not allowed in an "
                             "edit rule (a condition over one record's columns is expected)")
        if isinstance(node, _forbidden()):
            raise ValueError(f"not allowed in an edit rule: {type(node).__name__.lower()} "
                             "(a condition over the record's columns is expected)")
    return tree


def unusable(where: str, exc: Exception) -> str:
    """Why a rule that parsed could not be evaluated on the data (a text column compared
    with a date, a value CAST cannot convert), for a one-line error: the database's
    binder message (types and names of the rule, no value), never a value of the data.
    `where` names the rule (`job.yaml: key 'edit_rules.integrated.0' (rule X1)`)."""
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "Binder Error" in msg or "Catalog Error" in msg:
        detail = msg.split("Error:", 1)[1].strip()
    else:  # a conversion of a value: the message would quote it
        detail = ("a value cannot be converted to the type the rule asks for (TRY_CAST gives "
                  "NULL instead)")
    return (f"{where}: cannot be evaluated: {detail}; the columns are text (dates as "
            "YYYY-MM-DD): CAST(x AS DATE), TRY_CAST(x AS INTEGER)")


def check_expression(expression: str) -> None:
    parse(expression)


def columns(expression: str) -> list[str]:
    """The column names an expression uses, in order of appearance."""
    from sqlglot import exp

    return list(dict.fromkeys(c.name for c in parse(expression).find_all(exp.Column)))


def to_sql(expression: str) -> str:
    """The expression as DuckDB SQL, regenerated from its tree with quoted columns."""
    from sqlglot import exp

    tree = parse(expression).copy()
    for col in tree.find_all(exp.Column):
        col.replace(exp.column(col.name, quoted=True))
    return tree.sql(dialect="duckdb")
