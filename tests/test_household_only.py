"""`household_only: review` (spinelink.evidence.household_only): a link on which no
personal field agrees (first name missing or different, no date of birth, middle name
missing) rests on what a household shares, surname and address; a relative of a person
the reference lacks scores as high as the person there. Such links go to a clerk, never
linked automatically; links with a personal field agreeing are unchanged. Households made
by hand, scored with the fixed model of tests/test_names_apart.py (weights EM gave
pseudopeople's WIC file)."""
from __future__ import annotations

import json
import math

import pandas as pd
from conftest import run_cli
from test_names_apart import CENSUS_NO_DOB as CENSUS  # the same four census persons
from test_names_apart import MODEL, job

from spinelink.evidence import household_only

# tax returns: no date of birth. S1 has no first name and no middle initial (surname and
# address only), S2 no first name and the middle initial agreeing, S3 and S4 a first name
# agreeing (S4 with another middle initial)
RETURNS = """\
id,first,middle,last,dob,address
S1,,,Johnson,,5230 timrod trl
S2,,H,Adduci,,108 se clinton st
S3,Deborah,,Hamilton,,17422 161st avenue
S4,Ryan,E,Buckhorn,,147 w 45th st
"""


def _run(files, extra: str) -> tuple[dict, set]:
    folder = files({"census.csv": CENSUS, "returns.csv": RETURNS,
                    "job.yaml": job("returns", probabilistic_extra=extra),
                    "model.json": json.dumps(MODEL)})
    r = run_cli("run", "job.yaml", cwd=folder)
    assert r.returncode == 0, r.stderr
    links = pd.read_parquet(folder / "out" / "links" / "returns.parquet")
    review = pd.read_parquet(folder / "out" / "review" / "returns.parquet")
    return (dict(zip(links["source_id"], links["reference_id"], strict=True)),
            set(review["source_id"]))


def test_a_link_on_surname_and_address_alone_goes_to_review(files):
    linked, review = _run(files, "")
    # by default accepted by its probability: surname and address add up to ~20 bits
    assert linked == {"S1": "C1", "S2": "C2", "S3": "C3", "S4": "C4"}
    linked, review = _run(files, ", household_only: review")
    assert linked == {"S2": "C2", "S3": "C3", "S4": "C4"}
    assert review == {"S1"}


def test_household_only_needs_every_personal_field_missing_or_apart():
    comp = {c["output_column_name"]: c for c in MODEL["comparisons"]}

    def weight(name: str, i: int) -> float:
        lv = comp[name]["comparison_levels"][i]
        return math.log2(lv["m_probability"] / lv["u_probability"])

    fn_same, fn_jw, fn_low = (weight("first_name", i) for i in (1, 2, 3))
    mi_same, mi_low = weight("middle_name", 1), weight("middle_name", 2)
    dob_same = weight("date_of_birth", 1)
    df = pd.DataFrame({
        "mw_first_name": [0.0, fn_low, fn_jw, fn_same, 0.0, fn_low],
        "mw_middle_name": [0.0, 0.0, mi_low, 0.0, mi_same, mi_low],
        "mw_date_of_birth": [0.0, 0.0, 0.0, 0.0, 0.0, dob_same],
        "mw_last_name": [10.1] * 6,
    })
    # nothing; first name apart: household only. A first name alike in spelling; the same
    # first name; the middle initial; the date of birth: a personal field agrees
    assert household_only(df, MODEL).tolist() == [True, True, False, False, False, False]
    # an identifier that agrees is personal
    with_id = {**MODEL, "comparisons": [*MODEL["comparisons"], {
        "output_column_name": "id_nino", "comparison_levels": [
            {"sql_condition": "id_nino_l = id_nino_r", "m_probability": 0.9,
             "u_probability": 1e-6},
            {"sql_condition": "ELSE", "m_probability": 0.1, "u_probability": 1.0}]}]}
    assert household_only(df.assign(mw_id_nino=19.8), with_id).tolist() == [False] * 6
