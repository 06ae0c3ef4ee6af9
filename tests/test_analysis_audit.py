"""Every imputed value traceable (new-user trial, session 49): on the demo job (sample
data, `multiple: 2`) each imputed cell of integrated.parquet has exactly one audit.parquet
row, stage `impute`, naming a real donor whose value equals the imputed one and who is in
the unit's donor class (age band and sex, computed here from the census's standardised
table); the donor is also in `<var>__donor`, and in each copy of imputed/<m>.parquet."""
from __future__ import annotations

import hashlib
import json
import shutil

import pandas as pd
import pytest
from conftest import ROOT, demo_job, run_cli

pytestmark = pytest.mark.slow
pytest.importorskip("statsmodels")

BANDS = [(0, "0-17"), (18, "18-29"), (30, "30-49"), (50, "50-64"), (65, "65+")]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("imputed_audit")
    data = d / "data"
    shutil.copytree(ROOT / "sample_data", data)
    job = demo_job().replace("  multiple: 1", "  multiple: 2")
    assert "multiple: 2" in job
    (data / "job.yaml").write_text(job)
    r = run_cli("run", "job.yaml", cwd=data)
    assert r.returncode == 0, r.stderr[-2000:]
    out = d / "out"
    return {"out": out, "data": data,
            "integrated": pd.read_parquet(out / "integrated.parquet").set_index(
                "reference_id", drop=False),
            "audit": pd.read_parquet(out / "audit.parquet"),
            "manifest": json.loads((out / "run_manifest.json").read_text())}


def _classes(out) -> pd.DataFrame:
    """Each census record's age band at the reference date (2021-03-21; bands 0, 18, 30,
    50, 65) and sex, `unknown` where missing: the demo's donor classes."""
    std = pd.read_parquet(out / "standardised" / "census.parquet",
                          columns=["record_id", "dob", "sex"]).set_index("record_id")
    dob = pd.to_datetime(std["dob"], errors="coerce")
    age = 2021 - dob.dt.year - ((dob.dt.month > 3) | ((dob.dt.month == 3) & (dob.dt.day > 21)))
    band = pd.Series("unknown", index=std.index, dtype=object)
    for low, label in BANDS:
        band[age >= low] = label
    band[dob.isna()] = "unknown"
    return pd.DataFrame({"age_band": band, "sex": std["sex"].fillna("unknown")})


def test_each_imputed_cell_has_one_audit_row_naming_a_real_donor_of_its_class(run):
    it, audit = run["integrated"], run["audit"]
    rows = audit[audit["stage"] == "impute"]
    classes = _classes(run["out"])
    n = 0
    for var in ("employment_status", "disability"):
        imputed = it[it[f"{var}__status"].str.startswith("imputed:")]
        mine = rows[rows["variable"] == var].set_index("reference_id")
        assert mine.index.is_unique and set(mine.index) == set(imputed.index), var
        assert mine["raw_value"].isna().all() and (mine["source"] == "census").all()
        assert (mine["new_value"].reindex(imputed.index) == imputed[var]).all()
        hot = imputed[imputed[f"{var}__status"] == "imputed:hot_deck"]
        n += len(hot)
        for rid, unit in hot.iterrows():
            r = mine.loc[rid]
            donor = r["from_record_id"]
            assert r["from_source"] == "census" and donor == unit[f"{var}__donor"]
            assert donor in it.index and donor != rid
            assert not it.at[donor, f"{var}__status"].startswith(("imputed:", "missing"))
            assert it.at[donor, var] == unit[var]  # the donor's own value was given
            cls = r["rule"].removeprefix("hot_deck: class ")
            assert cls == f"age_band={classes.at[rid, 'age_band']}, sex={classes.at[rid, 'sex']}"
            assert (classes.loc[donor] == classes.loc[rid]).all()
        model = imputed[imputed[f"{var}__status"] == "imputed:model"]
        assert mine.loc[model.index, "rule"].str.startswith("model: predictors sex=").all()
        assert mine.loc[model.index, "from_record_id"].isna().all()
        assert it.loc[it[f"{var}__status"] != "imputed:hot_deck", f"{var}__donor"].isna().all()
    assert n > 300  # the demo's employment status: about 388 units
    assert run["manifest"]["stages"]["analysis"]["imputation"]["audit_rows"] == len(rows)


def test_every_copy_names_its_donors(run):
    it = run["integrated"]
    for m in (1, 2):
        copy = pd.read_parquet(run["out"] / "imputed" / f"{m}.parquet").set_index(
            "reference_id")
        hot = copy[copy["employment_status__status"] == "imputed:hot_deck"]
        donors = hot["employment_status__donor"]
        assert donors.notna().all() and len(hot) > 300
        assert (copy.loc[donors, "employment_status"].to_numpy() ==
                hot["employment_status"].to_numpy()).all()
        assert not copy.loc[donors, "employment_status__status"].str.startswith(
            "imputed:").any()
        if m == 1:  # copy 1 is the integrated output's
            assert donors.equals(it.loc[hot.index, "employment_status__donor"].rename_axis(
                "reference_id"))


def test_running_the_stage_again_keeps_one_audit_row_per_cell(run, tmp_path):
    from spinelink.analysis import run_stage
    from spinelink.backends import open_engine
    from spinelink.config import load_job
    from spinelink.pipeline import StageContext

    out = tmp_path / "out"
    shutil.copytree(run["out"], out)
    files = ["integrated.parquet", "audit.parquet", "imputed/1.parquet", "imputed/2.parquet"]

    def digest():
        return {f: hashlib.sha256((out / f).read_bytes()).hexdigest() for f in files}

    before = digest()
    ctx = StageContext(open_engine("duckdb"), load_job(run["data"] / "job.yaml"), out,
                       run["manifest"]["accounting"], {}, {})
    run_stage(ctx)
    assert digest() == before
