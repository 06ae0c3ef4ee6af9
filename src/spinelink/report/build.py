"""Assemble OUT/report.html from the run context and the tables under OUT.

One function per section. The quality stage's estimates are drawn by `quality_estimate`
(one source's overall figures with their intervals, then every warning the quality
summary holds for them, as visible plain text); the subgroup tables by `_subgroup_table`.
"""
from __future__ import annotations

import html
import logging

import pandas as pd

from spinelink import atomic
from spinelink.quality import protect, published
from spinelink.report import charts, data
from spinelink.report.html import chart_div, details, kv_table, page, table, warning

log = logging.getLogger("spinelink.report")
MEASURES = {"link_rate": "link rate", "est_precision": "est. precision",
            "est_recall": "est. recall"}
TEXT = ("source", "variable", "value", "method", "stage", "role", "comparison", "level",
        "measure", "basis", "kind", "status", "suppressed", *(f"{m} (95% CI)"
                                                            for m in MEASURES.values()))


def _p(text: str) -> str:
    return f"<p class='note'>{html.escape(text)}</p>"


def _run_section(run: dict) -> str:
    head = _p(f"Job {run['name']}: reference source {run['reference']}, reference date "
              f"{run['reference_date'] or 'not known'}, seed {run['seed']}. Every accepted record "
              "is linked, in clerical review or unlinked (read = accepted + quarantined).")
    return (head + table(pd.DataFrame(run["accounting"]), text_cols=TEXT)
            + "<h3>Links by method</h3>" + table(pd.DataFrame(run["methods"]), text_cols=TEXT)
            + "<h3>Probabilistic thresholds</h3>"
            + _p("accept / review: the match-probability thresholds used, chosen from the "
                 "run's own estimates (auto) or fixed in the job; estimates are of the "
                 "probabilistic links accepted at them.")
            + table(pd.DataFrame(run["thresholds"]), text_cols=(*TEXT, "accept", "review"))
            + "<h3>Stage timings</h3>" + table(pd.DataFrame(run["timings"]), text_cols=TEXT))


def _interval(est, low, high) -> str:
    if est is None or pd.isna(est):
        return ""
    if low is None or pd.isna(low) or high is None or pd.isna(high):
        return f"{est:.4f}"
    return f"{est:.4f} ({low:.4f}-{high:.4f})"


def _subgroup_table(rows: pd.DataFrame, dims: tuple[str, ...] = ("variable", "value")
                    ) -> str:
    """One row per subgroup value: counts, then each measure with its 95% interval in one
    cell (seven columns, readable at 1,400 px); suppressed values in one line per variable."""
    key = "variable" if "variable" in rows.columns else dims[0]
    shown, collapsed = data.collapse_suppressed(rows, key=key, label=dims[-1])
    out = shown[[*dims, "n_reference", "n_linked"]].copy()
    for m, label in MEASURES.items():
        out[f"{label} (95% CI)"] = [_interval(e, lo, hi) for e, lo, hi in zip(
            shown[m], shown[f"{m}_low"], shown[f"{m}_high"], strict=True)]
    if "warnings" in shown.columns:  # a subgroup's own warnings, when the stage gives them
        out["warnings"] = shown["warnings"].fillna("").astype(str)
    return table(out, text_cols=(*TEXT, *dims, "warnings"), collapsed=collapsed)


def _warnings_in(*parts) -> list[str]:
    """Every `warnings` entry in the given summary parts and anything nested in them
    (strings, or dicts shown as `key: value; ...`), in order, without repeats."""
    found: list[str] = []

    def visit(node) -> None:
        if isinstance(node, dict):
            items = node.get("warnings")
            for w in [items] if isinstance(items, str | dict) else items or []:
                text = w if isinstance(w, str) else "; ".join(
                    f"{k}: {v}" for k, v in w.items()) if isinstance(w, dict) else str(w)
                if text not in found:
                    found.append(text)
            for k, v in node.items():
                if k != "warnings":
                    visit(v)
        elif isinstance(node, list):
            for v in node:
                visit(v)

    for part in parts:
        visit(part)
    return found


def quality_estimate(source: str, info: dict | None) -> str:
    """One source's overall quality estimates (precision, recall, expected false links,
    with 95% intervals) and, beside them, every warning the quality summary gives for them
    (a `warnings` list anywhere in the source's entry of summary.json: at its top, in
    `overall`, `calibration`, ...; strings or dicts), as visible plain text; then its
    `diagnostics`, if any, as a table."""
    info = info or {}
    ov = info.get("overall") or {}
    parts = []
    figures = []
    for key, label in (("est_precision", "estimated precision"),
                       ("est_recall", "estimated recall")):
        if ov.get(key) is not None:
            est = _interval(ov[key], ov.get(f"{key}_low"), ov.get(f"{key}_high"))
            figures.append(f"{label} {est}")
    if ov.get("expected_false_links") is not None:
        figures.append(f"expected false links {ov['expected_false_links']}")
    if figures:
        parts.append(f"<p class='estimate'><b>{html.escape(source)}</b>: "
                     f"{html.escape('; '.join(figures))}</p>")
    ns = info.get("null_sample") or {}
    if ns.get("carried_from"):  # an incremental run: which scores it carried over
        parts.append(_p(f"{source}: leave-partner-out sample: {ns['basis']}."))
    est = info.get("estimate") or {}
    if est.get("fitted_in"):  # an incremental run that carried the quality fit
        parts.append(_p(f"{source}: never-compared matches and interval widths carried "
                        f"from the fit of {est['fitted_in']}, scaled to this run "
                        "(summary.json, method.incremental)."))
    for text in _warnings_in(info):
        parts.append(warning(text))
    diag = info.get("diagnostics") or ov.get("diagnostics")
    if isinstance(diag, dict) and diag:
        parts.append(details(f"{source}: diagnostics", kv_table(_flat(diag))))
    return "\n".join(parts)


def _subgroup_section(q: dict, sources: list[str], specs: dict) -> str:
    sub = q["subgroups"]
    if sub is None:
        return _p("The quality stage did not run.")
    summary = q["summary"] or {}
    method = summary.get("method", {})
    parts = [warning(t) for t in _warnings_in({"warnings": summary.get("warnings")})]
    if method:
        parts.append(details("How these figures are made",
                             "".join(_p(f"{k}: {v}") for k, v in method.items())))
    per_source = summary.get("sources") or {}
    for s in sources:
        parts.append(f"<h3>{html.escape(s)}</h3>")
        parts.append(quality_estimate(s, per_source.get(s)))
        spec = charts.subgroup_intervals(sub, s)
        if spec:
            specs[f"chart-subgroups-{s}"] = spec
            parts.append(chart_div(f"chart-subgroups-{s}"))
        for basis in ("model", "labels"):
            rows = sub[(sub["source"] == s) & (sub["basis"] == basis)]
            if len(rows):
                parts.append(f"<h4>basis: {basis}</h4>" + _subgroup_table(rows))
    flags = summary.get("flags") or []
    parts.append("<h3>Groups significantly below their source's overall figure</h3>"
                 + _p("A group is listed when its 95% upper bound is under the source's "
                      "figure, also read as a sample of the group's size (the Wilson "
                      "interval of its matches found): a group too small to judge, where "
                      "one missed match moves its recall by points, is not listed.")
                 + table(pd.DataFrame(flags), text_cols=TEXT))
    return "\n".join(parts)


def _bias_section(q: dict) -> str:
    b = q["bias"]
    note = _p("Distribution of each variable among reference units linked and not linked "
              "by the source; |std_diff| above 0.1 marks an imbalance.")
    if b is None or b.empty:
        return note + table(b)
    parts = [note]
    for s in dict.fromkeys(b["source"]):
        shown, collapsed = data.collapse_suppressed(b[b["source"] == s])
        parts.append(f"<h3>{html.escape(str(s))}</h3>"
                     + table(shown.drop(columns=["source"]), text_cols=TEXT,
                             collapsed=collapsed))
    return "\n".join(parts)


def _flat(d: dict, prefix: str = "") -> list[tuple[str, object]]:
    """Scalar figures of a (nested) summary entry as (name, value); lists of numbers as
    text; long explanations and lists of records are left to the caller."""
    items = []
    for k, v in d.items():
        name = f"{prefix}{k}".replace("_", " ")
        if isinstance(v, dict):
            items += _flat(v, f"{prefix}{k}.")
        elif isinstance(v, list):
            if v and all(isinstance(x, int | float) or x is None for x in v):
                items.append((name, " to ".join("" if x is None else f"{x:g}" for x in v)
                              if len(v) == 2 else ", ".join(f"{x}" for x in v)))
            elif v and all(isinstance(x, str) for x in v) and k != "warnings":
                items.append((name, "; ".join(v)))
        elif not (isinstance(v, str) and len(v) > 80):
            items.append((name, v))
    return items


def _explanations(d: dict) -> str:
    return "".join(_p(f"{k}: {v}") for k, v in d.items() if isinstance(v, str) and len(v) > 80)


def _bins_table(bins: list[dict]) -> str:
    rows = []
    for b in bins:
        lo, hi = b.get("weight_from"), b.get("weight_to")
        rows.append({"match weight": f"{'-inf' if lo is None else f'{lo:g}'} to "
                                     f"{'+inf' if hi is None else f'{hi:g}'}",
                     **{k: v for k, v in b.items() if k not in ("weight_from", "weight_to")}})
    return table(pd.DataFrame(rows), text_cols=("match weight",))


def _checks(source: str, info: dict) -> str:
    """The quality checks of one source as tables: calibration (figures, verdict, the
    reliability bins), deterministic links, blocking."""
    parts = [f"<h3>{html.escape(source)}</h3>"]
    cal = info.get("calibration") or {}
    if cal:
        verdict = cal.get("verdict")
        parts.append("<h4>Calibration check</h4>"
                     + (f"<p class='estimate'>verdict: <b>{html.escape(str(verdict))}</b></p>"
                        if verdict else "")
                     + kv_table([(k, v) for k, v in _flat(cal) if k != "verdict"])
                     + _explanations(cal))
        if cal.get("bins"):
            parts.append("<h4>Reliability by match-weight bin</h4>" + _bins_table(cal["bins"]))
    for key, title in (("deterministic", "Check of the deterministic links"),
                       ("blocking", "Matches blocking never compared")):
        part = info.get(key)
        if isinstance(part, dict) and part:
            parts.append(f"<h4>{title}</h4>" + kv_table(_flat(part)) + _explanations(part))
    return "\n".join(parts)


def _calibration_section(q: dict, specs: dict) -> str:
    parts = []
    spec = charts.threshold_tradeoff(q["threshold"])
    if spec:
        specs["chart-threshold"] = spec
        parts += ["<h3>Precision and recall against the accept threshold</h3>",
                  chart_div("chart-threshold")]
    spec = charts.reliability(q["summary"])
    if spec:
        specs["chart-reliability"] = spec
        parts += ["<h3>Calibration: model probability against calibrated probability</h3>",
                  chart_div("chart-reliability")]
    for s, info in ((q["summary"] or {}).get("sources") or {}).items():
        parts.append(_checks(s, info or {}))
    return "\n".join(parts) or _p("The quality stage did not run.")


def _model_section(out, specs: dict, hist: pd.DataFrame) -> str:
    parts = []
    spec = charts.weight_histogram(hist)
    if spec:
        specs["chart-weights"] = spec
        parts += ["<h3>Match-weight distribution of scored pairs</h3>",
                  chart_div("chart-weights")]
    params = data.model_parameters(out)
    spec = charts.model_weights(params)
    if spec:
        specs["chart-model"] = spec
        parts += ["<h3>Model parameters (Splink m and u per comparison level)</h3>",
                  _p("Bars: the match weight log2(m/u) of each level. The scale is clipped "
                     "so that one extreme level does not squash the others; a clipped bar "
                     "is drawn lighter, with its value at its end."),
                  chart_div("chart-model")]
    parts.append(table(params, text_cols=TEXT))
    return "\n".join(parts)


def _collapsed_counts(df: pd.DataFrame, label: str, *keys: str) -> str:
    """A table of counts (`units`) whose suppressed cells are one line per group."""
    if df is None or df.empty:
        return table(df)
    grouped = df.assign(_group=df[list(keys)].astype(str).agg(" / ".join, axis=1))
    shown, collapsed = data.collapse_suppressed(grouped, key="_group", label=label)
    return table(shown.drop(columns=["_group"]), text_cols=TEXT, collapsed=collapsed)


def _integration_section(integ: dict | None, specs: dict) -> str:
    if integ is None:
        return _p("No integrated output in this run (integrated.parquet is absent).")
    parts = []
    spec = charts.integration_sources(integ["values"])
    if spec:
        specs["chart-integration"] = spec
        parts.append(chart_div("chart-integration"))
    parts.append(_collapsed_counts(integ["values"], "value", "variable", "kind"))
    parts.append("<h3>Conflicts between sources</h3>"
                 + _collapsed_counts(integ["conflicts"], "status", "variable"))
    return "\n".join(parts)


def _cross_section(crosses: dict[str, pd.DataFrame], sources: list[str], specs: dict) -> str:
    """Each intersectional table: per source, the cells with their link rate and
    estimates (95% intervals), the suppressed ones in a line per first variable."""
    if not crosses:
        return _p("No intersectional tables in this job (quality.crosses).")
    parts = [_p("Link rates and estimated precision and recall for every combination of "
                "the variables the job crosses (quality.crosses), with the same intervals "
                "as the one-way tables; protected together with every other table.")]
    for name, df in crosses.items():
        dims = tuple(c for c in df.columns if c not in data.CROSS_COLUMNS)
        parts.append(f"<h3>{html.escape(' x '.join(dims))}</h3>")
        spec = charts.cross_rates(df, dims)
        if spec:
            specs[f"chart-{name}"] = spec
            parts.append(chart_div(f"chart-{name}"))
        for s in sources:
            rows = df[(df["source"] == s) & (df["basis"] == "model")]
            if len(rows):
                parts.append(f"<h4>{html.escape(s)}</h4>"
                             + _subgroup_table(rows.drop(columns=["source", "basis"]), dims))
    return "\n".join(parts)


def _analysis_section(tables: dict[str, pd.DataFrame], specs: dict) -> str:
    """The analysis stage's tables (weights, coverage from both sides, dual-system
    estimates, concordance), with charts where a picture reads faster."""
    if not tables:
        return _p("No analysis tables in this run (the job's analysis section).")
    parts = []
    spec = charts.population_estimates(tables.get("analysis_dual_system"))
    if spec:
        specs["chart-dual-system"] = spec
        parts += ["<h3>Dual-system estimates of the population by subgroup</h3>",
                  _p("Point: the estimate, bar: its 95% interval, red tick: the "
                     "reference's own count (log scale). Each estimate is summed over the "
                     "cells of the cross-classification of the coverage variables and "
                     "assumes that, within a cell, the reference and the source miss "
                     "people independently, and that the reference records each "
                     "person's group as it is; its interval includes the uncertainty of "
                     "the estimated precision and recall, and is only as good as they "
                     "are (see Linkage quality). A group the source links nobody in has "
                     "no estimate (estimate_status no_links in the table below): two "
                     "lists that share no one say nothing about who both miss."),
                  chart_div("chart-dual-system")]
    spec = charts.weighted_shares(tables.get("analysis_weighted_margins"))
    if spec:
        specs["chart-weighted"] = spec
        parts += ["<h3>Linkage weights: weighted versus unweighted</h3>",
                  _p("Each value's share of the reference units, of the linked units as "
                     "they are, and of the linked units weighted: the weights bring the "
                     "linked units back to the reference's make-up."),
                  chart_div("chart-weighted")]
    for name, df in tables.items():
        if name == "analysis_imputation":
            parts.append(_imputation_tables(df))
            continue
        if "variable" in df.columns:
            key, label = "variable", "value"
        else:  # a wide table (a concordance: reference value by source value, n): per
            # row value, the column values suppressed (the label is the last dimension)
            dims = [c for c in df.columns if c not in ("source", "n", "suppressed")]
            key, label = dims[0], dims[-1]
        if "source" in df.columns and key != "source":
            # one line per source and variable: grouped by the variable alone, a table
            # of several sources listed every suppressed value once per source, unnamed
            df = df.assign(_group=df["source"].astype(str) + " / " + df[key].astype(str))
            key = "_group"
        shown, collapsed = data.collapse_suppressed(df, key=key, label=label)
        shown = shown.drop(columns=["_group"], errors="ignore")
        df = df.drop(columns=["_group"], errors="ignore")
        parts.append(f"<h3>{html.escape(name)}</h3>"
                     + table(shown, text_cols=(*TEXT, *(c for c in df.columns
                                                        if df[c].dtype == object)),
                             collapsed=collapsed))
    return "\n".join(parts)


def _imputation_tables(df: pd.DataFrame) -> str:
    """Imputation rates, one table per imputed variable (its subgroups' suppressed values
    in one line each)."""
    parts = ["<h3>Imputation rates by variable and subgroup</h3>",
             _p("Per imputed variable: reference units, units no source supplied a value "
                "for, units given an imputed value (status imputed:<method> in "
                "integrated.parquet) and the imputation rate, overall and by subgroup "
                "(table analysis_imputation).")]
    for var, g in df.groupby("imputed_variable", sort=False):
        method = g["method"].dropna().iloc[0] if g["method"].notna().any() else ""
        shown, collapsed = data.collapse_suppressed(
            g.drop(columns=["imputed_variable", "method"]).reset_index(drop=True))
        parts.append(f"<h4>{html.escape(str(var))} (imputed: {html.escape(str(method))})"
                     "</h4>" + table(shown, text_cols=(*TEXT, "variable", "value"),
                                     collapsed=collapsed))
    return "\n".join(parts)


def build(ctx) -> dict:
    job, out = ctx.lj.job, ctx.out
    q_cfg = job.quality
    sources = list(job.links)
    q = data.quality(out)
    specs: dict[str, dict] = {}
    rules = protect.job_rules(q_cfg, sources, protect.one_to_one_sources(out, sources))
    integ = data.integration(out, rules)
    sections = [
        ("Run summary and record accounting", _run_section(data.run_summary(ctx))),
        ("Link rates and estimated errors by subgroup",
         _subgroup_section(q, sources, specs)),
        ("Intersectional tables", _cross_section(data.crosses(out), sources, specs)),
        ("Coverage: linked versus unlinked reference units", _bias_section(q)),
        ("Threshold, calibration and checks", _calibration_section(q, specs)),
        ("Match weights and model",
         _model_section(out, specs, data.weight_histogram(out, sources, q_cfg.min_cell,
                                                          q_cfg.rounding))),
        ("Integrated variables: sources and conflicts", _integration_section(integ, specs)),
        ("Analysis: weights, coverage from both sides, population estimates",
         _analysis_section(data.analysis_tables(out), specs)),
    ]
    from spinelink.report import coding

    coded = coding.section(out, list(job.coding))
    if coded is not None:
        sections.insert(1, ("Free-text coding", coded))
    from spinelink.catalogue.report import section  # the previous delivery (issue 17)
    sections += section(ctx.results.get("catalogue"))
    note = _p("Disclosure control: small cells are suppressed, and further cells with them "
              "wherever one could be worked out from the published tables (coordinated "
              "over every table of the run)"
              + ("; so are groups with nobody, or everybody, linked by a source"
                 if q_cfg.zeros == "group" else "")
              + (f"; counts rounded to {q_cfg.rounding}" if q_cfg.rounding else "")
              + ". Record accounting and links by method are operational and exact. "
              "Every table is also a file under tables/ (CSV and Parquet), described in "
              "tables/dictionary.csv.")
    sections[0] = (sections[0][0], note + sections[0][1])
    text = page(f"spinelink report: {job.name}", sections, specs)
    atomic.write_text(out / "report.html", text)
    published.write_dictionary(out)
    log.info("report: %d charts, %d KB", len(specs), len(text) // 1024)
    return {"path": "report.html", "charts": len(specs)}
