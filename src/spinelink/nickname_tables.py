"""The nickname lookups in comparison form, on the engine as `NICKNAMES` and `ROOTS`, for
names_canon.sql: built from linkage_models' nickname tables with the cleaning macros (a
fixed ~0.2 s: the cleaning macros' regular expressions compiled for a few thousand names).

They depend on nothing but those tables, the macros, the SQL that builds them and the
backend (together: the key, a SHA-256), so they are built once and kept:
* per process: every engine given the same key registers the same Arrow tables;
* across runs: a run writes them to `incremental/nicknames.parquet` and
  `incremental/nickname_roots.parquet` (the key in each file's metadata), and a run with
  `--since` takes them from the previous run's folder when the key is the same and the
  files are as that run's manifest records them (else they are built again).
"""
from __future__ import annotations

import hashlib
import logging
import weakref
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from spinelink import manifest
from spinelink.atomic import atomic_path
from spinelink.model_tables import read_table
from spinelink.sqlfiles import load_sql, sql_file

log = logging.getLogger("spinelink")

NICKNAMES = "__sl_standardise_nicknames"
ROOTS = "__sl_standardise_nickname_roots"
_RAW = "__sl_standardise_nicknames_raw"
_PAIRS = "__sl_standardise_nickname_pairs"
_ROOTS_RAW = "__sl_standardise_nickname_roots_raw"
_ROOTS_CLEAN = "__sl_standardise_nickname_roots_clean"
_SQL = ("standardise/nickname_pairs.sql", "standardise/nicknames.sql",
        "standardise/nickname_roots_clean.sql", "standardise/nickname_roots.sql")
FILES = ("incremental/nicknames.parquet", "incremental/nickname_roots.parquet")
_KEY = b"spinelink_key"

_ON_ENGINE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> key
_BUILT: dict[str, tuple[pa.Table, pa.Table]] = {}  # key -> (nicknames, roots)
_SAVED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> {(out, key)}
_MAX_BUILT = 8


@dataclass(frozen=True)
class Store:
    """Where a run saves the tables (its output folder) and may take them from (the
    previous run's, `run --since`)."""
    out: Path
    since: Path | None = None


def register(engine, macros: tuple[str, str], nicknames: Path, diminutives: Path,
             roots: Path, store: Store | None = None) -> None:
    """`NICKNAMES` and `ROOTS` on the engine for these files and macros (taken from this
    process, or the previous run, when they have the same key; else built), saved in
    `store.out` when given."""
    paths = (Path(nicknames), Path(diminutives), Path(roots))
    key = _key(engine, macros, paths)
    built = _BUILT.get(key)
    if _ON_ENGINE.get(engine) != key or built is None:
        if built is None and store is not None and store.since is not None:
            built = _saved(Path(store.since), key)
        if built is None:
            built = _build(engine, paths)
        if len(_BUILT) >= _MAX_BUILT:
            _BUILT.clear()
        _BUILT[key] = built
        engine.register(NICKNAMES, built[0])
        engine.register(ROOTS, built[1])
        _ON_ENGINE[engine] = key
    if store is not None:
        _save(engine, Path(store.out), key, built)


def _key(engine, macros: tuple[str, str], paths: tuple[Path, ...]) -> str:
    h = hashlib.sha256()
    for part in (type(engine).__name__, *macros, *(load_sql(s) for s in _SQL)):
        h.update(part.encode("utf-8") + b"\x00")
    for p in paths:
        h.update(p.read_bytes() + b"\x01" if p.exists() else b"\x02")
    return h.hexdigest()


def _build(engine, paths: tuple[Path, Path, Path]) -> tuple[pa.Table, pa.Table]:
    nicknames, diminutives, roots = paths
    engine.register(_RAW, pa.concat_tables([_read_nicknames(nicknames, by_rom=False),
                                            _read_nicknames(diminutives, by_rom=True)]))
    engine.register(_PAIRS, engine.arrow(sql_file(_SQL[0], raw=_RAW)))
    table = engine.arrow(sql_file(_SQL[1], pairs=_PAIRS))
    engine.register(_ROOTS_RAW, _read_roots(roots))
    engine.register(_ROOTS_CLEAN, engine.arrow(sql_file(_SQL[2], raw=_ROOTS_RAW)))
    root_table = engine.arrow(sql_file(_SQL[3], raw=_ROOTS_RAW, clean=_ROOTS_CLEAN))
    return table, root_table


def _saved(since: Path, key: str) -> tuple[pa.Table, pa.Table] | None:
    """The tables the previous run saved, when their key is `key` and the files are as its
    manifest records them."""
    outputs = manifest.recorded_outputs(since)
    tables = []
    for rel in FILES:
        if not manifest.as_recorded(since, rel, outputs):
            return None
        try:
            table = pq.read_table(since / rel)
        except (OSError, pa.ArrowException):
            return None
        if (table.schema.metadata or {}).get(_KEY) != key.encode():
            return None
        tables.append(table.replace_schema_metadata(None))
    log.info("nickname tables taken over from %s", since)
    return tables[0], tables[1]


def _save(engine, out: Path, key: str, built: tuple[pa.Table, pa.Table]) -> None:
    """Write the tables into the run's folder, once per run (engine): each stage that
    writes them records them as its outputs, so a stage run again on --resume writes them
    again whatever the folder holds."""
    done = _SAVED.setdefault(engine, set())
    if (str(out), key) in done:
        return
    for rel, table in zip(FILES, built, strict=True):
        with atomic_path(out / rel) as tmp:
            pq.write_table(table.replace_schema_metadata({_KEY: key.encode()}), tmp,
                           compression="zstd")
    done.add((str(out), key))


def _read_roots(path: Path) -> pa.Table:
    """nickname, root1..root3 (`linkage_models/nickname_roots.csv`; empty when absent)."""
    cols = ["nickname", "root1", "root2", "root3"]
    if not path.exists():
        return pa.table({c: pa.array([], pa.string()) for c in cols})
    df = read_table(path, "nickname roots table", set(cols))
    return pa.table({c: pa.array(df[c].fillna("").astype(str).tolist(), pa.string())
                     for c in cols})


def _read_nicknames(path: Path, by_rom: bool) -> pa.Table:
    """nickname, canonical, by_rom (looked up by romanisation key) of one table."""
    empty = pa.table({"nickname": pa.array([], pa.string()),
                      "canonical": pa.array([], pa.string()),
                      "by_rom": pa.array([], pa.bool_())})
    if not path.exists():
        return empty
    df = read_table(path, "nickname table", {"nickname", "canonical"})
    return pa.table({"nickname": pa.array(df["nickname"].tolist(), pa.string()),
                     "canonical": pa.array(df["canonical"].tolist(), pa.string()),
                     "by_rom": pa.array([by_rom] * len(df), pa.bool_())})


__all__ = ["FILES", "NICKNAMES", "ROOTS", "Store", "register"]
