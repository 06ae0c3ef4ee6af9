"""Two of first name, middle name and date of birth at their lowest level tell relatives
apart (spinelink.evidence.names_apart): a twin the reference lacks (first name and middle
initial differ, same birthday, surname and address) and a namesake relative (a child named
after a sibling: middle initial differs, born years later) do not link to the person,
however much the household's fields add up; one person's records with one of the three
changed, or with first and middle names the other way round, still link. Households made
by hand, scored with a fixed model whose weights are those EM gave pseudopeople's WIC file."""
from __future__ import annotations

import json
import math

import pandas as pd
from conftest import run_cli

from spinelink.evidence import names_apart

CENSUS = """\
id,first,middle,last,dob,address
C1,Deborah,C,Hamilton,1964-04-08,17422 161st avenue
C2,Emma,J,Chang,2008-04-17,1307 calhoun st
C3,John,P,Okafor,1971-02-11,9 elm road
C4,James,R,Brown,1980-01-01,44 oak lane
C5,Mary,A,Jones,1990-05-05,3 mill street
C6,Paul,K,Green,1975-03-03,21 high street
C7,Rosa,M,Diaz,1988-08-18,5 bay road
C8,Ann,T,Kowal,1999-09-09,8 park drive
"""
# S1 is Deborah's twin brother (the census lacks him), S2 a baby named after her sister;
# S3-S6 are the census persons with one of the three fields changed (a typo in the first
# name, first and middle names the other way round, another middle initial, a first name
# given as another), S7 and S8 as they are
WIC = """\
id,first,middle,last,dob,address
S1,Stuart,J,Hamilton,1964-04-08,17422 161st avenue
S2,Emma,I,Chang,2021-04-20,1307 calhoun st
S3,Jon,P,Okafor,1971-02-11,9 elm road
S4,Robert,J,Brown,1980-01-01,44 oak lane
S5,Mary,B,Jones,1990-05-05,3 mill street
S6,Kevin,K,Green,1975-03-03,21 high street
S7,Rosa,M,Diaz,1988-08-18,5 bay road
S8,Ann,T,Kowal,1999-09-09,8 park drive
"""
JOB = """\
schema_version: 1
name: names_apart
output_dir: out
reference: census
reference_date: 2024-01-01
sources:
  census: {role: census, path: census.csv, id: id, date_format: "%Y-%m-%d",
           columns: {first_name: first, middle_name: middle, last_name: last,
                     date_of_birth: dob, address: address}}
  wic: {role: admin, path: wic.csv, id: id, date_format: "%Y-%m-%d",
        columns: {first_name: first, middle_name: middle, last_name: last,
                  date_of_birth: dob, address: address}}
quality: {enabled: false}
links:
  wic:
    deterministic: {match_keys: null}
    probabilistic: {model: model.json, accept: 0.5, review: 0.2}
"""


def _level(cond: str, m: float | None = None, u: float | None = None,
           null: bool = False) -> dict:
    lv = {"sql_condition": cond, "label_for_charts": cond}
    if null:
        lv["is_null_level"] = True
    else:
        lv.update(m_probability=m, u_probability=u)
    return lv


def _comparison(name: str, levels: list[tuple[str, float, float]], col: str = "") -> dict:
    col = col or name
    return {"output_column_name": name, "comparison_levels": [
        _level(f'"{col}_l" IS NULL OR "{col}_r" IS NULL', null=True),
        *[_level(c, m, u) for c, m, u in levels]]}


MODEL = {
    "link_type": "link_only", "unique_id_column_name": "record_id",
    "probability_two_random_records_match": 0.0001,
    "blocking_rules_to_generate_predictions": [
        {"blocking_rule": 'l."last_name" = r."last_name"', "sql_dialect": "duckdb"}],
    "comparisons": [
        _comparison("first_name", [
            ("first_name_l = first_name_r", 0.85, 0.0009),
            ("jaro_winkler_similarity(first_name_l, first_name_r) >= 0.8", 0.05, 0.003),
            ("ELSE", 0.095, 0.996)]),
        _comparison("middle_name", [
            ("middle_name_l = middle_name_r", 0.97, 0.073),
            ("ELSE", 0.028, 0.927)]),
        _comparison("last_name", [
            ("last_name_l = last_name_r", 0.9, 0.00084),
            ("ELSE", 0.1, 0.999)]),
        _comparison("date_of_birth", [
            ("dob_iso_l = dob_iso_r", 0.85, 0.00013),
            ("damerau_levenshtein(dob_iso_l, dob_iso_r) <= 1", 0.05, 0.0013),
            ("ELSE", 0.07, 0.998)], "dob_iso"),
        _comparison("address", [
            ("address_l = address_r", 0.8, 0.00014),
            ("ELSE", 0.2, 0.999)]),
    ],
    "sql_dialect": "duckdb",
}


def test_twins_and_namesake_relatives_do_not_link_one_person_changed_does(files):
    folder = files({"census.csv": CENSUS, "wic.csv": WIC, "job.yaml": JOB,
                    "model.json": json.dumps(MODEL)})
    r = run_cli("run", "job.yaml", cwd=folder)
    assert r.returncode == 0, r.stderr
    out = folder / "out"
    links = pd.read_parquet(out / "links" / "wic.parquet")
    review = pd.read_parquet(out / "review" / "wic.parquet")
    pairs = pd.read_parquet(out / "pairs" / "wic.parquet")
    linked = dict(zip(links["source_id"], links["reference_id"], strict=True))
    assert linked == {"S3": "C3", "S4": "C4", "S5": "C5", "S6": "C6", "S7": "C7",
                      "S8": "C8"}
    # the twin and the namesake are no candidates at all: not scored, not in review
    assert not {"S1", "S2"} & set(pairs["source_id"]) | set(review["source_id"])
    unlinked = pd.read_parquet(out / "unlinked" / "wic.parquet")
    assert {"S1", "S2"} <= set(unlinked["record_id"])


def test_names_apart_counts_the_fields_at_their_lowest_level():
    low = {c["output_column_name"]: math.log2(c["comparison_levels"][-1]["m_probability"]
                                              / c["comparison_levels"][-1]["u_probability"])
           for c in MODEL["comparisons"]}
    df = pd.DataFrame({
        "mw_first_name": [low["first_name"], 9.9, low["first_name"], 9.9, 0.0, 9.9],
        "mw_middle_name": [low["middle_name"], low["middle_name"], 3.7,
                           low["middle_name"], low["middle_name"], 0.0],
        "mw_date_of_birth": [12.7, low["date_of_birth"], 12.7, 12.7,
                             low["date_of_birth"], low["date_of_birth"]],
        "mw_last_name": [10.1] * 6,
    })
    apart, by_first = names_apart(df, MODEL)
    # twin; namesake; one field changed; one changed; first name missing but middle and
    # date both differ; middle missing and date differs: one of the three only
    assert apart.tolist() == [True, True, False, False, True, False]
    assert by_first.tolist() == [True, False, False, False, False, False]
    # an identifier that agrees keeps the pair whatever the names say
    with_id = {**MODEL, "comparisons": [*MODEL["comparisons"], _comparison(
        "id_nino", [("id_nino_l = id_nino_r", 0.9, 1e-6), ("ELSE", 0.1, 1.0)])]}
    assert not names_apart(df.assign(mw_id_nino=19.8), with_id)[0].any()
    assert names_apart(df.assign(mw_id_nino=0.0), with_id)[0].tolist() == apart.tolist()
