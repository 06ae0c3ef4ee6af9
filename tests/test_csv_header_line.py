"""The fast CSV reader takes the header from the file's first line alone when that line is
the whole header record (UTF-8, no quote, no stray carriage return); otherwise the header
is read from the whole file as text. Either way the table is the exact reader's."""
from __future__ import annotations

import csv
import io

import pytest

from spinelink import readers
from spinelink.readers import read_source

BODY = ('1,Ann,"12 High St, Leeds",LS1 1AA\n'
        '2,Bo,"3 Low Rd, York",\n')


def _exact(data: bytes, encoding="utf-8"):
    """The exact row-by-row reader's table of the same file (the fast one bypassed)."""
    notes: list[str] = []
    text = readers._decode(None, data, encoding, notes)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=",", strict=True)
    header, _ = readers._parse_header(None, text, ",", encoding, reader)
    return readers._read_rows(None, reader, text, header, encoding, None, notes).table


@pytest.mark.parametrize("header,line_break", [
    ("id,name,address,postcode", "\n"),             # the fast header line
    ("id,name,address,postcode", "\r\n"),           # a Windows line end
    ('id,name,"address\nline",postcode', "\n"),     # a quoted name with a line break
    ('id,"na""me",address,postcode', "\n"),         # a quote: the header from the text
])
def test_the_header_and_rows_are_the_exact_readers(tmp_path, header, line_break):
    data = (header + line_break + BODY.replace("\n", line_break)).encode()
    path = tmp_path / "s.csv"
    path.write_bytes(data)
    got = read_source(path)
    want = _exact(data)
    assert got.table.column_names == want.column_names
    assert got.table.equals(want)
    assert got.table.num_rows == 2 and got.table["postcode"].to_pylist() == ["LS1 1AA", None]
    fast_header = '"' not in header
    assert (readers._plain_header_line(data, "utf-8") is not None) == fast_header


def test_a_byte_order_mark_is_noted_once_and_a_bad_header_byte_still_stops(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes(b"\xef\xbb\xbfid,name,address,postcode\n" + BODY.encode())
    got = read_source(path)
    assert got.table.column_names[:2] == ["id", "name"]
    assert sum("byte-order mark" in n for n in got.notes) == 1
    path.write_bytes(b"id,n\xe9me,address,postcode\n" + BODY.encode())
    with pytest.raises(Exception, match="not valid utf-8"):
        read_source(path)
