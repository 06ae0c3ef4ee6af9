"""Clerical review of the pairs between the review and accept thresholds.

Public entry points (the CLI's `spinelink review ...` commands call these):

- `serve(out, reviewer, source, port, blind, mode)`: the local review page
- `export_csv(out, to, ...)` / `import_csv(out, path, ...)`: review outside the page
- `apply(out)`: decisions -> `clerical` links, band, accounting, labels
- `run_qc(out, ...)`: second-review sampling and agreement -> review/qc.json
- `run_stage(ctx)`: the clerical stage of `spinelink run`
"""
from spinelink.review.apply import apply, run_stage
from spinelink.review.band import ReviewError
from spinelink.review.exchange import export_csv, import_csv
from spinelink.review.qc import run as run_qc
from spinelink.review.server import serve

__all__ = ["ReviewError", "apply", "export_csv", "import_csv", "run_qc", "run_stage", "serve"]
