"""Published tables on disk, so that each stage that publishes protects its tables
against everything published before it.

- `OUT/tables/<name>.csv` and `.parquet`: the table as published (suppressed rows
  blanked, counts rounded when asked, `suppressed`);
- `OUT/disclosure/<name>.parquet` and `.json`: internal, not for publication: the exact
  counts with the `suppressed` flag, and the table's `PublishedTable` description, read
  back by `load` for the next stage's `protect(..., before=load(out))`;
- `OUT/tables/dictionary.csv` (`write_dictionary`, by the report stage, the last to
  publish): table, column, meaning, unit for every published table.

A stage that publishes (e.g. the analysis stage after quality) does:

    before = published.load(out)
    shown = protect.protect(mine, rules, before=before)
    published.save(out, mine, shown)
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd

from spinelink import atomic
from spinelink.quality.protect import PublishedTable

INTERNAL = "disclosure"
TABLES = "tables"
DICTIONARY_COLUMNS = ["table", "column", "meaning", "unit"]


def _parquet_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def _csv_text(df: pd.DataFrame) -> str:
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == bool:
            out[c] = out[c].map({True: "true", False: "false"})
        elif pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].round(4)
    return out.to_csv(index=False, lineterminator="\n")


def spec(t: PublishedTable) -> dict:
    return {"counts": t.counts, "dims": t.dims, "stacked": list(t.stacked or []) or None,
            "magnitudes": {k: list(v) for k, v in t.magnitudes.items()}, "exact": t.exact,
            "keep": t.keep, "description": t.description, "columns": t.columns,
            "known_zeros": t.known_zeros, "ties": {k: [list(x) for x in v]
                                                   for k, v in t.ties.items()},
            "categories": t.categories}


def save(out: Path, tables: dict[str, PublishedTable], shown: dict[str, pd.DataFrame],
         publish: list[str] | None = None) -> list[str]:
    """Write each table as published and its internal copy; `publish`: the names to
    write under OUT/tables (default all; exact operational tables too)."""
    written = []
    for name, t in tables.items():
        df = shown[name]
        internal = t.data.reset_index(drop=True).assign(suppressed=df["suppressed"].to_numpy())
        atomic.write_bytes(out / INTERNAL / f"{name}.parquet", _parquet_bytes(internal))
        atomic.write_text(out / INTERNAL / f"{name}.json", json.dumps(spec(t), indent=1) + "\n")
        if publish is None or name in publish:
            cols = [c for c in df.columns if not c.startswith("_")]
            atomic.write_bytes(out / TABLES / f"{name}.parquet", _parquet_bytes(df[cols]))
            atomic.write_text(out / TABLES / f"{name}.csv", _csv_text(df[cols]))
            written.append(name)
    return written


def _specs(out: Path) -> dict[str, dict]:
    """Each published table's description (its JSON), by name."""
    folder = out / INTERNAL
    return {p.stem: json.loads(p.read_text(encoding="utf-8"))
            for p in (sorted(folder.glob("*.json")) if folder.exists() else [])}


def load(out: Path) -> dict[str, tuple[PublishedTable, pd.DataFrame]]:
    """Every table published so far: its description with the exact counts, and which
    rows were suppressed."""
    found = {}
    for name, s in _specs(out).items():
        df = pd.read_parquet(out / INTERNAL / f"{name}.parquet")
        sup = df.pop("suppressed").astype(bool)
        t = PublishedTable(df, s["counts"], s["dims"], tuple(s["stacked"]) if s["stacked"]
                           else None, {k: tuple(v) for k, v in s["magnitudes"].items()},
                           s["exact"], s["keep"], s.get("description", ""),
                           s.get("columns") or {}, s.get("known_zeros") or [],
                           {k: [tuple(x) for x in v] for k, v in (s.get("ties") or {}).items()},
                           s.get("categories") or {})
        found[name] = (t, sup)
    return found


def write_dictionary(out: Path) -> Path | None:
    """OUT/tables/dictionary.csv: what each column of each published table means."""
    folder = out / INTERNAL
    rows = []
    for name, s in _specs(out).items():  # descriptions only: not the tables' rows
        if not (out / TABLES / f"{name}.csv").exists():
            continue
        with open(out / TABLES / f"{name}.csv", newline="", encoding="utf-8") as f:
            head = next(csv.reader(f), [])  # the header line
        rows.append({"table": name, "column": "", "meaning": s.get("description", ""),
                     "unit": ""})
        for c in head:
            meaning, unit = ((s.get("columns") or {}).get(c) or _default(c, s))
            rows.append({"table": name, "column": c, "meaning": meaning, "unit": unit})
    if not rows or not folder.exists():
        return None
    path = out / TABLES / "dictionary.csv"
    atomic.write_text(path, pd.DataFrame(rows, columns=DICTIONARY_COLUMNS).to_csv(
        index=False, lineterminator="\n"))
    return path


def _default(col: str, s: dict) -> tuple[str, str]:
    """A column's meaning and unit from its table's description (`spec`)."""
    counts, stacked = s["counts"], s.get("stacked") or []
    if col == "suppressed":
        return ("true: the row is withheld by disclosure control (its figures are blank)",
                "true/false")
    if col in counts:
        units = counts[col].replace("{source}", "the source").replace("{_pop}", "units")
        return (f"count of {units}", "units")
    if col in s["dims"]:
        return (f"category of {col} (all: every category)", "category")
    if stacked and col == stacked[0]:
        return ("the variable the row breaks down by (all: the total)", "name")
    if stacked and col == stacked[1]:
        return ("the variable's category", "category")
    return (col.replace("_", " "), "")
