"""Clerical review of the pairs between the review and accept thresholds.

Public entry points (the CLI's `spinelink review ...` commands call these):

- `serve(out, reviewer, source, port, blind, mode)`: the local review page
- `export_csv(out, to, ...)` / `import_csv(out, path, ...)`: review outside the page
- `apply(out)`: decisions -> `clerical` links, band, accounting, labels
- `run_qc(out, ...)`: second-review sampling and agreement -> review/qc.json
- `run_stage(ctx)`: the clerical stage of `spinelink run`
"""
from importlib import import_module

from spinelink.review.apply import apply, run_stage
from spinelink.review.band import ReviewError

# the review commands' own entry points, imported when first used: a run needs only the
# clerical stage (the page's server alone imports http.server, email and sockets)
_LATER = {"export_csv": ("exchange", "export_csv"), "import_csv": ("exchange", "import_csv"),
          "run_qc": ("qc", "run"), "serve": ("server", "serve")}


def __getattr__(name: str):
    if name in _LATER:
        module, attr = _LATER[name]
        return getattr(import_module(f"spinelink.review.{module}"), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["ReviewError", "apply", "export_csv", "import_csv", "run_qc", "run_stage", "serve"]
