"""Names that stand for no name are missing, not disagreements; household relatives are
not candidate pairs (the personal-evidence rule)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from test_standardise import run

from spinelink.backends import open_engine
from spinelink.errors import JobError
from spinelink.probabilistic import personal_evidence
from spinelink.standardise import read_placeholders


@pytest.fixture(scope="module")
def engine():
    e = open_engine("duckdb")
    yield e
    e.close()


def test_placeholder_names_are_missing_and_raw_values_stay(engine, tmp_path):
    rows = [{"fn": "Baby Boy", "sn": "Okafor"}, {"fn": "UNKNOWN", "sn": "Resident"},
            {"fn": "Ann", "sn": "Infant"}, {"fn": "Resident", "sn": "Smith"}]
    out = run(engine, tmp_path, rows, {"first_name": "fn", "last_name": "sn"})
    r = [out[f"r{i:03d}"] for i in range(4)]
    assert r[0]["first_name"] is None and r[0]["first_name_mp"] is None
    assert r[0]["raw_first_name"] == "Baby Boy" and r[0]["last_name"] == "okafor"
    assert r[1]["first_name"] is None and r[1]["last_name"] is None  # any / last lists
    # a word that is a placeholder for one field only stays in the other
    assert r[2]["last_name"] == "infant" and r[3]["first_name"] is None
    assert r[3]["last_name"] == "smith"


def test_a_bad_placeholder_row_names_the_file_and_line(tmp_path):
    p = tmp_path / "placeholders.csv"
    p.write_text("# comment\nfield,value\nany,unknown\nsurname,baby\n", encoding="utf-8")
    with pytest.raises(JobError, match=r"placeholders.csv: line 4"):
        read_placeholders(p)


def _model(levels: dict[str, tuple[float, float]]) -> dict:
    """A model whose comparisons' last (else) level has the given m and u."""
    return {"comparisons": [
        {"output_column_name": name, "comparison_levels": [
            {"is_null_level": True}, {"m_probability": 0.9, "u_probability": 0.01},
            {"m_probability": m, "u_probability": u}]}
        for name, (m, u) in levels.items()]}


def test_personal_evidence_drops_relatives_keeps_the_same_person():
    model = _model({"first_name": (0.2, 0.9), "date_of_birth": (0.3, 0.95),
                    "last_name": (0.1, 0.99)})
    low_fn, low_dob = math.log2(0.2 / 0.9), math.log2(0.3 / 0.95)
    df = pd.DataFrame({
        # relative: surname and address agree, first name and date of birth do not
        "mw_first_name": [low_fn, 6.5, low_fn, 0.0, 0.0],
        "mw_date_of_birth": [low_dob, low_dob, 5.2, low_dob, 0.0],
        "mw_last_name": [9.0, 9.0, 9.0, 9.0, 9.0],
    })
    kept = personal_evidence(df, model)
    # relative dropped; first name or date agreeing kept; first name missing but the date
    # disagreeing dropped; both missing kept (nothing personal to go on)
    assert kept.tolist() == [False, True, True, False, True]
    # a model without personal comparisons keeps everything
    assert personal_evidence(df, _model({"last_name": (0.1, 0.99)})).all()
    assert isinstance(kept, np.ndarray)


def test_a_different_middle_initial_tells_relatives_apart_when_nothing_else_can():
    model = _model({"first_name": (0.2, 0.9), "date_of_birth": (0.3, 0.95),
                    "middle_name": (0.01, 0.9), "last_name": (0.1, 0.99)})
    low_fn, low_mid = math.log2(0.2 / 0.9), math.log2(0.01 / 0.9)
    df = pd.DataFrame({
        # no first name and no date of birth to compare: the middle initial decides
        "mw_first_name": [0.0, 0.0, 0.0, low_fn, 6.5],
        "mw_date_of_birth": [0.0, 0.0, 0.0, 0.0, 0.0],
        "mw_middle_name": [low_mid, 3.6, 0.0, 3.6, low_mid],
        "mw_last_name": [9.0] * 5,
    })
    # middle initials differ: relatives; agree or missing: kept as before; a middle
    # initial that agrees is not evidence enough against a first name that disagrees;
    # a first name that agrees outweighs a middle initial that does not
    assert personal_evidence(df, model).tolist() == [False, True, True, False, True]


def test_role_words_and_truncated_roles_are_missing_real_names_stay(engine, tmp_path):
    """Household roles cut by a field's width ("Lady Of The", "Man In The") and role words
    ("Respondent", "Hijo") are no names; names that are also such words stay (Nina,
    Parent)."""
    rows = [{"fn": "Lady Of The", "sn": "Respondent"}, {"fn": "Hijo", "sn": "De La Casa"},
            {"fn": "Nina", "sn": "Parent"}, {"fn": "Man In The", "sn": "Owner"}]
    out = run(engine, tmp_path, rows, {"first_name": "fn", "last_name": "sn"})
    r = [out[f"r{i:03d}"] for i in range(4)]
    assert r[0]["first_name"] is None and r[0]["last_name"] is None
    assert r[1]["first_name"] is None and r[1]["last_name"] is None
    assert r[2]["first_name"] == "nina" and r[2]["last_name"] == "parent"
    assert r[3]["first_name"] is None and r[3]["last_name"] is None
