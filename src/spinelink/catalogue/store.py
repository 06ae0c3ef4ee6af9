"""The catalogue file `<path>/catalogue.duckdb` (schema in sql/catalogue/schema.sql).

Each run records itself in one transaction (`record`): its sources' rows are upserted and
its deliveries' rows, indicators and flags replace any earlier recording of the same
delivery, so a run killed part-way leaves no half row and a rerun of a delivery leaves one.
"""
from __future__ import annotations

import datetime as dt
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from spinelink import scratch
from spinelink.errors import JobError
from spinelink.sqlfiles import load_sql, sql_file

FILE = "catalogue.duckdb"
INDICATORS = ["variable", "value", "n_reference", "n_linked", "link_rate", "link_rate_low",
              "link_rate_high", "est_precision", "est_precision_low", "est_precision_high",
              "est_recall", "est_recall_low", "est_recall_high"]


@contextmanager
def connect(folder: Path, read_only: bool = False):
    """The catalogue, created with its tables unless `read_only` (then None when there is
    no catalogue yet)."""
    path = Path(folder) / FILE
    if read_only and not path.exists():
        yield None
        return
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con, name = _connect(path, read_only)
    try:
        if not read_only:
            con.execute(load_sql("catalogue/schema.sql"))
        yield con
    finally:
        _detach(con, name)


def _connect(path: Path, read_only: bool, wait: float = 60.0):
    """(a connection whose default database is the file, the file's name there). The file
    is attached to the process's scratch database (spinelink.scratch), and detached when
    done, which writes it out and lets it go. DuckDB lets one process at a time open the
    file: another run recording itself holds it for a moment, so wait for it (up to
    `wait` seconds)."""
    deadline = time.monotonic() + wait
    while True:
        con, name = scratch.cursor(), scratch.alias()
        try:
            con.execute(f"ATTACH {scratch.string(str(path))} AS {name}"
                        + (" (READ_ONLY)" if read_only else ""))
            con.execute(f"USE {name}")
            return con, name
        except duckdb.Error as e:
            con.close()
            if not _locked(e):  # a damaged or foreign file: no use waiting
                raise JobError(not_a_catalogue(path)) from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _detach(con, name: str) -> None:
    try:
        con.execute("USE memory")
        con.execute(f"DETACH {name}")
    finally:
        con.close()


def _locked(e: Exception) -> bool:
    return isinstance(e, duckdb.IOException) and "lock" in str(e).lower()


def not_a_catalogue(path: Path) -> str:
    return (f"{path}: not a catalogue spinelink can open (a DuckDB database file); move it "
            "aside or give another catalogue.path")


def open_error(path: Path) -> str | None:
    """Why the catalogue file cannot be opened (None: it can, or another run holds it for
    a moment): checked when a job loads, not after its run (a damaged or foreign file
    failed as an internal error once every stage had run)."""
    try:
        con, name = _connect(path, read_only=True, wait=0.0)
    except JobError as e:
        return str(e)
    except duckdb.Error as e:
        return None if _locked(e) else not_a_catalogue(path)
    _detach(con, name)
    return None


def recorded_file(path: Path, delivery_id: str) -> tuple | None:
    """(file name, SHA-256, received, output folder) the catalogue file `path` records
    for `delivery_id`; None when it has none, or another run holds the file."""
    try:
        con, name = _connect(path, read_only=True, wait=0.0)
    except (JobError, duckdb.Error):
        return None
    try:
        rows = con.execute(load_sql("catalogue/delivery_file.sql"),
                           {"delivery_id": delivery_id}).fetchall()
    except duckdb.Error:  # a catalogue older than its deliveries table
        rows = []
    finally:
        _detach(con, name)
    return rows[0] if rows else None


def previous(con, source: str, delivery_id: str, received: dt.date, number: int | None):
    row = con.execute(load_sql("catalogue/previous.sql"),
                      {"source": source, "delivery_id": delivery_id, "received": received,
                       "number": number or 0}).fetchall()
    return row[0][0] if row else None


MIN_DROP = 0.005  # a flagged indicator fell by at least half a percentage point


def compare(con, previous_id: str, current: pd.DataFrame, rates: bool) -> pd.DataFrame:
    """The indicators of `current` (subgroup rows) that fell by more than their interval,
    and by at least MIN_DROP, since the delivery `previous_id` (sql/catalogue/compare.sql);
    link rates only when `rates`."""
    con.register("__cat_current", current[INDICATORS])
    try:
        return con.execute(sql_file("catalogue/compare.sql", current="__cat_current"),
                           {"previous_id": previous_id, "rates": rates,
                            "min_drop": MIN_DROP}).df()
    finally:
        con.unregister("__cat_current")


def record(con, sources: list[dict], deliveries: list[dict], indicators: pd.DataFrame,
           flags: pd.DataFrame) -> None:
    """Write one run's rows in a single transaction."""
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    con.execute("BEGIN TRANSACTION")
    try:
        for s in sources:
            con.execute("INSERT INTO sources VALUES ($source, $steward, $legal_basis, "
                        "$agreement, $description, $now, $now) ON CONFLICT (source) DO UPDATE "
                        "SET steward = excluded.steward, legal_basis = excluded.legal_basis, "
                        "agreement = excluded.agreement, description = excluded.description, "
                        "last_recorded = excluded.last_recorded", {**s, "now": now})
        ids = [d["delivery_id"] for d in deliveries]
        for table in ("deliveries", "indicators", "flags"):
            con.execute(f"DELETE FROM {table} WHERE list_contains($ids, delivery_id)",
                        {"ids": ids})
        for d in deliveries:
            cols = list(d) + ["recorded_at"]
            con.execute(f"INSERT INTO deliveries ({', '.join(cols)}) VALUES "
                        f"({', '.join('$' + c for c in cols)})", {**d, "recorded_at": now})
        for table, frame in (("indicators", indicators), ("flags", flags)):
            if len(frame):
                con.register("__cat_rows", frame)
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM __cat_rows")
                con.unregister("__cat_rows")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
