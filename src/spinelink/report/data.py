"""What the report shows, read from OUT and the run context, disclosure-controlled.

Tables from the quality stage are already controlled (read as published); the
integration sources and conflicts counted here are protected against every table
published before them (`protect.protect(..., before=published.load(out))`) and
published under OUT/tables like them; the match-weight histogram (candidate pairs, no
person's characteristics) has its small bins suppressed with a second one. Operational
figures (record accounting, links by method) are exact: they must add up. No table
shows the threshold.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from spinelink.quality import disclosure, protect, published
from spinelink.thresholds import shown

ACCOUNTING = ["read", "accepted", "quarantined", "linked", "review", "unlinked"]
WEIGHT_BIN = 2.0  # bits


def run_summary(ctx) -> dict:
    """Record accounting and links by method: operational, exact."""
    from spinelink.intake import run_reference_date

    job = ctx.lj.job
    acc = [{"source": s, "role": job.sources[s].role,
            **{k: int(a[k]) if a.get(k) is not None else "" for k in ACCOUNTING}}
           for s, a in ctx.accounting.items()]
    methods = []
    for s, info in (ctx.links or {}).items():
        for m, n in sorted((info.get("links_by_method") or {}).items()):
            methods.append({"source": s, "method": m, "links": int(n)})
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
        none = th.get("not_chosen")  # `auto` chose none: say why, not `1 (auto)`
        rows.append({"source": s, "accept": f"none: {none}" if none else
                     f"{shown(th['accept'])} ({th['accept_mode']})",
                     "review": "none" if none and th["review"] >= th["accept"] else
                     f"{shown(th['review'])} ({th['review_mode']})",
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


NO_SOURCE = protect.NO_SOURCE


def _source_status_zeros(rows: list[dict]) -> list[dict[str, str]]:
    """The (source, status) pairs no unit can have (`decide.sql`, imputation): a unit
    with no source is `missing`, `invalid_code` or `imputed:<method>`, and one with a
    source is none of these. Known to anyone, they tie each variable's units with no
    source to its missing and imputed units (17 without a source and 17 imputed: a
    suppressed `(none)` is the shown `imputed:model`, and the source beside it follows
    from the total)."""
    cats: dict[str, dict[str, set]] = {}
    for r in rows:
        cats.setdefault(r["variable"], {"source": set(), "status": set()})[r["kind"]].add(
            r["value"])
    out = []
    for var, c in cats.items():
        for src in sorted(c["source"]):
            for st in sorted(c["status"]):
                none_status = st in ("missing", "invalid_code") or st.startswith("imputed:")
                if (src == NO_SOURCE) != none_status:
                    out.append({f"{var}__source": src, f"{var}__status": st})
    return out


def integration(out: Path, rules: protect.Rules) -> dict | None:
    """Where each integrated variable's value came from, its status, and conflicts:
    protected against the tables published before, and published with them."""
    ip = out / "integrated.parquet"
    if not ip.exists():
        return None
    import pyarrow.parquet as pq

    # only the flags are counted: the units' ids and values are not read (at 5M persons
    # the whole table's conversion to pandas was 6 of the report's 7 s, for no flag)
    flags = [c for c in pq.read_schema(ip).names if c.endswith(("__source", "__status"))]
    df = pd.read_parquet(ip, columns=flags) if flags else pd.DataFrame()
    rows = []
    for col in df.columns:
        for suffix, kind in (("__source", "source"), ("__status", "status")):
            if col.endswith(suffix):
                counts = df[col].fillna(NO_SOURCE).astype(str).value_counts().sort_index()
                rows += [{"variable": col[: -len(suffix)], "kind": kind, "_column": col,
                          "value": str(k), "units": int(n)} for k, n in counts.items()]
    conflicts = []
    cp = out / "conflicts.parquet"
    if cp.exists():
        c = pd.read_parquet(cp)
        if {"variable", "status"} <= set(c.columns) and len(c):
            # a conflict's status is the unit's status of the variable (`decide.sql`:
            # most_recent or conflict_resolved_by_priority where the values differ): the
            # same cell as the sources table's, suppressed in both or neither
            for (v, st), n in c.groupby(["variable", "status"]).size().items():
                conflicts.append({"variable": str(v), "_column": f"{v}__status",
                                  "status": str(st), "units": int(n)})
    tables = {
        "integration_sources": protect.PublishedTable(
            pd.DataFrame(rows, columns=["variable", "kind", "_column", "value", "units"]),
            {"units": protect.REFERENCE}, stacked=("_column", "value"),
            keep=["variable", "kind"], known_zeros=_source_status_zeros(rows),
            description="integrated reference units by where each variable's value came "
                        "from (kind source) and its status (kind status)",
            columns={"variable": ("the integrated variable", "name"),
                     "kind": ("source: where the value came from; status: the value's "
                              "status", "name"),
                     "value": ("the source, or the status", "name"),
                     "units": ("integrated reference units", "units")}),
        "integration_conflicts": protect.PublishedTable(
            pd.DataFrame(conflicts, columns=["variable", "_column", "status", "units"]),
            {"units": protect.REFERENCE}, stacked=("_column", "status"),
            keep=["variable"],
            description="conflicts between sources by variable and status",
            columns={"variable": ("the integrated variable", "name"),
                     "status": ("how the sources' different values were settled", "name"),
                     "units": ("conflicts", "conflicts")})}
    before = {k: v for k, v in published.load(out).items() if k not in tables}
    shown = protect.protect(tables, rules, before=before)
    published.save(out, tables, shown)
    view = {k: shown[k].drop(columns=["_column"]) for k in tables}
    return {"values": view["integration_sources"], "conflicts": view["integration_conflicts"]}


CROSS_COLUMNS = ("source", "n_reference", "n_linked", "link_rate", "link_rate_low",
                 "link_rate_high", "est_precision", "est_precision_low",
                 "est_precision_high", "est_recall", "est_recall_low", "est_recall_high",
                 "basis", "suppressed")


def crosses(out: Path) -> dict[str, pd.DataFrame]:
    """The intersectional tables as published (OUT/tables/quality_cross_*.csv)."""
    return {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""]).pipe(
                lambda d: d.astype({c: float for c in d.columns
                                    if c in CROSS_COLUMNS and c not in (
                                        "source", "basis", "suppressed")}))
            for p in sorted((out / "tables").glob("quality_cross_*.csv"))}


def analysis_tables(out: Path) -> dict[str, pd.DataFrame]:
    """The analysis stage's tables as published (OUT/tables/analysis_*.csv)."""
    found = {}
    for p in sorted((out / "tables").glob("analysis_*.csv")):
        df = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""])
        # a concordance's columns but `n` are codes (`1`, `2` are not numbers)
        codes = p.stem.startswith("analysis_concordance_")
        for c in df.columns:
            if c not in ("source", "variable", "value", "suppressed") and (
                    not codes or c == "n"):
                num = pd.to_numeric(df[c], errors="coerce")
                if num.notna().sum() == df[c].notna().sum():
                    df[c] = num
        found[p.stem] = df
    return found


def is_suppressed(df: pd.DataFrame) -> pd.Series:
    if "suppressed" not in df.columns:
        return pd.Series(False, index=df.index)
    return df["suppressed"].astype(str).str.lower().isin(["true", "1"])


def collapse_suppressed(df: pd.DataFrame, key: str = "variable",
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
            (k, f"{what} suppressed (too few units, or withheld so that another cannot be "
                f"worked out): {', '.join(values)}"))
    out = df.iloc[kept].drop(columns=["suppressed"], errors="ignore").reset_index(drop=True)
    return out, lines
