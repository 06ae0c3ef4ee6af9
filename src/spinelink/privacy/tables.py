"""Rewriting the published tables with pseudonyms, and the separated linkage and content
tables (see spinelink.privacy)."""
from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from spinelink import atomic
from spinelink.config import LoadedJob
from spinelink.privacy import key_check, load_key, pseudonyms

log = logging.getLogger("spinelink.privacy")
MARK = b"spinelink.pseudonymised"
PER_SOURCE = ("links", "review", "unlinked", "pairs")  # <folder>/<source>.parquet
# the quality stage's leave-partner-out sample, kept for a later run --since (which refuses
# pseudonymised outputs): <source>_records / <source>_pairs
NULL_SAMPLE = ("quality/null/{s}_records.parquet", "quality/null/{s}_pairs.parquet")
SHARED = ("integrated.parquet", "conflicts.parquet", "audit.parquet", "integrate", "quality",
          "review/labels.csv", "edits/integrated.parquet", "weights", "imputed")
# canonical fields that identify a person: never in the content table
IDENTIFYING = {"first_name", "middle_name", "last_name", "date_of_birth", "dob", "postcode",
               "address"}


# ---- rewriting tables ---------------------------------------------------------------------

def _namespaces(columns: list[str], file_source: str | None, reference: str,
                sources: set[str]) -> dict[str, tuple[str, str]]:
    """id column -> ("const", source) or ("column", name of the column holding the source)."""
    per_row = "source" in columns
    out: dict[str, tuple[str, str]] = {}
    for c in columns:
        if c in ("reference_id", "duplicate_of", "person_ref") or c.endswith("__donor"):
            out[c] = ("const", reference)  # `<var>__donor`: an imputed value's donor unit
        elif c in ("source_id", "record_id"):
            if file_source:
                out[c] = ("const", file_source)
            elif per_row:
                out[c] = ("column", "source")
            elif c == "source_id":
                log.warning("privacy: column %s has no source to key it by; left out", c)
        elif c == "source_record_id" and per_row:
            out[c] = ("column", "source")
        elif c == "from_record_id" and "from_source" in columns:
            out[c] = ("column", "from_source")
        elif c.endswith("__id") and c[:-4] in sources:
            out[c] = ("const", c[:-4])
    return out


def _replace(table: pa.Table, spaces: dict, key: bytes, length: int) -> pa.Table:
    """The table with each id column replaced by pseudonyms (other columns untouched)."""
    for col, (kind, ns) in spaces.items():
        ids = [None if v is None else str(v) for v in table.column(col).to_pylist()]
        src = [ns] * len(ids) if kind == "const" else table.column(ns).to_pylist()
        table = table.set_column(table.schema.get_field_index(col), pa.field(col, pa.string()),
                                 pa.array(pseudonyms(key, src, ids, length), pa.string()))
    return table


def _nullable_nulls(table: pa.Table) -> pa.Table:
    """Arrow refuses to write a column of type null marked not-nullable (empty tables)."""
    fields = [f.with_nullable(True) if pa.types.is_null(f.type) else f for f in table.schema]
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def pseudonymise_file(path: Path, file_source: str | None, reference: str, sources: set[str],
                      key: bytes, length: int) -> bool:
    """Replace the ids in one Parquet or CSV file (atomically); True if it had ids."""
    if path.suffix == ".parquet":
        meta = pq.read_schema(path).metadata or {}
        if MARK in meta:
            return False  # already done (e.g. a file this run did not write again)
        table = pq.read_table(path)
        spaces = _namespaces(table.column_names, file_source, reference, sources)
        if not spaces:
            return False
        new = _nullable_nulls(_replace(table, spaces, key, length))
        new = new.replace_schema_metadata({**meta, MARK: b"hmac-sha256"})
        with atomic.atomic_path(path) as tmp:
            pq.write_table(new, tmp, compression="zstd")
        return True
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    spaces = _namespaces(list(df.columns), file_source, reference, sources)
    if not spaces:
        return False
    table = _replace(pa.Table.from_pandas(df, preserve_index=False), spaces, key, length)
    atomic.write_text(path, table.to_pandas().to_csv(index=False, lineterminator="\n"))
    return True


def published_files(out: Path, sources: Iterable[str]) -> list[tuple[Path, str | None]]:
    """(file, its source or None) for every published output that exists."""
    found: list[tuple[Path, str | None]] = []
    for folder in PER_SOURCE:
        found += [(out / folder / f"{s}.parquet", s) for s in sources
                  if (out / folder / f"{s}.parquet").is_file()]
    for pattern in NULL_SAMPLE:
        found += [(out / pattern.format(s=s), s) for s in sources
                  if (out / pattern.format(s=s)).is_file()]
    for rel in SHARED:
        p = out / rel
        if p.is_file():
            found.append((p, None))
        elif p.is_dir():
            found += [(f, None) for f in sorted(p.iterdir()) if f.suffix in (".parquet", ".csv")
                      and not atomic.is_temp(f)]
    return found


# ---- separation -----------------------------------------------------------------------

def _identifying_columns(lj: LoadedJob) -> set[str]:
    job = lj.job
    names = set(IDENTIFYING)
    for src in job.sources.values():
        raw = {c for f, c in src.columns.items() if f in IDENTIFYING}
        raw |= set(src.identifiers.values())
        names |= set(src.identifiers) | raw
        names |= {v for v, c in src.variables.items() if c in raw}
    return names


def _content_of_source(out: Path, lj: LoadedJob, name: str, drop: set[str]) -> pa.Table:
    src = lj.job.sources[name]
    keep = [c for c in dict.fromkeys(src.subgroups) if c not in drop]
    keep += [f"var_{v}" for v, c in src.variables.items() if v not in drop and c not in drop]
    std = pq.read_table(out / "standardised" / f"{name}.parquet")
    return std.select(["record_id", *[c for c in keep if c in std.column_names]])


def _content_of_integrated(path: Path, lj: LoadedJob, drop: set[str]) -> pa.Table:
    table = pq.read_table(path)
    linkage = tuple(f"{s}__" for s in lj.job.sources)
    return table.select([c for c in table.column_names
                         if c != "duplicate_of" and not c.endswith("__donor")
                         and not c.startswith(linkage)
                         and c.split("__")[0] not in drop])


def separate(lj: LoadedJob, out: Path, key: bytes) -> dict:
    """The linkage table and the content tables, in separate folders."""
    job, sep, length = lj.job, out / "separated", lj.job.privacy.pseudonym_length
    written = []
    for name in job.links:
        p = out / "links" / f"{name}.parquet"
        if p.is_file():
            _write(pq.read_table(p, columns=["reference_id", "source_id"]),
                   sep / "linkage" / f"{name}.parquet")
            written.append(f"linkage/{name}.parquet")
    drop = _identifying_columns(lj)
    for name in job.sources:
        if (out / "standardised" / f"{name}.parquet").is_file():
            _write(_replace(_content_of_source(out, lj, name, drop),
                            {"record_id": ("const", name)}, key, length),
                   sep / "content" / f"{name}.parquet")
            written.append(f"content/{name}.parquet")
    integrated = out / "integrated.parquet"
    if integrated.is_file():
        _write(_content_of_integrated(integrated, lj, drop), sep / "content" / "integrated.parquet")
        written.append("content/integrated.parquet")
    return {"folder": "separated", "files": written}


def _write(table: pa.Table, path: Path) -> None:
    table = _nullable_nulls(table)
    with atomic.atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


# ---- the stage ------------------------------------------------------------------------

def run_stage(ctx) -> dict:
    """Last stage of a run: pseudonymise the published outputs; separate if asked."""
    lj, out = ctx.lj, Path(ctx.out)
    p = lj.job.privacy
    if not p.pseudonymise:
        return {}
    key = load_key(lj)
    sources = set(lj.job.sources)
    done = [str(f.relative_to(out)) for f, s in published_files(out, lj.job.sources)
            if pseudonymise_file(f, s, lj.job.reference, sources, key, p.pseudonym_length)]
    log.info("privacy: ids pseudonymised in %d output files", len(done))
    result = {"pseudonymised": sorted(done), "key_check": key_check(key),
              "key_from": f"environment variable {p.key_env}" if p.key_env else "key file",
              "pseudonym": f"HMAC-SHA256(key, source 0x1F id), hex, {p.pseudonym_length} chars"}
    if p.separate:
        result["separated"] = separate(lj, out, key)
        log.info("privacy: linkage and content tables written to separated/")
    return result
