"""Linking one source incrementally (`run --since PREVIOUS_OUT`).

The deterministic cascade gives every record's links as a cascade on the whole file would
(a key's uniqueness is a property of the whole file), running only on the records whose
outcome can change when it can (spinelink.incremental.cascade). The records to link anew
are then the `new` and `changed` ones (spinelink.incremental.state), plus the `unchanged`
ones whose links new evidence changes: a deterministic link that differs from the previous
run's (another record now shares its key), or a reference record that is gone. Only those
go through the probabilistic stage, with the model and thresholds the previous run saved
(`models/<source>.json`, the `accept` / `review` thresholds in its manifest); every other
record keeps its links, review pairs and scored pairs. The source is linked in full (model
trained again) on request (`--retrain`), when the source is linked one-to-one, when the
previous run has no model, or on drift: the share of records populating a field the model
compares moves by more than `DRIFT` (absolute) from the previous run's, or more than
`MAX_DELTA` of the records are new or changed.

`changes/<source>.parquet` lists every record whose status, links, review pairs or link
methods changed: `record_id`, `status` (new, changed, unchanged, removed), `old_links` /
`new_links` (its reference ids, review pairs' included, `;`-joined), `old_method` /
`new_method` (a review pair's as `review:<method>`), `old_outcome` / `new_outcome`
(linked, review, unlinked), `reason` (`new`, `changed record`, `removed in a replacing
delivery`, `relinked`, `link method changed`).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from spinelink import manifest
from spinelink.incremental.state import (
    classify,
    id_table,
    previous_manifest,
    reference_unchanged,
)
from spinelink.model_fields import is_linkage_column
from spinelink.sqlfiles import quote_ident, sql_file

log = logging.getLogger("spinelink")
DRIFT = 0.05
MAX_DELTA = 0.5


def marked(thresholds: dict, plan: Plan | None) -> dict:
    """The probabilistic stage's `thresholds` entry, its modes `previous run` when `plan`
    (an incremental run) linked with the previous run's thresholds: they were shown as
    `fixed`, though the job says `auto`."""
    if plan is None:
        return thresholds
    th = thresholds["thresholds"]
    return {**thresholds, "thresholds": {**th, "accept_mode": "previous run",
                                         "review_mode": "previous run"}}


@dataclass
class Plan:
    """What `spinelink.stages.link.link_source` needs to link one source incrementally."""
    name: str
    status: pd.DataFrame                  # record_id, status
    model: dict
    cfg: object                           # the job's Probabilistic with fixed thresholds
    kept: dict = field(default_factory=dict)  # tables of the links, review, pairs kept
    delta: list = field(default_factory=list)    # record ids linked anew
    since: Path | None = None                    # the previous run's output folder
    cascade_on: int | None = None  # records the cascade ran on (None: every record)

    def claimed_by(self, engine, links_t: str) -> str:
        """The deterministic links of the source's claimed class (`record_level`): the
        records linked anew and those the others keep (`kept`: a full run on the same state
        counts both; the anew alone left most claimed records in the free class, and a
        link differed between the two runs at p 0.98, session 35)."""
        if self.kept.get("links") is None:
            return links_t
        table = f"__sl_claimed_{self.name}"
        engine.create_table(table, sql_file("incremental/claimed_kept.sql", links=links_t,
                                            kept=self.kept["links"]))
        return table

    def after_deterministic(self, engine, links_t: str, src_t: str) -> str:
        """Given the cascade's links on every record: choose the records to link anew, drop
        the others' links (they keep their earlier ones) and return the table of the
        records to link anew."""
        # in SQL: in pandas, comparing every record's links took 1 s at 200,000 records
        prev = self.since / "links" / f"{self.name}.parquet"
        if prev.exists():
            moved = engine.df(sql_file("incremental/relinked.sql", links=links_t,
                                       ref_ids="__sl_std_ref_ids"),
                              {"previous": str(prev)})["source_id"]
        else:  # no links before: every record the cascade links now
            moved = engine.df(f"SELECT DISTINCT CAST(source_id AS VARCHAR) AS s FROM "
                              f"{quote_ident(links_t)}")["s"]
        # per record (the status table is ordered by id): masks, not sets or reindexing
        # (those took 2 s at a million records)
        ids = self.status["record_id"].to_numpy(object)
        st = self.status["status"].to_numpy(object)
        removed, unchanged = st == "removed", st == "unchanged"
        relinked = self.status["record_id"].isin(pd.unique(moved)).to_numpy() & ~removed
        # linked anew: new and changed records, and the unchanged ones relinked
        anew = (~unchanged & ~removed) | relinked
        self.delta = ids[anew].tolist()  # in id order
        # the others keep their links: every record but those and the removed
        engine.register("__sl_drop_ids", id_table(ids[anew | removed]))
        for kind, folder in (("links", "links"), ("review", "review"), ("pairs", "pairs"),
                             ("born_apart", "pairs/born_apart")):
            path = self.since / folder / f"{self.name}.parquet"
            self.kept[kind] = None if not path.exists() else f"__sl_kept_{kind}_{self.name}"
            if path.exists():
                engine.create_table(self.kept[kind], sql_file("incremental/kept.sql",
                                                              drop="__sl_drop_ids"),
                                    {"previous": str(path)})
        engine.register("__sl_delta_ids", id_table(self.delta))
        engine.execute(f"DELETE FROM {quote_ident(links_t)} WHERE source_id NOT IN "
                       "(SELECT record_id FROM __sl_delta_ids)")
        table = f"{src_t}_delta"
        engine.execute(f"CREATE OR REPLACE TABLE {quote_ident(table)} AS SELECT * FROM "
                       f"{quote_ident(src_t)} WHERE record_id IN "
                       "(SELECT record_id FROM __sl_delta_ids)")
        counts = {k: int((st == k).sum()) for k in ("new", "changed", "removed")}
        counts["relinked"] = int((relinked & unchanged).sum())
        log.info("incremental %s: %d of %d records linked anew (%s)", self.name,
                 len(self.delta), int((~removed).sum()), ", ".join(
                     f"{k} {v}" for k, v in counts.items()))
        return table


def run(engine, lj, out: Path, name: str, timer, link_fn, shares: dict[str, float]) -> dict:
    """Link source `name` against the previous run (lj.overrides['since']): incrementally
    when possible, else in full; then write changes/<name>.parquet. `shares`: `populated`
    of the source's standardised table."""
    since = Path(lj.overrides["since"])
    prev = previous_manifest(since)
    status = classify(since / "intake" / f"{name}.parquet", out / "intake" / f"{name}.parquet")
    reason = _full_reason(engine, lj, since, out, prev, name, status, shares)
    plan = None
    if reason is None:
        cfg = lj.job.links[name].probabilistic
        th = prev["links"][name]["probabilistic"]["thresholds"]
        plan = Plan(name, status, manifest_model(since, name),
                    cfg.model_copy(update={"accept": float(th["accept"]),
                                           "review": float(th["review"])}),
                    since=since)
        ref = f"__sl_std_{lj.job.reference}"
        engine.execute("CREATE OR REPLACE TABLE __sl_std_ref_ids AS SELECT record_id FROM "
                       f"{quote_ident(ref)}")
    else:
        was = (prev.get("job") or {}).get("name")
        if was and was != lj.job.name:  # the wrong folder given, most likely: said aloud
            log.warning("incremental %s: linked in full (%s); the previous run (--since %s) "
                        "is of another job, %r (this one is %r): none of its links of %s are "
                        "taken over", name, reason, since, was, lj.job.name, name)
        else:
            log.info("incremental %s: linked in full (%s)", name, reason)
    summary = link_fn(engine, lj, out, name, timer, inc=plan)
    # the others kept their links as they were: none can differ
    only = None if plan is None else pd.Index(plan.delta).union(
        status.loc[status["status"] != "unchanged", "record_id"])
    changes = write_changes(engine, out, name, status, since / "links" / f"{name}.parquet",
                            out / "links" / f"{name}.parquet", only,
                            since / "review" / f"{name}.parquet",
                            out / "review" / f"{name}.parquet")
    summary["incremental"] = {
        "since": str(since), "mode": "full" if plan is None else "incremental",
        "full_reason": reason, "linked_anew": len(plan.delta) if plan else None,
        "cascade_on": plan.cascade_on if plan else None, "changes": changes}
    return summary


def manifest_model(since: Path, name: str) -> dict:
    import json

    return json.loads((since / "models" / f"{name}.json").read_text(encoding="utf-8"))


def link_settings(lj, name: str) -> dict:
    """The job's settings for linking source `name` (`links.<name>` and the source's own
    but its path), with the SHA-256 of a model file it names: recorded in the manifest,
    compared by the next incremental run (thresholds, the model, the one-link rule are
    what its saved model and thresholds stand for)."""
    link = lj.job.links[name]
    # and how the source is read (its file's name aside, which may change each month): a
    # column mapped anew changes what a record's row hash compares (incremental.state)
    source = lj.job.sources[name].model_dump(mode="json", exclude={"path"})
    out = {"links": link.model_dump(mode="json"), "source": source}
    cfg = link.probabilistic
    if cfg is not None and cfg.model != "auto":
        path = lj.model_path(cfg.model)
        out["model_sha256"] = manifest.file_hash(path) if path.is_file() else None
    return out


def _full_reason(engine, lj, since: Path, out: Path, prev: dict, name: str, status,
                 new: dict[str, float]) -> str | None:
    link = lj.job.links[name]
    if lj.overrides.get("retrain"):
        return "--retrain"
    if not (since / "intake" / f"{name}.parquet").exists():
        return "the previous run did not read this source"
    if link.probabilistic is None:
        return "deterministic linkage only"
    if link.one_to_one:
        return "linked one-to-one"
    if prev.get("backend", engine.name) != engine.name:  # its model is in that one's SQL
        return f"the previous run used the {prev['backend']} backend"
    th = prev.get("links", {}).get(name, {}).get("probabilistic", {}).get("thresholds")
    if not th or not (since / "models" / f"{name}.json").exists():
        return "the previous run has no model for it"
    if prev["links"][name].get("settings") != link_settings(lj, name):
        return (f"links.{name} or sources.{name} differs from the previous run's "
                "(thresholds, model, rules or columns: what its saved model and thresholds "
                "stand for)")
    # a changed reference record may no longer be the candidate its links were made on
    if not reference_unchanged(lj, since, out):
        return (f"the reference changed since that run (standardised/{lj.job.reference}"
                ".parquet differs)")
    current = status[status["status"] != "removed"]
    moved = (current["status"] != "unchanged").mean() if len(current) else 0.0
    if moved > MAX_DELTA:
        return f"drift: {moved:.0%} of the records are new or changed"
    # the previous run's shares as its manifest records them (reading its standardised
    # table for them took 0.5 s at a million records)
    old = prev.get("links", {}).get(name, {}).get("fields_populated")
    if not (isinstance(old, dict) and all(isinstance(v, int | float) for v in old.values())):
        old = populated(engine, f"read_parquet('{since / 'standardised' / f'{name}.parquet'}')")
    for col in sorted(set(old) & set(new)):
        if abs(old[col] - new[col]) > DRIFT:
            return (f"drift: {col} populated in {new[col]:.0%} of the records, "
                    f"{old[col]:.0%} before")
    return None


def populated(engine, table_sql: str) -> dict[str, float]:
    """Per linkage column of a standardised table, the share of its records holding a
    value (what drift is judged on; each run's manifest records its sources')."""
    cols = [c for c in engine.df(f"SELECT * FROM {table_sql} LIMIT 0").columns
            if is_linkage_column(c)]
    if not cols:
        return {}
    row = engine.df("SELECT " + ", ".join(f"avg(CASE WHEN {quote_ident(c)} IS NULL THEN 0 "
                                          f"ELSE 1 END) AS {quote_ident(c)}" for c in cols)
                    + f" FROM {table_sql}").iloc[0]
    return {c: float(row[c]) for c in cols if pd.notna(row[c])}


def write_changes(engine, out: Path, name: str, status: pd.DataFrame, old: Path, new: Path,
                  only: pd.Index | None = None, old_review: Path | None = None,
                  new_review: Path | None = None) -> dict[str, int]:
    """Write changes/<name>.parquet (incremental/changes.sql) from the previous run's links
    file `old` (absent: no links before) and the current one, `new`, with the review pairs
    of each (`old_review`, `new_review`: a record in review before and linked now shows
    the pairs it was in review with); `only`: the records whose links can differ (None:
    every record). Returns the records listed per reason."""
    # in SQL: aligning the link sets in pandas took 3 s at a million records
    engine.register("__sl_chg_status", pa.Table.from_pandas(
        status[["record_id", "status"]].astype(str), preserve_index=False))
    cond = "TRUE"
    if only is not None:
        engine.register("__sl_chg_only", id_table(only))
        cond = "CAST(source_id AS VARCHAR) IN (SELECT record_id FROM __sl_chg_only)"
    links, params = {}, {}
    for side, path in (("old", old), ("new", new), ("old_review", old_review),
                       ("new_review", new_review)):
        if path is not None and Path(path).exists():
            links[side], params[side] = f"read_parquet(${side})", str(path)
        else:
            links[side] = ("(SELECT NULL::VARCHAR AS reference_id, NULL::VARCHAR AS source_id, "
                           "NULL::VARCHAR AS method WHERE false)")
    target = out / "changes" / f"{name}.parquet"
    engine.write_parquet(sql_file("incremental/changes.sql", status="__sl_chg_status",
                                  only=cond, **links), target, params)
    n = engine.df("SELECT reason, count(*) AS n FROM read_parquet($p) GROUP BY reason "
                  "ORDER BY reason", {"p": str(target)})
    counts = {str(r): int(c) for r, c in zip(n["reason"], n["n"], strict=True)}
    log.info("incremental %s: %s", name, ", ".join(f"{k} {v}" for k, v in counts.items())
             or "no record changed")
    return counts
