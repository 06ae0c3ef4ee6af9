"""Runs a job: opens the engine and the checkpoint, runs the stages of
spinelink.stages.plan in a loop, writes the manifest."""
from __future__ import annotations

import hashlib
import logging
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from spinelink import faults, manifest
from spinelink.atomic import ensure_dir, flush, group_commit
from spinelink.backends import Engine, memory, open_engine
from spinelink.catalogue import stage as catalogue
from spinelink.checkpoint import Checkpoint, ResumeError, open_checkpoint
from spinelink.config import LoadedJob, load_job
from spinelink.incremental import restandardise, reuse
from spinelink.incremental import state as incremental
from spinelink.intake import IntakeResult, run_reference_date
from spinelink.outputs import Stat, scan
from spinelink.runlock import output_lock
from spinelink.splink_import import import_in_background
from spinelink.stages import StageContext, apply_changes, published
from spinelink.stages.plan import Stage, plan
from spinelink.stages.sources import standardised_path, with_delivered

log = logging.getLogger("spinelink")
__all__ = ["RunResult", "StageContext", "run_job"]


@dataclass
class RunResult:
    output_dir: Path
    accounting: dict[str, dict]
    timings: dict[str, float] = field(default_factory=dict)
    manifest_path: Path | None = None
    summary: dict = field(default_factory=dict)


def return_freed_memory() -> None:
    """Give the memory a stage freed back to the system: Arrow's allocator (mimalloc) and
    the C library's keep freed pages for reuse, which DuckDB's own allocator cannot
    reuse. At a million records 150-260 MB after each standardisation, held into the
    probabilistic stage whose peak is the run's (benchmarks/RESULTS.md, session 29 hD).
    A few milliseconds; the C library's part on glibc only."""
    import ctypes

    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):  # not glibc (musl, macOS, Windows)
        return
    trim(0)


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
    if lj.job.links and not validate_only:  # Splink, while the first stages work in the engine
        import_in_background()
    for name in lj.job.sources:
        if name != lj.job.reference and name not in lj.job.links:
            log.warning("%s: no entry under links: its records are read and checked but not "
                        "linked to %s (add links.%s to link it)", name, lj.job.reference, name)
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
    # one run per output folder; its files flushed to disk in the background, all of them
    # before the run manifest (spinelink.atomic)
    with output_lock(out), group_commit():
        if since:  # an added delivery is read with the previous state (its state file)
            incremental.prepare(lj, out, Path(since), retrain)
        else:
            _warn_added_alone(lj)
        return _open_and_run(lj, out, validate_only, resume)


def _warn_added_alone(lj: LoadedJob) -> None:
    """An added delivery run without --since is linked alone: its outputs cover only the
    records it holds (the catalogue's scope `increment`), which a user following the
    monthly workflow would not expect without a word."""
    cat = lj.job.catalogue
    d = cat.delivery if cat is not None else None
    if d is not None and d.mode == "adds" and d.source in lj.job.links:
        log.warning("%s: the delivery adds to earlier ones (catalogue.delivery.mode: adds) "
                    "and the run has no --since: only the records it holds are linked, so "
                    "its outputs and link rates are not the whole source's; run --since "
                    "PREVIOUS_OUT to link it with the records delivered before", d.source)


def _open_and_run(lj: LoadedJob, out: Path, validate_only: bool, resume: bool) -> RunResult:
    before = scan(out)  # what the folder held: the run's outputs are what it writes or reuses
    res = lj.job.resources
    spark = lj.job.spark
    if spark.checkpoint_dir and "://" not in spark.checkpoint_dir:
        spark = spark.model_copy(update={"checkpoint_dir": str(lj.resolve(spark.checkpoint_dir))})
    # the job's limit, else (DuckDB) one sized from the inputs (backends.memory)
    mem = memory.choose(lj.job.backend, res.memory_limit,
                        [lj.source_path(n) for n in lj.job.sources])
    engine = open_engine(lj.job.backend, memory_limit=mem["memory_limit"], threads=res.threads,
                         temp_dir=res.temp_dir, spark_conf=spark,
                         work_dir=lj.resolve(res.temp_dir) if res.temp_dir else out / ".spark")
    try:
        inputs = _input_hashes(lj)
        fingerprint = _fingerprint(lj, inputs)
        ck = open_checkpoint(out, fingerprint, resume, record=not validate_only)
        since = lj.overrides.get("since")
        prev = reuse.Previous(Path(since), fingerprint, out) if since else None
        return _run(engine, lj, out, validate_only, ck, inputs, before, prev, mem)
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


class _Run:
    """One run's loop over its stages: reuse from the checkpoint or run, timing, fault
    hooks, and the accounting and link summary built by applying each result's changes."""

    def __init__(self, engine: Engine, lj: LoadedJob, out: Path, ck: Checkpoint,
                 prev: reuse.Previous | None = None):
        self.engine, self.lj, self.out, self.ck = engine, lj, out, ck
        self.prev = prev  # run --since: stages taken over from the previous run
        self.timer = Timer()
        self.acc: dict[str, dict] = {}
        self.links: dict[str, dict] = {}
        self.results: dict[str, dict] = {}

    def run(self, steps: list[Stage]) -> None:
        for st in steps:
            ctx = StageContext.of(self.engine, self.lj, self.out, self.acc, self.links,
                                  self.timer.timings, self.results, st.source, self.timer)
            result = self.results[st.name] = self._result(st, ctx)
            # a stage's accounting change is in its (recorded) result: replayed on --resume
            self.acc, self.links = apply_changes(self.acc, self.links, result.get("changes"))
            if st.load is not None:
                st.load(ctx)
            if (self.prev is not None and st.kind == "standardise"
                    and st.source == self.lj.job.reference):
                # the spine carried from that run: its reference must be this one (revised)
                incremental.check_reference(self.lj, self.prev.since, self.out)

    def _result(self, st: Stage, ctx: StageContext) -> dict:
        """The stage's result: recorded now, or reused from the interrupted run."""
        ck, timer = self.ck, self.timer
        if ck.reusable(st.name, list(st.outputs)):
            payload, timings = ck.reuse(st.name)
            if self.prev is not None:  # what the interrupted run took over (--since)
                self.prev.restore(st.name, ck.since.get(st.name))
            if st.kind in ("intake", "link") and "changes" not in payload:
                raise ResumeError(f"{ck.path}: the '{st.name}' stage was recorded by an "
                                  "earlier version of spinelink (no counts under 'changes'); "
                                  "run again without --resume")
            timer.timings.update(timings)
            return payload
        ck.start(st.name)
        faults.stage_start(st.name)  # test-only hooks (spinelink.faults): no cost when unset
        before = dict(timer.timings)
        fn = self._function(st, ctx)
        with (ctx.engine.keeping(*st.keeps(ctx)) if st.keeps else nullcontext()):
            if st.timed:
                with timer.stage(st.name):
                    payload = fn() or {}
            else:
                payload = fn() or {}
        faults.stage_end(st.name)
        return_freed_memory()
        ck.record(st.name, payload,
                  {k: v for k, v in timer.timings.items() if before.get(k) != v},
                  self.prev.record_of(st.name) if self.prev is not None else None)
        return payload

    def _function(self, st: Stage, ctx: StageContext):
        """The stage's function; on a run --since, one that takes the stage over from the
        previous run (same input and settings) or standardises only the new and changed
        records, when it can (spinelink.incremental.reuse, .restandardise)."""
        def fn():
            return st.run(ctx)
        prev = self.prev
        if prev is None:
            return fn
        if st.kind == "standardise":
            fn = restandardise.or_full(ctx.engine, ctx.lj, ctx.out, st.source, prev,
                                       standardised_path(ctx.out, st.source), fn)
        if not prev.covers(st.name):
            return fn
        taken = prev.or_run(st.name, fn)

        def counted():  # a result recorded before stages returned their counts: run it
            payload = taken()
            if st.kind == "intake" and "changes" not in payload:
                return st.run(ctx)
            if st.kind == "intake":  # the delivered file is this run's (an added delivery)
                return with_delivered(ctx, payload)
            return payload
        return counted

    def of_kind(self, steps: list[Stage], kind: str, drop_empty: bool = False) -> dict:
        """The results of one kind of stage: by source (per-source stages) or by name."""
        return {st.source or st.name: self.results[st.name]
                for st in steps if st.kind == kind and st.name in self.results
                and (self.results[st.name] or not drop_empty)}


def _run(engine: Engine, lj: LoadedJob, out: Path, validate_only: bool, ck: Checkpoint,
         inputs: dict, before: dict[str, Stat], prev: reuse.Previous | None = None,
         mem: dict | None = None) -> RunResult:
    steps = plan(lj, out)  # every stage, in order (spinelink.stages.plan)
    run = _Run(engine, lj, out, ck, prev)
    n_intake = sum(st.kind == "intake" for st in steps)
    run.run(steps[:n_intake])
    intakes = {n: IntakeResult(**published(r))  # its counts are in the accounting
               for n, r in run.of_kind(steps, "intake").items()}
    manifest.write_json(out / "intake" / "report.json",
                        {n: r.as_dict() for n, r in intakes.items()})
    if validate_only:
        manifest.check_accounting(run.acc)
        return RunResult(out, run.acc, run.timer.timings)
    n_linked = n_intake + sum(st.kind in ("coding", "standardise", "link") for st in steps)
    run.run(steps[n_intake:n_linked])
    manifest.check_accounting(run.acc)
    run.run(steps[n_linked:])
    acc, summary, timings = run.acc, run.links, run.timer.timings
    man = _manifest(lj, out, acc, timings, summary, inputs)
    if mem is not None:  # the engine's memory limit: the job's, or sized from the inputs
        man["resources"] = mem
    man["stages"] = run.of_kind(steps, "later", drop_empty=True)
    man["standardise"] = run.of_kind(steps, "standardise")
    coding = run.of_kind(steps, "coding")
    if coding:
        man["coding"] = coding
    checks = {n: r.checks for n, r in intakes.items() if r.checks}
    if checks:  # edit rules and control totals
        man["checks"] = checks
    if ck.reused:
        man["resumed"] = {"reused_stages": ck.reused}
    if prev is not None:  # stages taken over from the run --since names
        man["incremental"] = prev.summary()
        # this run's reference against that run's (incremental.check_reference)
        man["incremental"]["reference"] = incremental.check_reference(lj, prev.since, out)
    # where each input was read, for `spinelink verify` (not in the resume fingerprint)
    man["inputs"] = {n: {**v, "location": str(lj.source_path(n).absolute())}
                     for n, v in inputs.items()}
    # size and SHA-256 of every file the run wrote or reused (not this manifest), after
    # checking each against what its stage recorded
    man["outputs"] = ck.outputs(before)
    flush()  # every file on disk before the manifest that says the run finished
    manifest.write_json(out / "run_manifest.json", man)
    catalogue.record_run(lj, out, man)  # the run in the job's catalogue, if it has one
    return RunResult(out, acc, timings, out / "run_manifest.json", summary)


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
