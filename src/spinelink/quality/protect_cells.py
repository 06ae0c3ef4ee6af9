"""The cells of the tables a run publishes, for `protect`: each count under the name every
table gives it (`protect_spec.same_cell`), its value, where it appears, the categories of
every variable, the sums `PublishedTable.ties` state and the zeros everyone knows."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from spinelink.quality import cells as cellmod
from spinelink.quality.protect_spec import TOTAL, PublishedTable, same_cell


@dataclass
class _Occurrence:
    table: str
    row: int      # position in the table
    column: str


def conditions(t: PublishedTable, rec: dict, single: frozenset = frozenset()) -> dict[str, str]:
    """The row's categories; a variable in `single` (one value in every table) is left
    out: its one category is everyone, so its cells are the totals' cells."""
    cond = {d: str(rec[d]) for d in t.dims if str(rec[d]) != TOTAL}
    if t.stacked:
        var, val = t.stacked
        if str(rec[var]) != TOTAL:
            cond[str(rec[var])] = str(rec[val])
    return {k: v for k, v in cond.items() if k not in single}


def _single_valued(tables: dict[str, PublishedTable]) -> frozenset:
    """Variables with one value in all the tables (e.g. sex `unknown` for a reference
    without sex): a breakdown by them is the total, so that a count hidden there and
    published as the total (or in the exact accounting) is one cell, not a cell the
    protection cannot hide."""
    seen: dict[str, set[str]] = {}
    for t in tables.values():
        for k, vals in t.categories.items():
            seen.setdefault(k, set()).update(map(str, vals))
        for rec in t.data.to_dict(orient="records"):
            for k, v in conditions(t, rec).items():
                seen.setdefault(k, set()).add(v)
    return frozenset(k for k, v in seen.items() if len(v) == 1)


def _cell(population: str, conditions: dict[str, str], one_to_one=()) -> cellmod.Cell:
    """The cell a count is, under the name every table gives it (`same_cell`)."""
    return cellmod.cell(*same_cell(population, conditions, one_to_one))


def _tied(t: PublishedTable, col: str, rec: dict, cond: dict[str, str], single, declared,
          one_to_one) -> list[cellmod.Cell]:
    """The cells of other tables a column counts in this row (`PublishedTable.ties`),
    those of a value no unit has (not among the declared categories) left out."""
    out = []
    for template, more in t.ties[col]:
        extra = {k.format(**rec): str(v).format(**rec) for k, v in more.items()}
        if any(k in declared and v not in declared[k] for k, v in extra.items()):
            continue
        extra = {k: v for k, v in extra.items() if k not in single}
        out.append(_cell(template.format(**rec), {**cond, **extra}, one_to_one))
    return out


def _collect(tables: dict[str, PublishedTable], one_to_one=()):
    """Published cells with their values, where each appears, the categories of each
    variable (a breakdown's parts: every value any table shows or declares), and the
    sums `PublishedTable.ties` state. `one_to_one`: `Rules.one_to_one`."""
    values: dict[cellmod.Cell, float] = {}
    where: dict[cellmod.Cell, list[_Occurrence]] = {}
    exact: set[cellmod.Cell] = set()
    categories: dict[str, set[str]] = {}
    sums: list[tuple[cellmod.Cell, list[cellmod.Cell]]] = []
    derived: dict[cellmod.Cell, float] = {}  # values of cells only sums give
    full: list[tuple[str, list[str]]] = []  # populations x dims of wide tables: zeros implied
    single = _single_valued(tables)
    declared: dict[str, set[str]] = {}
    for t in tables.values():
        for k, vals in t.categories.items():
            declared.setdefault(k, set()).update(map(str, vals))
    for k, vals in declared.items():
        if k not in single:
            categories.setdefault(k, set()).update(vals)
    for name, t in tables.items():
        columns = {**t.counts, **{c: pop for c, (pop, _) in t.magnitudes.items()}}
        for pos, rec in enumerate(t.data.to_dict(orient="records")):
            cond = conditions(t, rec, single)
            for k, v in cond.items():
                categories.setdefault(k, set()).add(v)
            for col, template in columns.items():
                c = _cell(template.format(**rec), cond, one_to_one)
                if col in t.ties:
                    parts = _tied(t, col, rec, cond, single, declared, one_to_one)
                    if len(parts) == 1:
                        c = parts[0]
                    else:
                        sums.append((c, parts))
                v = pd.to_numeric(rec[col], errors="coerce")
                if pd.isna(v) and t.exact:
                    continue  # an operational figure that does not apply to the row
                if pd.isna(v):
                    raise ValueError(f"disclosure: table {name}, row {pos + 1}, column "
                                     f"{col}: not a number")
                if c in values and not np.isclose(values[c], v):
                    raise ValueError(f"disclosure: table {name}, row {pos + 1}, column {col}: "
                                     f"cell {c} is {v} here and {values[c]} in another table")
                values[c] = float(v)
                where.setdefault(c, []).append(_Occurrence(name, pos, col))
                if t.exact:
                    exact.add(c)
            if t.dims and all(str(rec[d]) != TOTAL for d in t.dims):
                for template in columns.values():
                    full.append((template.format(**rec),
                                 [d for d in t.dims if d not in single]))
    for t in tables.values():  # empty by construction: zeros everyone knows
        for cond in t.known_zeros:
            if single & set(cond):
                continue  # a variable of one value is no breakdown (`conditions`)
            for template in t.counts.values():
                values.setdefault(_cell(template, cond, one_to_one), 0.0)
    for total, parts in sums:  # a part no table shows: the total less the others
        if total in values:
            unknown = [p for p in parts if p not in values and p not in derived]
            if len(unknown) == 1:
                derived[unknown[0]] = values[total] - sum(
                    values.get(p, derived.get(p, 0.0)) for p in parts if p != unknown[0])
    cats = {k: sorted(v) for k, v in categories.items()}
    for pop, dims in dict.fromkeys((p, tuple(d)) for p, d in full if d):
        for combo in _product([cats[d] for d in dims]):
            c = _cell(pop, dict(zip(dims, combo, strict=True)), one_to_one)
            values.setdefault(c, 0.0)  # a wide table leaves out empty cells: known zeros
    return values, where, exact, cats, single, sums, derived


def _product(lists):
    import itertools

    return itertools.product(*lists)
