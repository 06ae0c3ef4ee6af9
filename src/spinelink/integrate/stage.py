"""The integration stage: reads intake, standardised and links tables under OUT, writes

* `integrated.parquet`   one row per accepted reference record (see ARCHITECTURE.md),
* `conflicts.parquet`    units whose sources disagree on a variable, with the choice,
* `audit.parquet`        every change from a raw value to an integrated one,
* `integrate/invalid_codes.parquet`  values outside the code lists (codes only),

and returns its summary for `run_manifest.json` (stages.integrate). It fails with an
AccountingError when a reference record or a linked record would be lost or doubled.
"""
from __future__ import annotations

import logging
from pathlib import Path

from spinelink.backends import Engine
from spinelink.config import LoadedJob
from spinelink.errors import AccountingError, JobError
from spinelink.integrate import audit, choose, duplicates
from spinelink.integrate.choose import Tables
from spinelink.sqlfiles import quote_ident, sql_file

log = logging.getLogger("spinelink")
OUTPUTS = {"integrated": "integrated.parquet", "conflicts": "conflicts.parquet",
           "audit": "audit.parquet", "invalid_codes": "integrate/invalid_codes.parquet"}
OUT_VIEW = "__sl_int_out"  # the integrated table just written, for the summary counts
OUT_VIEW_Q = quote_ident(OUT_VIEW)


def run_stage(ctx) -> dict:
    engine, lj, out, t = ctx.engine, ctx.lj, Path(ctx.out), Tables()
    job = lj.job
    linked = [s for s in job.sources if s in job.links]
    _open_inputs(engine, t, out, lj, linked)
    plan, code_table = choose.build_plan(job)
    engine.register(t.plan, plan)
    engine.register(t.codes, code_table)
    engine.execute(sql_file("integrate/create_tables.sql", values=t.values, dates=t.dates,
                            links=t.links, keys=t.keys))
    choose.fill_values(engine, t, plan)
    choose.fill_dates(engine, t, job, plan)
    choose.fill_links(engine, t, job, {s: f"__sl_int_links_{s}" for s in linked})
    _check_orphans(engine, t, job.reference)
    n_dups = _duplicates(engine, t, lj)
    choose.decide(engine, t, job.reference)
    n_units = _write_integrated(engine, t, out, linked, list(job.integrate), job.reference)
    sources = _source_summary(engine, linked)
    checked = _check_accounting(ctx.accounting, job.reference, n_units, sources, out)
    summary = {
        "outputs": dict(OUTPUTS), "units": n_units,
        "unit_status": _counts(engine, "unit_status"),
        "reference_duplicates": {"checked": n_dups is not None, "flagged": n_dups or 0},
        "sources": sources,
        "variables": audit.variable_summary(plan),
        "agreement": audit.agreement(engine, t, plan),
        "conflicts": audit.write_conflicts(engine, t, _order(job, plan),
                                           out / OUTPUTS["conflicts"]),
        "audit_rows": audit.write_audit(engine, t, job, plan, out / OUTPUTS["audit"]),
        "invalid_codes": audit.write_invalid_codes(engine, t, job.reference,
                                                   out / OUTPUTS["invalid_codes"]),
        "unlinked": _unlinked(job, ctx.accounting),
        "accounting": checked,
    }
    summary["invalid_codes"]["warnings"] = audit.warn_invalid_shares(engine, t, lj)
    dateless = audit.undated(engine, t)
    for name, info in summary["variables"].items():
        info.update(_variable_counts(engine, name))
        if info["rule"] == "most_recent":
            info["undated_values"] = dateless.get(name, {})
    log.info("integrate: %d units, %d conflicts, %d invalid codes", n_units,
             summary["conflicts"], summary["invalid_codes"]["total"])
    # its tables are read by no later stage (they read the files): not held through the
    # quality stage, whose peak they raised (at a million records ~150 MB)
    engine.release(prefixes=("__sl_int_",))
    return summary


def _open_inputs(engine: Engine, t: Tables, out: Path, lj: LoadedJob, linked: list[str]):
    job = lj.job
    engine.view_parquet(t.spine, out / "intake" / f"{job.reference}.parquet")
    for s in [job.reference, *linked]:
        engine.view_parquet(t.std(s), out / "standardised" / f"{s}.parquet")
        engine.view_parquet(t.intake(s), out / "intake" / f"{s}.parquet")
    for s in linked:
        engine.view_parquet(f"__sl_int_links_{s}", out / "links" / f"{s}.parquet")
    _check_date_columns(engine, t, lj)


def _check_date_columns(engine: Engine, t: Tables, lj: LoadedJob) -> None:
    """Date and priority columns named in the integrate sections exist in the source."""
    job = lj.job
    wanted = [(f"integrate.{v}.date_column.{s}", s, var.date_of(s).column)
              for v, var in job.integrate.items() for s in var.date_column]
    wanted += [(f"integrate_options.select.{s}", s, sel.date_column or sel.column)
               for s, sel in job.integrate_options.select.items()]
    for key, source, column in wanted:
        cols = engine.columns(t.intake(source))
        if column not in cols:
            raise JobError(f"{lj.path}: key '{key}': column '{column}' is not in the file of "
                           f"source {source}")


def _check_orphans(engine: Engine, t: Tables, reference: str) -> None:
    df = engine.df(sql_file("integrate/orphan_links.sql", links=t.links, spine=t.spine))
    if len(df):
        r = df.iloc[0]
        raise AccountingError(f"links/{r.source}.parquet: {int(r.n)} link(s) point to records "
                              f"not in intake/{reference}.parquet")


def _duplicates(engine: Engine, t: Tables, lj: LoadedJob) -> int | None:
    job = lj.job
    if not job.integrate_options.flag_reference_duplicates:
        duplicates.no_duplicates(engine, t.duplicates)
        return None
    ids = list(job.sources[job.reference].identifiers)
    return duplicates.flag_duplicates(engine, t.std(job.reference), ids, t.duplicates)


def _write_integrated(engine: Engine, t: Tables, out: Path, linked: list[str],
                      variables: list[str], reference: str) -> int:
    src_frag, src_params = choose.source_fragments(linked)
    var_frag, var_params = choose.variable_fragments(variables)
    sql = sql_file("integrate/integrated.sql", spine=t.spine, chosen=t.chosen,
                   decided=t.decided, duplicates=t.duplicates, **src_frag, **var_frag)
    params = {**src_params, **var_params, "n_sources": len(linked), "reference": reference}
    n = engine.write_parquet(sql, out / OUTPUTS["integrated"], params)
    engine.view_parquet(OUT_VIEW, out / OUTPUTS["integrated"])
    return n


def _counts(engine: Engine, column: str) -> dict[str, int]:
    q = quote_ident(column)
    df = engine.df(f"SELECT coalesce(CAST({q} AS VARCHAR), '(none)') AS k, count(*) AS n "
                   f"FROM {OUT_VIEW_Q} GROUP BY 1 ORDER BY 1")
    return {str(k): int(n) for k, n in zip(df["k"], df["n"], strict=True)}


def _variable_counts(engine: Engine, variable: str) -> dict:
    return {"status": _counts(engine, f"{variable}__status"),
            "supplied_by": _counts(engine, f"{variable}__source")}


def _source_summary(engine: Engine, linked: list[str]) -> dict:
    res = {}
    for s in linked:
        n = quote_ident(f"{s}__n_records")
        row = engine.df(f"SELECT coalesce(sum({n}), 0) AS records, count(*) FILTER "
                        f"(WHERE {n} > 0) AS units, count(*) FILTER (WHERE {n} > 1) AS several "
                        f"FROM {OUT_VIEW_Q}").iloc[0]
        res[s] = {"linked_records": int(row.records), "units_linked": int(row.units),
                  "units_with_several_records": int(row.several),
                  "selected_by": _counts(engine, f"{s}__selected_by")}
    return res


def _unlinked(job, accounting: dict) -> dict:
    by_source = {s: int(accounting[s]["unlinked"]) for s in job.links if s in accounting}
    by_role: dict[str, int] = {}
    for s, n in by_source.items():
        role = job.sources[s].role
        by_role[role] = by_role.get(role, 0) + n
    return {"by_source": by_source, "by_role": by_role}


def _order(job, plan) -> list[str]:
    used = set(plan["source"])
    return [s for s in job.sources if s in used]


def _check_accounting(acc: dict, reference: str, n_units: int, sources: dict,
                      out: Path) -> dict:
    """Every accepted reference record once; every linked record of each source counted
    in exactly one unit's `<source>__n_records`. On failure the integrated table is
    removed (it must not be used) and the run stops."""
    ref = acc[reference]["accepted"]
    problem = None
    if n_units != ref:
        problem = (f"integrated.parquet has {n_units} rows but intake/{reference}.parquet "
                   f"has {ref} accepted records")
    for s, info in sources.items():
        if problem is None and info["linked_records"] != acc[s]["linked"]:
            problem = (f"source {s}: {acc[s]['linked']} linked records but "
                       f"{info['linked_records']} counted in integrated.parquet")
    if problem:
        (out / OUTPUTS["integrated"]).unlink(missing_ok=True)
        raise AccountingError(problem)
    res = {reference: {"accepted": ref, "integrated_units": n_units}}
    for s, info in sources.items():
        res[s] = {"linked": acc[s]["linked"], "in_integrated": info["linked_records"]}
    return res
