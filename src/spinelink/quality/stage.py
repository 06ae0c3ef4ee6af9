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
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from spinelink import atomic, raw_values
from spinelink.capped_keys import (
    add_capped_keys,
    capped_columns,
    key_counts,
    keyed_reference,
    whole_reference,
)
from spinelink.jobspec.files import AUTO_SPEC
from spinelink.model_spec import capped_column, capped_keys_used, load_model_spec
from spinelink.quality import coverage, groups, per_source, protect, published, tables, unit_home
from spinelink.quality.fitcarry import FitCarry
from spinelink.quality.labels import read_labels
from spinelink.quality.nullcarry import Carry
from spinelink.quality.stats import one_blas_thread
from spinelink.stages import std_table

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
DISCLOSURE_RULE = (
    "Threshold rule: a count of 1 up to the confidential threshold is suppressed; with "
    "`zeros: group` (the default) so is a zero linked or not-linked count of a non-empty "
    "group (everybody, or nobody, in the group is in the source). Secondary suppression "
    "coordinated over every table the run publishes (quality, intersectional, report and "
    "analysis tables): a cell is the same cell wherever it appears, and further cells are"
    " suppressed until no suppressed cell can be worked out from the published ones by "
    "any sums (margins, linked + unlinked = all, one table against another). A suppressed"
    " row is blank. Record accounting is operational and exact. Rounding (optional): "
    "counts to the nearest multiple of `rounding`, rates from the rounded counts.")


def crosses_of(job, chosen) -> list[list[str]]:
    return [c for c in job.quality.crosses if set(c) <= set(chosen.reference)]


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
    wanted = list(dict.fromkeys([*wanted, *(v for c in q.crosses for v in c)]))
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
    crosses = crosses_of(job, chosen)
    for c in q.crosses:
        if c not in crosses:
            log.warning("quality: cross %s has a variable the reference does not carry; "
                        "skipped", groups.cross_name(c))
    labels = read_labels(ctx.lj.resolve(q.labels)) if q.labels else None
    results = {}
    for name, link in job.links.items():
        inp = per_source.read_inputs(out, name, ctx.accounting[name], ctx.links.get(name, {}),
                                     link.one_to_one, ref_groups, src_groups.get(name),
                                     job.seed, q.bootstrap, _extender(ctx, name, link),
                                     q.calibration)
        inp.pairs, home = unit_home.adjust(
            out, job.reference, name, inp.pairs, inp.links, ref_groups,
            raw_values.mapped(job.sources[name].columns))
        if home is not None:
            log.info("quality: %s records at a unit-mate's linked address: %s", name, home)
        inp.crosses = crosses
        inp.carry = _carry(ctx, name)
        inp.fitcarry = FitCarry(ctx.out, name, job.reference, inp.carry.previous)
        inp.carry_within = q.carry_within
        inp.std = {"ref": std_table(job.reference), "src": std_table(name)}
        inp.last = name == list(job.links)[-1]
        inp.hold_relatives = bool(link.hold_relatives and not link.one_to_one)
        if not link.one_to_one:  # the linkage's keyed reference holds every record
            inp.keyed_ref = keyed_reference(name)
        inp.capped, inp.plain = _capped(inp.extend), _capped(inp.extend, plain=True)
        inp.not_chao1 = _not_chao1(inp.extend)
        inp.keys = _keys(ctx, link)
        with one_blas_thread():  # small matrices: a thread pool costs more than it saves
            results[name] = per_source.compute(ctx.engine, out, job.reference, inp, labels)
    shutil.rmtree(out / published.INTERNAL, ignore_errors=True)  # the first to publish
    shutil.rmtree(out / published.TABLES, ignore_errors=True)
    roles = {s: src.role for s, src in job.sources.items()}
    tabs = publish(results, q.min_cell, q.rounding, chosen.source, crosses, ctx.accounting,
                   roles, q.zeros, job.reference)
    published.save(out, tabs["tables"], tabs["shown"])
    folder = out / "quality"
    _write_csv(folder / "subgroups.csv", tabs["subgroups"], SUBGROUP_COLUMNS)
    _write_csv(folder / "bias.csv", tabs["bias"], BIAS_COLUMNS)
    _write_csv(folder / "threshold.csv", tabs["curve"], CURVE_COLUMNS)
    summary = _summary(job, chosen, results, tabs, labels is not None,
                       _reference_date(ctx))
    atomic.write_text(folder / "summary.json", json.dumps(summary, indent=2, default=str) + "\n")
    log.info("quality: %d subgroup rows (%d suppressed), %d flags",
             len(tabs["subgroups"]), int(tabs["subgroups"]["suppressed"].sum()),
             len(summary["flags"]))
    return {"subgroup_rows": len(tabs["subgroups"]), "flags": len(summary["flags"]),
            "crosses": len(crosses)}


def _carry(ctx, name: str) -> Carry:
    """Where the source's null scores are kept; on a run --since that linked the source
    incrementally (the previous run's model), the previous run's to carry
    (spinelink.quality.nullcarry)."""
    inc = (ctx.links.get(name) or {}).get("incremental") or {}
    since = ctx.lj.overrides.get("since")
    previous = Path(since) if since and inc.get("mode") == "incremental" else None
    return Carry(ctx.out, name, ctx.lj.job.reference, previous)


def _capped(extend, plain: bool = False) -> dict[str, list[str]]:
    """The `auto` model's capped key columns and the columns each joins (none for a model
    given as a file: `_extender` None); `plain`: those the never-compared design reads as
    their plain columns (`read_plain`), else the others."""
    from spinelink.model_spec import CappedBlock

    if extend is None:
        return {}
    return {capped_column(i): list(r.columns) for i, r in enumerate(extend.spec.blocking)
            if isinstance(r, CappedBlock) and r.read_plain == plain}


def _not_chao1(extend) -> set[str]:
    """The `auto` model's capped key columns of rules Chao1 does not count (`chao1: false`)."""
    from spinelink.model_spec import CappedBlock

    if extend is None:
        return set()
    return {capped_column(i) for i, r in enumerate(extend.spec.blocking)
            if isinstance(r, CappedBlock) and not r.chao1}


def _keys(ctx, link) -> dict[str, list[tuple[str, str]]]:
    """The match keys' link methods and (reference, source) column pairs."""
    from spinelink.deterministic import load_match_keys, steps_for

    mk = link.deterministic.match_keys
    if not mk:
        return {}
    keys = load_match_keys(ctx.lj.model_path(f"match_keys/{mk}.yaml" if mk == "default"
                                             else mk))
    return {st.method: list(zip(st.ref_fields, st.src_fields, strict=True))
            for st in steps_for([], keys)}


def _extender(ctx, name: str, link):
    """The derived blocking columns the `auto` model's rules use (as the probabilistic
    stage adds them), or None for a model given as a file (but one `model: auto` saved,
    which blocks on them too)."""
    if link.probabilistic is None:
        return None
    saved = ctx.out / "models" / f"{name}.json"
    used = capped_keys_used(json.loads(saved.read_text())) if saved.is_file() else None
    if link.probabilistic.model != "auto" and not used:
        return None
    # only the keys the model's rules read: a rule on a field the pair does not populate
    # (a middle name on one side only) is keyed by neither stage, and the linkage's keyed
    # reference and key counts are then taken over as they are
    return _Keys(ctx.engine, load_model_spec(ctx.lj.model_path(AUTO_SPEC)),
                 whole_reference(name), used)


class _Keys:
    """Adds the capped blocking keys to the tables scored or joined on them (`ref`,
    `src`); `ref_full` and `src_full` serve key counts and term frequencies only (rule
    captures key their pairs' records on their own: per_source.rule_captures).
    `columns`: the keys it adds."""

    def __init__(self, engine, spec, linked: str | None = None,
                 used: set[str] | None = None):
        self.engine, self.spec, self.used = engine, spec, used
        self.columns = capped_columns(spec, used=used)
        self.counted: set[str] = set()  # the reference tables whose keys are counted
        # the probabilistic stage's whole reference, when it counted every capped rule's
        # keys on it (the same reference records: the same counts)
        self.linked = linked if linked and all(
            _has_table(engine, key_counts(linked, i)) for i in range(len(spec.blocking))
            if capped_column(i) in self.columns) else None
        if self.linked:
            self.counted.add(self.linked)

    def __call__(self, tables: dict[str, str]) -> None:
        ref = self.linked or tables["ref_full"]
        add_capped_keys(self.engine, self.spec, {**tables, "ref_full": ref},
                        blocked_only=True, counted=ref in self.counted, used=self.used)
        self.counted.add(ref)


def _has_table(engine, name: str) -> bool:
    try:
        engine.columns(name)
    except Exception:  # noqa: BLE001 - any backend's "no such table"
        return False
    return True


def publish(results: dict, min_cell: int, rounding: int | None,
            source_vars: dict[str, list[str]] | None = None,
            crosses: list[list[str]] | None = None, accounting: dict | None = None,
            roles: dict | None = None, zeros: str = "group",
            reference: str | None = None) -> dict:
    """Disclosure-controlled tables from the per-source results, protected together
    (`protect`): `subgroups`, `bias`, `curve` (the quality CSVs), `tables` (their
    descriptions, exact) and `shown` (every table as published, by name)."""
    described = tables.build(results, source_vars or {}, crosses or [], accounting, roles,
                             reference)
    shown = tables.finish(protect.protect(described, protect.Rules(
        min_cell=min_cell, rounding=rounding, zeros=zeros,
        identities=protect.identities(results))),
        rounding)
    bias = shown.get("quality_bias")
    return {"subgroups": shown["quality_subgroups"][SUBGROUP_COLUMNS],
            "bias": bias[BIAS_COLUMNS] if bias is not None else pd.DataFrame(
                columns=BIAS_COLUMNS),
            "curve": shown["quality_threshold"].reindex(columns=CURVE_COLUMNS),
            "tables": described, "shown": shown}


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
        # the rules, not the threshold: guidance keeps it confidential
        "disclosure": {"rounding": q.rounding, "zeros": q.zeros, "rule": DISCLOSURE_RULE},
        "crosses": [groups.cross_name(c) for c in crosses_of(job, chosen)],
        "labels": q.labels if has_labels else None,
        "method": METHOD,
        "sources": {s: safe_counts(r.summary, q.min_cell, q.rounding)
                    for s, r in results.items()},
        "flags": coverage.flags(tables["subgroups"]),
    }
