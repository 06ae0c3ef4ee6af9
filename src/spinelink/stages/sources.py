"""The stages run once per source before linkage: intake (with the source's edit rules and
control totals), coding of free text, standardisation (plus a column per coded
variable). Each is `run(ctx) -> dict` with the source in `ctx.source` (spinelink.stages)."""
from __future__ import annotations

import logging
from pathlib import Path

from spinelink.coding import intake_checked
from spinelink.coding.stage import coding_path, run_coding, standardise_with_codes
from spinelink.incremental.state import delivered_counts
from spinelink.stages import StageContext, std_table

log = logging.getLogger("spinelink")


def intake_path(out: Path, source: str) -> Path:
    return out / "intake" / f"{source}.parquet"


def standardised_path(out: Path, source: str) -> Path:
    return out / "standardised" / f"{source}.parquet"


def intake(ctx: StageContext) -> dict:
    """Read, check and quarantine one source; its counts go to the accounting. For an
    added delivery (run --since), which the run reads merged with the previous state, the
    counts are the state's, and `delivered` says what the delivered file held."""
    r = intake_checked(ctx.engine, ctx.lj, ctx.source, ctx.out)
    counts = {"read": r.rows_read, "accepted": r.accepted, "quarantined": r.quarantined}
    return with_delivered(ctx, {**r.as_dict(), "changes": {"accounting": {ctx.source: counts}}})


def with_delivered(ctx: StageContext, payload: dict) -> dict:
    """The intake stage's result `payload` with what this run's delivered file held
    (`delivered`, beside the state's counts) when the source is an added delivery, and
    without any otherwise. Also for an intake taken over from the previous run (the
    state file is the one that run read: an empty delivery, or one whose rows were all
    delivered before): the delivered file is this run's, not the one the previous run's
    recorded result counted."""
    counts = payload["changes"]["accounting"][ctx.source]
    origin = getattr(ctx.lj, "state_origin", {}).get(ctx.source)
    if origin is None:
        payload["delivered"] = None
        counts.pop("delivered", None)
        return payload
    d = delivered_counts(ctx.out, ctx.source, origin, ctx.lj.delivered[ctx.source])
    payload["delivered"] = counts["delivered"] = d
    log.info("%s: the delivered file %s held %d rows: %d accepted, %d quarantined "
             "(%d unreadable); with the previous state's %d other records, %d rows "
             "read", ctx.source, d["file"], d["read"], d["accepted"], d["quarantined"],
             d["unreadable"], d["previous_records"], counts["read"])
    return payload


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
           "standardise", "standardised_path", "standardised_table", "with_delivered"]
