"""An EM session that fails is skipped and leaves the model as it was (spinelink.training).

pseudopeople's American Community Survey (seed 3: 70 persons in households) linked to its
decennial census: on the 70 records the session blocking on sex and surname drives EM's
share of matches among its pairs to 0, and Splink stops with `math domain error` (a
ValueError, not a SplinkException): the run ended in an internal error (exit 70). Splink
also drops the comparisons a session blocks on, and sets the prior to the blocked pairs',
in the linker's own settings before it trains, restoring them only when the session
succeeds: a skipped session left the saved model without surname and sex and with a
prior of 0."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import run_cli

COLUMNS = ("{first_name: first_name, middle_name: middle_initial, last_name: last_name, "
           "date_of_birth: date_of_birth, sex: sex, postcode: zipcode, address: address}")


def _source(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    frame = frame.astype(object).where(frame.notna(), "").astype(str)
    frame["address"] = (frame.street_number + " " + frame.street_name + " "
                        + frame.unit_number).str.strip()
    frame["rid"] = [f"{prefix}{i:05d}" for i in range(len(frame))]
    return frame


def test_a_failing_em_session_is_skipped_and_the_model_keeps_every_comparison(tmp_path):
    psp = pytest.importorskip("pseudopeople")
    census = _source(psp.generate_decennial_census(seed=3), "C")
    acs = _source(psp.generate_american_community_survey(seed=3), "A")
    census.drop(columns=["simulant_id"]).to_csv(tmp_path / "census.csv", index=False)
    acs.drop(columns=["simulant_id"]).to_csv(tmp_path / "acs.csv", index=False)
    source = """
    id: rid
    date_format: "%m/%d/%Y"
    postcode_format: other
    columns: {columns}""".replace("{columns}", COLUMNS)
    (tmp_path / "job.yaml").write_text(f"""schema_version: 1
name: acs
seed: 5
output_dir: out
reference: census
reference_date: 2020-04-01
sources:
  census:
    role: census
    path: census.csv{source}
  acs:
    role: survey
    path: acs.csv{source}
links:
  acs:
    deterministic: {{match_keys: default}}
    probabilistic: {{model: auto, household: true}}
    one_to_one: true
""")
    done = run_cli("run", str(tmp_path / "job.yaml"))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "acs: EM session sex & last_name_mp did not converge" in done.stderr
    manifest = json.loads((tmp_path / "out" / "run_manifest.json").read_text())
    sessions = manifest["links"]["acs"]["probabilistic"]["training"]["sessions"]
    assert {"rule": "sex & last_name_mp", "status": "failed: ValueError"}.items() <= next(
        s for s in sessions if s["rule"] == "sex & last_name_mp").items()
    model = json.loads((tmp_path / "out" / "models" / "acs.json").read_text())
    assert [c["output_column_name"] for c in model["comparisons"]] == [
        "first_name", "last_name", "middle_name", "date_of_birth", "sex", "location"]
    assert 0 < model["probability_two_random_records_match"] < 1
    # every record accounted for, and the links are the simulants'
    acc = manifest["accounting"]["acs"]
    assert acc["linked"] + acc["review"] + acc["unlinked"] + acc["quarantined"] == len(acs)
    links = pd.read_parquet(tmp_path / "out" / "links" / "acs.parquet")
    truth_c = dict(zip(census.rid, census.simulant_id, strict=True))
    truth_a = dict(zip(acs.rid, acs.simulant_id, strict=True))
    pairs = zip(links.reference_id, links.source_id, strict=True)
    assert all(truth_c[r] == truth_a[s] for r, s in pairs)
