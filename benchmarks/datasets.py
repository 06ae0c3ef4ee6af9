"""Benchmark inputs: files on disk, truth files, a spinelink job and a bare-Splink spec.

Each `prepare_*` function returns a `Bench`: the folder holding the inputs, the job YAML
for `spinelink run`, the JSON spec for `bare_splink.py`, and the two truth files
(columns record_id, person_uid).
"""
from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml


@dataclass(frozen=True)
class Bench:
    name: str
    dir: Path
    job: Path
    spec: Path
    source: str  # name of the linked (non-reference) source in the job
    truth_ref: Path
    truth_src: Path


def _write_job(path: Path, job: dict) -> None:
    path.write_text(yaml.safe_dump(job, sort_keys=False))


def _done(folder: Path, params: dict) -> bool:
    marker = folder / "params.json"
    return marker.exists() and json.loads(marker.read_text()) == params


# --------------------------------------------------------------------------- generated

def prepare_generated(work: Path, persons: int, seed: int, quality: bool = False,
                      memory_limit: str | None = None) -> Bench:
    """Census (reference) and benefits (admin) from spinelink's own generator. `quality`
    turns the job's error-estimation stage on (off by default: bare Splink has none);
    `memory_limit` (e.g. 2GB) writes a job with that DuckDB memory limit instead."""
    d = (work / f"generated_{persons}_{seed}").resolve()
    params = {"persons": persons, "seed": seed}
    if not _done(d, params):
        from spinelink.sample import generate

        d.mkdir(parents=True, exist_ok=True)
        generate(persons, seed, d)
        (d / "params.json").write_text(json.dumps(params))

    job = {
        "schema_version": 1, "name": "bench_generated", "output_dir": "out", "seed": seed,
        "reference": "census", "reference_date": "2021-03-21",
        "sources": {
            "census": {
                "role": "census", "path": "census.csv", "id": "person_id",
                "date_format": "%d/%m/%Y",
                "columns": {"first_name": "forename", "middle_name": "middle",
                            "last_name": "surname", "date_of_birth": "dob", "sex": "sex",
                            "postcode": "postcode", "address": "address_line"},
                "identifiers": {"nino": "ni_number"},
            },
            "benefits": {
                "role": "admin", "path": "benefits.parquet", "id": "claim_id",
                "date_format": "%Y-%m-%d",
                "columns": {"first_name": "first_name", "last_name": "last_name",
                            "date_of_birth": "birth_date", "sex": "gender",
                            "postcode": "post_code", "address": "address"},
                "identifiers": {"nino": "nino"},
            },
        },
        # linkage is what is timed against bare Splink: error estimation is off unless asked
        "quality": {"enabled": quality},
        # used only with --backend spark (Spark's default driver heap is 1 GB)
        "spark": {"config": {"spark.driver.memory": "8g"}},
        # spinelink's defaults: accept and review thresholds chosen by the run (auto)
        "links": {"benefits": {
            "deterministic": {"direct": ["nino"], "match_keys": "default"},
            "probabilistic": {"model": "auto"},
            "one_to_one": False,
        }},
    }
    job_path = d / ("job_quality.yaml" if quality else "job.yaml")
    if memory_limit:
        job["resources"] = {"memory_limit": memory_limit}
        job_path = job_path.with_name(f"{job_path.stem}_memory_{memory_limit}.yaml")
    _write_job(job_path, job)

    spec = {
        # the same fields spinelink gets (the NI number included) and the same rule: each
        # source record's best pair at or above 0.5
        "reference": {"name": "census", "path": "census.csv", "id": "person_id",
                      "date_format": "%d/%m/%Y", "delimiter": ",",
                      "columns": {"first_name": "forename", "middle_name": "middle",
                                  "surname": "surname", "dob": "dob", "sex": "sex",
                                  "postcode": "postcode", "address": "address_line"},
                      "identifiers": {"nino": "ni_number"}},
        "source": {"name": "benefits", "path": "benefits.parquet", "id": "claim_id",
                   "date_format": "%Y-%m-%d",
                   "columns": {"first_name": "first_name", "surname": "last_name",
                               "dob": "birth_date", "sex": "gender",
                               "postcode": "post_code", "address": "address"},
                   "identifiers": {"nino": "nino"}},
        "postcode_style": "uk", "link_rule": "best", "seed": seed,
    }
    spec_path = d / "bare_spec.json"
    spec_path.write_text(json.dumps(spec, indent=2))
    return Bench("generated", d, job_path, spec_path, "benefits",
                 d / "truth" / "census.csv", d / "truth" / "benefits.csv")


# ------------------------------------------------------------------------ pseudopeople

def _address(df: pd.DataFrame) -> pd.Series:
    parts = [df[c].astype("string").fillna("") for c in
             ("street_number", "street_name", "unit_number", "city", "state")]
    out = parts[0]
    for p in parts[1:]:
        out = out.str.cat(p, sep=" ")
    return out.str.replace(r"\s+", " ", regex=True).str.strip()


def prepare_pseudopeople(work: Path, seed: int) -> Bench:
    """Decennial census (reference) and social security (admin): pseudopeople's sample
    data with its default noise. Social security has no address, so neither postcode nor
    address is compared, and census has no SSN, so there is no direct identifier."""
    d = (work / f"pseudopeople_{seed}").resolve()
    import pseudopeople as pp

    params = {"seed": seed, "pseudopeople": pp.__version__}
    if not _done(d, params):
        (d / "truth").mkdir(parents=True, exist_ok=True)
        with open(os.devnull, "w") as null, contextlib.redirect_stderr(null):  # tqdm bars
            census = pp.generate_decennial_census(seed=seed).reset_index(drop=True)
            ssa = pp.generate_social_security(seed=seed).reset_index(drop=True)
        # Rows have no id of their own: number them. simulant_id is the true person.
        census.insert(0, "census_id", [f"C{i + 1}" for i in range(len(census))])
        ssa.insert(0, "ssa_id", [f"S{i + 1}" for i in range(len(ssa))])
        census["address"] = _address(census)
        cen_cols = ["census_id", "first_name", "middle_initial", "last_name",
                    "date_of_birth", "sex", "zipcode", "address"]
        # sex is Male/Female (NaN when noised to missing): both are codes intake knows
        census[cen_cols].to_csv(d / "census.csv", index=False)
        ssa_cols = ["ssa_id", "ssn", "first_name", "middle_name", "last_name",
                    "date_of_birth", "sex", "event_type", "event_date"]
        ssa[ssa_cols].astype("string").to_parquet(d / "social_security.parquet", index=False)
        for df, idc, fname in ((census, "census_id", "census.csv"),
                               (ssa, "ssa_id", "social_security.csv")):
            df[[idc, "simulant_id"]].rename(
                columns={idc: "record_id", "simulant_id": "person_uid"}
            ).to_csv(d / "truth" / fname, index=False)
        (d / "params.json").write_text(json.dumps(params))

    job = {
        "schema_version": 1, "name": "bench_pseudopeople", "output_dir": "out",
        "seed": seed, "reference": "census", "reference_date": "2020-04-01",
        "sources": {
            "census": {
                "role": "census", "path": "census.csv", "id": "census_id",
                "columns": {"first_name": "first_name", "middle_name": "middle_initial",
                            "last_name": "last_name", "date_of_birth": "date_of_birth",
                            "sex": "sex", "postcode": "zipcode", "address": "address"},
            },
            "social_security": {
                "role": "admin", "path": "social_security.parquet", "id": "ssa_id",
                "columns": {"first_name": "first_name", "middle_name": "middle_name",
                            "last_name": "last_name", "date_of_birth": "date_of_birth",
                            "sex": "sex"},
                "identifiers": {"ssn": "ssn"},
            },
        },
        # linkage is what is timed against bare Splink: error estimation is off
        "quality": {"enabled": False},
        # spinelink's defaults: date formats inferred, bad values blanked, thresholds auto
        "links": {"social_security": {
            "deterministic": {"match_keys": "default"},
            "probabilistic": {"model": "auto"},
            "one_to_one": False,
        }},
    }
    job_path = d / "job.yaml"
    _write_job(job_path, job)

    spec = {
        "reference": {"name": "census", "path": "census.csv", "id": "census_id",
                      "date_format": "%m/%d/%Y", "delimiter": ",",
                      "columns": {"first_name": "first_name",
                                  "middle_name": "middle_initial", "surname": "last_name",
                                  "dob": "date_of_birth", "sex": "sex",
                                  "postcode": "zipcode"}},
        "source": {"name": "social_security", "path": "social_security.parquet",
                   "id": "ssa_id", "date_format": "%Y%m%d",
                   "columns": {"first_name": "first_name", "middle_name": "middle_name",
                               "surname": "last_name", "dob": "date_of_birth", "sex": "sex"}},
        "postcode_style": "exact", "link_rule": "best", "seed": seed,
    }
    spec_path = d / "bare_spec.json"
    spec_path.write_text(json.dumps(spec, indent=2))
    return Bench("pseudopeople", d, job_path, spec_path, "social_security",
                 d / "truth" / "census.csv", d / "truth" / "social_security.csv")
