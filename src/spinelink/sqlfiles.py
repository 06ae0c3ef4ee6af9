"""SQL files under sql/ and the one helper that puts identifiers into them.

A file may contain placeholders:
  {{ name }}      replaced by quote_ident(value): a column or table name from a job file
  {{ name|sql }}  replaced by a fragment composed by spinelink's own code (never user text)
Values are never pasted: they are bound as $parameters when the SQL runs.
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


@lru_cache(maxsize=None)
def load_sql(relpath: str) -> str:
    """Read sql/<relpath> (e.g. 'deterministic/unique_key_links.sql')."""
    return (SQL_DIR / relpath).read_text(encoding="utf-8")


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
