"""The quality stage: estimates per source and subgroup, disclosure control, outputs.

Writes (atomically) under OUT/quality/:
- `subgroups.csv`: one row per source x variable x value (and `variable = all`), per basis
  (`model`: label-free; `labels`: from `quality.labels`), columns `SUBGROUP_COLUMNS`;
- `bias.csv`: linked versus unlinked reference units, per variable and value;
- `threshold.csv`: estimated precision and recall against the accept threshold;
- `summary.json`: how the estimates were made, calibration, checks, flags.
"""
from __future__ import annotations

import datetime as dt
import json
import logging

import numpy as np
import pandas as pd

from spinelink import atomic
from spinelink.jobspec.files import AUTO_SPEC
from spinelink.model_spec import load_model_spec
from spinelink.probabilistic import add_capped_keys
from spinelink.quality import coverage, disclosure, groups, per_source
from spinelink.quality.labels import read_labels

log = logging.getLogger("spinelink.quality")
SUBGROUP_COLUMNS = [
    "source", "variable", "value", "n_reference", "n_linked", "link_rate", "link_rate_low",
    "link_rate_high", "est_precision", "est_precision_low", "est_precision_high",
    "est_recall", "est_recall_low", "est_recall_high", "basis", "suppressed"]
BIAS_COLUMNS = ["source", "variable", "value", "n_linked", "n_unlinked", "share_linked",
                "share_unlinked", "std_diff", "suppressed"]
CURVE_COLUMNS = ["source", "threshold", "links", "est_precision", "est_recall",
                 "model_precision", "suppressed"]
KEYS = ["source", "variable", "value"]


def _reference_date(ctx) -> dt.date:
    """The job's reference date, else the one intake derived from the data (never the day
    of the run, so estimates by age band do not change from one day to the next)."""
    from spinelink.intake import run_reference_date

    iso = run_reference_date(ctx.lj, ctx.out)
    return dt.date.fromisoformat(iso) if iso else dt.date(2000, 1, 1)


def _group_tables(ctx):
    job, eng, out = ctx.lj.job, ctx.engine, ctx.out
    q = job.quality
    ref = job.reference
    ref_date = _reference_date(ctx)
    views = {}
    for name in [ref, *job.links]:
        views[name] = f"__sl_q_groups_{name}"
        eng.view_parquet(views[name], out / "standardised" / f"{name}.parquet")
    cols = {n: groups.table_columns(eng, v) for n, v in views.items()}
    # by default: every subgroup the job declares (on the reference or a linked source)
    declared = [g for s in [ref, *job.links] for g in job.sources[s].subgroups]
    wanted = q.subgroups or groups.default_subgroups(declared)
    chosen = groups.choose_variables(wanted, cols[ref], {s: cols[s] for s in job.links})
    ref_groups = groups.group_values(eng, views[ref], chosen.reference, q.age_bands, ref_date)
    src_groups = {s: groups.group_values(eng, views[s], v, q.age_bands, ref_date)
                  for s, v in chosen.source.items()}
    return chosen, ref_groups, src_groups


def run_stage(ctx) -> dict:
    job, out = ctx.lj.job, ctx.out
    q = job.quality
    if not job.links:
        log.info("quality: no linked sources; nothing to estimate")
        return {}
    chosen, ref_groups, src_groups = _group_tables(ctx)
    labels = read_labels(ctx.lj.resolve(q.labels)) if q.labels else None
    results = {}
    for name, link in job.links.items():
        inp = per_source.read_inputs(out, name, ctx.accounting[name], ctx.links.get(name, {}),
                                     link.one_to_one, ref_groups, src_groups.get(name),
                                     job.seed, q.bootstrap, _extender(ctx, link),
                                     q.calibration)
        results[name] = per_source.compute(ctx.engine, out, job.reference, inp, labels)
    tables = publish(results, q.min_cell, q.rounding)
    folder = out / "quality"
    _write_csv(folder / "subgroups.csv", tables["subgroups"], SUBGROUP_COLUMNS)
    _write_csv(folder / "bias.csv", tables["bias"], BIAS_COLUMNS)
    _write_csv(folder / "threshold.csv", tables["curve"], CURVE_COLUMNS)
    summary = _summary(job, chosen, results, tables, labels is not None,
                       _reference_date(ctx))
    atomic.write_text(folder / "summary.json", json.dumps(summary, indent=2, default=str) + "\n")
    log.info("quality: %d subgroup rows (%d suppressed), %d flags",
             len(tables["subgroups"]), int(tables["subgroups"]["suppressed"].sum()),
             len(summary["flags"]))
    return {"subgroup_rows": len(tables["subgroups"]), "flags": len(summary["flags"])}


def _extender(ctx, link):
    """The derived blocking columns the `auto` model's rules use (as the probabilistic
    stage adds them), or None for a model given as a file."""
    if link.probabilistic is None or link.probabilistic.model != "auto":
        return None
    spec = load_model_spec(ctx.lj.model_path(AUTO_SPEC))
    return lambda tables: add_capped_keys(ctx.engine, spec, tables)


def publish(results: dict, min_cell: int, rounding: int | None) -> dict[str, pd.DataFrame]:
    """Disclosure-controlled tables from the per-source results."""
    cov = pd.concat([r.coverage.assign(source=s) for s, r in results.items()],
                    ignore_index=True)
    cov["n_unlinked"] = cov["n_reference"] - cov["n_linked"]
    sup = disclosure.suppress(cov, ["n_reference", "n_linked", "n_unlinked"],
                              ["source", "variable"], min_cell, "n_reference")
    cov = cov.assign(suppressed=sup.to_numpy())
    for c in ("n_reference", "n_linked"):
        cov[c] = disclosure.round_counts(cov[c], rounding)
    cov = coverage.add_link_rates(cov)
    parts = []
    for s, r in results.items():
        for basis, est in (("model", r.estimates), ("labels", r.label_rows)):
            if est is not None:
                parts.append(cov[cov["source"] == s].merge(
                    est.assign(source=s), on=KEYS, how="left").assign(basis=basis))
    sub = pd.concat(parts, ignore_index=True)
    sub = disclosure.blank(sub, sub["suppressed"], [*KEYS, "basis", "suppressed"])
    bias = _publish_bias(results, min_cell, rounding)
    curve = _publish_curve(results, min_cell, rounding)
    return {"subgroups": sub[SUBGROUP_COLUMNS], "bias": bias, "curve": curve}


def _publish_bias(results, min_cell, rounding) -> pd.DataFrame:
    frames = [r.bias.assign(source=s) for s, r in results.items() if len(r.bias)]
    if not frames:
        return pd.DataFrame(columns=BIAS_COLUMNS)
    b = pd.concat(frames, ignore_index=True)
    b["_size"] = b[["n_linked", "n_unlinked"]].min(axis=1)
    sup = disclosure.suppress(b, ["n_linked", "n_unlinked"], ["source", "variable"],
                              min_cell, "_size")
    for c in ("n_linked", "n_unlinked"):
        b[c] = disclosure.round_counts(b[c], rounding)
    b = coverage.add_shares(b.drop(columns="_size")).assign(suppressed=sup.to_numpy())
    return disclosure.blank(b, b["suppressed"], [*KEYS, "suppressed"])[BIAS_COLUMNS]


def _publish_curve(results, min_cell, rounding) -> pd.DataFrame:
    frames = []
    for s, r in results.items():
        c = r.curve.assign(source=s)
        c["suppressed"] = disclosure.primary(c, ["links"], min_cell).to_numpy()
        c["links"] = disclosure.round_counts(c["links"], rounding)
        frames.append(disclosure.blank(c, c["suppressed"], ["source", "threshold",
                                                            "suppressed"]))
    return pd.concat(frames, ignore_index=True)[CURVE_COLUMNS] if frames else \
        pd.DataFrame(columns=CURVE_COLUMNS)


def _write_csv(path, df: pd.DataFrame, columns: list[str]) -> None:
    out = df[columns].copy()
    for c in out.columns:
        if c == "suppressed":
            out[c] = np.where(out[c].astype(bool), "true", "false")
        elif c not in ("source", "variable", "value", "basis"):
            v = pd.to_numeric(out[c], errors="coerce")
            out[c] = v.round(4) if not c.startswith("n_") and c != "links" else v.astype("Int64")
    atomic.write_text(path, out.to_csv(index=False, lineterminator="\n"))


def _summary(job, chosen, results, tables, has_labels: bool, ref_date: dt.date) -> dict:
    from spinelink.quality.summary import METHOD, safe_counts

    q = job.quality
    return {
        "schema_version": 1,
        "reference": job.reference,
        "reference_date": str(ref_date),
        "variables": {"reference": chosen.reference, "source": chosen.source,
                      "skipped": chosen.skipped},
        "disclosure": {"min_cell": q.min_cell, "rounding": q.rounding,
                       "rule": disclosure.__doc__.split("\n\n")[1].replace("\n", " ")},
        "labels": q.labels if has_labels else None,
        "method": METHOD,
        "sources": {s: safe_counts(r.summary, q.min_cell, q.rounding)
                    for s, r in results.items()},
        "flags": coverage.flags(tables["subgroups"]),
    }
