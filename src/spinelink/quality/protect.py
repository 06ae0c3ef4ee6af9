"""Coordinated disclosure control over every table a run publishes.

Call `protect(tables, rules)` once with all the tables of a run (quality, intersectional,
report, analysis): it returns each table as published, suppressed rows blanked, counts
rounded when asked, and a boolean `suppressed` column.

The tables' description (`PublishedTable`), the `Rules` and the shared population names
are in `protect_spec` (re-exported here).

Secondary suppression, until nothing is exposed: a cell is exposed when the published
cells and the sums between cells (`cells`: margins of every breakdown, the identities)
determine it exactly; the suppressed cells of one sum, all else in it shown, must not
add up to 1..min_cell-1 either (they would be known to be small together). For each
exposed cell the smallest published cell sharing one of its sums is suppressed too,
everywhere it appears, with the rest of its row (a row's rates are worked out from its
counts). A published row is blanked when any of its cells
is suppressed, but for the counts published anyway (in an exact table or one published
before): a cell is shown everywhere or nowhere. With `before`, only the parts of the
system that this call's cells touch are checked again (the rest was checked when it was
published). The threshold itself is not written anywhere.

>>> import pandas as pd
>>> t = PublishedTable(pd.DataFrame({"variable": ["all", "sex", "sex", "sex"],
...     "value": ["all", "F", "M", "X"], "n": [93, 50, 40, 3]}), {"n": "people"},
...     stacked=("variable", "value"))
>>> protect({"t": t}, Rules(min_cell=10))["t"]["suppressed"].tolist()
[False, False, True, True]
"""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from spinelink.quality import cells as cellmod
from spinelink.quality import disclosure
from spinelink.quality.protect_cells import _cell, _collect, conditions
from spinelink.quality.protect_spec import (  # noqa: F401 - re-exported
    NO_SOURCE,
    REFERENCE,
    TOTAL,
    PublishedTable,
    Rules,
    identities,
    integrated_values,
    job_rules,
    linked,
    one_to_one_sources,
    records,
    same_cell,
    source_value,
    unlinked,
)

log = logging.getLogger("spinelink.quality")


def _group_zeros(values, rules: Rules) -> set[cellmod.Cell]:
    """Zero parts of non-empty groups (`Rules.zeros == "group"`): in total = sum of
    parts, a part that is zero while the total is not (known, or the sum of the parts)."""
    if rules.zeros != "group":
        return set()
    out = set()
    for total, parts in rules.identities:
        for c, v in values.items():
            if v != 0 or c[0] not in parts:
                continue
            whole = values.get((total, c[1]))
            if whole is None:
                each = [values.get((p, c[1])) for p in parts]
                whole = None if None in each else sum(each)
            if whole:
                out.add(c)
    return out


def _primary(tables, values, where, exact, rules: Rules,
             single: frozenset = frozenset()) -> set[cellmod.Cell]:
    out = set()
    zeros = _group_zeros(values, rules)
    for c, v in values.items():
        if c in exact or c not in where:
            continue
        if (0 < v < rules.min_cell or c in zeros) and any(
                o.table in tables and o.column in tables[o.table].counts for o in where[c]):
            out.add(c)
    for t in tables.values():
        for col, (template, top_col) in t.magnitudes.items():
            for rec in t.data.to_dict(orient="records"):
                if disclosure.dominated(rec[col], rec[top_col], rules.p_percent, rules.nk):
                    c = _cell(template.format(**rec), conditions(t, rec, single),
                              rules.one_to_one)
                    if c not in exact:
                        out.add(c)
    return out


def _row_cells(where) -> dict[tuple[str, int], list]:
    """The cells of each published row."""
    out: dict[tuple[str, int], list] = {}
    for c, occ in where.items():
        for o in occ:
            out.setdefault((o.table, o.row), []).append(c)
    return out


def _row_closure(where, row_cells, suppressed: set, exact: set, start) -> set:
    """The cells suppressing `start` adds to `suppressed`: a suppressed cell takes its
    rows with it, and every cell in those rows (but exact ones), and so on."""
    new = {c for c in start if c not in suppressed}
    todo = list(new)
    while todo:
        for o in where.get(todo.pop(), ()):
            for other in row_cells[(o.table, o.row)]:
                if other not in suppressed and other not in new and other not in exact:
                    new.add(other)
                    todo.append(other)
    return new


def _choose(system: cellmod.System, target: int, candidates: np.ndarray,
            by_cell: list[list[int]], through: np.ndarray | None = None) -> int | None:
    """The smallest suppressible cell sharing a sum with `target` (a part before a total;
    a non-zero count before a zero, whose suppression hides little). With none, the
    smallest sharing a sum with a cell no table shows that shares one with it, and so
    on (`through`: those cells; e.g. a variable's units with no source, tied to its
    imputed units only through the cross of source by status, which nobody publishes;
    when that finds none for any cell, the caller asks again through the suppressed
    cells too)."""
    frontier, seen = [target], {target}
    for _ in range(4):
        best, best_key, step = None, None, []
        for t in frontier:
            for r in by_cell[t]:
                terms = system.rows[r]
                total = terms[0][0]
                for c, _ in terms:
                    if c == target:
                        continue
                    if candidates[c]:
                        v = system.value[c]
                        key = (c == total, v == 0, v, system.cells[c])
                        if best_key is None or key < best_key:
                            best, best_key = c, key
                    elif through is not None and through[c] and c not in seen:
                        seen.add(c)
                        step.append(c)
        if best is not None or not step:
            return best
        frontier = step
    return None


def _small_sums(system, unknown, mask, candidates, changed, min_cell: int,
                zeros: np.ndarray) -> list[int]:
    """Cells to suppress where the suppressed cells of one sum, all else in it shown, add
    up to 1..min_cell-1 (they would be known to be small together: the threshold rule on
    their sum), or to 0 with a zero suppressed by the `group` rule among them (counts
    are not negative: each would be known to be 0); one per such sum."""
    unknown, mask, candidates = unknown.copy(), mask.copy(), candidates.copy()
    out = []
    n_rows = len(system.rows)
    for r, terms in enumerate(system.rows + system.implied):
        if changed is not None and r < n_rows and not changed[r]:
            continue
        hidden = [(c, coef) for c, coef in terms if unknown[c]]
        if len(hidden) < 2 or not all(mask[c] for c, _ in hidden):
            continue
        if len({np.sign(coef) for _, coef in hidden}) != 1:
            continue  # a difference of hidden cells, not a group of them
        total = sum(system.value[c] for c, _ in hidden)
        if not (0 < total < min_cell or (total == 0 and any(zeros[c] for c, _ in hidden))):
            continue
        parts = [c for c, _ in terms if candidates[c]]
        if parts:
            total_cell = terms[0][0]
            pick = min(parts, key=lambda c: (c == total_cell, system.value[c] == 0,
                                             system.value[c], system.cells[c]))
            out.append(pick)
            unknown[pick] = mask[pick] = True
            candidates[pick] = False
    return out


def suppression(tables: dict[str, PublishedTable], rules: Rules,
                before: dict | None = None) -> dict[str, np.ndarray]:
    """Per table, which rows are suppressed (see the module docstring). `before`: tables
    published already ({name: (table, suppressed rows)}, `published.load`): their shown
    cells are known, their suppressed cells stay suppressed, and nothing in them changes."""
    return _suppress(tables, rules, before)[0]


def _suppress(tables, rules, before):
    """Suppressed rows per table, and per table and count column the rows whose cell is
    published anyway (in an exact table or one published before): a suppressed row
    still shows those, so that a cell is shown everywhere or nowhere."""
    before = before or {}
    every = {**{f"before:{n}": t for n, (t, _) in before.items()}, **tables}
    values, where, exact, cats, single, sums, derived = _collect(every, rules.one_to_one)
    fixed_sup = set()
    for n, (_, sup_rows) in before.items():
        name = f"before:{n}"
        hidden = np.asarray(sup_rows, bool)
        for c, occ in where.items():
            for o in occ:
                if o.table == name:
                    (fixed_sup if hidden[o.row] else exact).add(c)
    fixed_sup -= exact
    system = cellmod.build(values, cats, [(t, list(p)) for t, p in rules.identities],
                           alias=lambda c: _cell(c[0], dict(c[1]), rules.one_to_one)
                           if rules.one_to_one else c, sums=sums)
    for c, v in values.items():
        system.value[system.index[c]] = v
    for c, v in derived.items():
        system.value[system.index[c]] = v
    published = np.zeros(len(system.cells), bool)
    for c in where:
        published[system.index[c]] = True
    known_zero = np.zeros(len(system.cells), bool)
    for c in values:
        if c not in where:
            known_zero[system.index[c]] = True
    by_cell: list[list[int]] = [[] for _ in system.cells]
    for r, terms in enumerate(system.rows):
        for c, _ in terms:
            by_cell[c].append(r)
    own = {n: t for n, t in every.items() if not n.startswith("before:")}
    # with tables published before (and checked then), only the sums that touch this
    # call's cells can have changed
    changed = None
    if before:
        mine = np.zeros(len(system.cells), bool)
        for c, occ in where.items():
            if any(o.table in own for o in occ):
                mine[system.index[c]] = True
        changed = np.array([any(mine[c] for c, _ in terms) for terms in system.rows], bool)
    primary = _primary(own, values, where, exact, rules, single)
    # a small count no table shows but a tie's sum gives (units still missing a value:
    # missing less imputed): hidden like a shown one, so that the sum's shown parts do
    # not give it away
    unshown = {c for c, v in derived.items() if 0 < v < rules.min_cell and c not in where}
    primary |= unshown
    group_zeros = np.zeros(len(system.cells), bool)
    for c in _group_zeros(values, rules):
        group_zeros[system.index[c]] = True
    # a count the exact figures and those published before determine is published by
    # them: not suppressed by the rules, nor chosen to protect another (hiding it would
    # protect nothing; e.g. a variable's units with no source, the imputed units the
    # imputation table showed). Without them, only the small counts are asked about.
    ask = np.zeros(len(system.cells), bool)
    for c in primary:
        ask[system.index[c]] = True
    if before:
        for c, occ in where.items():
            if c not in exact and c not in fixed_sup and any(o.table in own for o in occ):
                ask[system.index[c]] = True
    if ask.any():
        known = known_zero.copy()
        for c in exact:
            known[system.index[c]] = True
        hit = cellmod.exposed(system, ~known, ask) & ask
        if hit.any():
            fixed = {system.cells[i] for i in np.flatnonzero(hit)}
            primary -= fixed
            exact |= fixed
            log.info("disclosure: %d cells determined by the tables published before "
                     "(or exact): published", len(fixed))
    sup = primary | fixed_sup
    row_cells = _row_cells(where)
    sup = _row_closure(where, row_cells, set(), exact, sup)
    n_primary = len(sup - fixed_sup - unshown)
    for _ in range(len(system.cells) + 1):
        mask = np.zeros(len(system.cells), bool)
        for c in sup:
            mask[system.index[c]] = True
        unknown = mask | ~(published | known_zero)
        hit = np.flatnonzero(cellmod.exposed(system, unknown, mask, changed) & mask)
        candidates = published & ~mask
        for c in exact:
            candidates[system.index[c]] = False
        if not len(hit):
            extra = _small_sums(system, unknown, mask, candidates, changed, rules.min_cell,
                                group_zeros)
            if not extra:
                break
            sup |= _row_closure(where, row_cells, sup, exact,
                                [system.cells[j] for j in extra])
            continue
        added: set = set()
        # with nothing found for any exposed cell, a second pass also through the hidden
        # cells (e.g. an earlier table's: the units with no source tied to the other
        # statuses through the imputed units it hid)
        for through in (unknown & ~published, unknown):
            for i in hit:
                if any(c in added for r in by_cell[i] for c, _ in system.rows[r] if c != i):
                    continue  # a cell suppressed for another this round shares a sum with it
                j = _choose(system, int(i), candidates, by_cell, through)
                if j is None:
                    continue
                new = _row_closure(where, row_cells, sup, exact, [system.cells[j]])
                sup |= new
                for c in new:
                    added.add(system.index[c])
                    candidates[system.index[c]] = False
            if added:
                break
        if not added:
            raise RuntimeError("disclosure: a suppressed cell is exposed and no cell that "
                               "may still be suppressed shares a sum with it")
    n_sup = len(sup - fixed_sup - unshown)
    log.info("disclosure: %d cells suppressed (%d by the rules, %d to protect them)",
             n_sup, n_primary, n_sup - n_primary)
    rows = {name: np.zeros(len(t.data), bool) for name, t in tables.items()}
    public = {name: {col: np.zeros(len(t.data), bool) for col in t.counts}
              for name, t in tables.items()}
    for c in sup:
        for o in where.get(c, []):
            if o.table in rows:
                rows[o.table][o.row] = True
    for c in exact:
        for o in where.get(c, []):
            if o.table in public and o.column in public[o.table]:
                public[o.table][o.column][o.row] = True
    return rows, public


def protect(tables: dict[str, PublishedTable], rules: Rules,
            before: dict | None = None) -> dict[str, pd.DataFrame]:
    """Every table as published: suppressed rows blanked (all but the dims, the stacked
    variable and value, and `keep`), counts rounded (not in exact tables), `suppressed`.
    `before`: the tables earlier stages published (`published.load(out)`)."""
    rows, public = _suppress(tables, rules, before)
    out = {}
    for name, t in tables.items():
        df = t.data.reset_index(drop=True).copy()
        sup = pd.Series(rows[name], index=df.index)
        if not t.exact:
            for col in t.counts:
                df[col] = disclosure.round_counts(df[col], rules.rounding)
        keep = [*t.dims, *(t.stacked or ()), *t.keep]
        shown = df.copy()
        df = disclosure.blank(df, sup, keep)
        for col, pub in public[name].items():  # published elsewhere: shown here too
            df.loc[pub & sup.to_numpy(), col] = shown.loc[pub & sup.to_numpy(), col]
        df["suppressed"] = sup.to_numpy()
        out[name] = df
    return out
