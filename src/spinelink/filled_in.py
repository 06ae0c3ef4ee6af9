"""CSVs a person filled in and gives back (review decisions, coding decisions): read with
the line every row starts on, and checked whole, every bad row reported at once.

`read_rows` reads such a file (UTF-8 with or without a byte-order mark; comma-, semicolon-
or tab-separated, readers.spreadsheet_delimiter) into dicts and the line each row starts
on (the header is line 1, the numbering of every message that names a row); `listed`
makes one error text of every problem found, the first SHOWN after a count, then how many
more, so that a file is fixed in one go, not a row per attempt. The caller chooses the
error class (its exit code): a job's file is a job problem, a file given to `spinelink
review` or `spinelink coding` clerical work. Values are never echoed.
"""
from __future__ import annotations

import csv
from pathlib import Path

from spinelink.errors import SpinelinkError
from spinelink.readers import spreadsheet_delimiter

SHOWN = 20  # problems listed by a failed import; the rest are counted


def read_rows(path: Path, required: tuple[str, ...],
              error: type[SpinelinkError]) -> tuple[list[dict], list[int]]:
    """The rows (header cells stripped; a row with more cells than the header has them
    under the key None, fewer: None values), and the line each starts on."""
    path = Path(path)
    if not path.is_file():
        raise error(f"{path}: does not exist")
    try:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:  # e.g. Excel's plain "CSV": the Windows code page
        line = data[:e.start].count(b"\n") + 1
        raise error(f'{path}: row {line}: not valid UTF-8; save it as "CSV UTF-8" (in '
                    'Excel: Save As, CSV UTF-8)') from None
    except OSError as e:
        raise error(f"{path}: cannot be read ({e.strerror or type(e).__name__})") from None
    try:
        reader = csv.DictReader(text.splitlines(keepends=True),
                                delimiter=spreadsheet_delimiter(text, required))
        header = [h.strip() for h in (reader.fieldnames or [])]
        reader.fieldnames = header
        for col in required:
            if col not in header:
                raise error(f"{path}: missing column '{col}' (the header needs "
                            f"{', '.join(required)})")
        rows, lines, start = [], [], reader.line_num + 1
        for row in reader:
            rows.append(row)
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error as e:
        raise error(f"{path}: not a readable CSV file ({type(e).__name__})") from None
    return rows, lines


def extra_cells(path: Path, line: int, row: dict) -> str | None:
    """The problem of a row with more cells than the header has columns, if it has."""
    return f"{path}: row {line}: more cells than header columns" if None in row else None


def listed(path: Path, problems: list[str], outcome: str = "nothing was imported") -> str:
    """One line per problem, at most SHOWN of them, after a count when there are several
    (`outcome`: what became of the file's rows)."""
    if len(problems) == 1:
        return problems[0]
    more = len(problems) - SHOWN
    return "\n".join([f"{path}: {len(problems)} problems; {outcome}",
                      *problems[:SHOWN],
                      *([f"{path}: ... and {more} more problems"] if more > 0 else [])])
