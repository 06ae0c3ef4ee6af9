"""The job file `spinelink sample` writes next to the data it generates: the demo job
(`sample_data/demo_job.yaml`, which links the same layouts) with the outputs under the
data folder (`out/`) and no expected row counts, so any `--persons` runs as it is.
`tests/test_sample.py` checks that it stays the demo job in everything else."""
from __future__ import annotations

from pathlib import Path

JOB_FILE = "job.yaml"

JOB = """\
# Written by `spinelink sample`: links the generated benefits and survey sources to the
# census spine, then integrates them. Run it with `spinelink run {job}`
# (outputs in {out_dir}/, paths below are relative to this file).
schema_version: 1
name: sample
output_dir: {out_dir}
seed: {seed}
backend: duckdb
reference: census
reference_date: 2021-03-21
sources:
  census:
    role: census
    path: census.csv
    encoding: utf-8
    delimiter: ","
    id: person_id
    date_format: "%d/%m/%Y"
    columns:
      first_name: forename
      middle_name: middle
      last_name: surname
      date_of_birth: dob
      sex: sex
      postcode: postcode
      address: address_line
    identifiers: {{nino: ni_number}}
    subgroups: [ethnic_group, region, disability]
    variables: {{ethnic_group: ethnic_group, disability: disability}}
    reference_period: 2021-03-21         # census day: 2021 code lists
  benefits:
    role: admin
    path: benefits.parquet
    id: claim_id
    date_format: "%Y-%m-%d"
    columns:
      first_name: first_name
      last_name: last_name
      date_of_birth: birth_date
      sex: gender
      postcode: post_code
      address: address
    identifiers: {{nino: nino}}
    variables: {{ethnic_group: ethnicity, employment_status: employment_status}}
    # benefits holds 2011 ethnic codes, mapped to 2021
    reference_period: {{start: 2020-01-01, end: 2021-12-31}}
  survey:
    role: survey
    path: survey.csv
    encoding: utf-8-sig
    delimiter: ";"
    id: resp_id
    date_format: "%d.%m.%Y"
    columns:
      first_name: given_name
      last_name: family_name
      date_of_birth: date_of_birth
      sex: sex_code
      postcode: pcode
    identifiers: {{nino: ni_number}}
    variables: {{ethnic_group: ethnic_group, employment_status: employment_status,
                disability: disability}}
    reference_period: {{start: 2021-01-01, end: 2021-12-31}}
links:
  benefits:
    deterministic: {{direct: [nino], match_keys: default}}
    probabilistic: {{model: auto}}   # accept, review: auto (chosen from estimated precision)
    one_to_one: false
  survey:
    deterministic: {{direct: [nino], match_keys: default}}
    probabilistic: {{model: auto}}   # accept, review: auto (chosen from estimated precision)
    one_to_one: true
integrate:
  ethnic_group: {{priority: [census, survey, benefits], code_list: ethnic_group_2021}}
  sex: {{priority: [census, benefits, survey]}}
  address: {{rule: most_recent, date_column: {{benefits: updated_on}}}}
  employment_status: {{priority: [survey, benefits]}}
  disability: {{priority: [census, survey], code_list: disability,
               source_code_lists: {{survey: disability_yes_no_12}}}}
# the survey's free-text answers coded to classifications
coding:
  survey:
    birthplace: {{text: place_of_birth, classification: territory}}
    citizenship: {{text: citizenship, classification: territory}}
    language: {{text: mother_tongue, classification: language}}
    occupation: {{text: job_title, classification: occupation}}
    activity: {{text: employer_activity, classification: activity, derive_from: occupation}}
integrate_options:
  flag_reference_duplicates: true
  select: {{benefits: {{rule: most_recent, date_column: updated_on}}}}
# Analysis: linkage weights (out/weights/<source>.parquet; `<source>__weight` in
# integrated.parquet), coverage from both sides, dual-system estimates and concordance
# (out/tables/analysis_*.csv, disclosure-controlled together with the quality
# tables), gaps imputed (status imputed:<method>; rates in the manifest, the report
# and out/tables/analysis_imputation.csv).
analysis:
  weights:
    characteristics: [sex, age_band, region, ethnic_group]
  coverage:
    variables: [sex, age_band, ethnic_group]
    concordance: [disability]
  imputation:
    employment_status: {{method: hot_deck, classes: [age_band, sex]}}
    disability: {{method: model, predictors: [sex, age_band]}}
  multiple: 1
quality:
  subgroups: [ethnic_group, sex, age_band, region, disability]
  labels: null            # or truth labels: spinelink.quality.labels.truth_labels(truth/)
  min_cell: 10
  age_bands: [0, 18, 30, 50, 65]
  rounding: null
  zeros: group
"""


def write_job(out_dir: Path, seed: int, output_dir: str = "out") -> Path:
    """Write `job.yaml` into `out_dir` (the generated data's folder); returns its path."""
    path = Path(out_dir) / JOB_FILE
    path.write_text(JOB.format(job=path, out_dir=output_dir, seed=int(seed)), encoding="utf-8")
    return path
