"""The deterministic cascade of an incremental run on the records whose outcome can change
(`run --since`), and every run's cascade links saved for the next one.

A cascade step links a source record when its key occurs once among the reference records
and once among the source records still unlinked (spinelink.deterministic). An incremental
run links no source one-to-one (such a source is linked in full), so the reference pool is
every reference record at every step, and whether a source record links at a step, and to
whom, depends only on the records that share its key value at that step and are still in
the pool. The run starts from the records the delivery adds, changes or removes, with the
key values they have and had, and takes in every record sharing a key value with one of
them, again until none is added: the closure, which holds every holder of each of its key
values. The cascade runs on the closure against the reference records holding one of its
key values (every holder of each, so uniqueness is counted as over the whole reference).
Every other record keeps the links the previous run's cascade gave it, which a cascade on
every record gives again: at each step the records sharing its key value are the same, in
the pool or not as before (by induction on the steps).

The closure is used only when the previous run saved its cascade
(`incremental/<source>_cascade.parquet`, with `_cascade.json`: the steps it ran) with the
same steps, the standardised reference is the previous run's (same SHA-256) and the
previous standardised table of the source and the saved cascade are as that run's manifest
records them; otherwise the cascade runs on every record. Every run saves its cascade
(before links are held as relatives or reviewed), except with pseudonymised outputs, which
an incremental run does not follow.
"""
from __future__ import annotations

import hashlib
import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from spinelink import manifest
from spinelink.atomic import atomic_path
from spinelink.deterministic import _key_expr, link_deterministic
from spinelink.incremental.state import STATE_DIR, id_table, reference_unchanged
from spinelink.sqlfiles import quote_ident, sql_file

log = logging.getLogger("spinelink")
MAX_ROUNDS = 50  # the closure grows by a round of shared keys; it settles in a few


def saved_path(out: Path, name: str) -> Path:
    return Path(out) / STATE_DIR / f"{name}_cascade.parquet"


def _steps_json(steps) -> list[dict]:
    return [{"method": s.method, "ref_fields": list(s.ref_fields),
             "src_fields": list(s.src_fields), "not_disagree": list(s.not_disagree)}
            for s in steps]


def run(engine, lj, out: Path, name: str, ref_t: str, src_t: str, steps, links_t: str,
        one_to_one: bool, inc=None) -> dict[str, int]:
    """The cascade's links of every current source record in `links_t` (on the closure
    when it can, see above); saved for the next run. Returns links per step's method."""
    tables = None
    if inc is not None and not one_to_one:
        tables = _closure_tables(engine, lj, out, name, ref_t, src_t, steps, inc)
    if tables is None:
        counts = link_deterministic(engine, ref_t, src_t, steps, links_t, one_to_one)
    else:
        ref_sub, src_sub, closure, previous = tables
        link_deterministic(engine, ref_sub, src_sub, steps, links_t, False)
        # every other current record: its links from the previous run's cascade
        engine.insert(links_t, "SELECT reference_id, source_id, method, step FROM "
                      "read_parquet($p) WHERE source_id NOT IN (SELECT record_id FROM "
                      f"{quote_ident(closure)}) AND source_id IN (SELECT CAST(record_id AS "
                      f"VARCHAR) FROM {quote_ident(src_t)})", {"p": str(previous)})
        n = engine.df(f"SELECT method, count(*) AS n FROM {quote_ident(links_t)} "
                      "GROUP BY method")
        got = dict(zip(n["method"], n["n"], strict=True))
        counts = {s.method: int(got.get(s.method, 0)) for s in steps}
    if not lj.job.privacy.pseudonymise:
        _save(engine, out, name, steps, links_t)
    return counts


def _save(engine, out: Path, name: str, steps, links_t: str) -> None:
    path = saved_path(out, name)
    engine.write_parquet(f"SELECT CAST(reference_id AS VARCHAR) AS reference_id, "
                         "CAST(source_id AS VARCHAR) AS source_id, CAST(method AS VARCHAR) "
                         "AS method, CAST(step AS INTEGER) AS step FROM "
                         f"{quote_ident(links_t)} ORDER BY source_id, reference_id", path)
    manifest.write_json(path.with_suffix(".json"), {"steps": _steps_json(steps)})


def _closure_tables(engine, lj, out: Path, name: str, ref_t: str, src_t: str, steps, inc):
    """(reference records, source records, closure ids, previous cascade file) for the
    cascade on the closure; None (with the reason logged) when it cannot be used."""
    since = Path(inc.since)
    why = _why_not(lj, since, out, name, steps)
    if why is not None:
        log.info("deterministic:%s: cascade on every record (%s)", name, why)
        return None
    st = inc.status
    seeds = st.loc[st["status"] != "unchanged", "record_id"].astype(str).to_numpy()
    old = f"__sl_cas_old_{name}"  # the previous run's records, for the key values of those
    engine.register("__sl_cas_seed", id_table(seeds))  # changed or gone
    engine.view_parquet(old, since / "standardised" / f"{name}.parquet")
    # whether each record is a seed told by the engine (a million ids matched in pandas
    # took 0.6 s), its ids kept in Arrow
    src = engine.arrow(sql_file("incremental/cascade_keys_seeded.sql", table=src_t,
                                seeds="__sl_cas_seed", hashes=_hash_columns(steps)))
    old_h = engine.arrow(sql_file("incremental/cascade_keys.sql", table=old,
                                  hashes=_hash_columns(steps),
                                  where="CAST(record_id AS VARCHAR) IN "
                                        "(SELECT record_id FROM __sl_cas_seed)"))
    src_h, old_h = ([t.column(f"h{i}").to_numpy() for i in range(len(steps))]
                    for t in (src, old_h))
    inside = src.column("seed").to_numpy(zero_copy_only=False)
    for _ in range(MAX_ROUNDS):  # the key values the closure holds or held; their holders
        held = [_values(src_h[i][inside], old_h[i]) for i in range(len(steps))]
        grown = inside.copy()
        for i, values in enumerate(held):  # (hashing, not np.isin's sorting)
            grown |= pd.Series(src_h[i]).isin(values).to_numpy()
        if (grown == inside).all():
            break
        inside = grown
    else:
        log.info("deterministic:%s: cascade on every record (the closure still grew after "
                 "%d rounds)", name, MAX_ROUNDS)
        return None
    closure = f"__sl_cas_closure_{name}"
    engine.register(closure, id_table(pd.Index(
        src.column("record_id").filter(pa.array(inside)).to_pylist()).union(seeds)))
    ref_sub, src_sub = f"__sl_cas_refpart_{name}", f"__sl_cas_srcpart_{name}"
    # the reference records holding one of the closure's key values, chosen in the engine
    # (hashing a million reference records' keys out to Python took 1.5 s)
    vals = f"__sl_cas_vals_{name}"
    engine.register(vals, _step_values([h[inside] for h in src_h]))
    hashes = _reference_hashes(engine, lj, since, out, name, ref_t, steps)
    engine.execute(f"CREATE OR REPLACE VIEW {quote_ident(ref_sub)} AS " + sql_file(
        "incremental/cascade_reference.sql", table=ref_t, hashes=hashes,
        holds=_holds(steps, vals)))
    # views: the cascade copies them into its pools once
    engine.execute(f"CREATE OR REPLACE VIEW {quote_ident(src_sub)} AS SELECT * FROM "
                   f"{quote_ident(src_t)} WHERE CAST(record_id AS VARCHAR) IN "
                   f"(SELECT record_id FROM {quote_ident(closure)})")
    inc.cascade_on = int(inside.sum())
    log.info("deterministic:%s: cascade on %d records (%d new, changed or removed, and "
             "those sharing a key value with them), the others' links taken over from %s",
             name, inc.cascade_on, len(seeds), since)
    return ref_sub, src_sub, closure, saved_path(since, name)


def _values(*arrays) -> np.ndarray:
    """The distinct key hashes of `arrays`, without 0 (no key)."""
    v = pd.unique(np.concatenate(arrays))
    return v[v != 0]


def _step_values(per_step: list[np.ndarray]) -> pa.Table:
    """(step, h): each step's distinct key hashes, for cascade_reference.sql, in the type
    the engine's hash gave them (DuckDB: unsigned 64 bits; Spark: signed 32)."""
    values = [_values(h) for h in per_step]
    return pa.table({"step": pa.array(np.repeat(np.arange(len(values), dtype=np.int32),
                                                [len(v) for v in values])),
                     "h": pa.array(np.concatenate(values) if values
                                   else np.zeros(0, np.uint64))})


def _holds(steps, vals: str) -> str:
    """A reference record holds a value of `vals` (_step_values) at some step: its hashed
    key of the step (column h<i> of _reference_hashes) among the step's values."""
    return " OR ".join(f"h{i} IN (SELECT h FROM {quote_ident(vals)} WHERE step = {i})"
                       for i in range(len(steps))) or "FALSE"


def hashes_path(out: Path, name: str) -> Path:
    """Source `name`'s cascade steps' hashed keys of every reference record."""
    return Path(out) / STATE_DIR / f"{name}_reference_keys.parquet"


def _reference_hashes(engine, lj, since: Path, out: Path, name: str, ref_t: str,
                      steps) -> str:
    """A view of every reference record's hashed key at each of source `name`'s steps
    (record_id, h0, h1, ..., as cascade_keys.sql hashes them), saved in
    `incremental/<source>_reference_keys.parquet` (with `.json`: the key of what they
    were made from). Taken from the previous run's folder when it saved them for the same
    reference (its SHA-256, which _why_not found the same as this run's), steps and
    backend, and the file is as its manifest records it (hashing a million reference
    records' twelve keys took 2 s in every run); else made."""
    ref = lj.job.reference
    outputs = manifest.recorded_outputs(since)
    key = hashlib.sha256(json.dumps({
        "steps": [list(s.ref_fields) for s in steps], "backend": type(engine).__name__,
        "reference": (outputs.get(f"standardised/{ref}.parquet") or {}).get("sha256")},
        sort_keys=True).encode()).hexdigest()
    path, prev = hashes_path(out, name), hashes_path(since, name)
    if _saved_with_key(since, prev.relative_to(since).as_posix(), outputs, key):
        with atomic_path(path) as tmp:
            shutil.copyfile(prev, tmp)
        log.info("deterministic:%s: the reference's hashed keys taken over from %s", name,
                 since)
    else:
        engine.write_parquet(sql_file("incremental/cascade_keys.sql", table=ref_t,
                                      hashes=_hash_columns(steps, "ref_fields"),
                                      where="TRUE"), path)
    manifest.write_json(path.with_suffix(".json"), {"key": key})
    view = f"__sl_cas_refkeys_{name}"
    engine.view_parquet(view, path)
    return view


def _saved_with_key(since: Path, rel: str, outputs: dict, key: str) -> bool:
    """The previous run's hashed keys were made with `key` and are as its manifest records."""
    try:
        saved = json.loads((since / rel).with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (isinstance(saved, dict) and saved.get("key") == key
            and manifest.as_recorded(since, rel, outputs))


def _hash_columns(steps, side: str = "src_fields") -> str:
    """Per step, a record's hashed key by the step's `side` fields (`h0`, `h1`, ...; 0
    where it lacks one of the key's fields; no key hashes to 0 but by a 1 in 2**64 chance,
    which takes a record into the closure only)."""
    cols = []
    for i, step in enumerate(steps):
        key, present = _key_expr(getattr(step, side))
        cols.append(f"CASE WHEN {present} THEN hash({key}) ELSE 0 END AS h{i}")
    return ", ".join(cols)


def _why_not(lj, since: Path, out: Path, name: str, steps) -> str | None:
    """Why the closure cannot stand for the previous run's cascade (None: it can)."""
    saved = saved_path(since, name)
    try:
        info = json.loads(saved.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "the previous run saved no cascade"
    if not isinstance(info, dict) or info.get("steps") != _steps_json(steps):
        return "its steps differ from the previous run's"
    outputs = manifest.recorded_outputs(since)
    ref = f"standardised/{lj.job.reference}.parquet"
    for rel in (saved.relative_to(since).as_posix(), f"standardised/{name}.parquet"):
        if not manifest.as_recorded(since, rel, outputs):
            return f"the previous run's {rel} is not as its manifest records"
    if not reference_unchanged(lj, since, out):  # this run's reference, the same?
        return f"{ref} differs from the previous run's"
    return None


__all__ = ["run", "saved_path"]
