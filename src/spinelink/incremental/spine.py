"""The spine's units and their stable ids: `spine.parquet` (stage `spine`, with
`extend_spine: true` or `run --since`).

Every reference record is a unit whose id is its record id (`origin` the reference
source): the same in every run on the same reference. With `extend_spine: true`, a
source record that links to no unit and is not in review becomes a unit of its own, as in
a demographic index: id `<source>:<record id>` (derived from the source and its id, so a
rerun gives the same id), `origin` the source. With `--since`, the previous run's units
are carried over, so an extension unit keeps its id in later runs: one whose record now
links to a reference unit is kept with `status = linked` and `linked_to` that unit, one
whose record a replacing delivery removed with `status = record_removed`. Columns:
`unit_id`, `origin`, `source_id`, `status` (active, linked, record_removed), `linked_to`,
`first_run` (the run that created the unit: the job name and delivery number, if any).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

COLUMNS = ["unit_id", "origin", "source_id", "status", "linked_to", "first_run"]


def _run_name(lj) -> str:
    cat = lj.job.catalogue
    d = cat.delivery if cat is not None else None
    return f"{lj.job.name}#{d.number}" if d is not None else lj.job.name


def run_stage(ctx) -> dict:
    lj, out = ctx.lj, ctx.out
    job = lj.job
    here = _run_name(lj)
    ref = pd.read_parquet(out / "intake" / f"{job.reference}.parquet", columns=["record_id"])
    units = [pd.DataFrame({"unit_id": ref["record_id"].astype(str), "origin": job.reference,
                           "source_id": ref["record_id"].astype(str), "status": "active",
                           "linked_to": None, "first_run": here})]
    if job.extend_spine:
        for name in job.links:
            un = pd.read_parquet(out / "unlinked" / f"{name}.parquet", columns=["record_id"])
            ids = un["record_id"].astype(str)
            units.append(pd.DataFrame({"unit_id": name + ":" + ids, "origin": name,
                                       "source_id": ids, "status": "active",
                                       "linked_to": None, "first_run": here}))
    spine = pd.concat(units, ignore_index=True)
    since = lj.overrides.get("since")
    prev_path = Path(since) / "spine.parquet" if since else None
    if prev_path is not None and prev_path.exists():
        spine = _carry(pd.read_parquet(prev_path), spine, out, job)
    spine = spine[COLUMNS].sort_values("unit_id").reset_index(drop=True)
    ctx.engine.register("__sl_spine", spine.astype(object))
    ctx.engine.write_parquet("SELECT * FROM __sl_spine ORDER BY unit_id",
                             out / "spine.parquet")
    by = spine.groupby(["origin", "status"]).size()
    return {"units": len(spine),
            "by_origin_status": {f"{o}/{s}": int(n) for (o, s), n in by.items()}}


def _carry(prev: pd.DataFrame, spine: pd.DataFrame, out: Path, job) -> pd.DataFrame:
    """Units of the previous run: kept with their ids and first run; those no longer in
    this run's units say why (their record now links to a reference unit, or is gone)."""
    first = prev.set_index("unit_id")["first_run"]
    spine = spine.assign(first_run=spine["unit_id"].map(first).fillna(spine["first_run"]))
    old = prev[~prev["unit_id"].isin(set(spine["unit_id"]))].copy()
    old["status"] = "record_removed"
    for name in job.links:
        mine = old["origin"] == name
        if not mine.any():
            continue
        links = pd.read_parquet(out / "links" / f"{name}.parquet",
                                columns=["source_id", "reference_id"])
        to = links.groupby("source_id")["reference_id"].min()
        intake = set(pd.read_parquet(out / "intake" / f"{name}.parquet",
                                     columns=["record_id"])["record_id"].astype(str))
        present = mine & old["source_id"].isin(intake)
        old.loc[present, "status"] = "active"  # still unlinked (e.g. in review)
        linked = mine & old["source_id"].isin(to.index)
        old.loc[linked, "status"] = "linked"
        old.loc[linked, "linked_to"] = old.loc[linked, "source_id"].map(to)
    return pd.concat([spine, old], ignore_index=True)
