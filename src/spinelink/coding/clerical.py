"""Clerical coding decisions (`coding_options: {clerical: codes.csv}`): the codes a coder
gives to answers of the clerical queue, applied on the next run.

The CSV has `source, record_id, variable, code`. Each code must be a code of the
variable's classification (or NS / VG), checked when the stage runs: a wrong one stops
the run naming the file, the row and the field (never the value). A decision for an
answer that is not in clerical coding is ignored and counted. Applied answers keep status
`clerical`, now with a code and its level, and leave the queue.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from spinelink.coding import classification as cls
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


def apply(table: pd.DataFrame, queue: pd.DataFrame, path: Path, source: str,
          variables: dict) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    df = read_decision_csv(path, "clerical coding decisions", COLUMNS)
    df = df.assign(line=range(2, len(df) + 2))
    df = df[df["source"] == source]
    codes: dict[tuple[str, str], tuple[str, str]] = {}
    for r in df.itertuples():
        spec = variables.get(r.variable)
        if spec is None:
            raise JobError(f"{path}: row {r.line}, field 'variable': not a coded variable "
                           f"of source {source}")
        c = cls.load(spec.classification)
        code = r.code.strip()
        if code not in c.levels and code not in (cls.NOT_STATED, cls.VAGUE):
            raise JobError(f"{path}: row {r.line}, field 'code': not a code of the "
                           f"{spec.classification} classification")
        if (r.record_id, r.variable) in codes:
            raise JobError(f"{path}: row {r.line}: a second decision for one answer")
        codes[(r.record_id, r.variable)] = (code, c.level(code))
    keys = list(zip(table["record_id"], table["variable"], strict=True))
    hit = [(k in codes) and s == "clerical" for k, s in zip(keys, table["status"], strict=True)]
    table = table.copy()
    for i in [i for i, h in enumerate(hit) if h]:
        table.iat[i, table.columns.get_loc("code")] = codes[keys[i]][0]
        table.iat[i, table.columns.get_loc("level")] = codes[keys[i]][1]
    done = {k for k, h in zip(keys, hit, strict=True) if h}
    queue = queue[[(r, v) not in done for r, v in
                   zip(queue["record_id"], queue["variable"], strict=True)]]
    return table, queue.reset_index(drop=True), {"applied": len(done),
                                                 "ignored": len(codes) - len(done)}
