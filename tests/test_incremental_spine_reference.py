"""A revised census in a run --since: a record id that now holds another person (its
first name, last name and date of birth all differ; warned about, listed in the
manifest) kept its spine unit's `first_run` from the run that created the old person's
unit, so the spine said the new person had been a unit since then. The spine's contract
(README, "Stable ids"): the unit keeps its id, as every reference record's unit does, but
is a new unit: `first_run` is this run, and the spine stage counts such units. A real
first run and an incremental run on generated deliveries."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from spinelink.pipeline import run_job
from spinelink.sample.deliveries import generate_deliveries


@pytest.fixture(scope="module")
def revised(tmp_path_factory):
    root = tmp_path_factory.mktemp("spine_ref")
    generate_deliveries(300, 4, root, n=3, degraded=None)
    run_job(root / "deliveries/1/job.yaml")  # out/1: the first run (no spine)
    run_job(root / "deliveries/2/job.yaml", output_dir=str(root / "inc/2"),
            since=root / "out/1")  # the spine's units: first run delivery 2
    census = pd.read_csv(root / "census.csv", dtype=str, keep_default_na=False)
    ids = sorted(census["person_id"])
    renewed, corrected = ids[5], ids[7]
    at = census["person_id"] == renewed  # the id given to another person
    census.loc[at, ["forename", "middle", "surname", "dob", "sex"]] = [
        "Priya", "", "Ramanathan", "01/01/1990", "F"]
    at = census["person_id"] == corrected  # a correction: the same person
    census.loc[at, "surname"] = census.loc[at, "surname"] + "e"
    census.to_csv(root / "census_revised.csv", index=False)
    job = (root / "deliveries/3/job.yaml").read_text()
    assert "../../census.csv" in job
    path = root / "deliveries/3/job_revised.yaml"
    path.write_text(job.replace("../../census.csv", "../../census_revised.csv"))
    run_job(path, output_dir=str(root / "inc/3"), since=root / "inc/2")
    return root, renewed, corrected


def test_a_reference_id_now_holding_another_person_is_a_new_unit(revised):
    root, renewed, corrected = revised
    before = pd.read_parquet(root / "inc/2/spine.parquet").set_index("unit_id")
    spine = pd.read_parquet(root / "inc/3/spine.parquet").set_index("unit_id")
    man = json.loads((root / "inc/3/run_manifest.json").read_text())
    assert man["incremental"]["reference"]["another_person_ids"] == [renewed]
    assert (before["first_run"] == "benefits_delivery_2#2").all()
    # the renewed id: still the unit's id, but a unit of this run
    assert spine.loc[renewed, ["origin", "status"]].tolist() == ["census", "active"]
    assert spine.loc[renewed, "first_run"] == "benefits_delivery_3#3"
    # every other unit, the corrected one included, keeps its first run
    others = spine.drop(index=renewed)
    assert corrected in others.index and set(before.index) <= set(spine.index)
    assert (others["first_run"] == before["first_run"].reindex(others.index)).all()
    assert man["stages"]["spine"]["another_person"] == 1
