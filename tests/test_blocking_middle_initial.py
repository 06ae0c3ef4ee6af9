"""A source record that keeps only its surname, middle initial and sex is compared with
its census record (issue 11, session 33): pseudopeople's social security at raised noise
had 293 true pairs no prediction rule compared, 52 of them agreeing on surname, sex and
middle initial alone (first name and date of birth lost on a side). Every rule needed a
first name or a date of birth; `model: auto` now also blocks on
`[last_name_mp, middle_name_initial, sex]` (capped at 30 reference records). Here the
first name and date of birth of social security records whose census record agrees on
surname, middle initial and sex are blanked, and the pairs are read back against
pseudopeople's `simulant_id`: on main none of them was scored.
"""
from __future__ import annotations

import pandas as pd
import pytest
from conftest import PSP_CENSUS, psp_census, psp_ss_creations, run_cli

pytestmark = pytest.mark.slow
psp = pytest.importorskip("pseudopeople")

JOB = """schema_version: 1
name: middle_initial_block
output_dir: out
""" + PSP_CENSUS + """\
    columns: {first_name: first_name, middle_name: middle_initial, last_name: last_name,
              date_of_birth: date_of_birth, sex: sex, postcode: zipcode}
  ss:
    role: admin
    path: ss.csv
    id: rec_id
    date_format: "%Y%m%d"
    columns: {first_name: first_name, middle_name: middle_name, last_name: last_name,
              date_of_birth: date_of_birth, sex: sex}
quality: {enabled: false}
links:
  ss: {}
"""
BLANKED = 40


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("middle_initial")
    census = psp_census(psp)
    ss = psp_ss_creations(psp, 6000)
    # social security records whose one census record has the same surname, sex and
    # middle initial, the surname held by at most 30 census records (the rule's cap)
    c = census.drop_duplicates("simulant_id", keep=False)
    m = ss.merge(c, on="simulant_id", suffixes=("", "_c"))
    m = m[(m["last_name"] == m["last_name_c"]) & (m["sex"] == m["sex_c"])
          & (m["middle_name"].str[:1] == m["middle_initial"])
          & m["last_name"].map(census["last_name"].value_counts()).le(30)]
    chosen = m.sort_values("rec_id").head(BLANKED)
    assert len(chosen) == BLANKED
    hit = ss["rec_id"].isin(chosen["rec_id"])
    ss.loc[hit, ["first_name", "date_of_birth"]] = None
    census.drop(columns=["simulant_id"]).to_csv(d / "census.csv", index=False)
    ss.drop(columns=["simulant_id"]).to_csv(d / "ss.csv", index=False)
    (d / "job.yaml").write_text(JOB)
    r = run_cli("run", "job.yaml", cwd=d)
    assert r.returncode == 0, r.stderr[-2000:]
    truth = chosen[["rec_id", "person_id"]].rename(
        columns={"rec_id": "source_id", "person_id": "reference_id"})
    return d / "out", truth


def test_surname_middle_initial_and_sex_alone_are_compared(run):
    out, truth = run
    pairs = pd.read_parquet(out / "pairs" / "ss.parquet", columns=["reference_id",
                                                                      "source_id"])
    scored = truth.merge(pairs, on=["reference_id", "source_id"])
    # every chosen pair shares a key the new rule keeps (at most 30 on the census side);
    # on main no rule could compare a record with neither first name nor date of birth
    assert len(scored) == BLANKED


def test_the_blanked_records_reach_review_with_their_own_census_record(run):
    """Surname, middle initial and sex are weak evidence: at default noise the pairs are
    scored into the review band (a clerk sees them), none linked to another person."""
    out, truth = run
    held = pd.concat([pd.read_parquet(out / d / "ss.parquet") for d in ("links", "review")])
    mine = held[held["source_id"].isin(truth["source_id"])]
    right = mine.merge(truth, on=["reference_id", "source_id"])
    assert len(right) == BLANKED
    links = pd.read_parquet(out / "links" / "ss.parquet")
    linked = links[links["source_id"].isin(truth["source_id"])]
    assert len(linked.merge(truth, on=["reference_id", "source_id"])) == len(linked)
