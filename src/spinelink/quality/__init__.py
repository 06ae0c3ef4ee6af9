"""Linkage quality: label-free and label-based error estimates by subgroup, coverage and
bias, with disclosure control. `run_stage(ctx)` is the pipeline's quality stage.

Modules, one concern each: `groups` (subgroup values), `nullcal` (leave-partner-out
null sample), `calibrate` (calibrated posteriors), `labelfree` (estimates and bootstrap
intervals), `labels` (label-based estimates, labels from truth), `coverage` (link rates,
bias, flags), `disclosure` (suppression, rounding), `summary` (summary.json parts),
`per_source` and `stage` (putting it together).
"""
from __future__ import annotations


def run_stage(ctx) -> dict:
    if not ctx.lj.job.quality.enabled:
        return {"skipped": "quality.enabled is false in the job"}
    from spinelink.quality.stage import run_stage as _run

    return _run(ctx)


__all__ = ["run_stage"]
