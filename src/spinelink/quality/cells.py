"""The cells of a run's published tables and the sums that tie them together.

A cell is (population, conditions): the units counted (`census`, `census linked by
benefits`, ...) and the categories they are restricted to ({ethnic_group: C4, sex: F}; no
conditions: the population's total). The same cell in two tables is one cell, whatever
the table. Two kinds of sum hold between cells, and an attacker can use both:

- margins: a cell is the sum of its breakdown by any further variable (C4 = C4 & 0-17 +
  C4 & 18-29 + ...), whether or not the table holding the margin publishes the breakdown;
  the margins no table publishes (e.g. ethnic group by age when only ethnic group by age
  by region is published) are cells too, unknown to everyone;
- identities between populations, declared by the caller (census = census linked by
  benefits + census unlinked by benefits), for every set of conditions.

`System` holds the cells with their true values, whether each is published, suppressed
or nowhere, and the sums as a sparse matrix; `exposed` says which unknown cells the
published ones determine exactly (by any linear combination of the sums: differencing
margins, one table against another, one-way against intersectional sums).
"""
from __future__ import annotations

import contextlib
import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np

from spinelink.quality.stats import one_blas_thread

if TYPE_CHECKING:
    import scipy.sparse as sp
# scipy is imported where a matrix is built (~0.25 s of start-up a run without
# published-table checks does not pay)

Cell = tuple[str, tuple[tuple[str, str], ...]]  # population, sorted (variable, value)
DENSE_LIMIT = 6000  # unknowns in one connected part the exact dense check takes (fallback)
SMALL_UNKNOWNS = 400  # up to this many unknown cells, the whole check is dense (numpy only)
NULL_VECTORS = 4  # random null-space vectors per connected part (`_determined`)
NULL_SEED = 20151  # fixed: the same tables give the same suppressions


def cell(population: str, conditions: dict[str, str]) -> Cell:
    return population, tuple(sorted((str(k), str(v)) for k, v in conditions.items()))


@dataclass
class System:
    cells: list[Cell] = field(default_factory=list)
    index: dict[Cell, int] = field(default_factory=dict)
    value: list[float] = field(default_factory=list)
    rows: list[list[tuple[int, float]]] = field(default_factory=list)  # sum = 0 equations
    # sums the rows imply, left out of them (margins of a population in one identity
    # only): no help to the linear check, but the parts a sum hides together are read
    # from each sum written out (`protect._small_sums`)
    implied: list[list[tuple[int, float]]] = field(default_factory=list)
    # the cell a cell is known as (one cell under two names, e.g. a one-to-one source's
    # linked units by its values and its linked records by them: protect_spec.same_cell)
    alias: Callable[[Cell], Cell] | None = None

    def add(self, c: Cell, v: float = np.nan) -> int:
        if self.alias is not None:
            c = self.alias(c)
        i = self.index.get(c)
        if i is None:
            i = self.index[c] = len(self.cells)
            self.cells.append(c)
            self.value.append(v)
        elif not np.isnan(v) and np.isnan(self.value[i]):
            self.value[i] = v
        return i

    def matrix(self) -> sp.csr_matrix:
        import scipy.sparse as sp

        data, ri, ci = [], [], []
        for r, terms in enumerate(self.rows):
            for c, coef in terms:
                ri.append(r)
                ci.append(c)
                data.append(coef)
        return sp.csr_matrix((data, (ri, ci)), shape=(len(self.rows), len(self.cells)))


def build(published: dict[Cell, float], categories: dict[str, list[str]],
          identities: list[tuple[str, list[str]]],
          alias: Callable[[Cell], Cell] | None = None,
          sums: list[tuple[Cell, list[Cell]]] = ()) -> System:
    """Every published cell, every margin between them and the populations' totals, and
    the sums. `categories`: every value of each variable (a breakdown's parts). `alias`:
    the name each cell is known by (`System.alias`); `published` is by those names.
    `sums`: further (total, parts) the tables state (`PublishedTable.ties`); their cells
    break down like the others."""
    s = System(alias=alias)
    for c, v in published.items():
        s.add(c, v)
    sum_rows = [[(s.add(total), 1.0), *((s.add(p), -1.0) for p in parts)]
                for total, parts in sums]
    crossings: dict[str, set[frozenset]] = {}
    for pop, cond in list(s.cells):
        crossings.setdefault(pop, set()).add(frozenset(k for k, _ in cond))
    for total, parts in identities:  # a population and its parts break down alike
        group = [total, *parts]
        union = set().union(*(crossings.get(p, set()) for p in group))
        for p in group:
            crossings[p] = set(union)
    # a population in one identity only: its margin sums are those of the identity's
    # others less the identities' own (same crossings), so they are left out: the same
    # row space in fewer rows, ten times faster with a three-way cross
    seen = [p for total, parts in identities for p in (total, *parts)]
    implied = set()
    for total, parts in identities:
        if parts and seen.count(parts[-1]) == 1 and not {total, *parts} & implied:
            implied.add(parts[-1])
    for pop, crs in crossings.items():
        closed = {frozenset(sub) for cr in crs for n in range(len(cr) + 1)
                  for sub in itertools.combinations(sorted(cr), n)}
        crossings[pop] = closed
        for cr in closed:
            for v in sorted(cr):
                _margins(s, pop, sorted(cr), v, categories,
                         s.implied if pop in implied else s.rows)
    for total, parts in identities:
        for cr in crossings.get(total, ()):
            names = sorted(cr)
            for combo in itertools.product(*(categories[n] for n in names)):
                cond = dict(zip(names, combo, strict=True))
                row = [(s.add(cell(total, cond)), 1.0)]
                row += [(s.add(cell(p, cond)), -1.0) for p in parts]
                s.rows.append(row)
    s.rows += [list(r) for r in dict.fromkeys(tuple(r) for r in sum_rows)]
    return s


def _margins(s: System, pop: str, names: list[str], v: str,
             categories: dict[str, list[str]], into: list | None = None) -> None:
    """cell(rest) = sum over v's values of cell(rest, v=x), for every assignment of rest."""
    rest = [n for n in names if n != v]
    for combo in itertools.product(*(categories[n] for n in rest)):
        cond = dict(zip(rest, combo, strict=True))
        row = [(s.add(cell(pop, cond)), 1.0)]
        row += [(s.add(cell(pop, {**cond, v: x})), -1.0) for x in categories[v]]
        (s.rows if into is None else into).append(row)


def exposed(s: System, unknown: np.ndarray, interest: np.ndarray | None = None,
            changed: np.ndarray | None = None) -> np.ndarray:
    """Unknown cells whose value the known cells and the sums determine exactly.
    `interest`: the unknown cells asked about (default all; the others, margins no table
    shows, may be eliminated first). `changed`: the sums that changed since a check that
    found nothing (default all): parts of the system none of them touches are skipped.
    Up to SMALL_UNKNOWNS unknown cells, the sums are a dense array and each part is
    decided exactly (`_determined_dense`); above, a sparse matrix and certificates
    (`_determined`). The answer is the same; the dense path needs no scipy."""
    cols = np.flatnonzero(unknown)
    out = np.zeros(len(s.cells), bool)
    if not len(cols) or not s.rows:
        return out
    dense = len(cols) <= SMALL_UNKNOWNS
    a = _dense_columns(s, cols) if dense else s.matrix().tocsc()[:, cols].tocsr()
    ask = np.ones(len(cols), bool) if interest is None else interest[cols]
    rows = _per_row(a) > 0
    fresh = rows if changed is None else (rows & changed)
    a, fresh = a[rows], fresh[rows]
    a, keep, fresh = _peel(a, ask, fresh)
    for part in _components(a):
        sub = a[:, part]
        live = _per_row(sub) > 0
        if not live.any() or not fresh[live].any() or not ask[keep[part]].any():
            continue
        determined = _determined_dense(sub[live]) if dense else _determined(sub[live])
        out[cols[keep[part[determined]]]] = True
    return out


def _dense_columns(s: System, cols: np.ndarray) -> np.ndarray:
    """The sums' coefficients on the cells `cols`, as a dense array (sums by cells)."""
    where = np.full(len(s.cells), -1)
    where[cols] = np.arange(len(cols))
    a = np.zeros((len(s.rows), len(cols)))
    for r, terms in enumerate(s.rows):
        for c, coef in terms:
            if where[c] >= 0:
                a[r, where[c]] += coef
    return a


def _per_row(a) -> np.ndarray:
    """Non-zero coefficients in each row (dense array or CSR matrix)."""
    return np.count_nonzero(a, axis=1) if isinstance(a, np.ndarray) else np.diff(a.indptr)


def _per_col(a) -> np.ndarray:
    return (np.count_nonzero(a, axis=0) if isinstance(a, np.ndarray)
            else np.diff(a.tocsc().indptr))


def _peel(a, ask: np.ndarray, fresh: np.ndarray):
    """Drop, repeatedly, an unknown not asked about that is in a single equation,
    together with that equation (it soaks up whatever the others are: the equation says
    nothing about them), unless the equation has no other unknown."""
    keep_cols = np.arange(a.shape[1])
    while True:
        per_row = _per_row(a)
        lone = np.flatnonzero((_per_col(a) == 1) & ~ask[keep_cols])
        if not len(lone):
            break
        if isinstance(a, np.ndarray):  # the one row of each lone column
            row_of = np.argmax(a[:, lone] != 0, axis=0)
        else:
            csc = a.tocsc()
            row_of = csc.indices[csc.indptr[lone]]
        drop = np.unique(row_of[per_row[row_of] > 1])
        if not len(drop):
            break
        rows = np.setdiff1d(np.arange(a.shape[0]), drop)
        a, fresh = a[rows], fresh[rows]
        live = np.flatnonzero(_per_col(a) > 0)
        a = a[:, live]
        keep_cols = keep_cols[live]
    return a, keep_cols, fresh


def _components(a) -> list[np.ndarray]:
    """Column sets connected through shared equations."""
    n = a.shape[1]
    if not a.shape[0]:
        return [np.array([c]) for c in range(n)]
    if isinstance(a, np.ndarray):
        labels = _joined(a != 0)
    else:
        import scipy.sparse.csgraph

        b = (a != 0).astype(np.int8)
        adj = (b.T @ b).tocsr()
        labels = scipy.sparse.csgraph.connected_components(adj, directed=False)[1]
    return [np.flatnonzero(labels == k) for k in np.unique(labels)]


def _joined(b: np.ndarray) -> np.ndarray:
    """A label per column of the boolean array b: columns sharing a row share a label
    (union-find over the rows)."""
    parent = list(range(b.shape[1]))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for row in b:
        first, *rest = np.flatnonzero(row).tolist() or [None]
        for c in rest:
            parent[root(c)] = root(first)
    return np.array([root(c) for c in range(b.shape[1])])


def _determined(m) -> np.ndarray:
    """Columns j with the unit vector e_j in the row space of m: every solution of the
    homogeneous system has x_j = 0.

    A few random vectors of the null space (a seeded normal vector less its projection
    on the row space, by sparse least squares, LSQR) are non-zero, almost surely, at
    every column that is not determined: such a vector is a certificate that x_j can
    change while every sum holds. A column where all of them are zero is determined.
    Checked: each vector must satisfy m z = 0 to rounding; if one does not (LSQR did not
    converge), the exact dense check decides. On the 100,000-person sample job with
    three crosses (5,596 unknowns, 3,532 sums) this takes 0.1 s against 30 s dense,
    with the same answer."""
    import scipy.sparse as sp

    m = sp.csr_matrix(m, dtype=float)
    n = m.shape[1]
    if not m.nnz:
        return np.zeros(n, bool)
    rng = np.random.default_rng(NULL_SEED)
    mt = m.T.tocsr()
    seen = np.zeros(n)
    import scipy.sparse.linalg

    with one_blas_thread():  # LSQR's vector norms: threads cost more than they save
        for _ in range(NULL_VECTORS):
            v = rng.standard_normal(n)
            y = scipy.sparse.linalg.lsqr(mt, v, atol=1e-14, btol=1e-14,
                                         iter_lim=max(1000, 20 * n))[0]
            z = v - mt @ y
            size = np.abs(z).max()
            if not size or np.linalg.norm(m @ z) > 1e-9 * np.linalg.norm(z):
                return _determined_dense(m.toarray())
            seen = np.maximum(seen, np.abs(z) / size)
    return seen < 1e-7


def _determined_dense(m: np.ndarray) -> np.ndarray:
    """`_determined` by an orthonormal basis of the row space (exact, cubic in size)."""
    if m.shape[1] > DENSE_LIMIT:
        raise ValueError(f"disclosure check: {m.shape[1]} linked unknown cells exceed "
                         f"{DENSE_LIMIT} and the sparse check did not converge; publish "
                         "fewer or coarser crossings")
    # e_j is in the row space when its projection on an orthonormal basis of the row
    # space (the right singular vectors of its non-zero singular values) has length one
    if not m.size:
        return np.zeros(m.shape[1], bool)
    # (a few dozen columns, as most parts are: no thread pool to limit, nor its import)
    with one_blas_thread() if m.shape[1] > 64 else contextlib.nullcontext():
        _, d, vt = np.linalg.svd(m, full_matrices=False)
    rank = int((d > 1e-9 * max(d.max(initial=0.0), 1.0)).sum())
    return (vt[:rank] ** 2).sum(axis=0) > 1 - 1e-8
