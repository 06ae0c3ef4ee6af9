"""Linkage weights against a population whose coverage gap is known (issue 15 item 1).

The test makes a reference population of 20,000 units with sex, age band and region. A
source-side quantity (in work, Y) depends on age and region; the source links a unit with
a probability that also depends on age, region and sex, so the linked units over-represent
some groups. The truth of every subgroup is the mean of Y over all its units (known here,
since the test made them). For every subgroup with a coverage gap the weighted estimate
from the linked units must be closer to the truth than the unweighted one; the naive
estimator (every weight 1) must fail that same assertion.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spinelink.analysis import weights

pytest.importorskip("statsmodels")

AGES = ["0-17", "18-29", "30-49", "50-64", "65+"]
REGIONS = ["North", "Midlands", "South"]


def population(n: int = 20000, seed: int = 3):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"sex": rng.choice(["F", "M"], n),
                      "age_band": rng.choice(AGES, n, p=[0.2, 0.15, 0.3, 0.2, 0.15]),
                      "region": rng.choice(REGIONS, n, p=[0.3, 0.3, 0.4])},
                     index=pd.Index([f"R{i:06d}" for i in range(n)]))
    age_eff = X["age_band"].map(dict(zip(AGES, [-2.5, 0.8, 1.4, 0.9, -1.5], strict=True)))
    reg_eff = X["region"].map({"North": -0.6, "Midlands": 0.0, "South": 0.5})
    y = rng.random(n) < 1 / (1 + np.exp(-(age_eff + reg_eff)))
    # coverage: the young, the old and the North are linked least
    link_lp = (X["age_band"].map(dict(zip(AGES, [-1.2, 0.2, 1.0, 1.2, -0.6], strict=True)))
               + X["region"].map({"North": -0.8, "Midlands": 0.3, "South": 0.6})
               + X["sex"].map({"F": 0.3, "M": -0.2}))
    linked = rng.random(n) < 1 / (1 + np.exp(-link_lp))
    # copies: pandas 3 hands out read-only arrays, and tests set some links by hand
    return X, y.to_numpy(copy=True), linked.to_numpy(copy=True)


def estimates(X, y, linked, w):
    """Per subgroup (variable, value): truth, unweighted and weighted mean of y among the
    linked, and the subgroup's coverage gap (its link rate minus the overall rate)."""
    rows = []
    overall = linked.mean()
    for var in X.columns:
        for v in sorted(X[var].unique()):
            g = (X[var] == v).to_numpy()
            lk = g & linked
            rows.append({"variable": var, "value": v, "truth": y[g].mean(),
                         "unweighted": y[lk].mean(),
                         "weighted": np.average(y[lk], weights=w[lk]),
                         "gap": linked[g].mean() - overall})
    return pd.DataFrame(rows)


def closer_everywhere_with_a_gap(est: pd.DataFrame) -> bool:
    gap = est[est["gap"].abs() > 0.02]
    assert len(gap) >= 6  # the test's population has real gaps
    return bool(((gap["weighted"] - gap["truth"]).abs()
                 < (gap["unweighted"] - gap["truth"]).abs()).all())


def test_weighted_estimates_beat_unweighted_in_every_subgroup_with_a_gap():
    X, y, linked = population()
    table, info = weights.linkage_weights(X, linked, 100)
    assert info["model"] == "logistic regression" and info["fallback_reason"] is None
    assert info["raking"]["converged"]
    w = table["weight"].to_numpy()
    est = estimates(X, y, linked, np.nan_to_num(w))
    assert closer_everywhere_with_a_gap(est), est
    # the naive estimator (every linked unit weighs 1) fails the same assertion
    assert not closer_everywhere_with_a_gap(estimates(X, y, linked, np.ones(len(X))))
    # the fitted link probabilities are close to the ones the test used
    assert abs(table["p_link"].mean() - linked.mean()) < 0.01


def test_raked_weights_add_up_to_the_reference_margins():
    X, _, linked = population(5000, 9)
    table, info = weights.linkage_weights(X, linked, 100)
    w = table.set_index("reference_id")["weight"]
    assert w[~linked].isna().all() and (w[linked] > 1).all()
    for var in X.columns:
        got = w.groupby(X[var].to_numpy()).sum()
        want = X[var].value_counts()
        assert np.allclose(got.reindex(want.index), want, rtol=1e-6), var
    assert info["weight_sum"] == pytest.approx(len(X))


def test_a_category_nobody_links_is_named_and_left_out_of_the_margins():
    X, _, linked = population(5000, 4)
    X.loc[X.index[:40], "region"] = "Islands"
    linked[:40] = False  # nobody on the islands is linked
    table, info = weights.linkage_weights(X, linked, 200)
    assert info["raking"]["unreachable_categories"] == {"region": ["Islands"]}
    assert info["raking"]["units_outside_margins"] == 40
    assert info["raking"]["converged"]
    assert "ridge" in info["model"]  # the plain fit runs the islands' coefficient to -inf
    assert table["weight"].sum() == pytest.approx(len(X) - 40)


def test_cell_link_rates_when_the_model_cannot_be_fitted(monkeypatch):
    X, _, linked = population(3000, 5)
    monkeypatch.setattr(weights, "fit_logistic", lambda X, y: (None, "said so by the test"))
    table, info = weights.linkage_weights(X, linked, 100)
    assert info["model"] == "cell link rates"
    assert info["fallback_reason"] == "said so by the test"
    cell = X.astype(str).agg("|".join, axis=1)
    want = pd.Series(linked, index=X.index).groupby(cell).transform("mean")
    assert np.allclose(table["p_link"].to_numpy(), want.to_numpy())
