"""Which reference units an unlinked source record's match is likely on: each unit's
expected source records the links have not found, from how the units of its subgroup
hold links (issue 12).

The probabilistic stage gives each residual source record's candidates a probability with
one prior for every reference unit (`probabilistic.RecordModel`: pi / n_ref each). For a
record the stage left unlinked, the links of the other records say more: a unit some other
record is linked to holds another record of its person only when the source has several
records of a person (pseudopeople's 1040 lists a child as a dependant on one return and as
a filer on another; a benefits register holds each person once), and the units of a
subgroup the source barely covers (children on a W-2) hold few. Per value of a breakdown
variable (the unit's, on the reference side), the units' counts of links C_l (l = 0, 1, 2,
...) are the counts of their persons' source records n thinned by the links' detection rate
rho (each record of a person linked independently with chance rho): C = B(rho) p, B
binomial, solved for p. A unit's expected records not linked is then E[n - l | l] (l: the
links on it from other records; a claimed unit's false links count as records not linked
too), and the record's odds of each candidate are multiplied by the candidate unit's
expectation over the average (`multipliers`). The posteriors of records the stage linked
stay the stage's (the links are this evidence), so precision does not move.

Measured on the external sets (benchmarks/RESULTS.md, session 31 helper E): the unlinked
records' expected matches by age band move toward the truth on tax1040 (children's units
hold two records each), w2 (children's units none) and ss (one each).
"""
from __future__ import annotations

from math import comb

import numpy as np

MAX_LINKS = 4  # units with more links count as this many (a person's records, at most)
MIN_UNITS = 50  # a value with fewer reference units takes the pooled multipliers


def remaining(counts: np.ndarray, rho: float) -> tuple[float, float]:
    """Expected records not linked per unit without a link, and per unit with one or more
    (`counts[l]`: units with l links, l = 0..K)."""
    k = len(counts) - 1
    b = np.array([[comb(n, m) * rho ** m * (1 - rho) ** (n - m) if m <= n else 0.0
                   for n in range(k + 1)] for m in range(k + 1)])
    p = np.clip(np.linalg.solve(b, np.asarray(counts, float)), 0.0, None)
    left = (b * p * (np.arange(k + 1)[None, :] - np.arange(k + 1)[:, None])).sum(axis=1)
    fitted = b @ p
    free = left[0] / fitted[0] if fitted[0] > 0 else 0.0
    claimed = left[1:].sum() / fitted[1:].sum() if fitted[1:].sum() > 0 else 0.0
    return float(free), float(claimed)


def _counts(links_per_unit: np.ndarray, n_units: int) -> np.ndarray:
    n = np.minimum(links_per_unit, MAX_LINKS).astype(int)
    c = np.bincount(n, minlength=MAX_LINKS + 1).astype(float)
    c[0] += max(n_units - len(n), 0)
    top = max(int(np.flatnonzero(c).max()), 1)
    return c[:top + 1]


def multipliers(unit_value: np.ndarray, unit_links: np.ndarray, unit_false: np.ndarray,
                n_ref: np.ndarray, rho: float) -> np.ndarray:
    """Per value (rows) and unit state (column 0: no link from another record, 1: one or
    more), the factor on a candidate's odds. `unit_value`, `unit_links`, `unit_false`: per
    linked unit, its value, its links and their expected false ones; `n_ref`: reference
    units per value."""
    k = len(n_ref)
    rho = float(np.clip(rho, 0.05, 0.999))
    exp = np.zeros((k, 2))
    units = np.zeros((k, 2))
    pooled = remaining(_counts(unit_links, int(n_ref.sum())), rho)
    for v in range(k):
        at = unit_value == v
        c = _counts(unit_links[at], int(n_ref[v]))
        free, claimed = remaining(c, rho) if n_ref[v] >= MIN_UNITS else pooled
        n_claimed = float(at.sum())
        extra = float(unit_false[at].sum()) / n_claimed if n_claimed else 0.0
        exp[v] = free, claimed + extra
        units[v] = max(n_ref[v] - n_claimed, 0.0), n_claimed
    total = float((exp * units).sum())
    if total <= 0:
        return np.ones((k, 2))
    return exp * float(units.sum()) / total


def tilt(post: np.ndarray, rec: np.ndarray, first: np.ndarray, n_rec: int,
         factor: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The posteriors with each candidate's odds against "no match" times `factor`; the
    candidates of records `keep` (per record: the stage linked it) as they were."""
    s = np.bincount(rec, weights=post * first, minlength=n_rec)
    odds = post / np.clip(1.0 - s, 1e-12, None)[rec] * factor
    s2 = np.bincount(rec, weights=odds * first, minlength=n_rec)
    return np.where(keep[rec], post, odds / (1.0 + s2[rec]))


def factors(link_ref: np.ndarray, link_code: np.ndarray, link_false: np.ndarray,
            cand_ref: np.ndarray, cand_code: np.ndarray, n_ref: np.ndarray,
            rho: float) -> np.ndarray:
    """Per candidate, the factor on its odds for one breakdown (`link_*`: per link, its
    reference record, value code and chance of being false; `cand_*`: per candidate)."""
    units, at, n_links = np.unique(link_ref, return_inverse=True, return_counts=True)
    value = np.zeros(len(units), int)
    value[at] = link_code
    false = np.bincount(at, weights=link_false, minlength=len(units))
    m = multipliers(value, n_links, false, np.asarray(n_ref, float), rho)
    pos = np.searchsorted(units, cand_ref)
    pos = np.minimum(pos, max(len(units) - 1, 0))
    claimed = (units[pos] == cand_ref) if len(units) else np.zeros(len(cand_ref), bool)
    return m[cand_code, claimed.astype(int)]
