"""Every stage of a run, in the order it runs: the one place the stage list is kept.

`plan(lj, out)` is the job's list of `Stage`s, built from the functions imported here
(none is loaded by name): per source, in the job's order, intake, coding (sources with
`coding:`), standardise, link (sources in `links:`); then the stages after linkage in
LATER_STAGES, each only when the job calls for it. The pipeline runs the list in a loop
(checkpoint reuse, timing, fault hooks) and applies each result's `changes`
(spinelink.stages)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from spinelink import analysis, integrate, quality, report, review
from spinelink.catalogue import stage as catalogue
from spinelink.coding import integrated_edits
from spinelink.config import LoadedJob
from spinelink.incremental import spine
from spinelink.privacy import tables as privacy_tables
from spinelink.stages import StageContext, link, sources

# Stages run for each source (in the job's order, all of a kind before the next kind):
# (kind, function, the files it writes under OUT that a reused run of it needs).
SOURCE_STAGES: list[tuple[str, Callable[[StageContext], dict | None],
                          Callable[[Path, str], list[Path]]]] = [
    ("intake", sources.intake, lambda out, n: [sources.intake_path(out, n)]),
    # free text to classifications (sources with `coding:`)
    ("coding", sources.coding, lambda out, n: [sources.coding_path(out, n)]),
    # plus a column per coded variable
    ("standardise", sources.standardise, lambda out, n: [sources.standardised_path(out, n)]),
    ("link", link.run, link.outputs),  # sources in `links:`
]
# Stages after linkage, in order. Each reads the tables the earlier stages wrote under OUT
# and writes its own.
LATER_STAGES: list[tuple[str, Callable[[StageContext], dict | None]]] = [
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


@dataclass(frozen=True)
class Stage:
    """One stage of the run. `outputs`: files that must exist for a recorded run of it to
    be reused; `timed`: False for a stage that times its own parts; `load`: what the run
    needs from the stage in the engine, done also when --resume reuses it."""
    name: str
    kind: str
    run: Callable[[StageContext], dict | None]
    outputs: tuple[Path, ...] = ()
    source: str | None = None
    timed: bool = True
    load: Callable[[StageContext], None] | None = None
    keeps: Callable[[StageContext], tuple[Path, str]] | None = None


def plan(lj: LoadedJob, out: Path) -> list[Stage]:
    job = lj.job
    names = {"intake": job.sources, "coding": job.coding, "standardise": job.sources,
             "link": job.links}
    steps = [Stage(f"{kind}:{n}", kind, fn, tuple(outputs(out, n)), n,
                   timed=kind != "link",  # linkage times its parts
                   load=sources.load_standardised if kind == "standardise" else None,
                   keeps=sources.standardised_table if kind == "standardise" else None)
             for kind, fn, outputs in SOURCE_STAGES for n in names[kind]]
    wanted = {  # stages only some jobs have
        # edit rules on the integrated output
        "edits": "integrated" in job.edit_rules,
        # comparison with earlier deliveries
        "catalogue": job.catalogue is not None,
        # spine.parquet: with extend_spine or an incremental run
        "spine": bool(job.extend_spine or lj.overrides.get("since")),
        # weights, coverage, imputation (the job's analysis:)
        "analysis": bool(job.analysis is not None and job.analysis.enabled and job.links),
    }
    steps += [Stage(name, "later", fn) for name, fn in LATER_STAGES if wanted.get(name, True)]
    return steps
