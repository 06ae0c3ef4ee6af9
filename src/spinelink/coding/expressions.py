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
    for node in tree.walk():
        if isinstance(node, _forbidden()):
            raise ValueError(f"not allowed in an edit rule: {type(node).__name__.lower()} "
                             "(a condition over the record's columns is expected)")
    return tree


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
