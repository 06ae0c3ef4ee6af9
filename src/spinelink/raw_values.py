"""The original values of the identifying fields as delivered: `raw_<field>` of a record
(raw_first_name, ..., raw_address: config.CANONICAL_FIELDS) is its intake table's column
mapped to that field (`intake/<source>.parquet` holds the delivered columns as text).

The standardised table does not repeat them: at a million records the seven copies (the
address near-unique) were a quarter of its bytes and ~1.4 s of CPU a source to write,
for readers (clerical review, the quality stage's unit-home profiles) that read a few
records or a few columns. The mapping of a run's source is in its manifest
(`standardise.<source>.raw_columns`, from the standardise stage)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from spinelink.config import CANONICAL_FIELDS

RAW_COLUMNS = tuple(f"raw_{f}" for f in CANONICAL_FIELDS)


def mapped(columns: Mapping[str, str]) -> dict[str, str]:
    """The source's `columns:` restricted to the identifying fields (field -> intake column)."""
    return {f: columns[f] for f in CANONICAL_FIELDS if columns.get(f)}


def read(intake_path: Path, mapping: Mapping[str, str],
         ids: Iterable[str] | None = None) -> pa.Table:
    """`record_id` and every RAW_COLUMNS column (NULL where the source maps no column to
    the field) of the intake table's records, of those whose id is in `ids` when given."""
    cols = list(dict.fromkeys(["record_id", *mapping.values()]))
    filters = None if ids is None else [("record_id", "in", sorted(set(map(str, ids))))]
    t = pq.read_table(intake_path, columns=cols, filters=filters)
    out = {"record_id": t.column("record_id").cast(pa.string())}
    for f, name in zip(CANONICAL_FIELDS, RAW_COLUMNS, strict=True):
        col = mapping.get(f)
        out[name] = (t.column(col).cast(pa.string()) if col
                     else pa.nulls(t.num_rows, pa.string()))
    return pa.table(out)
