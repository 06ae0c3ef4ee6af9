"""Analysis-ready outputs (the `analysis` stage, job section `analysis:`): linkage weights
(`weights`), coverage from both sides and census-by-source concordance (`both_sides`),
dual-system estimates (`dual_system`), imputation of gaps (`imputation`), the stage that
runs them (`stage`). Imports nothing at load time (the pipeline imports this package)."""
from __future__ import annotations


def run_stage(ctx) -> dict:
    """Weights, coverage and imputation for the job's `analysis:` section."""
    from spinelink.analysis.stage import run_stage as _run_stage

    return _run_stage(ctx)


__all__ = ["run_stage"]
