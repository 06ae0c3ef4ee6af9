"""Session 28 (helper hD): which input values of the external benchmark's pairs the intake
and standardisation fixes of that session can change. Prepares every pair
(benchmarks/external_data.py, default and raised noise) and counts, per source, the
distinct names that start with a title of linkage_models/name_titles.csv followed by
another word, sex values ending in a full stop, non-empty postcodes without a digit and
identifiers written as whole floats (1234567.0). Zero everywhere means the standardised
tables, and so every output, are those of the code before.

    PYTHONPATH=src .venv/bin/python benchmarks/tried/s28_hD_input_scan.py WORKDIR
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import external_data as ed  # noqa: E402

from spinelink.backends import open_engine  # noqa: E402
from spinelink.standardise import _titles_pattern, install_macros, read_titles  # noqa: E402

NAMES = ("first_name", "middle_name", "last_name")


def _read(path: Path, s: dict) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=str, sep=s.get("delimiter", ","),
                       encoding=s.get("encoding", "utf-8"))


def _values(df: pd.DataFrame, col: str | None) -> set[str]:
    return set(df[col].dropna().astype(str).str.strip()) if col in df else set()


def main(work: Path) -> None:
    engine = open_engine()
    install_macros(engine)
    titled = f"regexp_matches(sl_clean_text(v), {_titles_pattern(read_titles())} || '[^ ]')"
    seen: set[str] = set()
    for noise in ("default", "raised"):
        for name, prep in ed.catalogue(noise):
            if name in seen:
                continue
            seen.add(name)
            job_path = Path(prep(work, 42, "best").bench.job)
            job = yaml.safe_load(job_path.read_text())
            out = []
            for sname, s in job["sources"].items():
                df = _read(job_path.parent / s["path"], s)
                cols = s["columns"]
                names = sorted({v for f in NAMES if cols.get(f) in df
                                for v in df[cols[f]].dropna().astype(str)})
                engine.register("__v", pa.table({"v": pa.array(names, pa.string())}))
                n_titled = engine.scalar(f"SELECT count(*) FROM __v WHERE {titled}")
                sex = _values(df, cols.get("sex"))
                pcs = _values(df, cols.get("postcode"))
                ids = set().union(*[_values(df, c)
                                    for c in (s.get("identifiers") or {}).values()])
                out.append(
                    f"{sname}: titled names {n_titled}/{len(names)}, sex ending '.' "
                    f"{sum(v.endswith('.') for v in sex)}/{len(sex)}, postcodes without a "
                    f"digit {sum(not any(c.isdigit() for c in v) and any(c.isalnum() for c in v) for v in pcs)}"  # noqa: E501
                    f"/{len(pcs)}, ids as floats "
                    f"{sum(bool(pd.Series([v]).str.fullmatch(r'[0-9]+[.]0+')[0]) for v in ids)}"
                    f"/{len(ids)}")
            print(name, noise, "; ".join(out), flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
