"""Shared set-up for the clerical-review tests (no tests here): a real run on generated
data with a wide review band, built once per test session and copied for each test.

The run goes through `run_job` with only the clerical stage after linkage, so these tests
do not depend on the integration, quality and report stages.
"""
from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from spinelink import pipeline
from spinelink.sample import generate
from spinelink.stages import plan as stage_plan

JOB = """\
schema_version: 1
name: review-test
output_dir: out
seed: 11
reference: census
reference_date: 2021-03-21
sources:
  census:
    role: census
    path: data/census.csv
    id: person_id
    date_format: "%d/%m/%Y"
    columns: {{first_name: forename, middle_name: middle, last_name: surname,
              date_of_birth: dob, sex: sex, postcode: postcode, address: address_line}}
    identifiers: {{nino: ni_number}}
  benefits:
    role: admin
    path: data/benefits.parquet
    id: claim_id
    date_format: "%Y-%m-%d"
    columns: {{first_name: first_name, last_name: last_name, date_of_birth: birth_date,
              sex: gender, postcode: post_code, address: address}}
    identifiers: {{nino: nino}}
  survey:
    role: survey
    path: data/survey.csv
    encoding: utf-8-sig
    delimiter: ";"
    id: resp_id
    date_format: "%d.%m.%Y"
    columns: {{first_name: given_name, last_name: family_name, date_of_birth: date_of_birth,
              sex: sex_code, postcode: pcode}}
    identifiers: {{nino: ni_number}}
links:
  benefits:
    deterministic: {{direct: [nino], match_keys: default}}
    probabilistic: {{model: auto, accept: {accept}, review: {review}}}
    one_to_one: false
  survey:
    deterministic: {{direct: [nino], match_keys: default}}
    probabilistic: {{model: auto, accept: {accept}, review: {review}}}
    one_to_one: true
"""
_BASE: dict[str, Path] = {}


def run_clerical_only(job: Path, output_dir: Path | None = None):
    """run_job with the clerical stage as the only stage after linkage."""
    saved = stage_plan.LATER_STAGES
    stage_plan.LATER_STAGES = [s for s in saved if s[0] == "clerical"]
    try:
        return pipeline.run_job(job, str(output_dir) if output_dir else None)
    finally:
        stage_plan.LATER_STAGES = saved


def base_run(persons: int = 2000, accept: float = 0.99999, review: float = 0.005) -> Path:
    """A project folder (data/, job.yaml, out/) built once per session."""
    key = f"{persons}-{accept}-{review}"
    if key not in _BASE:
        d = Path(tempfile.mkdtemp(prefix="spinelink-review-"))
        atexit.register(shutil.rmtree, d, ignore_errors=True)
        generate(persons, 11, d / "data")
        (d / "job.yaml").write_text(JOB.format(accept=accept, review=review))
        run_clerical_only(d / "job.yaml")
        _BASE[key] = d
    return _BASE[key]


def fresh_copy(dest: Path, **kw) -> Path:
    """A private copy of the base run's project folder; returns its out/ folder."""
    shutil.copytree(base_run(**kw), dest, dirs_exist_ok=True)
    return dest / "out"


def truth(project: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(project / "data" / "truth" / f"{name}.csv", dtype=str)


def truth_decisions(project: Path, pairs: pd.DataFrame) -> list[str]:
    """What a reviewer who knows the truth (same person_uid) decides for each
    (source, reference_id, source_id) row."""
    uid = {}
    for name in {"census", *pairs["source"]}:
        t = truth(project, name)
        uid[name] = dict(zip(t["record_id"], t["person_uid"], strict=True))
    return ["match" if uid[s].get(i) is not None and uid["census"].get(r) == uid[s].get(i)
            else "non-match"
            for s, r, i in pairs[["source", "reference_id", "source_id"]].itertuples(index=False)]
