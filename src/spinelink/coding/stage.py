"""The coding stage, per source after intake and before standardisation.

Reads `intake/<source>.parquet`, codes each declared variable's text column
(spinelink.coding.coder) and writes `coding/<source>.parquet` (record_id, variable, text,
code, level, status, score; one row per record and variable) and the clerical coding
queue `coding/<source>_clerical.parquet` (record_id, variable, classification, text,
candidates). Standardisation then gets one column per coded variable, named like it,
holding its code (NULL while in clerical coding). Logs carry counts only.
"""
from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from spinelink.backends import Engine
from spinelink.coding import classification as cls
from spinelink.coding.coder import Coded, Coder
from spinelink.coding.derive import derive
from spinelink.config import LoadedJob
from spinelink.errors import JobError
from spinelink.sqlfiles import quote_ident, sql_file

log = logging.getLogger("spinelink")
STATUSES = ("exact", "alias", "fuzzy", "derived", "clerical", "verified", "not_stated",
            "uncodable")
CODING_COLUMNS = ["record_id", "variable", "text", "code", "level", "status", "score",
                  "method", "note"]


def coding_path(out: Path, name: str) -> Path:
    return out / "coding" / f"{name}.parquet"


def code_frame(texts: pd.DataFrame, variables: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Code the text columns of `texts` (record_id + one column per variable's `text`).
    Returns the coding table and the clerical queue."""
    # a missing answer is None (pandas 3's string columns hold NaN, which reads as "nan")
    texts = texts.astype(object).where(texts.notna(), None)
    rows, queue = [], []
    coded_by_var: dict[str, list[Coded]] = {}
    # variables derived from another are coded after it
    order = sorted(variables, key=lambda v: variables[v].derive_from is not None)
    for var in order:
        spec = variables[var]
        c = cls.load(spec.classification)
        coder = Coder(c, spec.threshold, spec.margin)
        values = texts[spec.text].tolist()
        coded = [coder.code(t) for t in values]
        if spec.derive_from is not None:
            occ = variables[spec.derive_from].classification
            coded = [derive(x, o, spec.classification, occ, spec.derive_from)
                     for x, o in zip(coded, coded_by_var[spec.derive_from], strict=True)]
        coded_by_var[var] = coded
    ids = texts["record_id"].tolist()
    rows_by_var = {}
    for var in variables:  # output in the job's order of variables
        spec = variables[var]
        values = texts[spec.text].tolist()
        part = []
        for rid, text, x in zip(ids, values, coded_by_var[var], strict=True):
            part.append((rid, var, text, x.code, x.level, x.status, x.score, x.method,
                         x.note))
            if x.status == "clerical":
                cands = "; ".join(f"{k} {v:.3f}" for k, v in x.candidates)
                queue.append((rid, var, spec.classification, text, cands))
        rows_by_var[var] = part
    for var in variables:
        rows += rows_by_var[var]
    # objects, None for missing (as pandas 2 infers; pandas 3 would make NaN strings)
    table = pd.DataFrame(rows, columns=CODING_COLUMNS, dtype=object)
    table["score"] = table["score"].astype(float)
    q = pd.DataFrame(queue, columns=["record_id", "variable", "classification", "text",
                                     "candidates"], dtype=object)
    return table, q


def run_coding(engine: Engine, lj: LoadedJob, name: str, out: Path) -> dict:
    """Code one source; the stage's summary (counts per variable and status)."""
    variables = lj.job.coding[name]
    intake = out / "intake" / f"{name}.parquet"
    engine.view_parquet("__sl_coding_intake", intake)
    present = set(engine.columns("__sl_coding_intake"))
    for var, spec in variables.items():
        if spec.text not in present:
            raise JobError(f"{lj.path}: key 'coding.{name}.{var}.text': column '{spec.text}' "
                           f"is not in source {name}")
    cols = list(dict.fromkeys(spec.text for spec in variables.values()))
    select = ", ".join(["record_id", *(f"CAST({quote_ident(c)} AS VARCHAR) AS "
                                       f"{quote_ident(c)}" for c in cols)])
    texts = engine.df(f"SELECT {select} FROM __sl_coding_intake ORDER BY _row")
    table, _ = code_frame(texts, variables)
    from spinelink.coding import decisions as dec
    from spinelink.coding import workflow

    opts, sp = lj.job.coding_options, specs(variables)
    known = {s: {v: x.classification for v, x in vs.items()}
             for s, vs in lj.job.coding.items()}
    given = []  # the job file's decisions, then the store's (page, `coding apply`)
    if opts.clerical:
        given += dec.read_csv(lj.resolve(opts.clerical), "clerical", "job", known)
    if opts.decisions:
        given += dec.read_csv(lj.resolve(opts.decisions), "verify", "job", known)
    given += dec.store_for(out).effective()
    options = workflow.Options(lj.job.seed, opts.verify_share, opts.batch_size,
                               opts.error_threshold)
    o = workflow.decide(table, given, name, sp, options)
    workflow.write(engine, out, name, o)
    summary = workflow.summary_counts(o.table, sp)
    for var, by in summary["variables"].items():
        log.info("coding %s.%s: %d coded automatically (%d not stated, %d uncodable), %d "
                 "to clerical coding", name, var, summary["automatic"][var]["automatic"],
                 by.get("not_stated", 0), by.get("uncodable", 0),
                 summary["automatic"][var]["answers"] - summary["automatic"][var]["automatic"])
    if o.verification.get("batches_queued"):
        log.warning("coding verification %s: %d batch(es) at or above the error "
                    "threshold, queued for full re-check", name,
                    len(o.verification["batches_queued"]))
    result = {**summary, "clerical_queue": int(len(o.queue)), "decisions": o.counts,
              "verification": o.verification, "specs": sp, "options": vars(options),
              "classifications": {spec.classification: cls.load(spec.classification).version
                                  for spec in variables.values()}}
    workflow.write_summary(out, name, result)  # for the report (built before the manifest)
    return result


def specs(variables: dict) -> dict:
    return {v: {"classification": s.classification, "derive_from": s.derive_from,
                "threshold": s.threshold, "margin": s.margin}
            for v, s in variables.items()}


def add_coded_columns(engine: Engine, lj: LoadedJob, out: Path, name: str,
                      std_path: Path) -> None:
    """Add one column per coded variable (its code) to the standardised table."""
    variables = list(lj.job.coding.get(name, {}))
    if not variables:
        return
    engine.load_parquet("__sl_coding_std", std_path)
    taken = {c.lower() for c in engine.columns("__sl_coding_std")}
    params, pivot = {}, []
    for i, var in enumerate(variables):
        if var.lower() in taken:
            raise JobError(f"{lj.path}: key 'coding.{name}.{var}': the standardised table "
                           f"already has a column '{var}'; rename the coded variable")
        params[f"v{i}"] = var
        pivot.append(f"max(CASE WHEN variable = $v{i} THEN code END) AS {quote_ident(var)}")
    engine.load_parquet("__sl_coding_codes", coding_path(out, name))
    columns = ", ".join(f"c.{quote_ident(v)}" for v in variables)
    engine.write_parquet(sql_file("coding/add_codes.sql", std="__sl_coding_std",
                                  codes="__sl_coding_codes", pivot=", ".join(pivot),
                                  columns=columns),
                         std_path, params)


def standardise_with_codes(engine: Engine, lj: LoadedJob, out: Path, name: str,
                           std_path: Path) -> dict:
    from spinelink.nickname_tables import Store
    from spinelink.standardise import standardise_source

    since = lj.overrides.get("since")  # the previous run's nickname tables (`run --since`)
    info = standardise_source(engine, out / "intake" / f"{name}.parquet",
                              lj.job.sources[name], std_path,
                              nickname_store=Store(out, Path(since) if since else None))
    add_coded_columns(engine, lj, out, name, std_path)
    return info
