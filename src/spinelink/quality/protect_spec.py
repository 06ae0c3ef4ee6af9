"""What the coordinated disclosure control (`quality.protect`) is given: the description
of each published table, the rules, and the population names every stage shares.

A `PublishedTable` says what its cells are:
- `data`: one row per published row;
- `counts`: {count column: population}: the units the column counts, as a template
  filled from the row (`"census linked by {source}"`). Two columns, in any tables, with
  the same population and the same conditions are the same cell: suppressed in one, it is
  suppressed in all;
- the conditions of a row: `dims` (wide: one column per variable, the value `all` for a
  margin) or `stacked=(variable column, value column)` (long one-way tables, variable
  `all` for the total), or both (a one-way table inside each value of some dims);
- `magnitudes`: {magnitude column: (population template, column of its largest
  contributions, a list in descending order)} for tables of sums (dominance rules);
- `exact=True`: operational tables (record accounting) are published exact, never
  suppressed; their cells still count as known to an attacker;
- `keep`: columns never blanked (identifiers of the row besides the dims);
- `known_zeros`: conditions under which each count column's population is empty by
  construction (the integration table: no unit takes its value from no source and is
  `agree`; an imputed unit has no source), so an attacker knows those cells are 0 and
  the protection does too;
- `ties`: {count column: [(population template, {variable template: value template})]}:
  the column counts, in the row's categories, the units of these cells of other tables
  (the row's conditions and these further ones). One cell: the column is that cell
  (the imputation table's imputed units are the integration table's units of status
  `imputed:<method>` in the row's subgroup). Several: the column's own cell (its
  `counts` population) is their sum (its units missing a value: status `missing` and
  `imputed:<method>`). A cell whose further value is not among `categories` is empty
  (no unit is still missing: the integration table has no such row) and left out;
- `categories`: {variable: every value}: the values of a variable `ties` refer to that
  the table's own rows do not break down by (each variable's statuses: the margins over
  them need all of them, as the integration table will list them, `integrated_values`).

`Rules`: `min_cell` (threshold rule: a count 1..min_cell-1 is suppressed), `zeros`
(`group`: a zero part of a non-empty group in one of the `identities`, e.g. nobody, or
everybody, in a group linked by a source, is suppressed like a small count: it tells an
attribute of every member of the group; `publish`: zeros are shown), `p_percent` / `nk`
(dominance on magnitude cells), `rounding` (counts to a base after suppression),
`identities` (population = sum of populations, e.g. census = census linked by s +
census unlinked by s), `one_to_one` (sources whose links pair each linked reference unit
with one source record and each linked record with one unit: the units a source links,
by the source's own values, `<var> (<s>)`, are its linked records by their values, the
same cell: `same_cell`).

Population names shared by every stage (so that the same units are the same cells):
`REFERENCE` ("reference units"), `records(s)` ("<s> records": a source's accepted
records), `linked(pop, s)` / `unlinked(pop, s)` ("<pop> linked by <s>", "<pop> not
linked by <s>"): e.g. the reference units benefits links to, or, for a variable only the
source carries, the source records that link; `identities(sources)` gives the sums
between them for `Rules.identities`. A stage publishing after the quality stage passes
`before=published.load(out)` and saves with `published.save` (see `published`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

TOTAL = "all"


REFERENCE = "reference units"


def records(source: str) -> str:
    return f"{source} records"


def linked(population: str, source: str) -> str:
    return f"{population} linked by {source}"


def unlinked(population: str, source: str) -> str:
    return f"{population} not linked by {source}"


def identities(sources) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Reference units and each source's records, split into linked and not linked."""
    out = []
    for s in sources:
        for pop in (REFERENCE, records(s)):
            out.append((pop, (linked(pop, s), unlinked(pop, s))))
    return tuple(out)


@dataclass
class PublishedTable:
    data: pd.DataFrame
    counts: dict[str, str]
    dims: list[str] = field(default_factory=list)
    stacked: tuple[str, str] | None = None
    magnitudes: dict[str, tuple[str, str]] = field(default_factory=dict)
    exact: bool = False
    keep: list[str] = field(default_factory=list)
    description: str = ""  # one line for the data dictionary
    columns: dict[str, tuple[str, str]] = field(default_factory=dict)  # column: meaning, unit
    known_zeros: list[dict[str, str]] = field(default_factory=list)
    ties: dict[str, list[tuple[str, dict[str, str]]]] = field(default_factory=dict)
    categories: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Rules:
    min_cell: int = 10
    rounding: int | None = None
    p_percent: float | None = None
    nk: tuple[int, float] | None = None
    identities: tuple[tuple[str, tuple[str, ...]], ...] = ()
    zeros: str = "group"  # or "publish"
    one_to_one: tuple[str, ...] = ()


# the integration table's source of a value no source supplied
NO_SOURCE = "(none)"


def integrated_values(column: pd.Series) -> list[str]:
    """The values of an integrated `<var>__source` or `<var>__status` column as the
    integration table lists them (rows of units only: a value no unit has is no row).

    >>> integrated_values(pd.Series(["census", None, "census"]))
    ['(none)', 'census']
    """
    return sorted(column.fillna(NO_SOURCE).astype(str).unique().tolist())


def source_value(variable: str, source: str) -> str:
    """The name of a variable as a source records it, beside the reference's value of
    it (a concordance table's column: `disability (survey)`)."""
    return f"{variable} ({source})"


def same_cell(population: str, conditions: dict[str, str], one_to_one) -> tuple:
    """The population and conditions a cell is known as. The reference units a
    one-to-one source links, restricted only by the source's own values
    (`disability (survey) = N`: a concordance table's margin), are that source's linked
    records with those values (`survey records linked by survey`, `disability = N`: the
    coverage profile's cell): one person each side, so an attacker who adds up a
    concordance column has the coverage profile's count. Any other cell is itself.

    >>> same_cell("reference units linked by survey", {"sex (survey)": "F"}, ["survey"])
    ('survey records linked by survey', {'sex': 'F'})
    >>> same_cell("reference units linked by survey", {"sex": "F"}, ["survey"])[1]
    {'sex': 'F'}
    """
    for s in one_to_one:
        if population != linked(REFERENCE, s) or not conditions:
            continue
        tail = f" ({s})"
        if all(k.endswith(tail) for k in conditions):
            return linked(records(s), s), {k[: -len(tail)]: v for k, v in conditions.items()}
    return population, conditions


def one_to_one_sources(out, sources) -> tuple[str, ...]:
    """The sources among `sources` whose links (`OUT/links/<s>.parquet`) pair each
    linked reference unit with exactly one record and each record with one unit, whether
    or not the job asks for one-to-one linkage: the record accounting and the quality
    tables publish both counts, so an attacker can tell. Counted in the process's scratch
    DuckDB (`spinelink.scratch`), a column at a time: the record ids are not read when
    a unit is linked twice (the usual case of linkage that is not one-to-one)."""
    from pathlib import Path

    from spinelink import scratch
    from spinelink.sqlfiles import sql_file

    out_ = []
    with scratch.cursor() as con:
        for s in sources:
            p = Path(out) / "links" / f"{s}.parquet"
            if not p.exists():
                continue
            if all(con.execute(sql_file("quality/all_distinct.sql", column=c),
                               {"path": str(p)}).fetchone()[0]
                   for c in ("reference_id", "source_id")):
                out_.append(str(s))
    return tuple(out_)


def job_rules(quality, sources, one_to_one=()) -> Rules:
    """The rules of a job's `quality:` section, for the tables of `sources`
    (`one_to_one`: `one_to_one_sources`)."""
    return Rules(min_cell=quality.min_cell, rounding=quality.rounding, zeros=quality.zeros,
                 identities=identities(sources), one_to_one=tuple(one_to_one))
