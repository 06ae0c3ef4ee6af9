"""spinelink: link census, admin and survey sources to a reference spine and integrate them.

    import spinelink
    result = spinelink.run("job.yaml")   # see spinelink.api
    result.integrated()

Imports are deferred so that `import spinelink.config` (and the CLI) stay light.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spinelink.api import Result


def run(job: str | Path, output_dir: str | Path | None = None, resume: bool = False,
        since: str | Path | None = None, retrain: bool = False) -> Result:
    """Run a job file end to end (`resume=True`: as `spinelink run --resume`, continue an
    interrupted run from the stages it finished; `since=PREVIOUS_OUT`, `retrain`: as
    `--since`, `--retrain`, link a new delivery against an earlier run); return a
    spinelink.api.Result."""
    from spinelink.api import run as _run

    return _run(job, output_dir, resume=resume, since=since, retrain=retrain)


def open_run(output_dir: str | Path) -> Result:
    """The spinelink.api.Result of a finished run, from its output folder."""
    from spinelink.api import open_run as _open_run

    return _open_run(output_dir)


__all__ = ["open_run", "run"]
