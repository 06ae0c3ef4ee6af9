"""Coverage (dual-system) with a source that shares one coverage variable with the
reference: pseudopeople's social security records carry sex (some blank) and no race, so
with `coverage.variables: [sex, race_ethnicity]` the post-strata are by sex alone. The
unlinked source records' counts then lost their cell index (grouping by a one-item list
gives a plain index, the reference's counts a MultiIndex) and the analysis stage stopped
with "internal error (KeyError)". Checked against the census and links files.
"""
from __future__ import annotations

import pandas as pd
import pytest
from conftest import PSP_CENSUS, psp_census, psp_ss_creations, run_cli

pytestmark = pytest.mark.slow
psp = pytest.importorskip("pseudopeople")
pytest.importorskip("statsmodels")

JOB = """schema_version: 1
name: one_shared
output_dir: out
""" + PSP_CENSUS + """\
    columns: {first_name: first_name, middle_name: middle_initial, last_name: last_name,
              date_of_birth: date_of_birth, sex: sex, postcode: zipcode}
    subgroups: [race_ethnicity]
  ss:
    role: admin
    path: ss.csv
    id: rec_id
    date_format: "%Y%m%d"
    columns: {first_name: first_name, middle_name: middle_name, last_name: last_name,
              date_of_birth: date_of_birth, sex: sex}
links:
  ss:
    deterministic: {match_keys: default}
    probabilistic: {model: auto}
analysis:
  coverage:
    variables: [sex, race_ethnicity]
quality:
  subgroups: [race_ethnicity, sex]
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("one_shared")
    census = psp_census(psp)
    census.drop(columns=["simulant_id"]).to_csv(d / "census.csv", index=False)
    ss = psp_ss_creations(psp, 6000)
    assert ss["sex"].isna().any()  # blank sex among the unlinked: spread over the cells
    ss.drop(columns=["simulant_id"]).to_csv(d / "ss.csv", index=False)
    (d / "job.yaml").write_text(JOB)
    r = run_cli("run", "job.yaml", cwd=d)
    assert r.returncode == 0, r.stderr[-2000:]
    return d


def test_dual_system_by_the_one_shared_variable(run):
    out = run / "out"
    sex = pd.read_parquet(out / "standardised" / "census.parquet").set_index(
        "record_id")["sex"].fillna("unknown")
    links = pd.read_parquet(out / "links" / "ss.parquet")
    exact = pd.read_parquet(out / "disclosure" / "analysis_dual_system.parquet")
    rows = exact[(exact["source"] == "ss") & (exact["variable"] == "sex")].set_index("value")
    assert set(rows.index) == {"F", "M"}
    # reference units and linked units by their recorded sex, as the files have them
    truth = sex[sex != "unknown"].value_counts()
    assert rows["n_reference"].to_dict() == truth.to_dict()
    linked_sex = sex.reindex(links["reference_id"].unique()).value_counts()
    assert rows["_n_linked"].to_dict() == linked_sex.drop("unknown").to_dict()
    # the source's persons: linked ones and others, blank sex spread, none invented
    assert linked_sex.drop("unknown").sum() < rows["_n_source"].sum() <= 6000
    # the estimate is at least the reference's count and at least the source's persons
    assert (rows["est_population"] >= rows["n_reference"] - 0.5).all()
    # no row by race for ss (it records none), the survey-free table still published
    pub = pd.read_csv(out / "tables" / "analysis_dual_system.csv")
    assert set(pub.loc[pub["source"] == "ss", "variable"]) == {"sex"}
