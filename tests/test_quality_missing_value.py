"""Records whose subgroup value is missing (issue 12): the never-compared matches of
reference records without a date of birth (age band `unknown`).

The generator's census with 15% of its records' dates of birth blanked; a benefits file
that holds names, date of birth and sex alone (no postcode or address, as the external
benchmark's social security file), the national insurance number dropped from the records
of the persons without a census date of birth, and every record under another first name
or surname with chance 0.2 each. A pair whose census record lacks the date can be caught
only by a rule on the names (every other rule needs the date), so a changed name leaves it
never compared. No match of the `unknown` group is caught without its names, so nothing
among its own matches tells how often the names fail: its estimate has to come from the
patterns the other matches teach (`recapture_strata.taught`), not from a fit of its own
that takes the names to agree always (which put its recall at 0.74 against a true 0.42).
The estimate must be near the truth, and nearer than a constant 1.0 or the
fastLink-style sums.
"""
from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT, demo_job, generated_run

sys.path.insert(0, str(ROOT / "benchmarks"))
from quality_eval import group_tables, run_against_truth  # noqa: E402

pytestmark = pytest.mark.slow
PERSONS, SEED = 6000, 31
BLANK, RENAME = 0.15, 0.2


def _degrade(data) -> None:
    census = pd.read_csv(data / "census.csv", dtype=str)
    b = pd.read_parquet(data / "benefits.parquet")
    tc = pd.read_csv(data / "truth" / "census.csv", dtype=str)
    tb = pd.read_csv(data / "truth" / "benefits.csv", dtype=str)
    rng = np.random.default_rng(11)
    blank = rng.random(len(census)) < BLANK
    census.loc[blank, "dob"] = None
    census.to_csv(data / "census.csv", index=False)
    uid = dict(zip(tc["record_id"], tc["person_uid"], strict=True))
    gone = {uid[r] for r in census.loc[blank, "person_id"]}
    hit = b["claim_id"].map(dict(zip(tb["record_id"], tb["person_uid"], strict=True))) \
        .isin(gone).to_numpy()
    b.loc[hit, "nino"] = None
    b[["post_code", "address"]] = None  # names, date of birth and sex alone
    for col in ("first_name", "last_name"):  # every record alike: a noisy file
        renamed = rng.random(len(b)) < RENAME
        donor = rng.permutation(len(b))[:renamed.sum()]  # another record's
        b.loc[renamed, col] = b.loc[donor, col].to_numpy()
    b.to_parquet(data / "benefits.parquet", index=False)


def _job() -> str:
    job = demo_job(any_rows=True)
    return job + "  bootstrap: 50\n"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = generated_run(tmp_path_factory.mktemp("quality_missing_value"), PERSONS, SEED,
                      _degrade, _job())
    out = d / "out"
    job = yaml.safe_load((d / "data" / "job.yaml").read_text())
    ref_groups, _ = group_tables(out, job, "benefits")
    rows = run_against_truth(out, d / "data" / "truth", ref_groups[["age_band"]], "age_band")
    print("\n", rows[["variable", "value", "true_pairs", "true_recall", "est_recall",
                      "est_recall_low", "est_recall_high", "fl_recall"]].round(4).to_string())
    return rows.set_index("value")


def test_the_unknown_group_misses_matches(run):
    unknown = run.loc["unknown"]
    assert unknown["true_pairs"] >= 300
    assert unknown["true_recall"] < 0.9


@pytest.mark.xfail(strict=True, reason=(
    "since the record model's claimed class (aaae60e; the patronymic key is not involved) "
    "the unknown age band's recall error is 0.064 against 0.05 (true 0.527, was 0.421: the "
    "linkage found 80 more of its matches; the estimate followed to 0.463): its "
    "never-compared figure is its pooled placement (384, true 329) scaled up by the dated "
    "bands' own fits (31, true 33) falling short of the pooled overall figure (464, true "
    "362) to 433; keeping the undated band at its pooled placement passes here and "
    "breaks ss_raised's undated band, where the same scaling is right (benchmarks/tried/"
    "s35_hB_untaught_keep_pooled.patch; benchmarks/RESULTS.md, session 35 helper B)"))
def test_the_unknown_group_recall_is_estimated_from_the_other_matches(run):
    u = run.loc["unknown"]
    err = abs(u["est_recall"] - u["true_recall"])
    assert err <= 0.05, u.to_dict()
    assert err < 0.5 * abs(1.0 - u["true_recall"])
    assert err < 0.5 * abs(u["fl_recall"] - u["true_recall"])
    # the groups with a date of birth keep their own fits: near their truth
    known = run.drop(index=["unknown", "all"])
    assert ((known["est_recall"] - known["true_recall"]).abs() <= 0.025).all()
