"""Which identifying fields a linked pair of sources can use, and for what.

A field counts only when both sides map it *and* populate it: a column that is mostly
empty gives EM too few agreeing pairs to learn from and makes blocking rules on it
compare almost nothing. Comparisons need a little data (`MIN_SHARE_COMPARE` of the
records on each side); blocking rules and EM sessions need the field on most records
(`MIN_SHARE_BLOCK`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from spinelink.backends import Engine
from spinelink.jobspec.autospec import FLAG_COLUMNS
from spinelink.sqlfiles import quote_ident, sql_file

MIN_SHARE_COMPARE = 0.10
MIN_SHARE_BLOCK = 0.50

# the standardised column that says whether a canonical field is present on a record
PRIMARY_COLUMN = {
    "first_name": "first_name", "middle_name": "middle_name", "last_name": "last_name",
    "date_of_birth": "dob", "sex": "sex", "postcode": "postcode", "address": "address",
}
_PREFIXES = (("first_name", "first_name"), ("first_initial", "first_name"),
             ("middle_name", "middle_name"), ("last_name", "last_name"),
             ("dob", "date_of_birth"), ("sex", "sex"), ("postcode", "postcode"),
             ("address", "address"))
_SQL_COLUMN = re.compile(r"\b[lr]\.\"?([A-Za-z_][A-Za-z0-9_]*)\"?")


def field_of(column: str) -> str:
    """The canonical field (or `id_<name>` identifier) a standardised column derives from."""
    if column.startswith("id_"):
        return column
    for prefix, name in _PREFIXES:
        if column == prefix or column.startswith(prefix + "_"):
            return name
    return column


def is_linkage_column(column: str) -> bool:
    """Whether Splink sees this standardised column: the record id and every column derived
    from an identifying field or identifier (not raw originals, subgroups or variables)."""
    return column == "record_id" or field_of(column) in PRIMARY_COLUMN or \
        column.startswith("id_")


def sql_columns(sql: str) -> list[str]:
    """Columns a blocking condition reads (`l.x`, `r.y`)."""
    return list(dict.fromkeys(_SQL_COLUMN.findall(sql)))


@dataclass(frozen=True)
class Fields:
    """Fields (canonical names and `id_<name>`) usable for comparisons and for blocking,
    with each field's populated share on the reference and on the source side."""
    compare: frozenset[str]
    block: frozenset[str]
    shares: dict[str, tuple[float, float]] = field(default_factory=dict)
    present: frozenset[str] = frozenset()  # FLAG_COLUMNS true on some record

    def blockable(self, columns: list[str]) -> bool:
        return all(field_of(c) in self.block for c in columns)

    def summary(self) -> dict:
        return {"compared": sorted(self.compare), "blocking": sorted(self.block),
                "populated": {f: [round(a, 4), round(b, 4)]
                              for f, (a, b) in sorted(self.shares.items())}}


def populated_shares(engine: Engine, table: str, columns: list[str]) -> dict[str, float]:
    if not columns:
        return {}
    shares = ", ".join(
        f"count({quote_ident(c)}) / greatest(count(*), 1) AS {quote_ident(c)}"
        for c in columns)
    row = engine.df(sql_file("probabilistic/populated.sql", table=table, shares=shares))
    return {c: float(row[c].iloc[0] or 0.0) for c in columns}


def usable_fields(engine: Engine, ref_table: str, src_table: str, mapped: set[str],
                  identifiers: set[str]) -> Fields:
    """`mapped`: canonical fields both sources map; `identifiers`: identifier names both
    declare. Shares are measured on the standardised tables (after values that failed
    intake checks were blanked)."""
    cols = {f: PRIMARY_COLUMN[f] for f in mapped if f in PRIMARY_COLUMN}
    cols.update({f"id_{i}": f"id_{i}" for i in identifiers})
    ref = populated_shares(engine, ref_table, sorted(set(cols.values())))
    src = populated_shares(engine, src_table, sorted(set(cols.values())))
    shares = {f: (ref[c], src[c]) for f, c in cols.items()}
    return Fields(
        compare=frozenset(f for f, (a, b) in shares.items() if min(a, b) >= MIN_SHARE_COMPARE),
        block=frozenset(f for f, (a, b) in shares.items() if min(a, b) >= MIN_SHARE_BLOCK),
        shares=shares, present=flags_present(engine, (ref_table, src_table)))


def flags_present(engine: Engine, tables: tuple[str, ...]) -> frozenset[str]:
    """The FLAG_COLUMNS true on some record of one of `tables` (a table without the
    column counts as false)."""
    found: set[str] = set()
    for table in tables:
        have = set(engine.columns(table))
        cols = [c for c in FLAG_COLUMNS if c in have and c not in found]
        if not cols:
            continue
        anys = ", ".join(f"max(CASE WHEN {quote_ident(c)} THEN 1 ELSE 0 END) AS "
                         f"{quote_ident(c)}" for c in cols)
        row = engine.df(sql_file("probabilistic/flags_present.sql", table=table, anys=anys))
        found.update(c for c in cols if int(row[c].iloc[0] or 0) == 1)
    return frozenset(found)
