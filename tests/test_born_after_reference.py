"""A source record born after the reference date (census day) is not linked automatically
to an undated reference record: its person was not yet born when the census was taken
(spinelink.stages.link.born_after). A baby of a register born after census day, with the
name, surname and address of an undated sibling in the census, linked to the sibling
(nothing told them apart); now it is unlinked with the reason `born after the reference
date`. A record whose date runs after census day against a dated census record (a
mistyped year) is compared as before; a lone mistyped future year (set to missing at
intake) and the records of a source without dates of birth still link; an identifier that
links a baby to an undated record is held for review."""
from __future__ import annotations

import json

import pandas as pd
from conftest import run_cli
from test_names_apart import MODEL

# C1 is Emma Chang, whose date of birth the census lacks; S1 her baby sister, born after
# census day (2020-04-01), named after her. S2 is C2 with a mistyped year (2091, in the
# future: set to missing at intake); S3 is C3. S4, born after census day, shares the
# identifier of C4, undated (a number given to the wrong person, or a mistyped date). S5 is
# C5 with a mistyped year after census day: C5's own date disagrees, which the model weighs.
CENSUS = """\
id,first,middle,last,dob,address,nino
C1,Emma,J,Chang,,1307 calhoun st,
C2,John,P,Okafor,1971-02-11,9 elm road,
C3,Mary,A,Jones,1990-05-05,3 mill street,
C4,Paul,K,Green,,21 high street,AB123456C
C5,Rosa,M,Diaz,1988-08-18,5 bay road,
"""
REGISTER = """\
id,first,middle,last,dob,address,nino
S1,Emma,J,Chang,2021-04-20,1307 calhoun st,
S2,John,P,Okafor,2091-02-11,9 elm road,
S3,Mary,A,Jones,1990-05-05,3 mill street,
S4,Paula,K,Green,2020-11-03,21 high street,AB123456C
S5,Rosa,M,Diaz,2021-08-18,5 bay road,
"""
JOB = """\
schema_version: 1
name: born_after
output_dir: out
reference: census
reference_date: 2020-04-01
sources:
  census: {role: census, path: census.csv, id: id, date_format: "%Y-%m-%d",
           identifiers: {nino: nino},
           columns: {first_name: first, middle_name: middle, last_name: last,
                     date_of_birth: dob, address: address}}
  wic: {role: admin, path: wic.csv, id: id, date_format: "%Y-%m-%d",
        identifiers: {nino: nino},
        columns: {first_name: first, middle_name: middle, last_name: last,
                  DOB, address: address}}
quality: {enabled: false}
links:
  wic:
    one_to_one: true
    deterministic: {direct: [nino], match_keys: null}
    probabilistic: {model: model.json, accept: 0.5, review: 0.2}
"""


def _run(files, job: str, register: str = REGISTER):
    folder = files({"census.csv": CENSUS, "wic.csv": register, "job.yaml": job,
                    "model.json": json.dumps(MODEL)})
    r = run_cli("run", "job.yaml", cwd=folder)
    assert r.returncode == 0, r.stderr
    return folder / "out"


def test_a_baby_born_after_census_day_does_not_link_to_its_undated_sibling(files):
    out = _run(files, JOB.replace("DOB", "date_of_birth: dob"))
    links = pd.read_parquet(out / "links" / "wic.parquet")
    assert dict(zip(links["source_id"], links["reference_id"], strict=True)) == {
        "S2": "C2", "S3": "C3", "S5": "C5"}
    unlinked = pd.read_parquet(out / "unlinked" / "wic.parquet").set_index("record_id")
    assert unlinked.loc["S1", "reason"] == "born after the reference date"
    # the identifier says one person, the date of birth not yet born: a clerk decides
    review = pd.read_parquet(out / "review" / "wic.parquet")
    assert review[["reference_id", "source_id", "method"]].values.tolist() == [
        ["C4", "S4", "direct:nino"]]
    manifest = json.loads((out / "run_manifest.json").read_text())
    assert manifest["links"]["wic"]["born_after_reference"] == {
        "records": 3, "linked": 1, "review": 1, "unlinked": 1,
        "reference_date": "2020-04-01"}
    assert manifest["accounting"]["wic"]["unlinked"] == 1


def test_a_source_without_dates_of_birth_links_as_before(files):
    no_dob = "\n".join(",".join(v for i, v in enumerate(line.split(",")) if i != 4)
                       for line in REGISTER.splitlines()) + "\n"
    out = _run(files, JOB.replace("DOB, ", "").replace("dob,address", "address"), no_dob)
    links = pd.read_parquet(out / "links" / "wic.parquet")
    linked = dict(zip(links["source_id"], links["reference_id"], strict=True))
    assert linked["S1"] == "C1" and linked["S4"] == "C4"
    assert "born_after_reference" not in json.loads(
        (out / "run_manifest.json").read_text())["links"]["wic"]


def test_born_apart_pairs_of_a_source_without_candidates_keep_their_types():
    """Every record linked deterministically leaves no candidate pairs: the born-apart
    pairs are then the candidates, with float weights, and pandas does not warn (a
    FutureWarning on every such run's console: an empty frame's object columns would
    decide the dtypes)."""
    import warnings

    import pyarrow as pa

    from spinelink.quality.born_after import with_born_apart

    # the candidates as read back from an empty pairs file (object columns)
    empty = pa.table({"reference_id": pa.array([], pa.string()),
                      "source_id": pa.array([], pa.string()),
                      "match_weight": pa.array([], pa.null()),
                      "match_probability": pa.array([], pa.float64())}).to_pandas()
    apart = pd.DataFrame({"reference_id": ["R1", "R2"], "source_id": ["S1", "S2"],
                          "match_weight": [3.0, -1.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = with_born_apart(empty, apart, lr=0.5, pi=0.5)
    assert list(got.columns) == ["reference_id", "source_id", "match_weight",
                                 "match_probability"]
    assert got["match_weight"].dtype == float and got["match_weight"].tolist() == [2.0, -2.0]
    assert got["match_probability"].between(0, 1).all() and len(got) == 2
