"""Dual-system (capture-recapture) estimates of the population by subgroup.

The reference (census) and a source are two captures of one population. In a subgroup
with n1 reference units, n2 source persons and m of them linked, Chapman's estimator is
N = (n1 + 1)(n2 + 1) / (m + 1) - 1. Linkage errors bias m: false links add to it, missed
links take from it, so the true number in both is m* = m x precision / recall, with the
quality stage's estimated precision and recall of the source's links (the subgroup's,
else the source's overall); the false links' source persons, counted in the reference
unit's subgroup, are taken out of n2 (n2 - m x (1 - precision)) and put back spread
like the source's records linked to none (like those, they are mostly people the
reference lacks). The 95% interval is Chao's log-normal interval around the
persons seen (n1 + n2 - m*), its variance Chapman's plus the part from the uncertainty of
precision and recall (delta method on the log scale, their standard errors from the
quality stage's 95% intervals, which carry the randomness of the link errors too),
joined with the interval that inverts the Wilson interval of the reference's coverage
among the source's persons (m* of n2): with few source persons in a subgroup, Chapman's
variance says nothing is missed when all of them are in the reference.

Post-strata: a subgroup's estimate is the sum of Chapman's estimates in the cells of the
cross-classification of every variable estimated (`both_sides.dual_cells`; cells with
fewer than MIN_CELL_MATCHES matches pooled), its variance the sum of theirs. The two
captures then need to be independent only within a cell: people both sources miss more
often (a group of migrants, young men) make a one-way estimate fall short. Reference
units whose value is blank are spread over the cells that agree with their other values,
and source records linked to none are counted under the reference's coding (the linked
pairs' concordance). Assumes independence within the cells and that the reference
records each person's subgroup as it is (the estimate is of the population as the
reference would classify it). Counts allocated rather than observed (blank values
spread, source codes recoded) add their binomial variance (`both_sides.post_strata`).

A subgroup the source links nobody in has no estimate (`estimate_status` `no_links`,
the estimate and its interval blank): two captures that share no one say nothing about
the people both miss; Chapman's formula would still give (n1 + 1)(n2 + 1) - 1 with an
interval running to thousands, which read as a figure. Every other row is `estimated`.

Several sources: each source's estimate is of the same population, so where two
sources' estimates of a subgroup disagree by more than their intervals allow, at least
one of them is biased: its capture is not independent of the reference's within the
cells (people the census misses who also avoid a survey). Two captures alone cannot
see that bias; the disagreement between sources measures it: the between-source
variance of a random-effects meta-analysis (DerSimonian and Laird's moment estimate,
each source weighted by its interval) is added to every source's interval for that
subgroup. It cannot see a bias all sources share, and with one source it is 0.

>>> n, lo, hi = estimate(900, 600, 540, 1.0, 1.0)
>>> round(n), round(lo), round(hi)
(1000, 984, 1021)
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

Z95 = 1.959963984540054


def _log_sd(low, high) -> float:
    """Standard error of log(x) from a 95% interval of x (0 when not known)."""
    if low is None or high is None or not (low > 0 and high > 0):
        return 0.0
    if not (math.isfinite(low) and math.isfinite(high)):
        return 0.0
    return (math.log(high) - math.log(low)) / (2 * Z95)


def _ok(x) -> float:
    return x if x and math.isfinite(x) and x > 0 else 1.0


MIN_CELL_MATCHES = 10  # smaller post-strata are pooled into one (Chapman's bias)


def estimate(n1: float, n2: float, m: float, precision: float, recall: float,
             precision_ci=(None, None), recall_ci=(None, None), moved_in: float = 0.0,
             cells: np.ndarray | None = None, allocated=(0.0, 0.0, 0.0)
             ) -> tuple[float, float, float]:
    """(estimate, low, high) of a subgroup's population. `moved_in`: the source persons
    of false links elsewhere that belong here (see `estimates`). `cells`: the subgroup's
    post-strata, rows (n1, n2, m) summing to the subgroup's; the estimate is the sum of
    theirs (strata with fewer than MIN_CELL_MATCHES matches pooled), the variance the
    sum of theirs. `allocated`: the variances of the subgroup's counts that were
    allocated to it, not observed (`both_sides.post_strata`: reference units the
    source does not link to, linked units, source records linked to none), added to the
    variance through the estimator's derivatives."""
    p, r = _ok(precision), _ok(recall)
    c = np.asarray(cells if cells is not None and len(cells) else [[n1, n2, m]], float)
    n1c, n2c, mc = c[:, 0], c[:, 1], c[:, 2]
    unl = np.clip(n2c - mc, 0, None)
    share = unl / unl.sum() if unl.sum() > 0 else np.full(len(c), 1 / len(c))
    n2c = n2c - mc * (1 - p) + moved_in * share  # false links' persons moved
    msc = np.minimum(mc * p / r, np.minimum(n1c, n2c))  # true matches
    small = msc < MIN_CELL_MATCHES
    if small.any():  # pooled: Chapman's small-sample bias adds up over many cells
        n1c, n2c, msc = (np.append(x[~small], x[small].sum()) for x in (n1c, n2c, msc))
    n = float(((n1c + 1) * (n2c + 1) / (msc + 1) - 1).sum())
    var = float(((n1c + 1) * (n2c + 1) * (n1c - msc) * (n2c - msc)
                 / ((msc + 1) ** 2 * (msc + 2))).sum())
    n1, n2, ms = float(n1c.sum()), float(n2c.sum()), float(msc.sum())
    # the uncertainty of the estimated precision and recall (the quality stage's intervals
    # carry the randomness of the link errors themselves as well)
    var += n * n * (_log_sd(*precision_ci) ** 2 + _log_sd(*recall_ci) ** 2)
    seen = n1 + n2 - ms
    f0 = max(n - seen, 0.0)
    if f0 <= 0 or var <= 0:
        half = Z95 * math.sqrt(max(var, 0.0))
        lo, hi = max(seen, n - half), n + half
    else:
        k = math.exp(Z95 * math.sqrt(math.log(1 + var / (f0 * f0))))
        lo, hi = seen + f0 / k, seen + f0 * k
    # small captures: Chapman's variance is 0 when every source person is also in the
    # reference (6 of 6) although the reference's coverage is then only known to be
    # above 61%; the binomial interval of that coverage, inverted, keeps the interval
    # honest (the two intervals joined)
    # counts allocated to the subgroup (blank values spread, source codes recoded) make
    # the persons seen uncertain too, which Chao's interval takes as known: each end
    # moved out by that part, in quadrature
    half = Z95 * math.sqrt(_allocated_variance(n1, n2, ms, allocated))
    lo, hi = n - math.hypot(n - lo, half), n + math.hypot(hi - n, half)
    s_pr = math.hypot(_log_sd(*precision_ci), _log_sd(*recall_ci))
    b_lo, b_hi = coverage_bounds(n1, n2, ms, s_pr)
    # (not below the reference's own count; the persons seen, n1 + n2 - m*, are an
    # estimate themselves: m* from estimated precision and recall)
    return n, max(n1, min(lo, b_lo)), max(hi, b_hi)


def _allocated_variance(n1: float, n2: float, ms: float, allocated) -> float:
    """Delta method: a reference unit the source lacks moves N by dN/dn1, a source
    record linked to none by dN/dn2, a linked unit by the three derivatives together
    (it is in n1, n2 and m)."""
    g1, g2 = (n2 + 1) / (ms + 1), (n1 + 1) / (ms + 1)
    gm = -(n1 + 1) * (n2 + 1) / (ms + 1) ** 2
    a_ref, a_linked, a_src = allocated
    return g1 * g1 * a_ref + (g1 + g2 + gm) ** 2 * a_linked + g2 * g2 * a_src


def coverage_bounds(n1: float, n2: float, ms: float, log_sd: float = 0.0
                    ) -> tuple[float, float]:
    """The population n1 / p for the ends of the Wilson interval of the reference's
    coverage p among the source's persons (ms of n2 in the reference), widened by the
    uncertainty of the match count (log scale, `log_sd`); (inf, -inf) when unknown.
    The source's persons are drawn without replacement from the population, so the
    binomial variance shrinks by 1 - n2 / N (the hypergeometric's); N is what is being
    estimated, so the correction takes the smallest share the data allow: N at the upper
    end of the uncorrected interval (with N estimated, 6 of 6 linked would say the source
    holds everyone and nothing is left to estimate).

    >>> [round(x) for x in coverage_bounds(43, 6, 6)]
    [43, 68]
    """
    if n2 <= 0 or n1 <= 0:
        return math.inf, -math.inf
    from statsmodels.stats.proportion import proportion_confint

    ms = min(ms, n2)
    widen = math.exp(Z95 * log_sd)
    k = 1.0  # the effective number of trials, n2 / (1 - f)
    for _ in range(2):
        p_lo, p_hi = proportion_confint(ms * k, n2 * k, alpha=0.05, method="wilson")
        lo = n1 / p_hi / widen if p_hi > 0 else math.inf
        hi = n1 / p_lo * widen if p_lo > 0 else -math.inf
        if not (math.isfinite(hi) and hi > n2):
            break
        k = 1 / (1 - n2 / hi)
    return lo, hi


def estimates(counts: pd.DataFrame, quality: pd.DataFrame | None,
              cells: pd.DataFrame | None = None,
              allocated: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per row of counts (source, variable, value, n_reference, n_source, n_linked) the
    estimate with its interval; quality: est_precision(_low/_high), est_recall(...) by
    source, variable, value (rows `variable = all` are the fall-back); cells: the same
    counts by post-stratum (`both_sides.dual_cells`, with `source`), else none;
    allocated: the variances of allocated counts by source, variable and value
    (`both_sides.post_strata`), else none."""
    cols = ["est_precision", "est_precision_low", "est_precision_high", "est_recall",
            "est_recall_low", "est_recall_high"]
    rows = []
    qs = [_quality_for(quality, r.source, r.variable, r.value, cols)
          for r in counts.itertuples(index=False)]
    # the false links' source persons, spread like the source's records linked to none
    # (like them, they are mostly people the reference lacks)
    false = counts["n_linked"] * (1 - np.array([_ok(q[0]) for q in qs]))
    unl = (counts["n_source"] - counts["n_linked"]).clip(lower=0)
    keys = [counts["source"], counts["variable"]]
    share = (unl / unl.groupby(keys).transform("sum").replace(0, np.nan)).fillna(0)
    moved = (false.groupby(keys).transform("sum") * share).to_numpy()
    for r, q, mv in zip(counts.itertuples(index=False), qs, moved, strict=True):
        status = estimate_status(r.n_linked)
        n = lo = hi = np.nan
        if status == ESTIMATED:
            n, lo, hi = estimate(r.n_reference, r.n_source, r.n_linked, q[0], q[3],
                                 (q[1], q[2]), (q[4], q[5]), mv, _cells_of(cells, r),
                                 _allocated_of(allocated, r))
        rows.append({**r._asdict(), **dict(zip(cols, q, strict=True)),
                     "est_population": n, "est_population_low": lo,
                     "est_population_high": hi, "estimate_status": status})
    out = pd.DataFrame(rows, columns=[*counts.columns, *cols, "est_population",
                                      "est_population_low", "est_population_high",
                                      "estimate_status"])
    return _between_sources(out)


ESTIMATED, NO_LINKS = "estimated", "no_links"  # a row's estimate_status


def estimate_status(n_linked: float) -> str:
    """`no_links` for a subgroup the source links nobody in (no estimate), else
    `estimated`."""
    return ESTIMATED if n_linked > 0 else NO_LINKS


def _between_sources(est: pd.DataFrame) -> pd.DataFrame:
    """Each row's interval widened (in quadrature, each end) by 1.96 x the between-source
    standard deviation of its subgroup's estimates (see the module's text).

    >>> e = pd.DataFrame({"variable": ["sex"] * 2, "value": ["F"] * 2,
    ...                   "n_reference": [900, 900], "est_population": [1000.0, 1100.0],
    ...                   "est_population_low": [990.0, 1090.0],
    ...                   "est_population_high": [1010.0, 1110.0]})
    >>> _between_sources(e)[["est_population_low", "est_population_high"]].round().values.tolist()
    [[900.0, 1139.0], [961.0, 1239.0]]
    """
    if est.empty:
        return est
    est = est.copy()
    n = est["est_population"].to_numpy(float)
    lo, hi = est["est_population_low"].to_numpy(float), est["est_population_high"].to_numpy(float)
    se = (hi - lo) / (2 * Z95)
    tau2 = np.zeros(len(est))
    for _, idx in est.groupby(["variable", "value"], sort=False).indices.items():
        ok = idx[np.isfinite(n[idx]) & (se[idx] > 0)]
        if len(ok) < 2:
            continue
        w = 1 / se[ok] ** 2
        mean = (w * n[ok]).sum() / w.sum()
        q = (w * (n[ok] - mean) ** 2).sum()
        tau2[idx] = max(0.0, (q - (len(ok) - 1)) / (w.sum() - (w * w).sum() / w.sum()))
    half = Z95 * np.sqrt(tau2)
    wide = half > 0
    est.loc[wide, "est_population_low"] = np.maximum(
        est["n_reference"].to_numpy(float), n - np.hypot(n - lo, half))[wide]
    est.loc[wide, "est_population_high"] = (n + np.hypot(hi - n, half))[wide]
    return est


def _quality_for(quality, source, variable, value, cols) -> list:
    if quality is None or quality.empty:
        return [np.nan] * len(cols)
    q = quality[quality["source"] == source]
    for var, val in ((variable, value), ("all", "all")):
        hit = q[(q["variable"] == var) & (q["value"].astype(str) == str(val))]
        if len(hit) and pd.notna(hit.iloc[0]["est_precision"]) and \
                pd.notna(hit.iloc[0]["est_recall"]):
            return [float(hit.iloc[0][c]) if pd.notna(hit.iloc[0][c]) else np.nan
                    for c in cols]
    return [np.nan] * len(cols)


def _cells_of(cells: pd.DataFrame | None, r) -> np.ndarray | None:
    """(n1, n2, m) of the post-strata inside the subgroup of row r."""
    if cells is None or cells.empty or r.variable not in cells.columns:
        return None
    c = cells[(cells["source"] == r.source) & (cells[r.variable].astype(str) == str(r.value))]
    return c[["n_reference", "n_source", "n_linked"]].to_numpy(float) if len(c) else None


def _allocated_of(allocated: pd.DataFrame | None, r) -> tuple[float, float, float]:
    cols = ["var_reference", "var_linked", "var_source"]
    if allocated is None or allocated.empty:
        return 0.0, 0.0, 0.0
    a = allocated[(allocated["source"] == r.source) & (allocated["variable"] == r.variable)
                  & (allocated["value"].astype(str) == str(r.value))]
    return tuple(float(x) for x in a[cols].sum()) if len(a) else (0.0, 0.0, 0.0)
