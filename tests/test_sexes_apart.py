"""First name, sex and surname all disagreeing tell two persons apart
(spinelink.evidence.sexes_apart): a twin sister the register lacks, whose surname is
written for her sex (Halytska beside her brother's Halytskyi), shares his date of birth,
middle name and address and does not link to him; one person's records with first name
and sex changed but the surname kept still link. Households made by hand, scored with the
fixed model of tests/test_names_apart.py plus a sex comparison and a surname level alike
in spelling (Jaro-Winkler 0.9), on which the sister would outweigh her differences."""
from __future__ import annotations

import json
import math

import pandas as pd
from conftest import run_outputs
from test_names_apart import MODEL, _comparison

from spinelink.evidence import sexes_apart

SEXED_MODEL = {
    **MODEL,
    "blocking_rules_to_generate_predictions": [
        {"blocking_rule": 'l."address" = r."address"', "sql_dialect": "duckdb"}],
    "comparisons": [
        *[c for c in MODEL["comparisons"] if c["output_column_name"] != "last_name"],
        _comparison("last_name", [
            ("last_name_l = last_name_r", 0.9, 0.00084),
            ("jaro_winkler_similarity(last_name_l, last_name_r) >= 0.9", 0.05, 0.002),
            ("ELSE", 0.05, 0.997)]),
        _comparison("sex", [("sex_l = sex_r", 0.98, 0.5), ("ELSE", 0.02, 0.5)]),
    ],
}

REGISTER = """\
id,first,middle,last,dob,sex,address
R1,Viktor,Y,Halytskyi,1975-05-27,M,vul shevchenka 146 kv 43
R2,Ivan,P,Moroz,1971-02-11,M,vul myru 120
R3,Olha,M,Koval,1988-08-18,F,vul lisova 74
R4,Petro,S,Bondar,1960-03-03,M,vul soborna 118
"""
# A1 is Viktor's twin sister (the register lacks her); A2 is Ivan with a first name and
# sex recorded wrongly (the surname kept); A3 and A4 are Olha and Petro as they are
ADMIN = """\
id,first,middle,last,dob,sex,address
A1,Anna,Y,Halytska,1975-05-27,F,vul shevchenka 146 kv 43
A2,Nadiia,P,Moroz,1971-02-11,F,vul myru 120
A3,Olha,M,Koval,1988-08-18,F,vul lisova 74
A4,Petro,S,Bondar,1960-03-03,M,vul soborna 118
"""
JOB = """\
schema_version: 1
name: sexes_apart
output_dir: out
reference: register
reference_date: 2024-01-01
sources:
  register: {role: census, path: register.csv, id: id, date_format: "%Y-%m-%d",
             columns: {first_name: first, middle_name: middle, last_name: last,
                       date_of_birth: dob, sex: sex, address: address}}
  admin: {role: admin, path: admin.csv, id: id, date_format: "%Y-%m-%d",
          columns: {first_name: first, middle_name: middle, last_name: last,
                    date_of_birth: dob, sex: sex, address: address}}
quality: {enabled: false}
links:
  admin:
    deterministic: {match_keys: null}
    probabilistic: {model: model.json, accept: 0.5, review: 0.2}
"""


def test_a_twin_sister_with_her_own_surname_form_does_not_link_to_her_brother(files):
    folder = files({"register.csv": REGISTER, "admin.csv": ADMIN, "job.yaml": JOB,
                    "model.json": json.dumps(SEXED_MODEL)})
    links, review, pairs = run_outputs(folder, "admin", "links", "review", "pairs")
    assert dict(zip(links["source_id"], links["reference_id"], strict=True)) == {
        "A2": "R2", "A3": "R3", "A4": "R4"}
    # the sister is no candidate at all: not scored, not in review
    assert "A1" not in set(pairs["source_id"]) | set(review["source_id"])


def _weight(name: str, i: int) -> float:
    comp = next(c for c in SEXED_MODEL["comparisons"] if c["output_column_name"] == name)
    lv = comp["comparison_levels"][i]
    return math.log2(lv["m_probability"] / lv["u_probability"])


def test_sexes_apart_needs_first_name_and_sex_at_their_lowest_level():
    fn_low, fn_same = _weight("first_name", 3), _weight("first_name", 1)
    sex_low, sex_same = _weight("sex", 2), _weight("sex", 1)
    df = pd.DataFrame({
        "mw_first_name": [fn_low, fn_low, fn_same, 0.0],
        "mw_sex": [sex_low, sex_same, sex_low, sex_low],
        "mw_middle_name": [3.7] * 4,
        "mw_date_of_birth": [12.7] * 4,
        "mw_last_name": [4.6] * 4,
    })
    # both low; sex agrees; first name agrees; first name missing
    assert sexes_apart(df, SEXED_MODEL).tolist() == [True, False, False, False]
    # an identifier that agrees keeps the pair
    with_id = {**SEXED_MODEL, "comparisons": [*SEXED_MODEL["comparisons"], _comparison(
        "id_nino", [("id_nino_l = id_nino_r", 0.9, 1e-6), ("ELSE", 0.1, 1.0)])]}
    assert not sexes_apart(df.assign(mw_id_nino=19.8), with_id).any()
    # a model without a sex comparison: nothing to tell
    assert not sexes_apart(df.drop(columns="mw_sex"), MODEL).any()
