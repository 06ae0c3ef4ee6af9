"""What reading a source gives (`spinelink.readers`, `spinelink.parquet_reader`): the
table of strings with `_row`, the rows that could not be read, and notes."""
from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

ROW = "_row"


@dataclass
class Reject:
    row: int
    field: str
    reason: str
    record_id: str | None = None


@dataclass
class ReadResult:
    table: pa.Table  # string columns + _row (int64)
    rows_read: int
    rejects: list[Reject] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dates: dict[str, pa.ChunkedArray] = field(default_factory=dict)  # typed date columns
    value_problems: list[Reject] = field(default_factory=list)  # values read as missing
    value_kinds: list[str | None] = field(default_factory=list)  # their shapes, no values
    row_label: str = "row"  # what `_row` counts: "line" (CSV) or "row" (Parquet)
    integer_columns: set[str] = field(default_factory=set)  # Parquet integer columns

    @property
    def typed_dates(self) -> set[str]:
        return set(self.dates)
