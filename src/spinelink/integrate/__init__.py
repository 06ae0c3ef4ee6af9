"""Integration: one row per reference unit, each variable from the best available source.

The stage entry point is `run_stage(ctx)` (see `spinelink.stages.plan.LATER_STAGES`).
This package's `spec` module holds the job-file models of the `integrate:` and
`integrate_options:` sections and is imported by `spinelink.config`, so this file imports
nothing at load time (importing the stage here would import `config` in a cycle).

Modules: `spec` (job-file models and cross-checks), `codes` (code lists, versions, mapping),
`choose` (record selection and the rules that pick a value), `duplicates` (probable
duplicates in the reference), `audit` (conflicts, agreement, audit trail, invalid codes),
`stage` (runs it all and writes the outputs).
"""
from __future__ import annotations


def run_stage(ctx) -> dict:
    """Integrate the linked sources onto the reference; return the stage summary."""
    from spinelink.integrate.stage import run_stage as _run_stage

    return _run_stage(ctx)


__all__ = ["run_stage"]
