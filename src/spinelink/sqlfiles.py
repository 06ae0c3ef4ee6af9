"""SQL files under sql/ and the one helper that puts identifiers into them.

A file may contain placeholders:
  {{ name }}      replaced by quote_ident(value): a column or table name from a job file
  {{ name|sql }}  replaced by a fragment composed by spinelink's own code (never user text)
Values are never pasted: they are bound as $parameters when the SQL runs.

`jaro_winkler_at_least(left, right, threshold)` in a file (or in a model level's SQL,
model_spec) is expanded to the one inclusive Jaro-Winkler comparison
(`jaro_winkler_at_least`), before the SQL reaches DuckDB or the Spark translation.
"""
from __future__ import annotations

import re
from functools import lru_cache

from spinelink.resources import data_dir

SQL_DIR = data_dir("sql")
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(\|\s*sql\s*)?\}\}")


def quote_ident(name: str) -> str:
    """Quote an identifier for SQL: wrap in double quotes, double any inside.

    >>> quote_ident('x"; DROP TABLE t; --')
    '"x""; DROP TABLE t; --"'
    """
    if not isinstance(name, str) or name == "" or "\x00" in name:
        raise ValueError("an identifier must be a non-empty string without NUL")
    return '"' + name.replace('"', '""') + '"'


# Jaro-Winkler similarities are compared to a threshold rounded to this many places: a
# similarity that is exactly the threshold is computed a hair below it ("aha" / "ana" is
# 0.8 exactly, Jaro 7/9 with one common prefix letter, and DuckDB gives 0.7999999999999999),
# so a plain `>= 0.8` missed it (benchmarks/RESULTS.md, sessions 49-50). Two different
# similarities of names under a thousand letters differ by far more than 1e-9, so no
# similarity below a threshold is rounded up to it.
JW_PLACES = 9
_JW_AT_LEAST = re.compile(
    r"\bjaro_winkler_at_least\(\s*([^(),]+?)\s*,\s*([^(),]+?)\s*,\s*([0-9]*\.?[0-9]+)\s*\)")


def jaro_winkler_at_least(left: str, right: str, threshold: float | str) -> str:
    """SQL (DuckDB dialect, Spark through the translation): the Jaro-Winkler similarity of
    `left` and `right` is at or above `threshold`, a similarity equal to it included."""
    return f"round(jaro_winkler_similarity({left}, {right}), {JW_PLACES}) >= {threshold}"


def expand_similarity(sql: str) -> str:
    """`sql` with each `jaro_winkler_at_least(left, right, threshold)` written out
    (`jaro_winkler_at_least`, in parentheses); left and right are column names."""
    out = _JW_AT_LEAST.sub(lambda m: f"({jaro_winkler_at_least(*m.groups())})", sql)
    if re.search(r"\bjaro_winkler_at_least\b", out):
        raise ValueError("jaro_winkler_at_least takes two columns and a threshold number: "
                         + sql)
    return out


@lru_cache(maxsize=None)
def load_sql(relpath: str) -> str:
    """Read sql/<relpath> (e.g. 'deterministic/unique_key_links.sql'), its
    `jaro_winkler_at_least` written out."""
    return expand_similarity((SQL_DIR / relpath).read_text(encoding="utf-8"))


def render(sql: str, **names: str) -> str:
    """Fill placeholders: identifiers are quoted, |sql fragments inserted as given."""

    def sub(m: re.Match) -> str:
        key, is_fragment = m.group(1), m.group(2)
        if key not in names:
            raise KeyError(f"SQL placeholder {{{{{key}}}}} has no value")
        return names[key] if is_fragment else quote_ident(names[key])

    return _PLACEHOLDER.sub(sub, sql)


def sql_file(relpath: str, **names: str) -> str:
    return render(load_sql(relpath), **names)


def sql_fragment(relpath: str) -> str:
    """A file holding one expression (e.g. 'finalise/first_name_forms.sql'), without its
    comment lines, for a `{{ name|sql }}` placeholder of another file."""
    return "\n".join(line for line in load_sql(relpath).splitlines()
                     if not line.strip().startswith("--"))
