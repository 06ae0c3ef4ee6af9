"""Runs a job: intake, standardise, deterministic and probabilistic linkage, outputs."""
from __future__ import annotations

import hashlib
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from spinelink import analysis, faults, integrate, manifest, quality, report, review, stages
from spinelink.atomic import ensure_dir
from spinelink.backends import Engine, open_engine
from spinelink.catalogue import stage as catalogue
from spinelink.checkpoint import Checkpoint, open_checkpoint
from spinelink.coding import intake_checked, integrated_edits
from spinelink.coding.stage import coding_path, run_coding, standardise_with_codes
from spinelink.config import CANONICAL_FIELDS, LoadedJob, load_job
from spinelink.deterministic import link_deterministic, load_match_keys, steps_for
from spinelink.incremental import link as incremental_link
from spinelink.incremental import restandardise, reuse, spine
from spinelink.incremental import state as incremental
from spinelink.intake import IntakeResult, run_reference_date
from spinelink.jobspec.files import AUTO_SPEC
from spinelink.model_fields import is_linkage_column, usable_fields
from spinelink.model_spec import load_model_spec
from spinelink.outputs import Stat, scan
from spinelink.privacy import tables as privacy_tables
from spinelink.probabilistic import (
    add_capped_keys,
    link_probabilistic,
    load_model,
)
from spinelink.runlock import output_lock
from spinelink.sqlfiles import quote_ident, sql_file
from spinelink.stages import StageContext
from spinelink.training import train_model

log = logging.getLogger("spinelink")
LINK_COLUMNS = ["reference_id", "source_id", "method", "match_probability", "match_weight"]


@dataclass
class RunResult:
    output_dir: Path
    accounting: dict[str, dict]
    timings: dict[str, float] = field(default_factory=dict)
    manifest_path: Path | None = None
    summary: dict = field(default_factory=dict)


class Timer:
    def __init__(self):
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str):
        log.info("%s ...", name)
        t0 = time.perf_counter()
        yield
        dt_ = time.perf_counter() - t0
        self.timings[name] = round(self.timings.get(name, 0.0) + dt_, 3)
        log.info("%s done in %.1fs", name, dt_)


def run_job(job_path: str | Path, output_dir: str | None = None,
            validate_only: bool = False, backend: str | None = None,
            resume: bool = False, since: str | Path | None = None,
            retrain: bool = False) -> RunResult:
    """Run a job. `resume`: reuse the stages an interrupted run of the same job, inputs
    and versions finished in the output folder (spinelink.checkpoint). `since`, `retrain`:
    spinelink.incremental."""
    lj = load_job(job_path, inputs=True)  # every job problem, before any work
    if output_dir:
        lj.overrides["output_dir"] = str(output_dir)
    if backend and backend != lj.job.backend:
        lj.overrides["backend"] = backend
        lj.job = lj.job.model_copy(update={"backend": backend})
    out = lj.output_dir(output_dir)
    if lj.job.privacy.pseudonymise:  # fail before any work when the key is missing
        from spinelink.privacy import load_key

        load_key(lj)
    ensure_dir(out)
    with output_lock(out):  # one run per output folder
        if since:  # an added delivery is read with the previous state (its state file)
            incremental.prepare(lj, out, Path(since), retrain)
        return _open_and_run(lj, out, validate_only, resume)


def _open_and_run(lj: LoadedJob, out: Path, validate_only: bool, resume: bool) -> RunResult:
    before = scan(out)  # what the folder held: the run's outputs are what it writes or reuses
    res = lj.job.resources
    spark = lj.job.spark
    if spark.checkpoint_dir and "://" not in spark.checkpoint_dir:
        spark = spark.model_copy(update={"checkpoint_dir": str(lj.resolve(spark.checkpoint_dir))})
    engine = open_engine(lj.job.backend, memory_limit=res.memory_limit, threads=res.threads,
                         temp_dir=res.temp_dir, spark_conf=spark,
                         work_dir=lj.resolve(res.temp_dir) if res.temp_dir else out / ".spark")
    try:
        inputs = _input_hashes(lj)
        fingerprint = _fingerprint(lj, inputs)
        ck = open_checkpoint(out, fingerprint, resume, record=not validate_only)
        since = lj.overrides.get("since")
        prev = reuse.Previous(Path(since), fingerprint, out) if since else None
        return _run(engine, lj, out, validate_only, ck, inputs, before, prev)
    finally:
        engine.close()


def _input_hashes(lj: LoadedJob) -> dict:
    """Name and SHA-256 of each input (None for a path that is not a readable file: intake
    then stops the run with the reason)."""
    def sha(p: Path) -> str | None:
        try:
            return manifest.file_hash(p) if p.is_file() else None
        except OSError:
            return None

    return {n: {"path": str(lj.source_path(n).name), "sha256": sha(lj.source_path(n))}
            for n in lj.job.sources}


def _fingerprint(lj: LoadedJob, inputs: dict) -> dict:
    """What must not change for an interrupted run to be resumed."""
    from spinelink.config import MODELS_DIR

    models = hashlib.sha256()
    for f in sorted(p for p in MODELS_DIR.rglob("*") if p.is_file()):
        models.update(f.relative_to(MODELS_DIR).as_posix().encode() + b"\0")
        models.update(manifest.file_hash(f).encode())
    return {"job": {"sha256": hashlib.sha256(lj.raw_text).hexdigest()}, "inputs": inputs,
            "linkage_models": {"sha256": models.hexdigest()}, "versions": manifest.versions(),
            "backend": lj.job.backend,  # the output folder is where the checkpoint is
            "overrides": {k: v for k, v in lj.overrides.items() if k != "output_dir"},
            # per source, what its intake and standardisation depend on: a later run
            # --since this one takes those stages over when they agree (incremental.reuse)
            "sources": reuse.source_keys(lj, inputs)}


def _staged(ck: Checkpoint, timer: Timer, stage: str, fn, outputs=(), timed: bool = True,
            prev: reuse.Previous | None = None):
    """Run one stage (timed as `stage` unless it times its own parts) and record it in the
    checkpoint, or reuse what the interrupted run recorded. `fn` returns a JSON-able
    dict. `prev` (run --since): the stage's files and result are taken over from the
    previous run when its input and settings are the same (spinelink.incremental.reuse)."""
    if ck.reusable(stage, list(outputs)):
        payload, timings = ck.reuse(stage)
        timer.timings.update(timings)
        return payload
    ck.start(stage)
    faults.stage_start(stage)  # test-only hooks (spinelink.faults): no cost when unset
    before = dict(timer.timings)
    if prev is not None and prev.covers(stage):
        fn = prev.or_run(stage, fn)
    if timed:
        with timer.stage(stage):
            payload = fn()
    else:
        payload = fn()
    faults.stage_end(stage)
    ck.record(stage, payload, {k: v for k, v in timer.timings.items() if before.get(k) != v})
    return payload


def _run(engine: Engine, lj: LoadedJob, out: Path, validate_only: bool, ck: Checkpoint,
         inputs: dict, before: dict[str, Stat], prev: reuse.Previous | None = None
         ) -> RunResult:
    job, timer = lj.job, Timer()
    intakes: dict[str, IntakeResult] = {}
    for name in job.sources:
        intakes[name] = IntakeResult(**_staged(
            ck, timer, f"intake:{name}",
            lambda name=name: intake_checked(engine, lj, name, out).as_dict(),
            [out / "intake" / f"{name}.parquet"], prev=prev))
    manifest.write_json(out / "intake" / "report.json",
                        {n: r.as_dict() for n, r in intakes.items()})
    acc = {n: {"read": r.rows_read, "accepted": r.accepted, "quarantined": r.quarantined}
           for n, r in intakes.items()}
    if validate_only:
        manifest.check_accounting(acc)
        return RunResult(out, acc, timer.timings)
    coding = {name: _staged(ck, timer, f"coding:{name}",  # free text to classifications
                            lambda name=name: run_coding(engine, lj, name, out),
                            [coding_path(out, name)]) for name in job.coding}
    std_info: dict[str, dict] = {}
    for name in job.sources:
        std_path = out / "standardised" / f"{name}.parquet"
        def std_fn(name=name, p=std_path):  # plus a column per coded variable
            return standardise_with_codes(engine, lj, out, name, p)
        if prev is not None:  # run --since: only the new and changed records, if it can
            std_fn = restandardise.or_full(engine, lj, out, name, prev, std_path, std_fn)
        std_info[name] = _staged(ck, timer, f"standardise:{name}", std_fn, [std_path],
                                 prev=prev)
        engine.load_parquet(_std(name), std_path)
    summary = {}
    for name in job.links:
        summary[name] = _staged(ck, timer, f"link:{name}",
                                lambda name=name: _link(engine, lj, out, name, timer),
                                [out / d / f"{name}.parquet" for d in ("links", "review",
                                                                       "unlinked")],
                                timed=False)
        acc[name].update(summary[name]["accounting"])
    manifest.check_accounting(acc)
    results: dict[str, dict] = {}
    for stage, target in LATER_STAGES:
        if stage == "edits" and "integrated" not in job.edit_rules:
            continue  # only a job with edit rules on the integrated output has the stage
        if stage == "catalogue" and job.catalogue is None:
            continue  # only a job with a catalogue compares with earlier deliveries
        if stage == "spine" and not (job.extend_spine or lj.overrides.get("since")):
            continue  # spine.parquet: with extend_spine or an incremental run
        ctx = StageContext.of(engine, lj, out, acc, summary, timer.timings, results)
        results[stage] = _staged(ck, timer, stage, lambda fn=target, c=ctx: fn(c) or {})
        # a stage's accounting change is in its (recorded) result: replayed on --resume
        acc, summary = stages.apply_changes(acc, summary, results[stage].get("changes"))
    man = _manifest(lj, out, acc, timer.timings, summary, inputs)
    man["stages"] = {k: v for k, v in results.items() if v}
    man["standardise"] = std_info
    if coding:
        man["coding"] = coding
    checks = {n: r.checks for n, r in intakes.items() if r.checks}
    if checks:  # edit rules and control totals
        man["checks"] = checks
    if ck.reused:
        man["resumed"] = {"reused_stages": ck.reused}
    if prev is not None:  # stages taken over from the run --since names
        man["incremental"] = prev.summary()
    # where each input was read, for `spinelink verify` (not in the resume fingerprint)
    man["inputs"] = {n: {**v, "location": str(lj.source_path(n).absolute())}
                     for n, v in inputs.items()}
    # size and SHA-256 of every file the run wrote or reused (not this manifest), after
    # checking each against what its stage recorded
    man["outputs"] = ck.outputs(before)
    manifest.write_json(out / "run_manifest.json", man)
    catalogue.record_run(lj, out, man)  # the run in the job's catalogue, if it has one
    return RunResult(out, acc, timer.timings, out / "run_manifest.json", summary)


# Stages after linkage, in order: (name, "module:function"). Each reads the tables the
# earlier stages wrote under OUT and writes its own.
LATER_STAGES = [
    # clerical decisions already made become `clerical` links first, so integration,
    # quality and the report see them
    ("clerical", review.run_stage),
    # the spine's units and their stable ids (spine.parquet; extend_spine, --since)
    ("spine", spine.run_stage),
    ("integrate", integrate.run_stage),
    # edit rules on the integrated output (edit_rules: {integrated: [...]}), when declared
    ("edits", integrated_edits.run_stage),
    ("quality", quality.run_stage),
    ("analysis", analysis.run_stage),  # weights, coverage, imputation (job: analysis:)
    # quality indicators against the previous delivery of each source (job's catalogue:)
    ("catalogue", catalogue.run_stage),
    ("report", report.run_stage),
    # last: ids in the published outputs become keyed pseudonyms (privacy.pseudonymise)
    ("privacy", privacy_tables.run_stage),
]


def _std(name: str) -> str:
    return f"__sl_std_{name}"


def _available(lj: LoadedJob, name: str) -> set[str]:
    ref = lj.job.sources[lj.job.reference].columns
    src = lj.job.sources[name].columns
    return {f for f in CANONICAL_FIELDS if f in ref and f in src}


def _shared_identifiers(lj: LoadedJob, name: str) -> set[str]:
    ref = lj.job.sources[lj.job.reference].identifiers
    return set(ref) & set(lj.job.sources[name].identifiers)


def _link(engine: Engine, lj: LoadedJob, out: Path, name: str, timer: Timer) -> dict:
    if lj.overrides.get("since"):  # only new and changed records (spinelink.incremental)
        return incremental_link.run(engine, lj, out, name, timer, _link_source)
    return _link_source(engine, lj, out, name, timer)


def _link_source(engine: Engine, lj: LoadedJob, out: Path, name: str, timer: Timer,
                 inc=None) -> dict:
    """Link one source. `inc` (spinelink.incremental.link.Plan): link only the records it
    chooses, with the earlier run's model and thresholds, keeping the others' links."""
    job, link = lj.job, lj.job.links[name]
    ref_t, src_t, links_t = _std(job.reference), _std(name), f"__sl_det_{name}"
    keys = None
    if link.deterministic.match_keys:
        mk = link.deterministic.match_keys
        keys = load_match_keys(lj.model_path(f"match_keys/{mk}.yaml" if mk == "default" else mk))
    with timer.stage(f"deterministic:{name}"):
        det_counts = link_deterministic(engine, ref_t, src_t,
                                        steps_for(link.deterministic.direct, keys), links_t,
                                        link.one_to_one)
    if inc is not None:  # the cascade ran on every record; the rest on the chosen ones
        src_t = inc.after_deterministic(engine, links_t, src_t)
    det = engine.df(f"SELECT reference_id, source_id, method FROM {quote_ident(links_t)} "
                    "ORDER BY source_id")
    prob_links = review = pairs = pd.DataFrame(columns=LINK_COLUMNS)
    prob_info: dict = {}
    if link.probabilistic is not None:
        cfg = link.probabilistic
        with timer.stage(f"probabilistic:{name}"):
            cols = _linkage_columns(engine, ref_t, src_t)
            tables = {
                "ref_full": _residual(engine, ref_t, links_t, "reference_id", False,
                                      f"__sl_lk_ref_{name}", cols),
                "src_full": _residual(engine, src_t, links_t, "source_id", False,
                                      f"__sl_lk_src_{name}", cols),
                "ref": _residual(engine, ref_t, links_t, "reference_id", link.one_to_one,
                                 f"__sl_res_ref_{name}", cols),
                "src": _residual(engine, src_t, links_t, "source_id", True,
                                 f"__sl_res_src_{name}", cols)}
            training: dict = {}
            if cfg.model == "auto":
                spec = load_model_spec(lj.model_path(AUTO_SPEC))
                fields = usable_fields(engine, ref_t, _std(name), _available(lj, name),
                                       _shared_identifiers(lj, name))
                add_capped_keys(engine, spec, tables, fields)
            if inc is not None:
                model, cfg = inc.model, inc.cfg
            elif cfg.model == "auto":
                model, training = train_model(engine, spec, tables, fields, cfg, job.seed,
                                              f"__sl_{name}")
            else:
                model = load_model(lj.model_path(cfg.model))
            manifest.write_json(out / "models" / f"{name}.json", model)
            pr = link_probabilistic(engine, model, tables, cfg, link.one_to_one, f"__sl_{name}")
            prob_links = pr.links.assign(method="probabilistic")[LINK_COLUMNS]
            review = pr.review.assign(method="probabilistic")[LINK_COLUMNS]
            pairs = pr.pairs
            prob_info = {"prior": pr.prior, "pairs_scored": len(pr.pairs),
                         "links": len(pr.links), **pr.thresholds}
            if training:
                prob_info["training"] = training
    if inc is not None:  # the earlier links, review and pairs of the records kept
        prob_links, review, pairs = inc.with_carried(prob_links, review, pairs)
    return _write_link_outputs(engine, out, name, det, prob_links, review, pairs,
                               det_counts, prob_info)


def _residual(engine: Engine, table: str, links_t: str, id_col: str, exclude: bool,
              name: str, columns: list[str]) -> str:
    cols = ", ".join(f"t.{quote_ident(c)}" for c in columns)
    sql = sql_file("deterministic/residual.sql", table=table, links=links_t, id_col=id_col,
                   columns=cols)
    engine.create_table(name, sql, {"exclude": exclude})
    return name


def _linkage_columns(engine: Engine, ref_t: str, src_t: str) -> list[str]:
    """Columns Splink sees: the standardised identifying columns both sides share (not the
    raw originals, subgroups or carried variables)."""
    def cols(t):
        return engine.columns(t)

    src_cols = set(cols(src_t))
    return [c for c in cols(ref_t)
            if c in src_cols and is_linkage_column(c)]


def _write_link_outputs(engine, out, name, det, prob_links, review, pairs, det_counts,
                        prob_info) -> dict:
    det = det.assign(match_probability=float("nan"), match_weight=float("nan"))[LINK_COLUMNS]
    frames = [f for f in (det, prob_links) if not f.empty]
    links = (pd.concat(frames, ignore_index=True) if frames
             else pd.DataFrame(columns=LINK_COLUMNS))
    links = links.astype({"reference_id": str, "source_id": str, "method": str,
                          "match_probability": float, "match_weight": float})
    review = review.astype(links.dtypes.to_dict())
    links = links.sort_values(["source_id", "reference_id"]).reset_index(drop=True)
    for folder, frame in (("links", links), ("review", review)):
        engine.register("__sl_out", frame)
        # typed columns even when the frame is empty (an empty pandas column has no type)
        engine.write_parquet(sql_file("finalise/link_columns.sql", table="__sl_out"),
                             out / folder / f"{name}.parquet")
    if not pairs.empty:
        engine.register("__sl_out", pairs)
        engine.write_parquet("SELECT * FROM __sl_out ORDER BY source_id, reference_id",
                             out / "pairs" / f"{name}.parquet")
    engine.register("__sl_linked", links[["source_id"]])
    engine.register("__sl_review", review[["source_id"]])
    n_unlinked = engine.write_parquet(
        sql_file("finalise/unlinked.sql"), out / "unlinked" / f"{name}.parquet",
        {"intake": str(out / "intake" / f"{name}.parquet")})
    n_linked = links["source_id"].nunique()
    n_review = review["source_id"].nunique()
    by_method = links["method"].value_counts().sort_index().to_dict()
    return {"accounting": {"linked": int(n_linked), "review": int(n_review),
                           "unlinked": int(n_unlinked)},
            "links_by_method": {k: int(v) for k, v in by_method.items()},
            "deterministic_steps": det_counts, "probabilistic": prob_info}


def _manifest(lj: LoadedJob, out: Path, acc: dict, timings: dict, summary: dict,
              inputs: dict) -> dict:
    job = lj.job
    return {
        "job": {"name": job.name, "sha256": hashlib.sha256(lj.raw_text).hexdigest()},
        "inputs": inputs, "versions": manifest.versions(), "seed": job.seed,
        "backend": job.backend, "overrides": dict(lj.overrides), "reference": job.reference,
        "reference_date": run_reference_date(lj, out),  # the job's, or derived at intake
        "timings_seconds": timings, "accounting": acc, "links": summary,
    }
