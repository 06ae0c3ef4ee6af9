"""Dual-system estimates for a subgroup the source links nobody in: with no person in
both lists, Chapman's formula still gave a number (the reference's count) and an
interval running to a thousand times it (seen: 35, 35-37,209), which read as a finding.
Such a row now has no estimate, its status saying why, in the exact and published
tables, the report's chart and the manifest alike. A real run of the generated sample,
whose survey links nobody of several small ethnic groups."""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from conftest import sample_run

pytest.importorskip("statsmodels")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return sample_run(tmp_path_factory.mktemp("no_links"), 400, 8)


EST = ["est_population", "est_population_low", "est_population_high"]


def test_a_group_the_source_links_nobody_in_has_no_estimate(run):
    exact = pd.read_parquet(run / "disclosure" / "analysis_dual_system.parquet")
    # the groups with no link, read from the links and the reference's values
    ref = pd.read_parquet(run / "intake" / "census.parquet").set_index("record_id")
    linked = pd.read_parquet(run / "links" / "survey.parquet")["reference_id"]
    groups = ref["ethnic_group"].dropna()
    none = set(groups) - set(groups.reindex(linked.unique()).dropna())
    survey = exact[(exact["source"] == "survey") & (exact["variable"] == "ethnic_group")]
    empty = survey[survey["value"].isin(none)]
    assert len(empty) >= 1 and (empty["_n_linked"] == 0).all()
    assert (empty["estimate_status"] == "no_links").all()
    assert empty[EST].isna().all().all()  # no figure, no interval
    rest = exact[exact["_n_linked"] > 0]
    assert set(exact.loc[exact["_n_linked"] == 0, "value"]) == set(empty["value"])
    assert (rest["estimate_status"] == "estimated").all()
    assert np.isfinite(rest[EST].to_numpy(float)).all()
    assert (rest["est_population"] >= rest["n_reference"] - 0.5).all()
    # published: the same status, the estimate blank (where the row is not suppressed)
    pub = pd.read_csv(run / "tables" / "analysis_dual_system.csv")
    shown = pub[(pub["source"] == "survey") & pub["value"].isin(empty["value"])
                & ~pub["suppressed"]]
    assert len(shown) >= 1 and (shown["estimate_status"] == "no_links").all()
    assert shown[EST].isna().all().all()
    # the report's chart draws no point or bar for them
    text = (run / "report.html").read_text()
    specs = json.loads(re.search(r"<script type='application/json' id='chart-specs'>(.*?)"
                                 r"</script>", text, re.S).group(1).replace("<\\/", "</"))
    drawn = {(v["source"], v["group"])
             for v in specs["chart-dual-system"]["data"]["values"]}
    assert not {("survey", f"ethnic_group = {x}") for x in empty["value"]} & drawn
    assert ("benefits", "sex = F") in drawn
    # the manifest counts them
    man = json.loads((run / "run_manifest.json").read_text())
    assert man["stages"]["analysis"]["coverage"]["not_estimated"]["survey"] == len(empty)
