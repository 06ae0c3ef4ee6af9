"""Vega-Lite specifications for the report's charts (one small function per chart).

Each returns a spec dict, or None when there is nothing to draw. Data are embedded
(`data.values`), so the report needs no network.
"""
from __future__ import annotations

import math

import pandas as pd

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
MEASURES = {"link_rate": "link rate", "est_precision": "est. precision",
            "est_recall": "est. recall"}


def _values(df: pd.DataFrame) -> list[dict]:
    out = []
    for rec in df.to_dict(orient="records"):
        out.append({k: (None if isinstance(v, float) and math.isnan(v) else v)
                    for k, v in rec.items()})
    return out


def subgroup_intervals(sub: pd.DataFrame, source: str, basis: str = "model") -> dict | None:
    """Link rate, estimated precision and recall by subgroup, with 95% intervals."""
    rows = sub[(sub["source"] == source) & (sub["basis"] == basis)
               & ~sub["suppressed"].astype(str).str.lower().eq("true")]
    long = []
    for m, label in MEASURES.items():
        part = rows[["variable", "value", m, f"{m}_low", f"{m}_high"]].dropna(subset=[m])
        long.append(pd.DataFrame({"variable": part["variable"], "value": part["value"],
                                  "measure": label, "est": part[m],
                                  "low": part[f"{m}_low"], "high": part[f"{m}_high"]}))
    data = pd.concat(long, ignore_index=True)
    if data.empty:
        return None
    rows_ = [{"hconcat": [_interval_cell(variable, label)
                          for label in MEASURES.values()]}
             for variable in dict.fromkeys(data["variable"])]
    return {"$schema": SCHEMA, "data": {"values": _values(data)}, "vconcat": rows_,
            "resolve": {"scale": {"x": "independent", "y": "independent"}}}


def _interval_cell(variable: str, measure: str) -> dict:
    y = {"field": "value", "type": "nominal", "title": variable, "sort": None}
    return {
        "width": 200, "height": {"step": 16}, "title": measure,
        "transform": [{"filter": {"and": [{"field": "variable", "equal": variable},
                                          {"field": "measure", "equal": measure}]}}],
        "layer": [
            {"mark": {"type": "rule"}, "encoding": {
                "y": y, "x": {"field": "low", "type": "quantitative",
                              "scale": {"zero": False}, "title": None},
                "x2": {"field": "high"}}},
            {"mark": {"type": "point", "filled": True}, "encoding": {
                "y": y, "x": {"field": "est", "type": "quantitative"},
                "tooltip": [{"field": "value"}, {"field": "est", "format": ".4f"},
                            {"field": "low", "format": ".4f"},
                            {"field": "high", "format": ".4f"}]}}]}


def cross_rates(df: pd.DataFrame, dims: tuple[str, ...], basis: str = "model"
                ) -> dict | None:
    """An intersectional table's link rates with 95% intervals: one panel per source,
    a row per combination (suppressed combinations left out)."""
    rows = df[(df["basis"] == basis) & ~df["suppressed"].astype(str).str.lower().eq("true")]
    rows = rows.dropna(subset=["link_rate"])
    if rows.empty:
        return None
    label = rows[list(dims)].astype(str).agg(" / ".join, axis=1)
    long = pd.DataFrame({"source": rows["source"], "group": label, "est": rows["link_rate"],
                         "low": rows["link_rate_low"], "high": rows["link_rate_high"]})
    y = {"field": "group", "type": "nominal", "title": " / ".join(dims), "sort": None}
    return {"$schema": SCHEMA, "data": {"values": _values(long)},
            "facet": {"column": {"field": "source", "type": "nominal"}},
            "spec": {"width": 220, "height": {"step": 14}, "layer": [
                {"mark": "rule", "encoding": {
                    "y": y, "x": {"field": "low", "type": "quantitative",
                                  "title": "link rate (95% interval)",
                                  "scale": {"zero": False}},
                    "x2": {"field": "high"}}},
                {"mark": {"type": "point", "filled": True}, "encoding": {
                    "y": y, "x": {"field": "est", "type": "quantitative"},
                    "tooltip": [{"field": "group"}, {"field": "est", "format": ".4f"},
                                {"field": "low", "format": ".4f"},
                                {"field": "high", "format": ".4f"}]}}]},
            "resolve": {"scale": {"y": "independent"}}}


def weighted_shares(margins: pd.DataFrame) -> dict | None:
    """Linkage weights at work: each value's share of the reference units, of the linked
    units (unweighted) and of the linked units weighted, per source and variable."""
    if margins is None or margins.empty:
        return None
    rows = margins[~margins["suppressed"].astype(str).str.lower().eq("true")]
    rows = rows[rows["variable"] != "all"].dropna(subset=["n_reference", "n_linked",
                                                          "weighted_linked"])
    long = []
    for (src, var), g in rows.groupby(["source", "variable"], sort=False):
        for col, label in (("n_reference", "reference"), ("n_linked", "linked, unweighted"),
                           ("weighted_linked", "linked, weighted")):
            v = g[col].astype(float)
            if v.sum() > 0:
                long.append(pd.DataFrame({"source": src, "variable": var,
                                          "value": g["value"].astype(str),
                                          "share": v / v.sum(), "measure": label}))
    if not long:
        return None
    data = pd.concat(long, ignore_index=True)
    return {"$schema": SCHEMA, "data": {"values": _values(data)},
            "facet": {"row": {"field": "variable", "type": "nominal"},
                      "column": {"field": "source", "type": "nominal"}},
            "spec": {"width": 260, "height": {"step": 9}, "mark": "bar",
                     "encoding": {
                         "y": {"field": "value", "type": "nominal", "sort": None},
                         "yOffset": {"field": "measure", "sort": None},
                         "x": {"field": "share", "type": "quantitative",
                               "title": "share of units"},
                         "color": {"field": "measure", "type": "nominal", "sort": None},
                         "tooltip": [{"field": "value"}, {"field": "measure"},
                                     {"field": "share", "format": ".4f"}]}},
            "resolve": {"scale": {"y": "independent"}}}


def population_estimates(ds: pd.DataFrame) -> dict | None:
    """Dual-system estimates of each subgroup's population with 95% intervals, beside
    the reference's count."""
    if ds is None or ds.empty or "est_population" not in ds.columns:
        return None
    rows = ds[~ds["suppressed"].astype(str).str.lower().eq("true")]
    rows = rows[rows["variable"] != "all"].dropna(subset=["est_population"])
    if rows.empty:
        return None
    data = pd.DataFrame({"source": rows["source"], "group": rows["variable"].astype(str)
                         + " = " + rows["value"].astype(str),
                         "est": rows["est_population"].astype(float),
                         "low": rows["est_population_low"].astype(float),
                         "high": rows["est_population_high"].astype(float),
                         "reference": rows["n_reference"].astype(float)})
    y = {"field": "group", "type": "nominal", "sort": None, "title": None}
    return {"$schema": SCHEMA, "data": {"values": _values(data)},
            "facet": {"column": {"field": "source", "type": "nominal"}},
            "spec": {"width": 260, "height": {"step": 14}, "layer": [
                {"mark": "rule", "encoding": {
                    "y": y, "x": {"field": "low", "type": "quantitative",
                                  "title": "estimated population (95% interval)",
                                  "scale": {"type": "log"}},
                    "x2": {"field": "high"}}},
                {"mark": {"type": "point", "filled": True}, "encoding": {
                    "y": y, "x": {"field": "est", "type": "quantitative"}}},
                {"mark": {"type": "tick", "color": "#b00"}, "encoding": {
                    "y": y, "x": {"field": "reference", "type": "quantitative"},
                    "tooltip": [{"field": "group"}, {"field": "est", "format": ",.0f"},
                                {"field": "low", "format": ",.0f"},
                                {"field": "high", "format": ",.0f"},
                                {"field": "reference", "format": ",.0f"}]}}]},
            "resolve": {"scale": {"y": "independent"}}}


def threshold_tradeoff(curve: pd.DataFrame) -> dict | None:
    if curve is None or curve.empty:
        return None
    long = curve.melt(id_vars=["source", "threshold"],
                      value_vars=["est_precision", "est_recall", "model_precision"],
                      var_name="measure", value_name="value").dropna(subset=["value"])
    return {
        "$schema": SCHEMA, "data": {"values": _values(long)},
        "facet": {"column": {"field": "source", "type": "nominal"}},
        "spec": {"width": 260, "height": 200, "mark": {"type": "line", "point": True},
                 "encoding": {
                     "x": {"field": "threshold", "type": "quantitative",
                           "title": "accept threshold (model probability)"},
                     "y": {"field": "value", "type": "quantitative",
                           "scale": {"zero": False}},
                     "color": {"field": "measure", "type": "nominal"},
                     "tooltip": [{"field": "threshold"}, {"field": "measure"},
                                 {"field": "value", "format": ".4f"}]}},
        "resolve": {"scale": {"y": "independent"}},
    }


def weight_histogram(hist: pd.DataFrame) -> dict | None:
    if hist is None or hist.empty:
        return None
    return {
        "$schema": SCHEMA, "data": {"values": _values(hist)},
        "facet": {"column": {"field": "source", "type": "nominal"}},
        "spec": {"width": 260, "height": 180, "mark": "bar", "encoding": {
            "x": {"field": "from", "type": "quantitative", "title": "match weight (bits)"},
            "x2": {"field": "to"},
            "y": {"field": "pairs", "type": "quantitative", "title": "candidate pairs"},
            "tooltip": [{"field": "from"}, {"field": "to"}, {"field": "pairs"}]}},
        "resolve": {"scale": {"y": "independent"}},
    }


def reliability(summary: dict | None) -> dict | None:
    """Model probability against calibrated probability, per weight bin."""
    rows = []
    for s, info in ((summary or {}).get("sources") or {}).items():
        cal = info.get("calibration") or {}
        for b in cal.get("bins", []):
            if b.get("model_probability") is not None:
                rows.append({"source": s, "model": b["model_probability"],
                             "calibrated": b.get("calibrated_probability")})
    if not rows:
        return None
    diag = [{"source": r["source"], "model": x, "calibrated": x}
            for r in rows[:1] for x in (0.0, 1.0)]
    return {
        "$schema": SCHEMA, "width": 260, "height": 220,
        "layer": [
            {"data": {"values": diag}, "mark": {"type": "line", "strokeDash": [4, 4],
                                                "color": "#999"},
             "encoding": {"x": {"field": "model", "type": "quantitative"},
                          "y": {"field": "calibrated", "type": "quantitative"}}},
            {"data": {"values": rows}, "mark": {"type": "line", "point": True},
             "encoding": {
                 "x": {"field": "model", "type": "quantitative",
                       "title": "model probability (mean in bin)"},
                 "y": {"field": "calibrated", "type": "quantitative",
                       "title": "calibrated probability"},
                 "color": {"field": "source", "type": "nominal"}}}],
    }


def weight_domain(weights: pd.Series) -> tuple[float, float]:
    """The x range of the model-weights chart: every weight when they are of one order,
    else clipped at three times the median |weight| (at least 10 bits), so one extreme
    level (an identifier whose u is 1e-9, a level almost never seen) does not squash the
    others."""
    w = weights.dropna()
    if w.empty:
        return -1.0, 1.0
    bound = max(10.0, 3.0 * float(w.abs().median()))
    lo = max(float(w.min()), -bound) if w.min() < 0 else 0.0
    hi = min(float(w.max()), bound) if w.max() > 0 else 0.0
    return lo, hi


def model_weights(params: pd.DataFrame) -> dict | None:
    """Match weight log2(m/u) per comparison level, on a clipped scale (`weight_domain`):
    a clipped bar is drawn lighter and labelled with its value."""
    if params is None or params.empty:
        return None
    data = params.dropna(subset=["weight"]).assign(
        label=lambda d: d["comparison"] + ": " + d["level"].astype(str))
    if data.empty:
        return None
    lo, hi = weight_domain(data["weight"])
    data = data.assign(shown=data["weight"].clip(lo, hi),
                       clipped=(data["weight"] < lo) | (data["weight"] > hi))
    y = {"field": "label", "type": "nominal", "sort": None, "title": None}
    x = {"field": "shown", "type": "quantitative", "title": "match weight log2(m/u)",
         "scale": {"domain": [lo, hi], "nice": False}}
    return {
        "$schema": SCHEMA,
        "data": {"values": _values(data[["source", "label", "weight", "shown", "clipped"]])},
        "facet": {"column": {"field": "source", "type": "nominal"}},
        "spec": {"width": 240, "layer": [
            {"mark": "bar", "encoding": {
                "y": y, "x": x,
                "color": {"condition": {"test": "datum.weight < 0", "value": "#c0392b"},
                          "value": "#2e86c1"},
                "opacity": {"condition": {"test": "datum.clipped", "value": 0.45},
                            "value": 1},
                "tooltip": [{"field": "label"}, {"field": "weight"}]}},
            {"transform": [{"filter": "datum.clipped"}],
             "mark": {"type": "text", "fontSize": 10,
                      "align": {"expr": "datum.weight < 0 ? 'left' : 'right'"},
                      "dx": {"expr": "datum.weight < 0 ? 3 : -3"}},
             "encoding": {"y": y, "x": x, "text": {"field": "weight", "format": ".1f"}}}]},
    }


def integration_sources(values: pd.DataFrame | None) -> dict | None:
    if values is None or values.empty:
        return None
    data = values[(values["kind"] == "source") & values["units"].notna()]
    data = data.drop(columns=["suppressed"], errors="ignore").astype({"units": float})
    if data.empty:
        return None
    return {
        "$schema": SCHEMA, "data": {"values": _values(data)},
        "mark": "bar", "width": 320,
        "encoding": {"y": {"field": "variable", "type": "nominal"},
                     "x": {"field": "units", "type": "quantitative", "stack": "zero",
                           "title": "reference units"},
                     "color": {"field": "value", "type": "nominal", "title": "source"},
                     "tooltip": [{"field": "variable"}, {"field": "value"},
                                 {"field": "units"}]},
    }
