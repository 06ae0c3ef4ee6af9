"""A coded variable whose source codes are in none of the applicable code lists: on
pseudopeople's sample census, race_ethnicity ("White", "Latino", ...) integrated with
code_list ethnic_group_2021 became missing (status invalid_code) for every unit, with
only an INFO total ("integrate: ... 10231 invalid codes") and no warning. Now a warning
names the file, the column, the count and share, the first record, and says how to map
them, when more than the source's max_invalid_share fail; counts checked against the
file's own values.
"""
from __future__ import annotations

import json
import re

import pytest
from conftest import PSP_CENSUS, psp_census, run_cli

pytestmark = pytest.mark.slow
psp = pytest.importorskip("pseudopeople")

JOB = """schema_version: 1
name: codes
output_dir: out_{tag}
""" + PSP_CENSUS + """\
    columns: {{first_name: first_name, last_name: last_name, date_of_birth: date_of_birth,
              sex: sex, postcode: zipcode}}
    variables: {{ethnic_group: race_ethnicity}}
    reference_period: 2021-03-21
    {codes}
links: {{}}
integrate:
  ethnic_group: {{priority: [census], code_list: ethnic_group_2021}}
"""


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("codes")
    census = psp_census(psp, 3000)
    census.drop(columns=["simulant_id"]).to_csv(d / "census.csv", index=False)
    return d, census


def _run(d, tag: str, codes: str):
    (d / f"{tag}.yaml").write_text(JOB.format(tag=tag, codes=codes))
    r = run_cli("run", f"{tag}.yaml", cwd=d)
    assert r.returncode == 0, r.stderr
    m = json.loads((d / f"out_{tag}" / "run_manifest.json").read_text())
    return r.stderr, m["stages"]["integrate"]


def test_codes_in_no_list_are_warned_with_their_count(data):
    d, census = data
    race = census["race_ethnicity"].dropna()
    err, summary = _run(d, "none", "")
    warned = [ln for ln in err.splitlines() if "WARNING" in ln and "no code list" in ln]
    assert len(warned) == 1, err
    line = warned[0]
    assert "census.csv" in line and "'race_ethnicity'" in line and "ethnic_group_2021" in line
    n = int(re.search(r"(\d+) of (\d+) non-empty", line).group(1))
    assert n == len(race) == summary["invalid_codes"]["total"]
    first = census.loc[census["race_ethnicity"].notna(), "person_id"].min()
    assert f"record {first})" in line
    assert not any(v in line for v in race.unique())  # codes stay in the parquet
    assert summary["invalid_codes"]["warnings"] == [line.split("WARNING ", 1)[1]]


def test_a_share_under_max_invalid_share_is_not_warned_and_over_it_is(data):
    d, census = data
    race = census["race_ethnicity"].dropna()
    # the common codes mapped, the rest (under 20% on this census) left invalid
    _, summary = _run(d, "most", "codes: {ethnic_group: {White: D1, Latino: E2, Black: B1}}")
    left = (~race.isin(["White", "Latino", "Black"])).sum()
    assert 0 < left < 0.2 * len(race)
    assert summary["invalid_codes"]["total"] == left
    assert summary["invalid_codes"]["warnings"] == []
    err, summary = _run(d, "few", "codes: {ethnic_group: {Black: B1}}")
    left = (race != "Black").sum()
    assert summary["invalid_codes"]["total"] == left
    assert f"{left} of {len(race)} non-empty" in summary["invalid_codes"]["warnings"][0]
