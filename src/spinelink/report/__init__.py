"""The HTML report: `OUT/report.html`, self-contained and readable offline (run summary,
record accounting, link rates and estimated errors by subgroup, coverage and bias,
threshold trade-off, calibration, match weights, model parameters, integration).
`run_stage(ctx)` is the pipeline's report stage; modules: `data` (what is shown,
disclosure-controlled), `charts` (Vega-Lite specs), `html` (the page), `build`.
"""
from __future__ import annotations


def run_stage(ctx) -> dict:
    from spinelink.report.build import build

    return build(ctx)


__all__ = ["run_stage"]
