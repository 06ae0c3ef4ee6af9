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
# W5: a noised first name whose SSN no linked record holds; W6: his SSN on the form of a
# household member of his middle initial, another real first name
W2S = """\
id,first,middle,last,dob,address,ssn
W1,Robert,K,Hillary,,12 oak lane,111-22-3333
W2,Qzx,K,Hillary,,12 oak lane,111-22-3333
W3,Mark,T,Hillary,,12 oak lane,111-22-3333
W4,Lisa,J,Stonebridge,,4 elm road,222-33-4444
W5,Zzy,J,Stonebridge,,4 elm road,999-88-7777
W6,William,K,Hillary,,12 oak lane,111-22-3333
W7,R,,Hillary,,12 oak lane,111-22-3333
W8,Marc,,Hillary,,12 oak lane,111-22-3333
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
    # a real first name (the nickname lists know it) that is no form of Robert's
    assert "W6" not in linked
    # no middle initial (a dependant's row on another return): a form of the unit's first
    # name joins; another first name (his SSN on his son's row) does not
    assert linked["W7"] == ("C1", "shared:ssn")
    assert "W8" not in linked
    acc = manifest["accounting"]["w2"]
    assert acc["linked"] == 4 and acc["accepted"] == 8


# A 1040-like source (no middle initials on dependants' rows) against a census household.
# Truth: T1-T4 are C1-C3's persons, T4 Elizabeth's row on her mother's return under a
# nickname the model has no level for; T5 a person (the census lacks him) on whose row
# Elizabeth's SSN was copied; T6 and T7 the daughter of C5 (Margaret, born 1950), named
# after her, born 1985, living elsewhere and not in the census: T6 is linked to her mother
# wrongly, below the target precision, and T7 is her second row under a nickname
CENSUS_1040 = """\
id,first,middle,last,dob,address
C1,Daniel,J,Smith,1980-02-03,5 pine road
C2,Susan,M,Smith,1982-06-07,5 pine road
C3,Elizabeth,A,Smith,2012-09-10,5 pine road
C4,Noah,B,Smith,2015-01-01,5 pine road
C5,Margaret,J,Jones,1950-01-01,1 oak street
"""
TAX_1040 = """\
id,first,middle,last,dob,address,ssn
T1,Daniel,J,Smith,,5 pine road,100-00-0001
T2,Elizabeth,,Smith,{dob},5 pine road,100-00-0003
T3,Susan,M,Smith,,5 pine road,100-00-0002
T4,Beth,,Smith,,5 pine road,100-00-0003
T5,Oliver,,Smith,,5 pine road,100-00-0003
T6,Margaretta,,Jones,1985-03-03,2 elm road,100-00-0006
T7,Peggy,,Jones,,2 elm road,100-00-0006
"""
TRUTH_1040 = {"T1": "C1", "T2": "C3", "T3": "C2", "T4": "C3"}
# (one household's surname is most of these tiny files: the default keys take it for a
# placeholder)
KEYS = """\
schema_version: 1
name: first_name_dob
keys:
  - name: first_name_dob
    fields: [first_name_canon, dob_iso]
"""


def _run_1040(files, deterministic: bool = False) -> dict:
    text = job("tax", source_extra=", identifiers: {ssn: ssn}")
    tax = TAX_1040.format(dob="")
    if deterministic:  # the cascade only: Elizabeth's dated row links on her key
        text = text.replace("deterministic: {match_keys: null}\n    probabilistic: {model: "
                            "model.json, accept: 0.5, review: 0.2}",
                            "deterministic: {match_keys: keys.yaml}\n    probabilistic: null")
        tax = TAX_1040.format(dob="2012-09-10")
    folder = files({"census.csv": CENSUS_1040, "tax.csv": tax, "job.yaml": text,
                    "model.json": json.dumps(MODEL), "keys.yaml": KEYS})
    r = run_cli("run", "job.yaml", cwd=folder)
    assert r.returncode == 0, r.stderr
    links = pd.read_parquet(folder / "out" / "links" / "tax.parquet")
    return dict(zip(links["source_id"], zip(links["reference_id"], links["method"],
                                            strict=True), strict=True))


def test_a_dependants_second_return_row_joins_its_linked_row_without_a_middle_initial(files):
    linked = _run_1040(files)
    # the dependant's row on the other return: the census record her first row holds
    assert linked["T4"] == ("C3", "shared:ssn")
    assert {s: r for s, (r, _) in linked.items() if s in TRUTH_1040} == TRUTH_1040
    # another first name on the copied SSN is another person
    assert "T5" not in linked
    # the unit's link is below the run's target precision (0.995): a row with nothing of
    # its own to tell it apart does not inherit it (T6's link to C5 is the daughter's)
    assert linked["T6"][0] == "C5" and "T7" not in linked


def test_a_deterministic_only_link_shares_its_identifier_too(files):
    # no probabilistic stage (no target precision): the cascade's links count as certain
    linked = _run_1040(files, deterministic=True)
    assert linked["T2"][0] == "C3" and linked["T2"][1] != "probabilistic"
    assert linked["T4"] == ("C3", "shared:ssn")
    assert "T5" not in linked

def test_a_one_to_one_source_holds_one_record_per_person(files):
    linked, _, _ = _run(files, one_to_one=True)
    assert linked["W1"] == ("C1", "probabilistic")
    assert "W2" not in linked


def test_an_identifier_the_reference_holds_too_is_not_shared(files):
    # both sides declare it: it links directly, under the cascade's guard, or not at all
    linked, _, _ = _run(files, census_ssn=True)
    assert linked["W1"] == ("C1", "probabilistic")
    assert "W2" not in linked


def _inputs(links: pd.DataFrame, pairs: pd.DataFrame):
    from spinelink.quality.per_source import Inputs

    return Inputs("w2", links, pairs, 4, None, None, False, pd.DataFrame(), None, 1, 0)


def test_the_quality_stage_counts_a_shared_link_found_and_its_match_unseen():
    """A record linked through a shared identifier leaves the residual; its match was
    never compared (the never-compared estimate counts it among the unseen, so the stage
    takes it off there) when no rule scored the linked pair: the record had no scored
    pair (W3), or pairs with other reference records only (W2). W4's linked pair was
    scored: a caught match, not unseen."""
    from spinelink.quality.found_shared import without_shared

    links = pd.DataFrame({"reference_id": ["C1", "C1", "C2", "C3"],
                          "source_id": ["W1", "W2", "W3", "W4"],
                          "method": ["probabilistic", "shared:ssn", "shared:ssn",
                                     "shared:ssn"]})
    pairs = pd.DataFrame({"reference_id": ["C1", "C9", "C3", "C3"],
                          "source_id": ["W1", "W2", "W4", "W5"],
                          "match_weight": [9.0, 1.0, 2.0, 3.0]})
    inp, n, unseen = without_shared(_inputs(links, pairs))
    assert n == 3 and unseen == {"W2", "W3"}
    assert inp.pairs["source_id"].tolist() == ["W1", "W5"]


def test_a_shared_link_is_not_read_as_another_person_on_its_unit():
    """The shared units' score leaves identifiers out (a copied one brings two persons to
    one unit); a link made through the identifier its unit's records share is right in
    both readings, the other links' chances as they were."""
    import numpy as np

    from spinelink.quality.found_shared import by_identifier
    from spinelink.quality.shared import Shared

    links = pd.DataFrame({"reference_id": ["C1", "C1", "C2", "C2"],
                          "source_id": ["W1", "W2", "W3", "W4"],
                          "method": ["probabilistic", "shared:ssn", "probabilistic",
                                     "probabilistic"]})
    sh = Shared(np.array([1.0, 0.2, 0.7, 0.6]), 2, 4, -20.0, 1.5,
                np.array([1.0, 0.5, 0.8, 0.9]), 0.8)
    got = by_identifier(sh, links)
    assert got.survive.tolist() == [1.0, 1.0, 0.7, 0.6]
    assert got.survive_three.tolist() == [1.0, 1.0, 0.8, 0.9]
    assert abs(got.expected_false - 0.7) < 1e-9 and abs(got.expected_false_three - 0.3) < 1e-9
