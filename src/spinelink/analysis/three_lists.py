"""Three-list estimates: what two captures cannot see, measured with a third.

A dual-system estimate assumes that, within its post-strata, being in the reference and
being in the source are independent. People the census misses are often missed by the
registers and surveys too (a group of recent migrants, young men): the two captures are
then positively dependent and the estimate falls short, by the same amount whatever its
sample size. Two lists cannot measure that dependence; three can. With the reference R
and two sources A and B, each person falls in one of eight capture patterns; seven are
observed (n111 ... n001, in R, A, B order) and the log-linear model with every two-way
interaction but no three-way one gives the eighth,

    n000 = n111 n100 n010 n001 / (n110 n101 n011)

(the odds ratio of R and A among B's persons, which B shows whole, taken to hold among
the people B misses too). Its standard error on the log scale is the square root of the
sum of the seven counts' reciprocals (the model's asymptotic variance; Fienberg 1972,
Bishop, Fienberg and Holland 1975, ch. 6).

Neither model is right: on generated populations whose capture rates vary within every
subgroup (the cultures within `other White`), the two-list estimate falls short at every
seed and the three-list one scatters on both sides of the truth (its assumption fails
when B's coverage varies with the same traits). So the three-list estimate does not
replace the dual-system one: each subgroup's interval is widened to take in the
three-list interval as well (`widen`), an interval over the two models, and the
three-list estimate is reported beside the dual-system one. It is computed where each
of the three counts it divides by holds at least `MIN_CELL` persons (else the ratio is
noise; the interval stays the dual-system one).

Counts on linked data (`counts`): the reference's units (one per person) by whether A
and B link to them give n1ab (a unit whose value is unknown is spread over the values
like the known units of its pattern); the source records linked to no unit (persons:
repeats taken out) give n0ab, A's and B's among them being one person when they carry
the same identifier, or agree on first name, last name and date of birth, on either
name with the date of birth and postcode, or on both names and the postcode
(`sql/analysis/residue_matches.sql`), counted by A's value read through the linked
pairs' concordance. Linkage errors move people between the patterns (a missed link puts
a person both in n10x and in n01x, and the estimate multiplies them): `adjust` takes
them out with the quality stage's precision and recall of each source's links. Left
out: the uncertainty of those (the dual-system interval carries it) and the residue
matches' misses (n011 too small, so the three-list estimate errs upwards; on generated
data the keys find 96% of those persons, 1% of their pairs wrong).

>>> round(loglinear({"111": 50, "110": 100, "101": 60, "100": 90, "011": 20,
...                  "010": 40, "001": 25})[0])
422
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from spinelink.analysis.both_sides import _reclassify, _spread_unknown, concordance_shares
from spinelink.quality.groups import UNKNOWN, ordered_values

Z95 = 1.959963984540054
MIN_CELL = 10  # each count the ratio divides by (n110, n101, n011)
PATTERNS = ("111", "110", "101", "100", "011", "010", "001")


def loglinear(n: dict) -> tuple[float, float, float] | None:
    """(estimate, low, high) of the population from the seven observed capture counts
    (keys `PATTERNS`), or None where a count the ratio divides by is below MIN_CELL."""
    if min(n["110"], n["101"], n["011"]) < MIN_CELL:
        return None
    seen = float(sum(n[k] for k in PATTERNS))
    n000 = n["111"] * n["100"] * n["010"] * n["001"] / (n["110"] * n["101"] * n["011"])
    sd = math.sqrt(sum(1.0 / max(n[k], 0.5) for k in PATTERNS))
    return seen + n000, seen + n000 * math.exp(-Z95 * sd), seen + n000 * math.exp(Z95 * sd)


def counts(ref: pd.DataFrame, links_a: pd.DataFrame, links_b: pd.DataFrame,
           src_a: pd.DataFrame, unlinked_a: pd.Index, matched_a: pd.Index,
           src_b: pd.DataFrame, unlinked_b: pd.Index, variables: list[str]) -> pd.DataFrame:
    """variable, value and the seven capture counts (see the module's text). ref: the
    reference's units (one per person) by variable; links_*: reference_id, source_id
    (the units mapped to their person's); src_*: each source's persons by variable (its
    own values); unlinked_*: ids of those linked to no unit; matched_a: ids of A's among
    them that B holds too."""
    in_a = ref.index.isin(pd.Index(links_a["reference_id"].unique()))
    in_b = ref.index.isin(pd.Index(links_b["reference_id"].unique()))
    rows = []
    for var in variables:
        if var not in ref.columns or var not in src_a.columns or var not in src_b.columns:
            continue
        by = {}
        for key, mask in (("111", in_a & in_b), ("110", in_a & ~in_b),
                          ("101", ~in_a & in_b), ("100", ~in_a & ~in_b)):
            c = ref.loc[mask, var].value_counts()
            by[key] = _spread_unknown(c, c)  # unknown values spread like the known
        ua = _residue(ref[var], src_a[var], links_a, unlinked_a)
        ma = _residue(ref[var], src_a[var], links_a, matched_a)
        ub = _residue(ref[var], src_b[var], links_b, unlinked_b)
        values = ordered_values(set().union(*(s.index for s in (*by.values(), ua, ub))))
        for v in values:
            if v == UNKNOWN:
                continue
            n = {k: float(by[k].get(v, 0.0)) for k in by}
            n["011"] = float(ma.get(v, 0.0))
            n["010"] = max(float(ua.get(v, 0.0)) - n["011"], 0.0)
            n["001"] = max(float(ub.get(v, 0.0)) - n["011"], 0.0)
            rows.append({"variable": var, "value": v, **{f"n{k}": n[k] for k in PATTERNS}})
    return pd.DataFrame(rows, columns=["variable", "value", *(f"n{k}" for k in PATTERNS)])


def _residue(ref_values: pd.Series, src_values: pd.Series, links: pd.DataFrame,
             ids: pd.Index) -> pd.Series:
    """Counts by the reference's value of the source records `ids` (linked to none): read
    through the linked pairs' concordance, the unknown ones spread like the known."""
    shares = concordance_shares(ref_values, src_values.astype(str), links)
    c = src_values[src_values.index.isin(ids)].astype(str).value_counts()
    if c.empty:
        return c.astype(float)
    c.index.name = "value"
    return _spread_unknown(_reclassify(c, "value", shares), c)


def adjust(n: dict, a: tuple[float, float], b: tuple[float, float]) -> dict:
    """The seven counts with the links' errors taken out, from the quality stage's
    precision and recall of A's links (a) and B's (b): of A's L linked units, L (1 - p)
    are false (their records belong to people outside the reference, in A's residue) and
    L p (1 / r - 1) true matches were missed (counted as units A lacks and as A's
    residue): the net M - F units move into A (split over B's patterns like A's linked
    units) and out of A's residue; then the same for B.

    >>> adjust({"111": 90, "110": 10, "101": 9, "100": 30, "011": 5, "010": 20,
    ...         "001": 8}, (1.0, 0.9), (1.0, 1.0))["010"].__round__(3)
    8.889
    """
    n = dict(n)
    for (p, r), (both, only, other, none), residue in (
            (a, ("111", "110", "101", "100"), "010"),
            (b, ("111", "101", "110", "100"), "001")):
        if not (np.isfinite(p) and np.isfinite(r) and r > 0):
            continue
        linked = n[both] + n[only]
        move = linked * p * (1 / r - 1) - linked * (1 - p)
        move = min(move, n[other] + n[none], n[residue]) if move > 0 else max(
            move, -linked)
        share = n[both] / linked if linked > 0 else 0.0
        n[both] += move * share
        n[only] += move * (1 - share)
        n[other] -= move * share
        n[none] -= move * (1 - share)
        n[residue] -= move
    return {k: max(v, 0.0) for k, v in n.items()}


def estimates(c: pd.DataFrame, quality=None) -> pd.DataFrame:
    """variable, value, est_population_three_lists with its low and high ends (NaN where
    `loglinear` gives none). quality(variable, value) -> ((precision, recall) of A's
    links, (precision, recall) of B's), when known: the counts are `adjust`ed."""
    rows = []
    for r in c.to_dict("records"):
        n = {k: r[f"n{k}"] for k in PATTERNS}
        if quality is not None:
            n = adjust(n, *quality(r["variable"], r["value"]))
        got = loglinear(n) or (np.nan,) * 3
        rows.append({"variable": r["variable"], "value": r["value"],
                     "est_population_three_lists": got[0],
                     "est_population_three_lists_low": got[1],
                     "est_population_three_lists_high": got[2]})
    return pd.DataFrame(rows, columns=["variable", "value", "est_population_three_lists",
                                       "est_population_three_lists_low",
                                       "est_population_three_lists_high"])


def widen(est: pd.DataFrame, three: pd.DataFrame | None) -> pd.DataFrame:
    """The dual-system estimates (`dual_system.estimates`) with the three-list estimate
    of the row's subgroup beside them (source, variable, value) and each interval widened
    to take in the three-list interval (a row without a dual-system estimate keeps none)."""
    cols = ["est_population_three_lists", "est_population_three_lists_low",
            "est_population_three_lists_high"]
    if three is None or three.empty or est.empty:
        return est.assign(**{c: np.nan for c in cols})
    t = three.assign(value=three["value"].astype(str))
    out = est.assign(_v=est["value"].astype(str)).merge(
        t.rename(columns={"value": "_v"}), on=["source", "variable", "_v"], how="left"
    ).drop(columns="_v")
    lo, hi = out["est_population_three_lists_low"], out["est_population_three_lists_high"]
    # a row without a dual-system estimate (no links in the group) gets no interval
    # from the three-list one: np.fmin would make the three-list ends its own
    has = out["est_population"].notna()
    out["est_population_low"] = np.fmin(out["est_population_low"], lo).where(has)
    out["est_population_high"] = np.fmax(out["est_population_high"], hi).where(has)
    return out[[*est.columns, *cols]].set_index(est.index)
