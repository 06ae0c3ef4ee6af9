"""Decision CSVs a person filled in (clerical codes, a verifier's codes): read with the
file named in every problem. What they hold is checked and applied by
spinelink.coding.decisions."""
from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from spinelink.errors import JobError
from spinelink.readers import spreadsheet_delimiter

COLUMNS = ("source", "record_id", "variable", "code")


def read_decision_csv(path: Path, what: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """A decisions file a person filled in (UTF-8, BOM or not; comma-, semicolon- or
    tab-separated: readers.spreadsheet_delimiter), with `columns` at least."""
    try:
        text = path.read_text(encoding="utf-8-sig")
        df = pd.read_csv(io.StringIO(text), sep=spreadsheet_delimiter(text, columns),
                         dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        raise JobError(f"{path}: {what} cannot be read (UTF-8 CSV with columns "
                       f"{', '.join(columns)} expected)") from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise JobError(f"{path}: {what} lack column(s) {missing}")
    return df
