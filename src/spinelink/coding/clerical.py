"""Decision CSVs a person filled in (clerical codes, a verifier's codes): read with the
file named in every problem. What they hold is checked and applied by
spinelink.coding.decisions."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from spinelink.errors import JobError

COLUMNS = ("source", "record_id", "variable", "code")


def read_decision_csv(path: Path, what: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """A decisions file a person filled in (UTF-8, BOM or not), with `columns` at least."""
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError):
        raise JobError(f"{path}: {what} cannot be read (UTF-8 CSV with columns "
                       f"{', '.join(columns)} expected)") from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise JobError(f"{path}: {what} lack column(s) {missing}")
    return df
