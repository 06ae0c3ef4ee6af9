"""Intersectional tables (quality.crosses): counts that are the data's, the one-way
tables' estimator (cells that add up to the one-way figures), intervals, the report, and
crosses checked at load."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from test_disclosure_recovery import CROSSES, out  # noqa: F401 - the shared run
from test_job_problems import _write

from spinelink.config import load_job
from spinelink.errors import JobError

REFERENCE_DATE = pd.Timestamp("2021-03-21")  # the demo job's
BANDS = [0, 18, 30, 50, 65]


def _name(cross):
    return f"quality_cross_{'_'.join(cross)}"


def _census_groups(out) -> pd.DataFrame:  # noqa: F811
    """Each census record's subgroups, worked out here from the standardised table."""
    std = pd.read_parquet(out / "standardised" / "census.parquet")
    g = std.set_index(std["record_id"].astype(str))
    df = pd.DataFrame(index=g.index)
    for v in ("ethnic_group", "sex", "region"):
        df[v] = g[v].astype(object).where(g[v].notna(), "unknown").astype(str)
    dob = pd.to_datetime(g["dob"])
    before = (dob.dt.month > REFERENCE_DATE.month) | (
        (dob.dt.month == REFERENCE_DATE.month) & (dob.dt.day > REFERENCE_DATE.day))
    age = REFERENCE_DATE.year - dob.dt.year - before.astype(int)
    labels = ["0-17", "18-29", "30-49", "50-64", "65+"]
    band = pd.cut(age, [*BANDS, 200], right=False, labels=labels).astype(object)
    df["age_band"] = band.where(band.notna(), "unknown").astype(str)
    return df


def _exact(out, name) -> pd.DataFrame:  # noqa: F811
    return pd.read_parquet(out / "disclosure" / f"{name}.parquet")


@pytest.mark.slow
@pytest.mark.parametrize("cross", CROSSES, ids="_".join)
def test_cross_counts_are_the_data_s(out, cross):  # noqa: F811
    groups = _census_groups(out)
    truth = groups.groupby(cross).size().rename("n_ref").to_frame()
    for s in ("benefits", "survey"):
        links = pd.read_parquet(out / "links" / f"{s}.parquet")
        linked = groups.loc[groups.index.isin(links["reference_id"].astype(str).unique())]
        t = truth.join(linked.groupby(cross).size().rename("n_link")).fillna(0)
        shown = pd.read_csv(out / "tables" / f"{_name(cross)}.csv", dtype=str)
        shown = shown[(shown["source"] == s) & (shown["basis"] == "model")]
        exact = _exact(out, _name(cross))
        exact = exact[(exact["source"] == s) & (exact["basis"] == "model")]
        # every combination present in the data is a row (published or suppressed)
        assert len(exact) == len(t) and len(shown) == len(t)
        e = exact.set_index(cross)[["n_reference", "n_linked"]]
        assert (e["n_reference"] == t["n_ref"].reindex(e.index)).all()
        assert (e["n_linked"] == t["n_link"].reindex(e.index)).all()
        pub = shown[shown["suppressed"] == "false"].set_index(cross)
        assert len(pub) > 0
        assert (pub["n_reference"].astype(int) == t["n_ref"].reindex(pub.index)).all()
        assert (pub["n_linked"].astype(int) == t["n_link"].reindex(pub.index)).all()
        rate = pub["n_linked"].astype(float) / pub["n_reference"].astype(float)
        assert np.allclose(pub["link_rate"].astype(float), rate, atol=1e-4)


@pytest.mark.slow
def test_cross_estimates_add_up_to_the_one_way_estimates(out):  # noqa: F811
    """The survey links one to one, so a cell's links are its linked units: precision x
    links is the cell's expected correct links, and over a variable's cells they add up
    to the one-way figure of that value exactly. Recall (correct links / recall, the
    linkable) adds up to within the never-compared matches' fits: a variable's values and
    a cross's cells with enough caught matches each get their own fit
    (`quality.recapture_strata`), so they agree as far as those fits do (3e-5 on the demo's
    survey), not to rounding."""
    one = _exact(out, "quality_subgroups")
    one = one[(one["source"] == "survey") & (one["basis"] == "model")]
    for cross in CROSSES:
        c = _exact(out, _name(cross))
        c = c[(c["source"] == "survey") & (c["basis"] == "model") & (c["n_linked"] > 0)]
        c = c.assign(found=c["est_precision"] * c["n_linked"])
        c = c.assign(linkable=c["found"] / c["est_recall"])
        for var in cross:
            agg = c.groupby(var)[["found", "linkable", "n_linked"]].sum()
            o = one[one["variable"] == var].set_index("value").loc[agg.index]
            assert np.allclose(agg["found"] / agg["n_linked"], o["est_precision"], atol=1e-9)
            assert np.allclose(agg["found"] / agg["linkable"], o["est_recall"], atol=1e-3)


@pytest.mark.slow
def test_cross_cells_carry_95_intervals(out):  # noqa: F811
    for cross in CROSSES:
        c = _exact(out, _name(cross))
        c = c[(c["basis"] == "model") & (c["n_linked"] > 0)]
        for m in ("link_rate", "est_precision", "est_recall"):
            assert c[[m, f"{m}_low", f"{m}_high"]].notna().all().all(), m
            assert (c[f"{m}_low"] <= c[m] + 1e-12).all() and (c[m] <= c[f"{m}_high"] + 1e-12).all()
        # the Wilson interval of a cell is wider than the one-way one of its variable
        one = _exact(out, "quality_subgroups")
        o = one[(one["variable"] == cross[0]) & (one["basis"] == "model")]
        width_c = (c["link_rate_high"] - c["link_rate_low"]).median()
        width_o = (o["link_rate_high"] - o["link_rate_low"]).median()
        assert width_c > width_o


@pytest.mark.slow
def test_crosses_are_in_the_report_and_summary(out):  # noqa: F811
    text = (out / "report.html").read_text()
    assert "<h2>Intersectional tables</h2>" in text
    for cross in CROSSES:
        assert f"<h3>{' x '.join(cross)}</h3>" in text
        assert f'"chart-{_name(cross)}"' in text
    summary = json.loads((out / "quality" / "summary.json").read_text())
    assert summary["crosses"] == [" x ".join(c) for c in CROSSES]
    dictionary = pd.read_csv(out / "tables" / "dictionary.csv")
    assert set(dictionary["table"]) >= {_name(c) for c in CROSSES}


def test_crosses_are_checked_at_load(tmp_path):
    job = (tmp_path / "job.yaml")
    _write(tmp_path)
    text = job.read_text().replace("seeed: 7", "seed: 7").replace(
        "regions", "region")
    text = text.replace("    date_format: \"%Y-%Q-%d\"", "    date_format: \"%Y-%m-%d\"")
    bad = text + "quality:\n  crosses: [[sex, age_bnd]]\n"
    job.write_text(bad)
    with pytest.raises(JobError) as e:
        load_job(job)
    assert "quality.crosses[0]" in str(e.value) and "did you mean 'age_band'" in str(e.value)
    job.write_text(text + "quality:\n  crosses: [[sex]]\n")
    with pytest.raises(JobError) as e:
        load_job(job)
    assert "two or more different subgroups" in str(e.value)


def test_a_cross_by_a_variable_the_reference_lacks_is_refused_at_load(tmp_path):
    """A source-only variable (`var_employment_status`, which `quality.subgroups`
    accepts) passed `validate` in a cross, then the quality stage skipped the cross with
    a warning: it is refused at load, naming the reference's subgroups."""
    job = (tmp_path / "job.yaml")
    _write(tmp_path)
    text = job.read_text().replace("seeed: 7", "seed: 7").replace(
        "regions", "region")
    text = text.replace("    date_format: \"%Y-%Q-%d\"", "    date_format: \"%Y-%m-%d\"")
    text = text.replace("    code_lists: {region: region}\n",
                        "    code_lists: {region: region}\n    subgroups: [region]\n")
    text = text.replace("date_of_birth: dob}\nlinks", "date_of_birth: dob}\n"
                        "    variables: {employment_status: employment_status}\nlinks")
    job.write_text(text + "quality:\n  subgroups: [sex, var_employment_status]\n"
                   "  crosses: [[sex, var_employment_status]]\n")
    with pytest.raises(JobError) as e:
        load_job(job)
    msg = str(e.value)
    assert "quality.crosses[0]" in msg and "'var_employment_status' is not a subgroup of " \
        "the reference 'census'" in msg
    assert "quality.subgroups" not in msg  # a source's variable is a valid subgroup
    job.write_text(text + "quality:\n  crosses: [[sex, region]]\n")
    with pytest.raises(JobError) as e:  # the fixture's other files are bad on purpose
        load_job(job)
    assert "quality" not in str(e.value)  # the reference's own subgroup: a valid cross
