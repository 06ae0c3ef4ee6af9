"""Records a source declares to be different persons (`persons_apart`: the filer, spouse
and dependants of one tax return), read together (spinelink.persons_apart): a return's
child whom the census lacks has only the surname and address to go on and would take
the father's census record, which the father's own record (first name agreeing) holds.
Scored with the fixed model of tests/test_names_apart.py."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import run_cli
from test_names_apart import MODEL, job

from spinelink import persons_apart


def _run(files, census: str, returns: str, extra: str = "") -> pd.DataFrame:
    folder = files({"census.csv": census, "returns.csv": returns,
                    "job.yaml": job("returns", source_extra=extra),
                    "model.json": json.dumps(MODEL)})
    r = run_cli("run", "job.yaml", cwd=folder)
    assert r.returncode == 0, r.stderr
    return pd.read_parquet(folder / "out" / "pairs" / "returns.parquet")


def _p(pairs: pd.DataFrame, src: str, ref: str) -> float:
    row = pairs[(pairs["source_id"] == src) & (pairs["reference_id"] == ref)]
    assert len(row) == 1
    return float(row["match_probability"].iloc[0])


RETURN = """\
id,return_id,first,middle,last,dob,address
R1/primary,R1,Paul,M,Johnson,,5230 timrod trl
R1/dependent,R1,,,Johnson,,5230 timrod trl
R2/primary,R2,Deborah,C,Hamilton,,17422 161st avenue
"""
CENSUS = """\
id,first,middle,last,dob,address
C1,Paul,M,Johnson,1953-12-11,5230 timrod trl
C2,Deborah,C,Hamilton,1964-04-08,17422 161st avenue
"""


def test_the_persons_of_one_return_are_different_persons(files):
    # the census lacks Paul's child: by surname and address alone it takes Paul's record
    pairs = _run(files, CENSUS, RETURN)
    assert _p(pairs, "R1/dependent", "C1") > 0.99
    pairs = _run(files, CENSUS, RETURN, ", persons_apart: return_id")
    assert _p(pairs, "R1/dependent", "C1") < 0.01
    assert _p(pairs, "R1/primary", "C1") > 0.99
    assert _p(pairs, "R2/primary", "C2") > 0.99


def test_persons_apart_reads_the_shared_candidates_together():
    pairs = pd.DataFrame({
        "source_id": ["a", "b", "b", "c"], "reference_id": ["P", "P", "Q", "P"],
        "person_ref": ["P", "P", "Q", "P"], "match_probability": [0.9999, 0.7, 0.2, 0.9]})
    units = pd.Series({"a": "u1", "b": "u1", "c": "u2"})
    out, shared = persons_apart.adjust(pairs, units)
    p = out["match_probability"].tolist()
    z = (1 - 0.9999) * (1 - 0.7) + 0.9999 * 0.3 + 0.7 * (1 - 0.9999)
    assert shared == 1
    assert p[0] == pytest.approx(0.9999 * 0.3 / z)
    assert p[1] == pytest.approx(0.7 * (1 - 0.9999) / z)
    # b is not P with probability 1 - p[1]; Q keeps its share of that
    assert p[2] == pytest.approx(0.2 * (1 - p[1]) / (1 - 0.7))
    assert p[3] == 0.9  # c is of another unit
