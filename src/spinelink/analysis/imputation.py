"""Imputation of gaps in the integrated output (`analysis.imputation`), per variable.

A unit's value is a gap when its `<var>__status` is `missing` (no source had one). Methods:

- `logical`: the value another linked source recorded for the unit's record
  (`from_source`, mapped to the variable's code list as integration maps it), or a value
  derived from another integrated variable through a mapping (`from_variable`, `map`);
- `hot_deck`: the value of a donor drawn at random (seeded) among the units of the same
  class (the `classes` characteristics) that have one; a class without donors is widened
  by dropping its last characteristic, then the next, down to all units;
- `model`: a multinomial logistic regression (statsmodels MNLogit) of the variable on
  the `predictors` over the units that have a value; each gap gets a category drawn
  (seeded) from its predicted distribution. When the model cannot be fitted the gaps are
  filled by hot deck within the predictors' classes, and the result says so.

The imputed value goes in the integrated column and `<var>__status` becomes
`imputed:<method>`; nothing else changes, and the original status says the value was
missing. With `multiple: M` the draws are repeated M times with different seeds:
`imputed/<m>.parquet` (m = 1..M: reference_id, each imputed variable and its status)
holds copy m; copy 1 is the one in integrated.parquet. Rates per variable and per
subgroup of the characteristics used go to the manifest (`stages.analysis.imputation`).

>>> rng = np.random.default_rng(0)
>>> v = pd.Series(["a", None, "b", None], index=list("wxyz"))
>>> c = pd.DataFrame({"g": ["1", "1", "2", "2"]}, index=list("wxyz"))
>>> hot_deck(v, v.isna(), c, ["g"], rng).tolist()
['a', 'b']
"""
from __future__ import annotations

import logging
import warnings
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from spinelink import atomic

log = logging.getLogger("spinelink.analysis")
MISSING = "missing"


def hot_deck(values: pd.Series, gaps: pd.Series, classes: pd.DataFrame, keys: list[str],
             rng: np.random.Generator) -> pd.Series:
    """A donor's value for each gap (index: the gaps'), donors drawn within classes."""
    out = pd.Series(index=values.index[gaps.to_numpy()], dtype=object)
    todo = out.index
    for k in range(len(keys), -1, -1):
        if not len(todo):
            break
        use = keys[:k]
        key = (classes[use].astype(str).agg("\x1f".join, axis=1) if use
               else pd.Series("", index=classes.index))
        donors = values[~gaps & values.notna()]
        pool = donors.groupby(key.reindex(donors.index).to_numpy()).agg(list)
        rkey = key.reindex(todo)
        left = []
        for rid, kk in zip(todo, rkey.to_numpy(), strict=True):
            cands = pool.get(kk)
            if cands:
                out[rid] = cands[int(rng.integers(len(cands)))]
            else:
                left.append(rid)
        todo = pd.Index(left)
    return out


def model_draws(values: pd.Series, gaps: pd.Series, X: pd.DataFrame,
                rng: np.random.Generator) -> pd.Series | None:
    """A category drawn from a multinomial logit's predicted distribution for each gap, or
    None when the model cannot be fitted."""
    try:
        import statsmodels.api as sm
    except ImportError:
        return None
    from spinelink.analysis.weights import design

    obs = ~gaps & values.notna()
    cats = sorted(values[obs].unique())
    if len(cats) < 2:
        return pd.Series(cats[0] if cats else None, index=values.index[gaps.to_numpy()])
    d = design(X)
    y = values[obs].map({c: i for i, c in enumerate(cats)}).to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = sm.MNLogit(y, d[obs.to_numpy()].to_numpy()).fit(disp=0, maxiter=200)
            prob = np.asarray(res.predict(d[gaps.to_numpy()].to_numpy()), float)
        except Exception:
            return None
    if not np.all(np.isfinite(prob)):
        return None
    u = rng.random(len(prob))[:, None]
    pick = (np.cumsum(prob, axis=1) < u).sum(axis=1).clip(max=len(cats) - 1)
    return pd.Series(np.asarray(cats, dtype=object)[pick], index=values.index[gaps.to_numpy()])


def impute_one(var: str, spec, integrated: pd.DataFrame, chars: pd.DataFrame,
               source_values, rng) -> tuple[pd.Series, str, str | None]:
    """(imputed values by reference_id, method used, why the asked one was not)."""
    values = integrated[var].where(~_was_imputed(integrated, var))
    gaps = _gaps(integrated, var)
    if spec.method == "logical":
        if spec.from_source:
            src = source_values(spec.from_source, var)
            got = src.reindex(values.index[gaps.to_numpy()])
        else:
            got = integrated.loc[gaps.to_numpy(), spec.from_variable].map(spec.map)
        return got.dropna(), "logical", None
    if spec.method == "model":
        got = model_draws(values, gaps, chars[spec.predictors], rng)
        if got is not None:
            return got.dropna(), "model", None
        why = ("statsmodels is not installed" if _no_statsmodels()
               else "the model could not be fitted")
        return hot_deck(values, gaps, chars, spec.predictors, rng).dropna(), "hot_deck", why
    return hot_deck(values, gaps, chars, spec.classes, rng).dropna(), "hot_deck", None


def _no_statsmodels() -> bool:
    import importlib.util

    return importlib.util.find_spec("statsmodels") is None


def _was_imputed(integrated: pd.DataFrame, var: str) -> pd.Series:
    """Values an earlier run of this stage imputed (a gap again: imputed afresh)."""
    return integrated[f"{var}__status"].astype(str).str.startswith("imputed:")


def _gaps(integrated: pd.DataFrame, var: str) -> pd.Series:
    return (integrated[f"{var}__status"] == MISSING) | _was_imputed(integrated, var)


def run(ctx, analysis, ref: pd.DataFrame, extra: pd.DataFrame, source_values) -> dict:
    """Impute every declared variable, M times; copy 1 into `extra` (joined into
    integrated.parquet), every copy to imputed/<m>.parquet; rates for the manifest."""
    out, seed = Path(ctx.out), ctx.lj.job.seed
    names = list(analysis.imputation)
    cols = ["reference_id", *names, *(f"{v}__status" for v in names),
            *{s.from_variable for s in analysis.imputation.values() if s.from_variable}]
    integrated = pd.read_parquet(out / "integrated.parquet", columns=list(dict.fromkeys(cols)))
    integrated = integrated.set_index(integrated["reference_id"].astype(str))
    chars = ref.reindex(integrated.index).fillna("unknown")
    summary: dict = {}
    copies = []
    for m in range(1, analysis.multiple + 1):
        copy = pd.DataFrame(index=integrated.index)
        for var, spec in analysis.imputation.items():
            rng = np.random.default_rng([seed, zlib.crc32(var.encode()), m])
            got, method, note = impute_one(var, spec, integrated, chars, source_values, rng)
            copy[var] = got.reindex(copy.index)
            copy[f"{var}__status"] = np.where(copy[var].notna(), f"imputed:{method}", None)
            if m == 1:
                summary[var] = _rates(integrated, var, spec, method, note, copy[var], chars)
        copies.append(copy)
    for c in copies[0].columns:
        extra[c] = copies[0][c].reindex(extra.index)
    if analysis.multiple > 1:
        for m, copy in enumerate(copies, start=1):
            full = integrated[names + [f"{v}__status" for v in names]].copy()
            for var in names:
                full[var] = full[var].where(~_was_imputed(integrated, var))
                hit = copy[var].notna()
                full.loc[hit, var] = copy.loc[hit, var]
                full.loc[hit, f"{var}__status"] = copy.loc[hit, f"{var}__status"]
            path = out / "imputed" / f"{m}.parquet"
            atomic.ensure_dir(path.parent)
            with atomic.atomic_path(path) as tmp:
                full.reset_index(drop=True).assign(reference_id=integrated.index).to_parquet(
                    tmp, index=False)
    return {"multiple": analysis.multiple, "variables": summary}


def _rates(integrated, var, spec, method, note, imputed: pd.Series, chars) -> dict:
    gaps = _gaps(integrated, var)
    done = imputed.notna()
    by = {}
    for c in dict.fromkeys([*spec.classes, *spec.predictors, "sex", "age_band"]):
        if c not in chars.columns:
            continue
        g = pd.DataFrame({"v": chars[c].to_numpy(), "gap": gaps.to_numpy(),
                          "imp": done.reindex(integrated.index).fillna(False).to_numpy()})
        agg = g.groupby("v").agg(units=("gap", "size"), missing=("gap", "sum"),
                                 imputed=("imp", "sum"))
        by[c] = {str(k): {"units": int(r.units), "missing": int(r.missing),
                          "imputed": int(r.imputed),
                          "imputation_rate": round(r.imputed / r.units, 4)}
                 for k, r in agg.iterrows()}
    n = len(integrated)
    return {"method": method, "asked": spec.method, "note": note, "units": n,
            "missing": int(gaps.sum()), "imputed": int(done.sum()),
            "still_missing": int(gaps.sum() - done.sum()),
            "imputation_rate": round(float(done.sum()) / n, 4) if n else None,
            "by_subgroup": by}
