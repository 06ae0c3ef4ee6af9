"""Reference tables under linkage_models/ (CSV, UTF-8): read with their required columns
checked, every failure one error naming the file: a LinkageError (exit 4), as an unusable
linkage model file."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from spinelink.errors import LinkageError


def read_table(path: Path, what: str, columns: set[str]) -> pd.DataFrame:
    """The table at `path` as strings (empty cells as ""), with at least `columns`."""
    if not path.exists():
        raise LinkageError(f"{path}: {what} not found")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        raise LinkageError(f"{path}: {what} is not a readable UTF-8 CSV") from None
    if not columns <= set(df.columns):
        raise LinkageError(f"{path}: {what} needs the columns {','.join(sorted(columns))}")
    return df
