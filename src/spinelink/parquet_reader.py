"""Read a Parquet source into the Arrow table of strings `spinelink.readers` gives for
every source: DATE and TIMESTAMP columns as ISO text, also kept typed in `dates` (a
timestamp with a time zone gives its local date); numbers as text, floats with no fraction
without the `.0` (19800131.0 -> 19800131); nested values as JSON; `_row` the 1-based row
number. An unreadable file raises IntakeError naming it (`parquet_unreadable`)."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from spinelink.errors import IntakeError
from spinelink.read_result import ROW, ReadResult, row_numbers

log = logging.getLogger("spinelink")


def read_parquet(path: Path) -> ReadResult:
    names: list[str] = []
    try:
        names = pq.read_schema(path).names
        tbl = pq.read_table(path)
    except Exception as e:  # noqa: BLE001 - pyarrow raises several types for corrupt files
        raise IntakeError(parquet_unreadable(path, names, e)) from None
    if ROW in tbl.column_names:
        raise IntakeError(f"{path}: column name '{ROW}' is reserved")
    dates: dict[str, pa.ChunkedArray] = {}
    arrays = {}
    notes: list[str] = []
    integers = {n for n in tbl.column_names if pa.types.is_integer(tbl.column(n).type)}
    for name in tbl.column_names:
        col = tbl.column(name)
        if pa.types.is_date(col.type) or pa.types.is_timestamp(col.type):
            dates[name] = _as_date(col)
            col = pc.cast(dates[name], pa.string())
        elif pa.types.is_floating(col.type):
            _narrow_float_note(path, name, col, notes)
            col = _float_text(col)
        elif pa.types.is_nested(col.type):
            col = _nested_text(col)
        elif not pa.types.is_string(col.type):
            col = _cast_text(path, name, col)
        arrays[name] = col
    arrays[ROW] = row_numbers(1, tbl.num_rows)
    return ReadResult(pa.table(arrays), tbl.num_rows, [], notes, dates,
                      integer_columns=integers)


def parquet_unreadable(path: Path, names: list[str], e: Exception) -> str:
    """Why pyarrow did not read a Parquet file: a column name twice (pyarrow writes such a
    file and then cannot select from it), or not Parquet at all."""
    twice = [n for i, n in enumerate(names) if n in names[:i]]
    return (f"{path}: column '{twice[0]}' appears twice in the file's columns" if twice
            else f"{path}: not a readable Parquet file ({type(e).__name__})")


def _narrow_float_note(path: Path, name: str, col: pa.ChunkedArray, notes: list[str]) -> None:
    """A 32-bit (or 16-bit) float column holds whole numbers exactly only up to 2**24 (or
    2**11): dates YYYYMMDD or ids written so were rounded by the writer (19800131 is held
    as 19800132), which no reader can undo. Warned about (file, column, first such row;
    no value) and noted for the intake report."""
    width = col.type.bit_width
    if width >= 64 or not len(col):
        return
    limit = 2.0 ** (24 if width == 32 else 11)
    big = pc.fill_null(pc.greater_equal(pc.abs(col.cast(pa.float64())), limit), False)
    if not pc.any(big).as_py():
        return
    row = int(pc.index(big, True).as_py()) + 1
    note = (f"column '{name}' is a {width}-bit float column holding numbers of {int(limit):,} "
            f"or more (first at row {row}), which it stores rounded: a date 19800131 "
            "written to it is held as 19800132, so dates or ids in it may be off or "
            "invalid; write the column as integers or text")
    log.warning("%s: %s", path, note)
    notes.append(note)


def _nested_text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """A list, struct or map column as JSON text (Arrow cannot cast it to text, and a
    column the job does not map must not stop the read)."""
    return pa.chunked_array([pa.array(
        [None if v is None else json.dumps(v, ensure_ascii=False, default=str)
         for v in col.to_pylist()], type=pa.string())], type=pa.string())


def _cast_text(path: Path, name: str, col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Any other column as text; a binary column with bytes that are not UTF-8 stops the
    read naming its first such row (never the bytes)."""
    try:
        return pc.cast(col, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        for i, v in enumerate(col.to_pylist(), 1):
            if isinstance(v, bytes):
                try:
                    v.decode("utf-8")
                except UnicodeDecodeError:
                    raise IntakeError(f"{path}: row {i}: column '{name}' holds bytes that "
                                      "are not valid UTF-8 (a binary column); write it as "
                                      "a text column") from None
        raise IntakeError(f"{path}: column '{name}' of type {col.type} cannot be read as "
                          "text") from None


def _as_date(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """A date or timestamp column as DATE: a timestamp with a time zone as its local date
    (never through text, so no locale or time zone of the machine is involved)."""
    if pa.types.is_timestamp(col.type) and col.type.tz is not None:
        col = pc.local_timestamp(col)
    return pc.cast(col, pa.date32())


def _float_text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Floats as text; whole numbers without a fraction (19800131.0 -> "19800131", as a
    number column of dates or ids written by a data-frame library with missing values)."""
    col = pc.if_else(pc.is_nan(col), pa.scalar(None, col.type), col)  # NaN: missing
    whole = pc.and_(pc.equal(pc.floor(col), col), pc.less(pc.abs(col), 2.0 ** 53))
    if pc.all(pc.or_kleene(whole, pc.is_null(col))).as_py():
        return pc.cast(pc.cast(col, pa.int64()), pa.string())
    return pc.cast(col, pa.string())
