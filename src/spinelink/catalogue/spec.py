"""The job file's `catalogue:` section (issue 17), validated on load with the rest of the job.

```yaml
catalogue:
  path: ../catalogue            # folder of catalogue.duckdb (relative to the job file)
  sources:                      # declared once per source, updated by each run
    benefits: {steward: DWP, agreement: DSA-2021-017, legal_basis: ..., description: ...}
  delivery: {source: benefits, number: 3, mode: replaces, received: 2021-06-01}
```

Imported by spinelink.config: imports nothing from spinelink.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceInfo(_Strict):
    """Who supplies a source and under which terms (the catalogue's source row)."""
    steward: str | None = None
    legal_basis: str | None = None
    agreement: str | None = None
    description: str | None = None


class Delivery(_Strict):
    """The delivery this run links: its source, number, whether it replaces the previous
    delivery of the source (a full refresh) or adds to it, and when it was received."""
    source: str
    number: int = Field(ge=1)
    mode: Literal["replaces", "adds"] = "replaces"
    received: dt.date | None = None


class Catalogue(_Strict):
    path: str
    sources: dict[str, SourceInfo] = Field(default_factory=dict)
    delivery: Delivery | None = None


def catalogue_problems(job, job_dir: Path | None = None) -> list[tuple[str, str]]:
    """(key, message) for sources the section names that the job does not have, and a
    `path` (relative to `job_dir`, the job file's folder) that is a file, not a folder."""
    from spinelink.jobspec.problems import did_you_mean

    cat, names = job.catalogue, list(job.sources)
    if cat is None:
        return []
    named = [("catalogue.sources", s) for s in cat.sources]
    if cat.delivery is not None:
        named.append(("catalogue.delivery.source", cat.delivery.source))
    out = [(key, f"no source {s!r}; expected one of {names}{did_you_mean(s, names)}")
           for key, s in named if s not in job.sources]
    folder = Path(cat.path) if job_dir is None else Path(job_dir) / cat.path
    if folder.exists() and not folder.is_dir():
        out.append(("catalogue.path", f"{cat.path!r} is a file; give the folder that holds "
                    "(or will hold) catalogue.duckdb"))
    elif (folder / "catalogue.duckdb").is_file():  # a run records itself there at its end
        from spinelink.catalogue.store import open_error

        why = open_error(folder / "catalogue.duckdb")
        if why:
            out.append(("catalogue.path", why))
        else:
            out += _number_taken(job, job_dir, folder / "catalogue.duckdb")
    return out


def _number_taken(job, job_dir: Path | None, db: Path) -> list[tuple[str, str]]:
    """A declared delivery number the catalogue records with another file: the run would
    replace the record of that earlier delivery (its file, counts, indicators) with this
    one's. (A rerun of the delivery, the same file, replaces its rows as documented.)"""
    from spinelink import manifest
    from spinelink.catalogue.store import recorded_file

    d = job.catalogue.delivery
    if d is None or d.number is None or d.source not in job.sources:
        return []
    path = Path(job.sources[d.source].path)
    if not path.is_absolute() and job_dir is not None:
        path = Path(job_dir) / path
    if not path.is_file():
        return []  # reported with the source
    delivery_id = f"{d.source}#{d.number}"
    rec = recorded_file(db, delivery_id)
    if rec is None or rec[1] == manifest.file_hash(path):
        return []
    name, sha, received, out = rec
    return [("catalogue.delivery.number",
             f"{delivery_id} is in the catalogue already, for another file ({name}, "
             f"SHA-256 {str(sha)[:12]}..., received {received}, output {out}); a number "
             f"names one delivery: give this one its own number (a rerun of {delivery_id} "
             "with its file replaces its record)")]

