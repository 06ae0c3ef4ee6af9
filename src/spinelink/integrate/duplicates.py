"""Probable duplicates in the reference: the same person counted twice.

A cheap deterministic check (`integrate_options: {flag_reference_duplicates: true}`):
records sharing any of the keys below (every field present) are grouped, groups joined
through shared records; each record of a group but the one with the lowest id gets
`duplicate_of` = that id and `unit_status = probable_duplicate`. Nothing is dropped.
The keys are strict (full date of birth plus names and sex, or a shared identifier) so
that a flag means a probable duplicate, not a namesake; records whose second entry
differs more (a typo in the date of birth, a different surname) are not found.
"""
from __future__ import annotations

import pandas as pd

from spinelink.backends import Engine
from spinelink.sqlfiles import quote_ident, sql_file

DUPLICATE_KEYS: tuple[tuple[str, ...], ...] = (
    ("first_name_canon", "last_name", "dob_iso"),
    # an initial for a name ("J Smith" / "John Smith"); only where one of the group's first
    # names is a bare initial: twins Gregory and Gareth share theirs
    ("first_initial", "last_name", "dob_iso", "sex"),
    ("first_name_mp", "last_name_mp", "dob_iso", "sex"),
)
INITIAL_KEY = ("first_initial", "last_name", "dob_iso", "sex")


def key_sql(fields: tuple[str, ...]) -> dict[str, str]:
    """The partition list and the all-present condition of one key.

    >>> key_sql(("last_name", "dob_iso"))["present"]
    '"last_name" IS NOT NULL AND "dob_iso" IS NOT NULL'
    """
    cols = [quote_ident(f) for f in fields]
    group_ok = "TRUE"
    if fields == INITIAL_KEY:
        group_ok = f"min(length(\"first_name\")) OVER (PARTITION BY {', '.join(cols)}) = 1"
    return {"key": ", ".join(cols), "present": " AND ".join(f"{c} IS NOT NULL" for c in cols),
            "group_ok": group_ok}


def groups(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """record -> lowest record id of its group (records joined by any pair), for every
    record of a group except that lowest one.

    >>> groups([("b", "a"), ("c", "b"), ("e", "d")])
    {'b': 'a', 'c': 'a', 'e': 'd'}
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in sorted(parent) if find(x) != x}


def flag_duplicates(engine: Engine, standardised: str, identifiers: list[str],
                    out_table: str) -> int:
    """Write (reference_id, duplicate_of) to `out_table`; return the number flagged."""
    keys = [*DUPLICATE_KEYS, *[(f"id_{name}",) for name in identifiers]]
    pairs: list[tuple[str, str]] = []
    for fields in keys:
        df = engine.df(sql_file("integrate/duplicate_key.sql", standardised=standardised,
                                **key_sql(fields)))
        pairs += list(zip(df["record_id"], df["first_id"], strict=True))
    found = groups(pairs)
    engine.register(out_table, pd.DataFrame(
        {"reference_id": list(found), "duplicate_of": list(found.values())}, dtype=str))
    return len(found)


def no_duplicates(engine: Engine, out_table: str) -> None:
    engine.register(out_table, pd.DataFrame({"reference_id": [], "duplicate_of": []},
                                            dtype=str))
