"""The main job through the real CLI on generated data: accuracy against the generator's
truth, record accounting, and identical links from two runs."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import run_cli

from spinelink.evaluate import score_links

pytestmark = pytest.mark.slow
SOURCES = ("benefits", "survey")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    d = tmp_path_factory.mktemp("e2e")
    r = run_cli("sample", "--persons", "2500", "--seed", "7", "--out", str(d / "data"))
    assert r.returncode == 0, r.stderr
    # the job file `spinelink sample` writes next to the data (the demo job, for them)
    r = run_cli("run", str(d / "data" / "job.yaml"), "--output-dir", str(d / "run1"))
    assert r.returncode == 0, r.stderr
    (d / "run1.stdout").write_text(r.stdout)
    return d


def _truth(d, name):
    return pd.read_csv(d / "data" / "truth" / f"{name}.csv", dtype=str)


@pytest.mark.parametrize("source", SOURCES)
def test_precision_and_recall_against_truth(demo, source):
    links = pd.read_parquet(demo / "run1" / "links" / f"{source}.parquet")
    acc = score_links(links, _truth(demo, "census"), _truth(demo, source))
    assert acc.precision >= 0.98, acc.as_dict()
    assert acc.recall >= 0.97, acc.as_dict()
    assert links.groupby("source_id")["reference_id"].nunique().max() == 1
    if source == "survey":  # one_to_one: true in the demo job
        assert links["reference_id"].is_unique


def test_links_contract_columns_and_methods(demo):
    links = pd.read_parquet(demo / "run1" / "links" / "benefits.parquet")
    assert list(links.columns) == ["reference_id", "source_id", "method", "match_probability",
                                   "match_weight"]
    methods = set(links["method"])
    assert "direct:nino" in methods and "probabilistic" in methods
    assert any(m.startswith("key:") for m in methods)
    det = links[links["method"] != "probabilistic"]
    assert det["match_probability"].isna().all()
    prob = links[links["method"] == "probabilistic"]
    man = json.loads((demo / "run1" / "run_manifest.json").read_text())
    th = man["links"]["benefits"]["probabilistic"]["thresholds"]
    assert th["accept_mode"] == "auto" and 0.5 <= th["accept"] < 1
    assert (prob["match_probability"] >= th["accept"]).all()
    review = pd.read_parquet(demo / "run1" / "review" / "benefits.parquet")
    # the band, and links held as probable relatives (spinelink.relatives), counted as such
    held = review["method"].str.startswith("relative:")
    band = review[~held]
    assert (band["method"] == "probabilistic").all()
    assert ((band["match_probability"] >= th["review"])
            & (band["match_probability"] < th["accept"])).all()
    by_method = review.loc[held, "method"].str.removeprefix("relative:").value_counts()
    assert by_method.to_dict() == man["links"]["benefits"].get("held_as_relatives", {})
    assert (demo / "run1" / "models" / "benefits.json").exists()


def test_every_record_is_accounted_for(demo):
    man = json.loads((demo / "run1" / "run_manifest.json").read_text())
    for source in SOURCES:
        a = man["accounting"][source]
        assert a["read"] == a["accepted"] + a["quarantined"]
        assert a["accepted"] == a["linked"] + a["review"] + a["unlinked"]
        intake = pd.read_parquet(demo / "run1" / "intake" / f"{source}.parquet")
        links = pd.read_parquet(demo / "run1" / "links" / f"{source}.parquet")
        review = pd.read_parquet(demo / "run1" / "review" / f"{source}.parquet")
        unlinked = pd.read_parquet(demo / "run1" / "unlinked" / f"{source}.parquet")
        ids = set(links["source_id"]) | set(review["source_id"]) | set(unlinked["record_id"])
        assert ids == set(intake["record_id"])
        assert not (set(links["source_id"]) & set(unlinked["record_id"]))
    assert man["inputs"]["census"]["sha256"] and man["versions"]["splink"].startswith("5")


def test_console_says_whose_estimates_it_prints_and_where_the_outputs_are(demo):
    """The console printed one precision and recall per source, on the thresholds line:
    those of the probabilistic links alone (on pseudopeople's social security: 0.9950 and
    0.9661, against a true 0.9993 and 0.9867 for the source), not saying so, and never
    the source's own estimate (quality/summary.json: 0.9987 and 0.9844); nor where the
    integrated table and the report are. It names the scope of each figure, prints the
    source's estimate with its interval, the integrated units by status and the report."""
    out = demo / "run1"
    text = (demo / "run1.stdout").read_text()
    man = json.loads((out / "run_manifest.json").read_text())
    quality = json.loads((out / "quality" / "summary.json").read_text())["sources"]
    for source in SOURCES:
        n_prob = man["links"][source]["links_by_method"]["probabilistic"]
        line = next(x for x in text.splitlines() if x.startswith(f"  {source} thresholds:"))
        assert f"; of its {n_prob} probabilistic links: estimated precision " in line
        q = quality[source]
        assert q["links"] == man["accounting"][source]["linked"]
        ov = q["overall"]
        assert (f"  {source} quality of all {q['links']} links: estimated precision "
                f"{ov['est_precision']:.4f} ({ov['est_precision_low']:.4f}-"
                f"{ov['est_precision_high']:.4f}), recall {ov['est_recall']:.4f} "
                f"({ov['est_recall_low']:.4f}-{ov['est_recall_high']:.4f})") in text
    units = pd.read_parquet(out / "integrated.parquet")["unit_status"].value_counts()
    line = next(x for x in text.splitlines() if x.startswith("integrated: "))
    assert line.startswith(f"integrated: {units.sum()} reference units (")
    assert all(f"{k} {v}" in line for k, v in units.items()), line
    line = next(x for x in text.splitlines() if x.startswith("report: "))
    assert Path(line.removeprefix("report: ")).resolve() == (out / "report.html").resolve()


def test_two_runs_give_identical_outputs(demo):
    job = demo / "data" / "job.yaml"
    second = demo / "run2"
    r = run_cli("run", str(job), "--output-dir", str(second))
    assert r.returncode == 0, r.stderr
    for folder in ("links", "review", "unlinked", "pairs"):
        for source in SOURCES:
            a = pd.read_parquet(demo / "run1" / folder / f"{source}.parquet")
            b = pd.read_parquet(second / folder / f"{source}.parquet")
            pd.testing.assert_frame_equal(a, b)
    shutil.rmtree(second)


def test_a_threshold_close_to_one_is_shown_as_set(tmp_path):
    """accept: 0.99999 was printed `accept 1 (fixed)` (4 significant digits): as if only
    certain pairs were accepted, while a pair at 0.99998 stays in review. The console, the
    log and the report show the threshold with the digits that tell it from 1."""
    import yaml

    from spinelink.sample import generate
    from spinelink.sample.job import write_job

    generate(300, 1, tmp_path)
    job = yaml.safe_load(write_job(tmp_path, 1).read_text())
    job["links"]["benefits"]["probabilistic"].update(accept=0.99999, review=0.01)
    (tmp_path / "job.yaml").write_text(yaml.safe_dump(job, sort_keys=False))
    r = run_cli("run", str(tmp_path / "job.yaml"))
    assert r.returncode == 0, r.stderr[-2000:]
    assert "benefits thresholds: accept 0.99999 (fixed), review 0.01 (fixed)" in r.stdout
    assert "benefits: accept 0.99999 (fixed), review 0.01 (fixed);" in r.stderr
    assert "0.99999 (fixed)" in (tmp_path / "out" / "report.html").read_text()
