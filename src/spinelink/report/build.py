"""Assemble OUT/report.html from the run context and the tables under OUT."""
from __future__ import annotations

import html
import json
import logging

import pandas as pd

from spinelink import atomic
from spinelink.report import charts, data
from spinelink.report.html import chart_div, page, table

log = logging.getLogger("spinelink.report")
SUB_COLS = ["variable", "value", "n_reference", "n_linked", "link_rate", "link_rate_low",
            "link_rate_high", "est_precision", "est_precision_low", "est_precision_high",
            "est_recall", "est_recall_low", "est_recall_high", "suppressed"]
TEXT = ("source", "variable", "value", "method", "stage", "role", "comparison", "level",
        "measure", "basis", "kind", "status", "suppressed")


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


def _subgroup_section(q: dict, sources: list[str], specs: dict) -> str:
    sub = q["subgroups"]
    if sub is None:
        return _p("The quality stage did not run.")
    method = (q["summary"] or {}).get("method", {})
    parts = [_p(f"{k}: {v}") for k, v in method.items()]
    for s in sources:
        parts.append(f"<h3>{html.escape(s)}</h3>")
        spec = charts.subgroup_intervals(sub, s)
        if spec:
            specs[f"chart-subgroups-{s}"] = spec
            parts.append(chart_div(f"chart-subgroups-{s}"))
        for basis in ("model", "labels"):
            rows = sub[(sub["source"] == s) & (sub["basis"] == basis)]
            if len(rows):
                parts.append(f"<h4>basis: {basis}</h4>" + table(rows, SUB_COLS, TEXT))
    flags = (q["summary"] or {}).get("flags") or []
    parts.append("<h3>Groups significantly below their source's overall figure</h3>"
                 + table(pd.DataFrame(flags), text_cols=TEXT))
    return "\n".join(parts)


def _bias_section(q: dict) -> str:
    b = q["bias"]
    return (_p("Distribution of each variable among reference units linked and not linked "
               "by the source; |std_diff| above 0.1 marks an imbalance.")
            + table(b, text_cols=TEXT))


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
        cal = {k: v for k, v in (info.get("calibration") or {}).items() if k != "bins"}
        checks = {"calibration": cal, "deterministic links": info.get("deterministic"),
                  "blocking": info.get("blocking"), "overall": info.get("overall")}
        parts.append(f"<h3>{html.escape(s)}</h3><pre>"
                     f"{html.escape(json.dumps(checks, indent=2, default=str))}</pre>")
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
                  chart_div("chart-model")]
    parts.append(table(params, text_cols=TEXT))
    return "\n".join(parts)


def _integration_section(integ: dict | None, specs: dict) -> str:
    if integ is None:
        return _p("No integrated output in this run (integrated.parquet is absent).")
    parts = []
    spec = charts.integration_sources(integ["values"])
    if spec:
        specs["chart-integration"] = spec
        parts.append(chart_div("chart-integration"))
    parts.append(table(integ["values"], text_cols=TEXT))
    parts.append("<h3>Conflicts between sources</h3>"
                 + table(integ["conflicts"], text_cols=TEXT))
    return "\n".join(parts)


def build(ctx) -> dict:
    job, out = ctx.lj.job, ctx.out
    q_cfg = job.quality
    sources = list(job.links)
    q = data.quality(out)
    specs: dict[str, dict] = {}
    sections = [
        ("Run summary and record accounting",
         _run_section(data.run_summary(ctx, q_cfg.min_cell, q_cfg.rounding))),
        ("Link rates and estimated errors by subgroup", _subgroup_section(q, sources, specs)),
        ("Coverage: linked versus unlinked reference units", _bias_section(q)),
        ("Threshold, calibration and checks", _calibration_section(q, specs)),
        ("Match weights and model",
         _model_section(out, specs, data.weight_histogram(out, sources, q_cfg.min_cell,
                                                          q_cfg.rounding))),
        ("Integrated variables: sources and conflicts",
         _integration_section(data.integration(out, q_cfg.min_cell, q_cfg.rounding), specs)),
    ]
    note = _p(f"Disclosure control: cells under {q_cfg.min_cell} units are suppressed "
              "(with secondary suppression)" + (f"; counts rounded to {q_cfg.rounding}"
                                                if q_cfg.rounding else "") + ".")
    sections[0] = (sections[0][0], note + sections[0][1])
    text = page(f"spinelink report: {job.name}", sections, specs)
    atomic.write_text(out / "report.html", text)
    log.info("report: %d charts, %d KB", len(specs), len(text) // 1024)
    return {"path": "report.html", "charts": len(specs)}
