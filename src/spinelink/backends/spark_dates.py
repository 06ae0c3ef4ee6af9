"""DuckDB date functions rebuilt for Spark SQL (used by sql_translate).

try_strptime becomes a regular expression plus make_date, following DuckDB's parsing
rules; date_sub and date_diff follow DuckDB's rules, including its end-of-month rule.
Also holds the few pieces both translation modules share.
"""
from __future__ import annotations

import re
from typing import Any

import sqlglot
from sqlglot import exp

from spinelink.errors import LinkageError

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")



class TranslationError(LinkageError):
    """SQL that the Spark backend cannot run (names the construct, never data): the run
    cannot go on on this engine, exit 4 as linkage that cannot run."""



def _is_atomic(e: exp.Expression) -> bool:
    return isinstance(e, (exp.Column, exp.Literal, exp.Func, exp.Paren, exp.Placeholder,
                          exp.Null, exp.Boolean, exp.Identifier))


def _wrap(e: exp.Expression) -> exp.Expression:
    return e if _is_atomic(e) else exp.Paren(this=e)



def _spark_sql(sql: str) -> exp.Expression:
    return exp.Paren(this=sqlglot.parse_one(sql, read="spark"))


def date_sub_expr(part: str, start: exp.Expression, end: exp.Expression) -> exp.Expression:
    """DuckDB's date_sub(part, start, end): whole parts between the dates (an age), with
    its end-of-month rule (a start day past the end month's last day counts as that day
    when the end date is its month's last day). Dates only."""
    part = part.lower().rstrip("s")
    a, b = _wrap(start).sql(dialect="spark"), _wrap(end).sql(dialect="spark")
    if part == "day":
        return _spark_sql(f"datediff({b}, {a})")
    per = {"month": 1, "quarter": 3, "year": 12, "decade": 120, "century": 1200}.get(part)
    if per is None:
        raise TranslationError(f"date_sub('{part}', ...) is not supported on Spark")

    def months(x: str, y: str) -> str:  # whole months from x to y, x <= y
        dx = (f"CASE WHEN day({y}) = day(last_day({y})) AND day({x}) > day({y}) "
              f"THEN day({y}) ELSE day({x}) END")
        return (f"((year({y}) - year({x})) * 12 + month({y}) - month({x}) "
                f"- CASE WHEN day({y}) < {dx} THEN 1 ELSE 0 END)")

    m = f"CASE WHEN {a} <= {b} THEN {months(a, b)} ELSE -{months(b, a)} END"
    return _spark_sql(f"CAST(({m}) / {per} AS BIGINT)" if per > 1 else f"CAST({m} AS BIGINT)")


def date_diff_expr(part: str, start: exp.Expression, end: exp.Expression) -> exp.Expression:
    """DuckDB's date_diff(part, start, end): part boundaries crossed. Dates only."""
    part = part.lower().rstrip("s")
    a, b = _wrap(start).sql(dialect="spark"), _wrap(end).sql(dialect="spark")
    sql = {
        "day": f"datediff({b}, {a})",
        "month": f"(year({b}) - year({a})) * 12 + month({b}) - month({a})",
        "quarter": f"(year({b}) - year({a})) * 4 + quarter({b}) - quarter({a})",
        "year": f"year({b}) - year({a})",
    }.get(part)
    if sql is None:
        raise TranslationError(f"date_diff('{part}', ...) is not supported on Spark")
    return _spark_sql(f"CAST({sql} AS BIGINT)")


# -- try_strptime ---------------------------------------------------------------------------
def strptime_expr(value: exp.Expression, fmt: Any) -> exp.Expression:
    """DuckDB's try_strptime(value, fmt) as a Spark DATE expression (NULL if no parse)."""
    if not isinstance(fmt, str):
        raise TranslationError("the try_strptime format must be a string")
    regex, parts = strptime_regex(fmt)
    x = value.sql(dialect="spark")
    pat = exp.Literal.string(regex).sql(dialect="spark")

    def group(i: int) -> str:
        return f"regexp_extract({x}, {pat}, {i})"

    def num(i: int) -> str:
        return f"CAST(NULLIF({group(i)}, '') AS INT)"

    year, month, day = "1900", "1", "1"
    for i, d in enumerate(parts, start=1):
        if d == "Y":
            year = num(i)
        elif d == "y":
            year = f"(CASE WHEN {num(i)} >= 69 THEN 1900 ELSE 2000 END + {num(i)})"
        elif d == "m":
            month = num(i)
        elif d == "d":
            day = num(i)
        elif d in ("b", "B"):
            names = [m[:3] for m in _MONTHS] if d == "b" else list(_MONTHS)
            whens = " ".join(f"WHEN '{n}' THEN {k}" for k, n in enumerate(names, start=1))
            month = f"(CASE lower({group(i)}) {whens} END)"
    sql = (f"CASE WHEN {x} RLIKE {pat} THEN make_date({year}, {month}, {day}) END")
    return exp.Paren(this=sqlglot.parse_one(sql, read="spark"))


_DIRECTIVES = {
    "Y": r"(\d{1,4}+)", "y": r"(\d{1,2}+)", "m": r"(\d{1,2}+)", "d": r"(\d{1,2}+)",
    "b": r"([A-Za-z]{3})",
    "B": "(" + "|".join(f"(?i:{m})" for m in sorted(_MONTHS, key=len, reverse=True)) + ")",
}


def strptime_regex(fmt: str) -> tuple[str, list[str]]:
    """A Java regular expression matching what DuckDB's strptime accepts for `fmt`, and
    the directive of each capture group."""
    out, parts, i = [r"^\s*"], [], 0
    while i < len(fmt):
        c = fmt[i]
        if c == "%":
            if i + 1 >= len(fmt):
                raise TranslationError(f"date format {fmt!r} ends with a lone %")
            d = fmt[i + 1]
            if d == "%":
                out.append("%")
            elif d in _DIRECTIVES:
                if d in parts or (d in "Yy" and ("Y" in parts or "y" in parts)) or (
                        d in "mbB" and any(p in parts for p in "mbB")):
                    raise TranslationError(f"date format {fmt!r} names a date part twice")
                out.append(_DIRECTIVES[d])
                parts.append(d)
            else:
                raise TranslationError(f"date format directive %{d} is not supported on "
                                       "Spark (supported: %Y %y %m %d %b %B)")
            i += 2
            continue
        if c.isspace():
            out.append(r"\s+")
        elif c.isalnum():
            out.append(c)
        else:
            out.append("\\" + c if c.isascii() else re.escape(c))
        i += 1
    out.append(r"\s*$")
    return "".join(out), parts
