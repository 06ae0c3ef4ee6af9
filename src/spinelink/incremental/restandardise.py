"""Standardising only the records a delivery adds or changes (`run --since`).

A record's standardised row depends on its intake row, the source's settings and the
source's postcode format (set in the job, or inferred over the whole file). When the
settings are those of the previous run (spinelink.incremental.reuse) and the postcode
format over the whole current file is the previous run's, the records whose intake row is
unchanged (spinelink.incremental.state: same values, wherever they are in the file) keep
their previous standardised rows; only new and changed records are standardised, and the
table is written in the order a full standardisation writes it (by record id). The previous
intake and standardised tables must be as that run's checkpoint recorded them. The
stage's summary is the full one's (rows, the format and, counted over the whole file, its
UK share). Otherwise, or when more than half of the records are new or changed, the whole
source is standardised.
"""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from spinelink import raw_values
from spinelink.incremental.state import classify, id_table

log = logging.getLogger("spinelink")
MAX_SHARE = 0.5  # above this share of new or changed records, standardise everything


def or_full(engine, lj, out: Path, name: str, prev, std_path: Path, full):
    """The standardise stage's function: only the changed records when it can, else
    `full()`."""
    def fn() -> dict:
        info = _changed_only(engine, lj, out, name, prev, Path(std_path))
        return full() if info is None else info
    return fn


def _changed_only(engine, lj, out: Path, name: str, prev, std_path: Path) -> dict | None:
    from spinelink.nickname_tables import Store
    from spinelink.standardise import postcode_format, source_view, standardise_source

    stage = f"standardise:{name}"
    why = prev.why_not_settings(name)
    old_std = prev.since / "standardised" / f"{name}.parquet"
    old_info = (prev.data or {}).get("done", {}).get(stage)
    if why is None and (name in lj.job.coding or not old_info or not old_std.is_file()):
        why = "the previous run has no standardised table for it"
    if why is None and "raw_columns" not in old_info:  # its table repeats the originals
        why = "the previous run's standardised table has an earlier layout"
    if why is None and not (prev.intact(stage, f"standardised/{name}.parquet") and prev.intact(
            f"intake:{name}", f"intake/{name}.parquet")):
        why = "its previous tables changed since that run wrote them"
    if why is not None:
        log.info("%s: every record standardised (%s)", stage, why)
        return None
    intake = out / "intake" / f"{name}.parquet"
    status = classify(prev.since / "intake" / f"{name}.parquet", intake)
    current = status[status["status"] != "removed"]
    anew = current.loc[current["status"] != "unchanged", "record_id"]
    if len(anew) > MAX_SHARE * max(len(current), 1):
        return None
    src = lj.job.sources[name]
    source_view(engine, intake, src)  # the postcode format over the whole file
    fmt = postcode_format(engine, src)
    if fmt["postcode_format"] != old_info.get("postcode_format"):
        log.info("%s: every record standardised (postcode format now %s)", stage,
                 fmt["postcode_format"])
        return None
    fixed = src.model_copy(update={"postcode_format": fmt["postcode_format"]})
    with tempfile.TemporaryDirectory(dir=out, prefix=".sl_restandardise_") as tmp:
        # Arrow, not pandas: the engine scans an Arrow column of ids faster
        engine.register("__sl_restd_ids", id_table(anew))
        part_intake, part_std = Path(tmp) / "intake.parquet", Path(tmp) / "std.parquet"
        engine.write_parquet("SELECT * FROM read_parquet($p) WHERE CAST(record_id AS VARCHAR) "
                             "IN (SELECT record_id FROM __sl_restd_ids)", part_intake,
                             {"p": str(intake)})
        kept = current.loc[current["status"] == "unchanged", "record_id"]
        # the previous rows but those changed or removed (fewer ids to match than kept)
        engine.register("__sl_restd_drop", id_table(status.loc[status["status"].isin(
            ["changed", "removed"]), "record_id"]))
        engine.view_parquet("__sl_restd_old", old_std)
        engine.execute("CREATE OR REPLACE VIEW __sl_restd_kept AS SELECT * FROM __sl_restd_old "
                       "WHERE CAST(record_id AS VARCHAR) NOT IN "
                       "(SELECT record_id FROM __sl_restd_drop)")
        parts = ["__sl_restd_kept"]
        if len(anew):
            standardise_source(engine, part_intake, fixed, part_std,
                               nickname_store=Store(out, prev.since))
            engine.view_parquet("__sl_restd_new", part_std)
            parts.append("__sl_restd_new")
        rows = engine.write_parquet(
            f"SELECT * FROM ({engine.union_by_name(parts)}) ORDER BY record_id", std_path)
    prev.partly[stage] = {"standardised": int(len(anew)), "taken_over": int(len(kept))}
    log.info("%s: %d new or changed records standardised, %d taken over from %s", stage,
             len(anew), len(kept), prev.since)
    return {"rows": int(rows), **fmt, "raw_columns": raw_values.mapped(src.columns)}

