"""Control totals (`control_totals:`): the records a source should hold per batch or area,
from an inventory CSV, reconciled with the records intake read.

```yaml
control_totals:
  survey: {path: inventory.csv, by: batch}   # inventory columns: batch, expected
```
Without `by`, the inventory has one row (`expected`) for the whole source. Counted are the
rows intake read as records (accepted or quarantined); rows unreadable as records (wrong
number of fields) have no batch and are reported as `unattributed`. Every batch whose
count differs from the inventory, including batches only one side has, is a discrepancy:
`control_totals/<source>.csv` (by, expected, counted, difference) lists all batches, the
manifest (`checks.<source>.control_totals`) the discrepancies. A discrepancy is reported
and warned about; it does not stop the run.
"""
from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

import pandas as pd

from spinelink.atomic import write_text
from spinelink.backends import Engine
from spinelink.config import LoadedJob
from spinelink.errors import JobError
from spinelink.intake import raw_table
from spinelink.sqlfiles import quote_ident

log = logging.getLogger("spinelink")
ALL = "(all)"


def _inventory(lj: LoadedJob, name: str, by: str | None) -> dict[str, int]:
    spec = lj.job.control_totals[name]
    path = lj.resolve(spec.path)
    key = by or "expected"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        raise JobError(f"{path}: control totals file for source {name} cannot be read "
                       "(UTF-8 CSV expected)") from None
    reader = csv.DictReader(io.StringIO(text))
    rows = list(reader)
    header = reader.fieldnames or []  # a file with a header and no row has columns too
    for col in ([by] if by else []) + ["expected"]:
        if col not in header:
            raise JobError(f"{path}: control totals file has no column '{col}' "
                           f"(expected columns: {key if by else ''}{', ' if by else ''}expected)")
    if not rows and not by:
        raise JobError(f"{path}: control totals file has no row: give the source's expected "
                       "record count under 'expected'")
    out: dict[str, int] = {}
    for i, r in enumerate(rows, start=2):
        group = (r[by] or "").strip() if by else ALL
        try:
            n = int(str(r["expected"]).strip())
        except ValueError:
            raise JobError(f"{path}: row {i}, field 'expected': not a whole number") from None
        if n < 0:
            raise JobError(f"{path}: row {i}, field 'expected': negative")
        if group in out:
            raise JobError(f"{path}: row {i}: batch listed twice")
        out[group] = n
    return out


def reconcile(engine: Engine, lj: LoadedJob, name: str, out: Path, rows_read: int) -> dict:
    spec = lj.job.control_totals.get(name)
    if spec is None:
        return {}
    expected = _inventory(lj, name, spec.by)
    raw = raw_table(name)
    if spec.by:
        cols = set(engine.columns(raw))
        if spec.by not in cols:
            raise JobError(f"{lj.path}: key 'control_totals.{name}.by': column '{spec.by}' "
                           f"is not in source {name}")
        df = engine.df(f"SELECT coalesce(trim(CAST({quote_ident(spec.by)} AS VARCHAR)), '') "
                       f"AS g, count(*) AS n FROM {quote_ident(raw)} GROUP BY 1")
        counted = {str(g): int(n) for g, n in zip(df["g"], df["n"], strict=True)}
    else:
        counted = {ALL: int(engine.scalar(f"SELECT count(*) FROM {quote_ident(raw)}"))}
    unattributed = rows_read - sum(counted.values())
    groups = sorted(set(expected) | set(counted))
    table = pd.DataFrame({"by": groups,
                          "expected": pd.array([expected.get(g) for g in groups],
                                               dtype="Int64"),
                          "counted": [counted.get(g, 0) for g in groups]})
    table["difference"] = table["counted"] - table["expected"].fillna(0).astype(int)
    buf = io.StringIO()
    table.astype({"expected": "Int64"}).to_csv(buf, index=False, lineterminator="\n")
    write_text(out / "control_totals" / f"{name}.csv", buf.getvalue())
    bad = table[(table["difference"] != 0) | table["expected"].isna()]
    discrepancies = [{"by": g, "expected": None if pd.isna(e) else int(e), "counted": int(c),
                      "difference": int(d)}
                     for g, e, c, d in bad[["by", "expected", "counted", "difference"]]
                     .itertuples(index=False)]
    if discrepancies or unattributed:
        log.warning("control totals for %s: %d batch(es) differ from the inventory, %d "
                    "row(s) unattributed; see control_totals/%s.csv", name,
                    len(discrepancies), unattributed, name)
    return {"by": spec.by, "batches": len(groups), "expected": int(sum(expected.values())),
            "counted": int(sum(counted.values())), "unattributed": int(unattributed),
            "discrepancies": discrepancies, "reconciled": not discrepancies
            and not unattributed}
