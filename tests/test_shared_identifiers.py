"""A source that holds several records of one person (W-2 forms, one per job) with an
identifier the reference lacks: a record whose first name is noised beyond the model's
levels has no personal evidence without a date of birth, and joins the unit its
identifier's other records are linked to (spinelink.shared_identifiers); an identifier
copied to a household member (another middle initial) does not. Scored with the fixed
model of tests/test_names_apart.py."""
from __future__ import annotations

import json

import pandas as pd
from conftest import run_cli
from test_names_apart import MODEL, job

CENSUS = """\
id,first,middle,last,dob,address
C1,Robert,K,Hillary,1970-03-02,12 oak lane
C2,Anna,K,Hillary,1972-05-09,12 oak lane
C3,Lisa,J,Stonebridge,1980-01-01,4 elm road
"""
# W2: Robert's second job, his first name a placeholder; W3: his SSN on his son's form;
# W5: a noised first name whose SSN no linked record holds
W2S = """\
id,first,middle,last,dob,address,ssn
W1,Robert,K,Hillary,,12 oak lane,111-22-3333
W2,Qzx,K,Hillary,,12 oak lane,111-22-3333
W3,Mark,T,Hillary,,12 oak lane,111-22-3333
W4,Lisa,J,Stonebridge,,4 elm road,222-33-4444
W5,Zzy,J,Stonebridge,,4 elm road,999-88-7777
"""


def _run(files, one_to_one: bool = False, census_ssn: bool = False
         ) -> tuple[dict, set, dict]:
    extra = ", identifiers: {ssn: ssn}"
    text = job("w2", source_extra=extra)
    census = CENSUS
    if one_to_one:
        text = text.replace("  w2:\n", "  w2:\n    one_to_one: true\n")
    if census_ssn:  # the reference declares the identifier too (no values here)
        text = text.replace("dob, address: address}}\n  w2:",
                            "dob, address: address}, identifiers: {ssn: ssn}}\n  w2:")
        census = census.replace("address\n", "address,ssn\n").replace("lane\n", "lane,\n") \
            .replace("road\n", "road,\n")
    folder = files({"census.csv": census, "w2.csv": W2S, "job.yaml": text,
                    "model.json": json.dumps(MODEL)})
    r = run_cli("run", "job.yaml", cwd=folder)
    assert r.returncode == 0, r.stderr
    out = folder / "out"
    links = pd.read_parquet(out / "links" / "w2.parquet")
    review = pd.read_parquet(out / "review" / "w2.parquet")
    manifest = json.loads((out / "run_manifest.json").read_text())
    return (dict(zip(links["source_id"], zip(links["reference_id"], links["method"],
                                             strict=True), strict=True)),
            set(review["source_id"]), manifest)


def test_a_record_joins_the_unit_of_its_identifiers_linked_records(files):
    linked, review, manifest = _run(files)
    assert linked["W1"] == ("C1", "probabilistic")
    assert linked["W4"] == ("C3", "probabilistic")
    # the same person's second form, its first name a placeholder
    assert linked["W2"] == ("C1", "shared:ssn")
    assert "W2" not in review
    # the SSN copied to a household member of another middle initial; an SSN no linked
    # record holds
    assert "W3" not in linked and "W5" not in linked
    acc = manifest["accounting"]["w2"]
    assert acc["linked"] == 3 and acc["accepted"] == 5


def test_a_one_to_one_source_holds_one_record_per_person(files):
    linked, _, _ = _run(files, one_to_one=True)
    assert linked["W1"] == ("C1", "probabilistic")
    assert "W2" not in linked


def test_an_identifier_the_reference_holds_too_is_not_shared(files):
    # both sides declare it: it links directly, under the cascade's guard, or not at all
    linked, _, _ = _run(files, census_ssn=True)
    assert linked["W1"] == ("C1", "probabilistic")
    assert "W2" not in linked
