"""Read a source file (CSV or Parquet) into an Arrow table of strings, row by row.

Every data row gets `_row`, where it is in the file, numbered as errors name it: for CSV
the line the record starts on, counting the header as line 1 (what an editor shows; blank
lines and line breaks inside quoted values count), for Parquet the 1-based row number
(`row_label` says which: "line" or "row"). Rows that cannot be read as a record (wrong
number of fields, an identifier with invalid bytes or control characters) are not
dropped: they come back in `rejects` with a reason, so intake can quarantine them and
the counts still add up. A value with bytes invalid for the declared encoding or control
characters is read as missing and reported in `value_problems` (the row stays). Problems
that make the whole file unusable raise IntakeError naming the file and the line.

Parquet (`spinelink.parquet_reader`): DATE and TIMESTAMP columns are read as ISO text and
also kept typed in `dates`
(a timestamp with a time zone gives its local date); numbers become text, floats with
no fraction without the `.0` (19800131.0 -> 19800131).
"""
from __future__ import annotations

import csv
import io
import logging
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from spinelink.errors import IntakeError
from spinelink.parquet_reader import read_parquet
from spinelink.read_result import ROW, ReadResult, Reject, row_numbers  # noqa: F401 - API

log = logging.getLogger("spinelink")

UNNAMED = "__sl_unnamed_"  # a header column without a name, until intake drops it
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NOT_CONTROL = bytes(b for b in range(256) if not (b < 32 and b not in (9, 10, 13) or b == 127))
_SURROGATE = re.compile(r"[\udc80-\udcff]")
csv.field_size_limit(64 * 1024 * 1024)


def source_suffix(path: Path) -> str:
    """The source file's suffix, lower-case, once it is known to be a readable file."""
    if not path.exists():
        raise IntakeError(f"{path}: file does not exist")
    if path.is_dir():
        raise IntakeError(f"{path}: is a directory, expected a CSV or Parquet file")
    return path.suffix.lower()


def read_source(path: Path, *, encoding: str = "utf-8", delimiter: str = ",",
                id_column: str | None = None) -> ReadResult:
    suffix = source_suffix(path)
    try:
        if suffix in (".parquet", ".pq"):
            return read_parquet(path)
        if suffix in (".csv", ".txt", ".tsv", ".dat"):
            return _read_csv(path, encoding, delimiter, id_column)
    except PermissionError:
        raise IntakeError(f"{path}: cannot be read (permission denied)") from None
    raise IntakeError(f"{path}: unknown file type '{suffix}', expected .csv or .parquet")


def with_record_id(table: pa.Table, parts: list[str], column: str) -> pa.Table:
    """The table with `column` holding a composite record id: the `parts` columns'
    values, trimmed, joined by '/' (household H015, person 1: H015/1); missing where any
    part is missing or blank, so intake quarantines the row as having no identifier.
    A table that already has `column` (an incremental state written from a read table)
    gets it anew. A single-column id (one part) leaves the table as it is."""
    if len(parts) < 2:
        return table
    arrays = []
    for c in parts:
        arr = pc.utf8_trim_whitespace(pc.cast(table[c], pa.string()))
        arrays.append(pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr))
    joined = pc.binary_join_element_wise(*arrays, "/", null_handling="emit_null")
    if column in table.column_names:
        return table.set_column(table.column_names.index(column), column, joined)
    return table.append_column(column, joined)


def _decode(path: Path, raw: bytes, encoding: str, notes: list[str]) -> str:
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") and b"\x00" in raw[2:200]:  # not cp1251 'яю'
        raise IntakeError(f"{path}: is UTF-16 text (a spreadsheet's 'Unicode text'), which "
                          "spinelink does not read; save it as 'CSV UTF-8'")
    if raw.startswith(b"\xef\xbb\xbf"):
        if encoding == "utf-8":
            notes.append("file starts with a UTF-8 byte-order mark not declared; it was removed")
        if encoding in ("utf-8", "utf-8-sig"):
            raw = raw[3:]
            encoding = "utf-8"
        else:
            raise IntakeError(
                f"{path}: starts with a UTF-8 byte-order mark but encoding is declared "
                f"as {encoding}; declare encoding: utf-8-sig"
            )
    if encoding == "utf-8-sig":
        encoding = "utf-8"
    # surrogateescape keeps undecodable bytes visible so their rows can be quarantined
    return raw.decode(encoding, errors="surrogateescape")


def _read_csv(path: Path, encoding: str, delimiter: str, id_column: str | None) -> ReadResult:
    raw = path.read_bytes()
    if not raw or raw.isspace():  # (raw.strip() would copy the file)
        raise IntakeError(f"{path}: file is empty (no header, no rows)")
    head = _plain_header_line(raw, encoding)
    if head is not None:  # the fast reader needs the header alone, not the file as text
        notes: list[str] = []
        header, unnamed = _parse_header(path, _decode(path, head, encoding, notes), delimiter,
                                        encoding)
        fast = _fast_csv(raw, encoding, delimiter, header)
        if fast is not None:
            return _without_unnamed(path, ReadResult(fast, fast.num_rows, [], notes,
                                                     row_label="line"), unnamed)
    notes = []
    text = _decode(path, raw, encoding, notes)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header, unnamed = _parse_header(path, text, delimiter, encoding, reader)
    if head is None:
        fast = _fast_csv(raw, encoding, delimiter, header)
        if fast is not None:
            return _without_unnamed(path, ReadResult(fast, fast.num_rows, [], notes,
                                                     row_label="line"), unnamed)
    return _without_unnamed(path, _read_rows(path, reader, text, header, encoding,
                                             id_column, notes), unnamed)


def _plain_header_line(raw: bytes, encoding: str) -> bytes | None:
    """The file's first line (with its line break) when it is certainly the whole header
    record: UTF-8 (the fast reader's only encoding), no quote character (so no line
    break inside a quoted name) and no carriage return but one before the line feed.
    Else None, and the header is read from the whole file as text. Decoding the file
    and wrapping it for the csv module cost ~2.3 s for a 98 MB census file that the fast
    reader reads without them."""
    if encoding not in ("utf-8", "utf-8-sig"):
        return None
    end = raw.find(b"\n")
    if end < 0:
        return None
    line = raw[:end + 1]
    if b'"' in line or b"\r" in line[:-2]:
        return None
    return line


def _parse_header(path: Path, text: str, delimiter: str, encoding: str,
                  reader=None) -> tuple[list[str], dict[str, int]]:
    """The header's column names (blank ones named `UNNAMED` + position) and the unnamed
    ones' positions, from `reader` (over `text`) or from `text`, its first record."""
    if reader is None:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except csv.Error as e:
        raise IntakeError(f"{path}: line 1: header cannot be parsed ({e})") from None
    header = [h.strip() for h in header]
    unnamed = {f"{UNNAMED}{i + 1}": i + 1 for i, h in enumerate(header) if h == ""}
    header = [h or f"{UNNAMED}{i + 1}" for i, h in enumerate(header)]
    _check_header(path, header, encoding)
    return header, unnamed


def _without_unnamed(path: Path, res: ReadResult, unnamed: dict[str, int]) -> ReadResult:
    """Drops the header's unnamed columns when they hold no value (the trailing delimiter
    Excel writes), with a note; one that holds a value stops intake, naming its line."""
    for name, pos in unnamed.items():
        col = res.table[name]
        flagged = [r.row for r in res.value_problems if r.field == name]
        if col.null_count < len(col) or flagged:
            row = res.table[ROW][pc.index(pc.is_valid(col), True).as_py()].as_py() \
                if col.null_count < len(col) else flagged[0]
            raise IntakeError(f"{path}: line 1: column {pos} of the header has no name, "
                              f"and line {row} has a value in it: name the column")
        res.table = res.table.drop_columns([name])
        res.notes.append(f"column {pos} of the header has no name and no values: ignored "
                         "(a spreadsheet writes one for a delimiter after the last column)")
    return res


def _read_rows(path: Path, reader, text: str, header: list[str], encoding: str,
               id_column: str | None, notes: list[str]) -> ReadResult:
    """The exact reader, record by record (the fast one declined): malformed rows and
    unusable values are named by line."""
    suspect = bool(_CONTROL.search(text) or _SURROGATE.search(text))
    width = len(header)
    id_pos = header.index(id_column) if id_column in header else None
    cols: list[list[str | None]] = [[] for _ in range(width)]
    rows: list[int] = []
    rejects: list[Reject] = []
    bad_values: list[Reject] = []
    kinds: list[str | None] = []
    n = 0
    while True:
        line_before = reader.line_num
        try:
            rec = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            msg = str(e)
            if "unexpected end of data" in msg or "EOF" in msg:
                raise IntakeError(
                    f"{path}: line {line_before + 1}: a quoted field is never closed "
                    "(unclosed quote); the rest of the file cannot be read reliably"
                ) from None
            raise IntakeError(f"{path}: line {reader.line_num}: cannot be parsed ({msg})") from None
        if not rec or (len(rec) == 1 and rec[0].strip() == ""):
            continue  # blank line: not a record
        n += 1
        line = line_before + 1  # the line the record starts on (the header is line 1)
        rid = rec[id_pos].strip() if id_pos is not None and id_pos < len(rec) else None
        if len(rec) != width:
            rejects.append(Reject(line, "(row)", f"has {len(rec)} fields where the header has "
                                              f"{width}", rid))
            continue
        problems = _value_problems(rec, header, encoding) if suspect else []
        if any(i == id_pos for i, _ in problems):  # no usable identifier: the row goes
            reason = next(r for i, r in problems if i == id_pos)
            rejects.append(Reject(line, header[id_pos], reason, None))
            continue
        for i, reason in problems:
            bad_values.append(Reject(line, header[i], reason, rid))
            kinds.append(value_kind(rec[i]))
            rec[i] = ""
        rows.append(line)
        for i, v in enumerate(rec):
            cols[i].append(v if v != "" else None)
    arrays = {h: pa.array(c, type=pa.string()) for h, c in zip(header, cols, strict=True)}
    arrays[ROW] = pa.array(rows, type=pa.int64())
    return ReadResult(pa.table(arrays), n, rejects, notes, value_problems=bad_values,
                      value_kinds=kinds, row_label="line")


def _fast_csv(raw: bytes, encoding: str, delimiter: str, header: list[str]) -> pa.Table | None:
    """Arrow's C++ reader for the common case: clean UTF-8, every row the header's width,
    no control characters, one line per record (no blank line, no line break in a value,
    so record i is on line i + 1). Returns None at the first doubt, and the exact
    row-by-row reader above takes over (it names every bad row by its line)."""
    if encoding not in ("utf-8", "utf-8-sig") or raw.translate(None, _NOT_CONTROL):
        return None
    if not raw.isascii():
        try:  # bytes that are not UTF-8: the exact reader quarantines their rows
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    body = _one_final_newline(body)  # blank lines at the end are not records

    def refuse(_row) -> str:
        return "error"  # any malformed row: let the exact reader name it

    try:
        tbl = pacsv.read_csv(
            io.BytesIO(body),
            read_options=pacsv.ReadOptions(use_threads=True, column_names=header,
                                           skip_rows=1, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"',
                                             double_quote=True, newlines_in_values=True,
                                             ignore_empty_lines=True,
                                             invalid_row_handler=refuse),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header}, null_values=[""],
                strings_can_be_null=True, quoted_strings_can_be_null=True),
        )
    except pa.ArrowInvalid:
        return None
    if tbl.num_rows == 0 or body.count(b"\n") != tbl.num_rows + 1:
        return None  # a blank line or a line break inside a value: lines != records
    return tbl.append_column(ROW, row_numbers(2, tbl.num_rows))


def _one_final_newline(body: bytes) -> bytes:
    """`body` without its trailing line breaks (\\r, \\n), ended by one \\n; the file
    itself when it already ends with one line break, \\n or \\r\\n, which the CSV reader
    takes alike (a copy of the file cost 0.1 s at 98 MB)."""
    end = len(body)
    while end and body[end - 1] in b"\r\n":
        end -= 1
    if body[end:] in (b"\n", b"\r\n"):
        return body
    return body[:end] + b"\n"


def spreadsheet_delimiter(text: str, required) -> str:
    """The delimiter of a CSV a person saved from a spreadsheet (review decisions, coding
    decisions, labels): a comma, or the semicolon or tab Excel writes where the locale's
    list separator is one ("CSV UTF-8" saved in a Ukrainian, German or French locale); the
    one whose header cells hold the most of the `required` columns, ties to the comma."""
    first = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=lambda d: sum(
        c in {h.strip().strip('"') for h in first.split(d)} for c in required))


def _check_header(path: Path, header: list[str], encoding: str) -> None:
    seen: set[str] = set()
    for h in header:
        if h in seen:
            raise IntakeError(f"{path}: line 1: column '{h}' appears twice in the header")
        seen.add(h)
    if ROW in seen:
        raise IntakeError(f"{path}: line 1: column name '{ROW}' is reserved")
    for h in header:
        if _SURROGATE.search(h):
            raise IntakeError(f"{path}: line 1: the header has bytes that are not valid "
                              f"{encoding}: is the encoding right? (e.g. encoding: cp1251 "
                              "or cp1252)")
        if _CONTROL.search(h):
            raise IntakeError(f"{path}: line 1: the header has invalid characters")


def _value_problems(rec: list[str], header: list[str], encoding: str) -> list[tuple[int, str]]:
    """(column position, reason) of each value that cannot be used as read."""
    out = []
    for i, v in enumerate(rec):
        if _SURROGATE.search(v):
            out.append((i, f"bytes that are not valid {encoding}"))
        elif _CONTROL.search(v):
            out.append((i, "control character in value"))
    del header
    return out


_DIGIT = re.compile(r"[0-9]")
_LETTER = re.compile(r"[^\W\d_]")
_SPACE = re.compile(r"\s")


def value_kind(value: str | None, longest: int = 12) -> str | None:
    """The shape of a value without the value: digits as 9, letters as a, other characters
    kept (e.g. 99/99/9999); longer values only by their length. The same rule as the SQL
    macro sl_intake_value_kind (sql/intake/macros.sql)."""
    if value is None:
        return None
    v = value.strip()
    if len(v) > longest:
        return f"text of {len(v)} characters"
    v = _SURROGATE.sub("?", _CONTROL.sub("?", v))
    return _SPACE.sub(" ", _LETTER.sub("a", _DIGIT.sub("9", v)))
