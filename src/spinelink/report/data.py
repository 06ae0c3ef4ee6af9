"""What the report shows, read from OUT and the run context, disclosure-controlled.

Tables from the quality stage are already controlled (read from its CSVs as published);
anything counted here (record accounting, match-weight histograms, integration sources
and conflicts) goes through the same rule: counts 1..min_cell-1 are shown as
`<min_cell` (or left out of charts), with secondary suppression within a table.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from spinelink.quality import disclosure

ACCOUNTING = ["read", "accepted", "quarantined", "linked", "review", "unlinked"]
WEIGHT_BIN = 2.0  # bits


def safe(n, min_cell: int, rounding: int | None):
    """A count for display: '<min_cell' when small, rounded when asked."""
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return ""
    n = int(n)
    if 0 < n < min_cell:
        return f"<{min_cell}"
    return int(disclosure.round_counts(pd.Series([n]), rounding).iloc[0]) if rounding else n


def run_summary(ctx, min_cell: int, rounding: int | None) -> dict:
    from spinelink.intake import run_reference_date

    job = ctx.lj.job
    acc = [{"source": s, "role": job.sources[s].role,
            **{k: safe(a.get(k), min_cell, rounding) if k in a else "" for k in ACCOUNTING}}
           for s, a in ctx.accounting.items()]
    methods = []
    for s, info in (ctx.links or {}).items():
        for m, n in sorted((info.get("links_by_method") or {}).items()):
            methods.append({"source": s, "method": m, "links": safe(n, min_cell, rounding)})
    timings = [{"stage": k, "seconds": f"{float(v):.1f}"} for k, v in ctx.timings.items()]
    return {"name": job.name, "reference": job.reference,
            "reference_date": run_reference_date(ctx.lj, ctx.out) or "", "seed": job.seed,
            "accounting": acc, "methods": methods, "timings": timings,
            "thresholds": thresholds(ctx)}


def thresholds(ctx) -> list[dict]:
    """Per source: the accept and review thresholds the run used (chosen by `auto` or
    fixed) and the model's estimates at them."""
    rows = []
    for s, info in (ctx.links or {}).items():
        th = (info.get("probabilistic") or {}).get("thresholds")
        if not th:
            continue
        rows.append({"source": s, "accept": f"{th['accept']:.4g} ({th['accept_mode']})",
                     "review": f"{th['review']:.4g} ({th['review_mode']})",
                     "est_precision": th["est_precision"], "est_recall": th["est_recall"],
                     "expected_false_links": th["expected_false_links"]})
    return rows


def quality(out: Path) -> dict:
    q = out / "quality"
    read = {n: pd.read_csv(q / f"{n}.csv", dtype={"value": str}, keep_default_na=False,
                           na_values=[""]) if (q / f"{n}.csv").exists() else None
            for n in ("subgroups", "bias", "threshold")}
    summary = json.loads((q / "summary.json").read_text()) if (q / "summary.json").exists() \
        else None
    return {**read, "summary": summary}


def weight_histogram(out: Path, sources: list[str], min_cell: int,
                     rounding: int | None) -> pd.DataFrame:
    """Candidate pairs of the probabilistic stage by match weight (2-bit bins)."""
    rows = []
    for s in sources:
        p = out / "pairs" / f"{s}.parquet"
        if not p.exists():
            continue
        w = pd.read_parquet(p, columns=["match_weight"])["match_weight"].dropna()
        if w.empty:
            continue
        start = np.floor(w / WEIGHT_BIN) * WEIGHT_BIN
        counts = start.value_counts().sort_index()
        shown = disclosure.suppress_counts(counts, min_cell)
        shown = disclosure.round_counts(shown, rounding) if rounding else shown
        for b, n in shown.items():
            if pd.notna(n):
                rows.append({"source": s, "from": float(b), "to": float(b) + WEIGHT_BIN,
                             "pairs": int(n)})
    return pd.DataFrame(rows, columns=["source", "from", "to", "pairs"])


def model_parameters(out: Path) -> pd.DataFrame:
    rows = []
    for path in sorted((out / "models").glob("*.json")):
        model = json.loads(path.read_text(encoding="utf-8"))
        for comp in model.get("comparisons", []):
            name = comp.get("output_column_name") or comp.get("comparison_description", "")
            for lvl in comp.get("comparison_levels", []):
                if lvl.get("is_null_level"):
                    continue
                m, u = lvl.get("m_probability"), lvl.get("u_probability")
                w = math.log2(m / u) if m and u else None
                rows.append({"source": path.stem, "comparison": name,
                             "level": lvl.get("label_for_charts", ""),
                             "m": m, "u": u, "weight": None if w is None else round(w, 2)})
    return pd.DataFrame(rows, columns=["source", "comparison", "level", "m", "u", "weight"])


def integration(out: Path, min_cell: int, rounding: int | None) -> dict | None:
    """Where each integrated variable's value came from, its status, and conflicts."""
    ip = out / "integrated.parquet"
    if not ip.exists():
        return None
    df = pd.read_parquet(ip)
    rows = []
    for col in df.columns:
        for suffix, kind in (("__source", "source"), ("__status", "status")):
            if col.endswith(suffix):
                var = col[: -len(suffix)]
                counts = df[col].fillna("(none)").astype(str).value_counts().sort_index()
                rows += _safe_rows(counts, min_cell, rounding, variable=var, kind=kind)
    conflicts = []
    cp = out / "conflicts.parquet"
    if cp.exists():
        c = pd.read_parquet(cp)
        if {"variable", "status"} <= set(c.columns) and len(c):
            counts = c.groupby(["variable", "status"]).size()
            counts.index = [f"{v}|{s}" for v, s in counts.index]
            for r in _safe_rows(counts, min_cell, rounding, kind="conflict"):
                v, s = r.pop("value").split("|", 1)
                conflicts.append({"variable": v, "status": s, "units": r["units"]})
    return {"values": pd.DataFrame(rows, columns=["variable", "kind", "value", "units"]),
            "conflicts": pd.DataFrame(conflicts, columns=["variable", "status", "units"])}


def _safe_rows(counts: pd.Series, min_cell: int, rounding: int | None, **extra) -> list:
    shown = disclosure.suppress_counts(counts, min_cell)
    out = []
    for k, n in shown.items():
        out.append({**extra, "value": str(k),
                    "units": "suppressed" if pd.isna(n) else safe(n, min_cell, rounding)})
    return out


def is_suppressed(df: pd.DataFrame) -> pd.Series:
    if "suppressed" not in df.columns:
        return pd.Series(False, index=df.index)
    return df["suppressed"].astype(str).str.lower().isin(["true", "1"])


def collapse_suppressed(df: pd.DataFrame, min_cell: int, key: str = "variable",
                        label: str = "value") -> tuple[pd.DataFrame, dict[int, list]]:
    """The published rows without the suppressed ones, and per `key` (variable) one line
    naming its suppressed values, placed where the first of them was ({position among the
    published rows: [(key, text), ...]}): a suppressed row keeps only its keys, so showing
    it would be a row of blanks."""
    if df is None or df.empty:
        return df, {}
    sup = is_suppressed(df).to_numpy()
    kept: list[int] = []
    pending: dict[str, tuple[int, list[str]]] = {}
    for i, row in enumerate(df.to_dict(orient="records")):
        if sup[i]:
            k = str(row.get(key, ""))
            v = row.get(label)
            pending.setdefault(k, (len(kept), []))[1].append(
                "(blank)" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))
        else:
            kept.append(i)
    lines: dict[int, list] = {}
    for k, (pos, values) in pending.items():
        what = "1 value" if len(values) == 1 else f"{len(values)} values"
        lines.setdefault(pos, []).append(
            (k, f"{what} suppressed (under {min_cell} units, or suppressed with one that "
                f"is): {', '.join(values)}"))
    out = df.iloc[kept].drop(columns=["suppressed"], errors="ignore").reset_index(drop=True)
    return out, lines
