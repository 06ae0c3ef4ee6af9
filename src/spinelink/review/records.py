"""The identifying fields shown side by side: original value, canonical value, and
whether the two sides agree (on the canonical form)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from spinelink import raw_values
from spinelink.review import band

# label, original column, canonical column
FIELDS = [
    ("first name", "raw_first_name", "first_name"),
    ("middle name", "raw_middle_name", "middle_name"),
    ("last name", "raw_last_name", "last_name"),
    ("date of birth", "raw_date_of_birth", "dob_iso"),
    ("sex", "raw_sex", "sex"),
    ("postcode", "raw_postcode", "postcode"),
    ("address", "raw_address", "address"),
]
EXTRA = ["first_name_canon"]


def load_records(out: Path, name: str, ids: set[str]) -> dict[str, dict]:
    """record_id -> {column: value as str or None} for the displayed columns."""
    path = Path(out) / "standardised" / f"{name}.parquet"
    if not ids:
        return {}
    frame = pd.read_parquet(path, filters=[("record_id", "in", sorted(ids))])
    if not any(c.startswith("raw_") for c in frame.columns):  # the originals: from intake
        raw = raw_values.read(Path(out) / "intake" / f"{name}.parquet",
                              raw_columns(out, name), ids).to_pandas()
        frame = frame.merge(raw, on="record_id", how="left")
    wanted = [c for c in frame.columns
              if c == "record_id" or c.startswith(("raw_", "id_")) or c in EXTRA
              or c in {f[2] for f in FIELDS}]
    frame = frame[wanted].astype(object).where(frame[wanted].notna(), None)
    return {str(r["record_id"]): {k: _text(v) for k, v in r.items()}
            for r in frame.to_dict("records")}


def raw_columns(out: Path, name: str) -> dict[str, str]:
    """The source's intake columns of the originals, as its run's standardise stage
    recorded them (the manifest's `standardise.<source>.raw_columns`)."""
    return band.manifest(Path(out)).get("standardise", {}).get(name, {}).get("raw_columns", {})


def _text(v) -> str | None:
    if v is None:
        return None
    s = str(v)
    return s if s.strip() else None


def compare(ref: dict | None, src: dict | None) -> list[dict]:
    """Rows for the page: label, each side's original and canonical value, status."""
    ref, src = ref or {}, src or {}
    fields = list(FIELDS)
    for col in sorted({c for c in (*ref, *src) if c.startswith("id_")}):
        fields.append((f"identifier {col[3:]}", col, col))
    rows = []
    for label, raw, canon in fields:
        if raw not in ref and raw not in src and canon not in ref and canon not in src:
            continue
        a, b = ref.get(canon), src.get(canon)
        if a is None and b is None:
            status = "empty"
        elif a is None or b is None:
            status = "missing"
        else:
            status = "same" if a == b else "diff"
        if label == "first name" and status == "diff" and ref.get("first_name_canon") \
                and ref.get("first_name_canon") == src.get("first_name_canon"):
            status = "similar"  # nickname of the same name, e.g. bob / robert
        rows.append({"field": label, "status": status,
                     "ref_raw": ref.get(raw), "ref_canon": a,
                     "src_raw": src.get(raw), "src_canon": b})
    return rows
