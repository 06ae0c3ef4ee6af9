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
`imputed:<method>`; for `hot_deck` and `model` variables `<var>__donor` names the donor
unit (its reference_id) of each hot-deck value. Nothing else changes: every imputed cell
gets one audit.parquet row (stage `impute`, no value before, the imputed value, rule
`<method>: <the donor class, the model's predictors or the logical source>`, from_source /
from_record_id the donor unit (reference, its id) or the logical value's source record).
With `multiple: M` the draws are repeated M times with different seeds:
`imputed/<m>.parquet` (m = 1..M: reference_id, each imputed variable, its status and
donors) holds copy m; copy 1 is the one in integrated.parquet and the audit. Rates per
variable and per subgroup of the characteristics used go to the manifest
(`stages.analysis.imputation`).

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
    return hot_deck_donors(values, gaps, classes, keys, rng)["value"]


def hot_deck_donors(values: pd.Series, gaps: pd.Series, classes: pd.DataFrame,
                    keys: list[str], rng: np.random.Generator) -> pd.DataFrame:
    """Per gap (index: the gaps'): `value`, the `donor` drawn (the unit whose value it is)
    and `donor_class`, the class both are in (`age_band=30-49, sex=F`; fewer
    characteristics where the class was widened, empty for all units); NULL where no
    unit has a value."""
    idx = values.index[gaps.to_numpy()]
    drawn: dict = {}  # gap -> (donor, its class)
    todo = idx
    donors = values[~gaps & values.notna()]
    for k in range(len(keys), -1, -1):
        if not len(todo):
            break
        use = keys[:k]
        key = (classes[use].astype(str).agg("\x1f".join, axis=1) if use
               else pd.Series("", index=classes.index))
        pool = pd.Series(donors.index, index=donors.index).groupby(
            key.reindex(donors.index).to_numpy()).agg(list)
        rkey = key.reindex(todo)
        left = []
        for rid, kk in zip(todo, rkey.to_numpy(), strict=True):
            cands = pool.get(kk)
            if cands:
                drawn[rid] = (cands[int(rng.integers(len(cands)))], _class_text(use, kk))
            else:
                left.append(rid)
        todo = pd.Index(left)
    out = pd.DataFrame([drawn.get(rid, (None, None)) for rid in idx], index=idx,
                       columns=["donor", "donor_class"], dtype=object)
    out.insert(0, "value", pd.Series([None if d is None else donors[d] for d in out["donor"]],
                                     index=idx, dtype=object))
    return out


def _class_text(names: list[str], key: str) -> str:
    return ", ".join(f"{n}={v}" for n, v in zip(names, key.split("\x1f"), strict=True)) \
        if names else ""


def _named(frame: pd.DataFrame) -> pd.Series:
    """Each row's values as `name=value, ...` (as `_class_text` names a class)."""
    text = pd.Series("", index=frame.index, dtype=object)
    for i, c in enumerate(frame.columns):
        text = text + ("" if i == 0 else ", ") + f"{c}=" + frame[c].astype(str)
    return text


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
    got, method, note = impute_traced(var, spec, integrated, chars, source_values, rng)
    return got["value"], method, note


def impute_traced(var: str, spec, integrated: pd.DataFrame, chars: pd.DataFrame,
                  source_values, rng) -> tuple[pd.DataFrame, str, str | None]:
    """As `impute_one`, each imputed value with where it came from: `value`, `donor` (the
    hot-deck donor unit's reference_id), `from_source` and `from_record` (a logical
    value's source and its record), `detail` (the audit rule's text after the method:
    the donor class, the model's predictors with the unit's values, the source or the
    variable it was derived from)."""
    values = integrated[var].where(~_was_imputed(integrated, var))
    gaps = _gaps(integrated, var)
    at = values.index[gaps.to_numpy()]
    if spec.method == "logical":
        if spec.from_source:
            src = source_values(spec.from_source, var)
            got = _trace(src.reindex(at), detail=f"from_source {spec.from_source}",
                         from_source=spec.from_source)
            ids = f"{spec.from_source}__id"
            if ids in integrated.columns:
                got["from_record"] = integrated[ids].reindex(got.index).astype(object)
        else:
            base = integrated.loc[gaps.to_numpy(), spec.from_variable]
            got = _trace(base.map(spec.map))
            got["detail"] = [f"from_variable {spec.from_variable}={b}" for b in base]
        return got[got["value"].notna()], "logical", None
    if spec.method == "model":
        drawn = model_draws(values, gaps, chars[spec.predictors], rng)
        if drawn is not None:
            got = _trace(drawn)
            got["detail"] = "predictors " + _named(chars.loc[got.index, spec.predictors])
            return got[got["value"].notna()], "model", None
        why = ("statsmodels is not installed" if _no_statsmodels()
               else "the model could not be fitted")
        return _donors(values, gaps, chars, spec.predictors, rng), "hot_deck", why
    return _donors(values, gaps, chars, spec.classes, rng), "hot_deck", None


COLUMNS = ["value", "donor", "from_source", "from_record", "detail"]


def _trace(values: pd.Series, **const) -> pd.DataFrame:
    got = pd.DataFrame({c: pd.Series(const.get(c), index=values.index, dtype=object)
                        for c in COLUMNS})
    got["value"] = values.astype(object)
    return got


def _donors(values, gaps, chars, keys, rng) -> pd.DataFrame:
    d = hot_deck_donors(values, gaps, chars, keys, rng)
    got = _trace(d["value"])
    got["donor"] = d["donor"]
    got["detail"] = ("class " + d["donor_class"].where(d["donor_class"] != "", "(all units)"))
    return got[got["value"].notna()]


def _no_statsmodels() -> bool:
    import importlib.util

    return importlib.util.find_spec("statsmodels") is None


def _was_imputed(integrated: pd.DataFrame, var: str) -> pd.Series:
    """Values an earlier run of this stage imputed (a gap again: imputed afresh)."""
    return integrated[f"{var}__status"].astype(str).str.startswith("imputed:")


def _gaps(integrated: pd.DataFrame, var: str) -> pd.Series:
    return (integrated[f"{var}__status"] == MISSING) | _was_imputed(integrated, var)


def run(ctx, analysis, ref: pd.DataFrame, extra: pd.DataFrame,
        source_values) -> tuple[dict, pd.DataFrame]:
    """Impute every declared variable, M times; copy 1 into `extra` (joined into
    integrated.parquet), every copy to imputed/<m>.parquet; (rates for the manifest,
    copy 1's audit rows: one per imputed cell, `audit_rows`)."""
    out, seed = Path(ctx.out), ctx.lj.job.seed
    names = list(analysis.imputation)
    cols = ["reference_id", *names, *(f"{v}__status" for v in names),
            *{s.from_variable for s in analysis.imputation.values() if s.from_variable},
            *{f"{s.from_source}__id" for s in analysis.imputation.values() if s.from_source}]
    integrated = pd.read_parquet(out / "integrated.parquet", columns=list(dict.fromkeys(cols)))
    integrated = integrated.set_index(integrated["reference_id"].astype(str))
    chars = ref.reindex(integrated.index).fillna("unknown")
    summary: dict = {}
    copies, audit = [], []
    for m in range(1, analysis.multiple + 1):
        copy = pd.DataFrame(index=integrated.index)
        for var, spec in analysis.imputation.items():
            rng = np.random.default_rng([seed, zlib.crc32(var.encode()), m])
            got, method, note = impute_traced(var, spec, integrated, chars, source_values, rng)
            copy[var] = got["value"].reindex(copy.index)
            copy[f"{var}__status"] = np.where(copy[var].notna(), f"imputed:{method}", None)
            if spec.method in DONATED:
                copy[f"{var}__donor"] = got["donor"].reindex(copy.index)
            if m == 1:
                summary[var] = _rates(integrated, var, spec, method, note, copy[var], chars)
                audit.append(audit_rows(var, method, got, ctx.lj.job.reference))
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
            for c in copy.columns:
                if c.endswith(DONOR):
                    full[c] = copy[c]
            path = out / "imputed" / f"{m}.parquet"
            atomic.ensure_dir(path.parent)
            with atomic.atomic_path(path) as tmp:
                full.reset_index(drop=True).assign(reference_id=integrated.index).to_parquet(
                    tmp, index=False)
    rows = pd.concat(audit, ignore_index=True) if audit else audit_rows("", "", _trace(
        pd.Series(dtype=object)), "")
    return {"multiple": analysis.multiple, "variables": summary,
            "audit_rows": int(len(rows))}, rows


DONATED = ("hot_deck", "model")  # methods whose variable gets `<var>__donor` (model: its
DONOR = "__donor"                # fall-back is hot deck)
AUDIT = ["reference_id", "source", "source_record_id", "variable", "raw_value", "new_value",
         "stage", "rule", "from_source", "from_record_id"]


def audit_rows(var: str, method: str, got: pd.DataFrame, reference: str) -> pd.DataFrame:
    """audit.parquet's rows (its columns) for one variable's imputed cells: stage `impute`,
    the unit's reference record, no value before (status `missing`), the imputed value,
    rule `<method>: <detail>`, and where the value came from: a hot-deck donor as
    (reference, its reference_id), a logical value's source record."""
    donor = got["donor"].notna()
    rows = pd.DataFrame({
        "reference_id": got.index.astype(str), "source": reference,
        "source_record_id": got.index.astype(str), "variable": var, "raw_value": None,
        "new_value": got["value"].astype(str).to_numpy(), "stage": "impute",
        "rule": (f"{method}: " + got["detail"].astype(str)).to_numpy(),
        "from_source": np.where(donor, reference, got["from_source"]),
        "from_record_id": np.where(donor, got["donor"], got["from_record"])},
        columns=AUDIT).astype(object)
    return rows.where(rows.notna(), None)


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
