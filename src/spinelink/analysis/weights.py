"""Linkage weights: who a source links, modelled from the reference unit's characteristics.

For one source, every reference unit is linked (has a link from the source) or not.
`p_link` is the probability of being linked given the characteristics the job names
(`analysis.weights.characteristics`): a main-effects logistic regression (statsmodels
Logit, one dummy per category beyond the first). When it cannot be fitted (no variation,
perfect separation, no convergence, fitted probabilities at 0 or 1) the link rate of the
unit's cell (the cross-classification of the characteristics) is used instead, and the
result says why. A linked unit's weight is 1 / p_link, then raked (iterative proportional
fitting) so that the weighted linked units add up to the reference's count in every
category of every characteristic. A category no linked unit falls in cannot be reached
by any weight: it is named in the result and its units are left out of every margin.

>>> import pandas as pd
>>> X = pd.DataFrame({"sex": ["F", "F", "M", "M", "M", "M"]})
>>> w = rake(np.ones(4), X.iloc[[0, 2, 3, 4]], X, 50)[0]
>>> [round(float(x), 2) for x in w]
[2.0, 1.33, 1.33, 1.33]
"""
from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd

log = logging.getLogger("spinelink.analysis")
P_FLOOR = 1e-6
RIDGE = 1e-3  # L2 penalty (per unit) when the plain fit does not converge


def design(X: pd.DataFrame) -> pd.DataFrame:
    """Constant plus a dummy per category after the first of each characteristic
    (constant columns dropped)."""
    d = pd.get_dummies(X.astype(str), drop_first=True, dtype=float)
    d = d.loc[:, d.nunique() > 1]
    d.insert(0, "const", 1.0)
    return d


def fit_logistic(X: pd.DataFrame, linked: np.ndarray) -> tuple[np.ndarray | None, str]:
    """Fitted P(linked) from a main-effects logistic regression, or (None, why not).
    When the maximum-likelihood fit does not converge (a category whose units are all
    linked, or none: the coefficient runs to infinity), the fit is a ridge-penalised one
    (a small L2 penalty on every coefficient but the constant)."""
    y = np.asarray(linked, float)
    if y.min() == y.max():
        return None, "every unit is linked" if y.min() == 1 else "no unit is linked"
    try:
        import statsmodels.api as sm
        from statsmodels.tools.sm_exceptions import ConvergenceWarning
    except ImportError:
        return None, "statsmodels is not installed"
    d = design(X).to_numpy()
    how = "logistic regression"
    p = None
    if not separated(X, y):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            warnings.filterwarnings("error", message=".*[Pp]erfect separation.*")
            try:
                p = np.asarray(sm.Logit(y, d).fit(disp=0, maxiter=35).predict(d), float)
            except Exception:  # separation, no convergence, singular design
                p = None
    if p is None:
        alpha = np.full(d.shape[1], RIDGE)
        alpha[0] = 0.0
        try:
            res = sm.GLM(y, d, family=sm.families.Binomial()).fit_regularized(
                method="elastic_net", alpha=alpha, L1_wt=0.0, maxiter=500)
            p = np.asarray(res.predict(d), float)
            how = "logistic regression, ridge-penalised (the plain fit did not converge)"
        except Exception as e:
            return None, f"logistic regression failed ({type(e).__name__})"
    if not np.all(np.isfinite(p)) or p.min() < P_FLOOR or p.max() > 1 - P_FLOOR:
        return None, "logistic regression fitted probabilities of 0 or 1"
    return p, how


def separated(X: pd.DataFrame, y: np.ndarray) -> bool:
    """A category whose units are all linked or none: its coefficient has no finite
    maximum-likelihood value."""
    for c in X.columns:
        rate = pd.Series(y).groupby(X[c].astype(str).to_numpy()).mean()
        if ((rate == 0) | (rate == 1)).any():
            return True
    return False


def cell_rates(X: pd.DataFrame, linked: np.ndarray) -> np.ndarray:
    """Link rate of each unit's cell (cross-classification of the characteristics)."""
    key = X.astype(str).agg("\x1f".join, axis=1) if X.shape[1] else pd.Series("", X.index)
    return pd.Series(np.asarray(linked, float), index=X.index).groupby(
        key.to_numpy()).transform("mean").to_numpy()


def _unreachable(pop: pd.DataFrame, cats: dict) -> dict[str, list[str]]:
    return {c: sorted(set(pop[c]) - set(cats[c])) for c in pop.columns}


def _outside(pop: pd.DataFrame, unreachable: dict) -> np.ndarray:
    out_mask = np.zeros(len(pop), bool)
    for c, vals in unreachable.items():
        out_mask |= pop[c].isin(vals).to_numpy()
    return out_mask


def outside_margins(X: pd.DataFrame, linked: np.ndarray) -> np.ndarray:
    """Which units `rake` leaves out of every margin: those in a category (of any
    characteristic) in which no unit is linked."""
    pop = X.astype(str)
    linked = np.asarray(linked, bool)
    return _outside(pop, _unreachable(pop, {c: pop.loc[linked, c].to_numpy()
                                            for c in pop.columns}))


def rake(w: np.ndarray, X: pd.DataFrame, population: pd.DataFrame, max_iter: int,
         tol: float = 1e-8) -> tuple[np.ndarray, dict]:
    """Weights of the linked units (rows of X) adjusted until, in every category of every
    characteristic, they add up to the population's (all reference units') count. A
    category without a linked unit cannot be reached: its units are left out of every
    margin (named in the result, with how many units that leaves out)."""
    w = np.asarray(w, float).copy()
    cats = {c: X[c].astype(str).to_numpy() for c in X.columns}
    pop = population.astype(str)
    unreachable = _unreachable(pop, cats)
    out_mask = _outside(pop, unreachable)
    targets = {c: pop.loc[~out_mask, c].value_counts() for c in X.columns}
    it, gap = 0, 0.0
    while it < max_iter:
        it, gap = it + 1, 0.0
        for c, t in targets.items():
            sums = pd.Series(w).groupby(cats[c]).sum()
            ratio = (t.reindex(sums.index) / sums).fillna(1.0)
            gap = max(gap, float((ratio - 1).abs().max()))
            w *= ratio.reindex(cats[c]).to_numpy()
        if gap < tol:
            break
    return w, {"iterations": it, "converged": bool(gap < tol), "max_relative_gap": gap,
               "unreachable_categories": {c: v for c, v in unreachable.items() if v},
               "units_outside_margins": int(out_mask.sum())}


def linkage_weights(X: pd.DataFrame, linked: np.ndarray, max_iter: int
                    ) -> tuple[pd.DataFrame, dict]:
    """(reference_id, linked, p_link, weight) for every reference unit (weight NaN for
    units not linked) and how they were made."""
    linked = np.asarray(linked, bool)
    p, how = fit_logistic(X, linked)
    note = None
    if p is None or not X.shape[1]:
        note = how
        p, how = cell_rates(X, linked), "cell link rates"
        log.warning("analysis: weights from cell link rates: %s", note)
    w = np.full(len(X), np.nan)
    if linked.any():
        base = 1.0 / np.clip(p[linked], P_FLOOR, 1.0)
        w[linked], info = rake(base, X[linked], X, max_iter)
    else:
        info = {"iterations": 0, "converged": False, "max_relative_gap": None,
                "unreachable_categories": {}, "units_outside_margins": int(len(X))}
    out = pd.DataFrame({"reference_id": X.index.astype(str), "linked": linked,
                        "p_link": p, "weight": w})
    summary = {"model": how, "fallback_reason": note, "units": int(len(X)),
               "linked": int(linked.sum()), "characteristics": list(X.columns),
               "raking": info,
               "weight_min": _r(np.nanmin(w)) if linked.any() else None,
               "weight_max": _r(np.nanmax(w)) if linked.any() else None,
               "weight_sum": _r(np.nansum(w)) if linked.any() else None}
    return out, summary


def _r(x) -> float:
    return round(float(x), 4)
