"""The stages run once per source before linkage: intake (with the source's edit rules and
control totals), coding of free text, standardisation (plus a column per coded
variable). Each is `run(ctx) -> dict` with the source in `ctx.source` (spinelink.stages)."""
from __future__ import annotations

from pathlib import Path

from spinelink.coding import intake_checked
from spinelink.coding.stage import coding_path, run_coding, standardise_with_codes
from spinelink.stages import StageContext, std_table


def intake_path(out: Path, source: str) -> Path:
    return out / "intake" / f"{source}.parquet"


def standardised_path(out: Path, source: str) -> Path:
    return out / "standardised" / f"{source}.parquet"


def intake(ctx: StageContext) -> dict:
    """Read, check and quarantine one source; its counts go to the accounting."""
    r = intake_checked(ctx.engine, ctx.lj, ctx.source, ctx.out)
    counts = {"read": r.rows_read, "accepted": r.accepted, "quarantined": r.quarantined}
    return {**r.as_dict(), "changes": {"accounting": {ctx.source: counts}}}


def coding(ctx: StageContext) -> dict:
    """Free text to classifications (the job's `coding:` of the source)."""
    return run_coding(ctx.engine, ctx.lj, ctx.source, ctx.out)


def standardise(ctx: StageContext) -> dict:
    return standardise_with_codes(ctx.engine, ctx.lj, ctx.out, ctx.source,
                                  standardised_path(ctx.out, ctx.source))


def load_standardised(ctx: StageContext) -> None:
    """The standardised records as an engine table, for linkage: also when the stage's
    result is reused by --resume (read from the file unless the stage kept what it wrote,
    `standardised_table`)."""
    ctx.engine.load_parquet(std_table(ctx.source), standardised_path(ctx.out, ctx.source))


def standardised_table(ctx: StageContext) -> tuple[Path, str]:
    """The standardise stage writes its table through the engine's `keeping`: the rows it
    writes stay in the engine as the table `load_standardised` would read."""
    return standardised_path(ctx.out, ctx.source), std_table(ctx.source)


__all__ = ["coding", "coding_path", "intake", "intake_path", "load_standardised",
           "standardise", "standardised_path", "standardised_table"]
