"""The job file's `analysis:` section is checked when the job loads, every problem at
once, with a did-you-mean (issue 15 part A)."""
from __future__ import annotations

import pytest
import yaml
from conftest import ROOT

from spinelink.config import load_job
from spinelink.errors import JobError


def job_with(tmp_path, analysis: dict):
    job = yaml.safe_load((ROOT / "sample_data" / "demo_job.yaml").read_text())
    for s in job["sources"].values():
        s["path"] = str(ROOT / "sample_data" / s["path"])
    job["analysis"] = analysis
    p = tmp_path / "job.yaml"
    p.write_text(yaml.safe_dump(job))
    return p


def test_the_demo_analysis_section_loads():
    a = load_job(ROOT / "sample_data" / "demo_job.yaml").job.analysis
    assert a.weights.characteristics == ["sex", "age_band", "region", "ethnic_group"]
    assert a.imputation["employment_status"].method == "hot_deck"


def test_every_problem_in_the_section_is_reported_with_a_suggestion(tmp_path):
    p = job_with(tmp_path, {
        "weights": {"characteristics": ["sex", "regoin"], "sources": ["benefit"]},
        "coverage": {"variabels": ["sex"]},
        "imputation": {"employment_statsu": {"method": "hot_deck"},
                       "disability": {"method": "model"},
                       "sex": {"method": "logical", "from_source": "survy"}},
    })
    with pytest.raises(JobError) as e:
        load_job(p)
    msg = str(e.value)
    for want in ["'regoin' is not a subgroup variable", "did you mean 'region'",
                 "'benefit' is not a linked source", "did you mean 'benefits'",
                 "key 'analysis.coverage.variabels': unknown key; did you mean 'variables'",
                 "'employment_statsu' is not an integrated variable",
                 "did you mean 'employment_status'", "method model needs predictors",
                 "'survy' is not a linked source"]:
        assert want in msg, (want, msg)
