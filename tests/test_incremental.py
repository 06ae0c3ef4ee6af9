"""Incremental linkage of monthly deliveries (issue 17): `run --since PREVIOUS_OUT`.

Three generated benefits deliveries (1 replaces, 2 adds, 3 replaces; no degraded region,
so nothing forces a full relink): the incremental runs against a full run on the same
state, an added delivery read with the previous state, a replacing one whose missing
records are listed as removed, a record changed to another person's details relinked with
its reason, and an incremental run killed part-way that resumes to the same outputs."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import run_cli

from spinelink.pipeline import run_job
from spinelink.sample.deliveries import generate_deliveries
from spinelink.thresholds import shown

PERSONS, SEED = 1500, 9
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("incremental")
    generate_deliveries(PERSONS, SEED, root, degraded=None)
    run_job(root / "deliveries/1/job.yaml")  # out/1: the first, full run
    run_job(root / "deliveries/3/job.yaml")  # out/3: a full run on the last state
    run_job(root / "deliveries/2/job.yaml", output_dir=str(root / "inc/2"),
            since=root / "out/1")
    run_job(root / "deliveries/3/job.yaml", output_dir=str(root / "inc/3"),
            since=root / "inc/2")
    return root


def _links(out: Path) -> pd.Series:
    links = pd.read_parquet(out / "links" / "benefits.parquet")
    ids = pd.read_parquet(out / "intake" / "benefits.parquet")["record_id"]
    sets = links.groupby("source_id")["reference_id"].agg(lambda s: ";".join(sorted(s)))
    return sets.reindex(ids, fill_value="")


def _changes(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "changes" / "benefits.parquet").set_index("record_id")


def _delivery_changes(root: Path, k: int) -> pd.DataFrame:
    return pd.read_csv(root / "deliveries" / str(k) / "changes.csv", dtype=str)


def test_incremental_runs_agree_with_a_full_run(runs):
    full, inc = _links(runs / "out/3"), _links(runs / "inc/3")
    assert list(full.index) == list(inc.index)  # the same records: the last state
    # issue 17's 99.9% is measured at 50,000 and 200,000 persons (benchmarks/incremental.py:
    # 99.97%); at 1,500 persons one record is 0.08%, so here: at most 0.2% differ, and only
    # where a run made a borderline probabilistic link the other (with the earlier run's
    # model and thresholds) did not
    differ = full.index[full != inc]
    assert len(differ) / len(full) <= 0.002, list(differ)
    for out in ("out/3", "inc/3"):
        links = pd.read_parquet(runs / out / "links" / "benefits.parquet")
        moved = links[links["source_id"].isin(differ)]
        assert (moved["method"] == "probabilistic").all(), moved
    # the spine: the same reference units, with the same ids
    ids = [set(pd.read_parquet(runs / o / "integrated.parquet")["reference_id"])
           for o in ("out/1", "out/3", "inc/2", "inc/3")]
    assert all(i == ids[0] for i in ids)
    for o in ("inc/2", "inc/3"):  # linked incrementally, not in full
        man = pd.read_json(runs / o / "run_manifest.json", typ="series")
        info = man["links"]["benefits"]["incremental"]
        assert info["mode"] == "incremental" and info["full_reason"] is None
        n = pq.read_metadata(runs / o / "intake" / "benefits.parquet").num_rows
        assert 0 < info["linked_anew"] < 0.3 * n
    # the catalogue holds the last run of each delivery, with its changes
    con = duckdb.connect(str(runs / "catalogue" / "catalogue.duckdb"), read_only=True)
    rows = con.execute("SELECT delivery_id, output_dir, changes FROM deliveries "
                       "WHERE source = 'benefits' ORDER BY number").fetchall()
    con.close()
    assert [(d, Path(o).name) for d, o, _ in rows] == [
        ("benefits#1", "1"), ("benefits#2", "2"), ("benefits#3", "3")]
    assert json.loads(rows[2][2])["removed in a replacing delivery"] > 0
    assert rows[0][2] is None  # a plain run has no changes


def test_the_links_that_differ_are_borderline(runs):
    full, inc = _links(runs / "out/3"), _links(runs / "inc/3")
    differ = full.index[full != inc]
    for out in ("out/3", "inc/3"):
        links = pd.read_parquet(runs / out / "links" / "benefits.parquet")
        moved = links[links["source_id"].isin(differ)]
        assert (moved["match_probability"] < 0.95).all(), moved


def test_the_cascade_on_the_changed_records_gives_a_full_runs_links(runs):
    """inc/2 and inc/3 ran the deterministic cascade only on the records their delivery
    added, changed or removed and those sharing a key value with them; the cascade's
    links of every record (saved for the next run) are a full run's on the same state."""
    inc = pd.read_parquet(runs / "inc/3/incremental/benefits_cascade.parquet")
    full = pd.read_parquet(runs / "out/3/incremental/benefits_cascade.parquet")
    assert len(full) > 0.5 * pq.read_metadata(runs / "out/3/intake/benefits.parquet").num_rows
    pd.testing.assert_frame_equal(inc, full)
    for o in ("inc/2", "inc/3"):
        man = json.loads((runs / o / "run_manifest.json").read_text())
        info = man["links"]["benefits"]
        status = _changes(runs / o)["status"]
        seeds = int((status != "unchanged").sum())  # new, changed, removed
        # the closure: at least those, and far from every record
        assert seeds <= info["incremental"]["cascade_on"] + (status == "removed").sum()
        assert info["incremental"]["cascade_on"] < 0.3 * len(inc)
        # the step counts are the whole cascade's, as a full run counts them
        steps = info["deterministic_steps"]
        saved = pd.read_parquet(runs / o / "incremental/benefits_cascade.parquet")
        assert steps == {m: int((saved["method"] == m).sum()) for m in steps}
    assert (json.loads((runs / "inc/3/run_manifest.json").read_text())["links"]["benefits"]
            ["deterministic_steps"]) == (json.loads((runs / "out/3/run_manifest.json")
                                                    .read_text())["links"]["benefits"]
                                         ["deterministic_steps"])


def test_added_delivery_is_read_with_the_previous_state(runs):
    d2 = pq.read_table(runs / "deliveries/2/benefits.parquet").to_pandas()
    d1 = pq.read_table(runs / "deliveries/1/benefits.parquet").to_pandas()
    state = pd.read_parquet(runs / "inc/2/intake/benefits.parquet")
    assert set(state["record_id"]) == set(d1["claim_id"]) | set(d2["claim_id"])
    ch = _changes(runs / "inc/2")
    truth = _delivery_changes(runs, 2)
    new = set(truth.loc[truth["change"] == "new", "record_id"])
    assert set(ch.index[ch["reason"] == "new"]) == new
    changed = set(truth.loc[truth["change"] != "new", "record_id"])
    assert set(ch.index[ch["reason"] == "changed record"]) == changed
    assert "removed in a replacing delivery" not in set(ch["reason"])  # adds removes none
    assert (ch.loc[list(new), "old_links"] == "").all()


def test_replacing_delivery_lists_removed_records(runs):
    ch = _changes(runs / "inc/3")
    truth = _delivery_changes(runs, 3)
    died = set(truth.loc[truth["change"] == "died", "record_id"])
    assert died and set(ch.index[ch["reason"] == "removed in a replacing delivery"]) == died
    assert (ch.loc[list(died), "new_links"] == "").all()
    linked_before = set(_links(runs / "inc/2").loc[lambda s: s != ""].index)
    assert died & linked_before  # removed records lose the links they had
    assert not died & set(pd.read_parquet(runs / "inc/3/links/benefits.parquet")["source_id"])


def test_a_changed_record_is_relinked_with_its_reason(runs, tmp_path):
    """Claim A (linked to census X in the previous run) comes back in an added delivery
    with the identifying details of the person of another census record Y: it moves
    from X to Y, listed as a changed record; its neighbours keep their links."""
    prev = _links(runs / "inc/2")
    census = pd.read_csv(runs / "census.csv", dtype=str, keep_default_na=False)
    claims = pd.read_parquet(runs / "inc/2/intake/benefits.parquet")
    linked = prev[prev.str.count(";") == 0].loc[lambda s: s != ""]
    a, x = linked.index[0], linked.iloc[0]
    y = census[(census["person_id"] != x) & (census["ni_number"] != "")
               & (census["dob"] != "")].iloc[0]
    row = claims[claims["record_id"] == a].iloc[0]
    d, m, yy = y["dob"].split("/")
    new = {c: row[c] for c in pq.read_schema(runs / "deliveries/2/benefits.parquet").names}
    new.update(nino=y["ni_number"], first_name=y["forename"], last_name=y["surname"],
               birth_date=f"{yy}-{m}-{d}", post_code=y["postcode"], address=y["address_line"])
    folder = tmp_path / "deliveries" / "4"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pandas(pd.DataFrame([new]), preserve_index=False),
                   folder / "benefits.parquet")
    job = (runs / "deliveries/2/job.yaml").read_text().replace("../../", f"{runs}/")
    (folder / "job.yaml").write_text(job.replace("number: 2", "number: 4"))
    run_job(folder / "job.yaml", output_dir=str(tmp_path / "out"), since=runs / "inc/2")
    ch = _changes(tmp_path / "out")
    assert ch.loc[a, "old_links"] == x and ch.loc[a, "new_links"] == y["person_id"]
    assert ch.loc[a, "reason"] == "changed record"
    after = _links(tmp_path / "out")
    same = after.drop(a) == prev.drop(a)
    assert same.mean() > 0.998  # the others keep their links


def test_interrupted_incremental_run_resumes_to_the_same_outputs(runs, tmp_path):
    out = tmp_path / "inc2"
    args = ["run", str(runs / "deliveries/2/job.yaml"), "--output-dir", str(out),
            "--since", str(runs / "out/1")]
    env = {**os.environ, "SPINELINK_FAULT": "kill link:benefits middle"}
    killed = run_cli(*args, env=env)
    assert killed.returncode != 0 and not (out / "run_manifest.json").exists()
    resumed = run_cli(*args, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    for f in ("links/benefits.parquet", "changes/benefits.parquet", "review/benefits.parquet",
              "unlinked/benefits.parquet", "integrated.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(out / f),
                                      pd.read_parquet(runs / "inc/2" / f), check_like=False)
    # what the run took over from out/1 (the census's tables) is recorded by the killed
    # run's stages: the resumed manifest says so as the uninterrupted one does (it said
    # nothing had been taken over: the stages were reused from the checkpoint instead)
    manifests = [json.loads((o / "run_manifest.json").read_text())["incremental"]
                 for o in (out, runs / "inc/2")]
    assert manifests[0]["reused_stages"] == ["intake:census", "standardise:census"]
    assert manifests[0] == manifests[1]
    shutil.rmtree(out)


def test_extended_spine_keeps_its_ids_across_runs(runs, tmp_path):
    """extend_spine: the records of delivery 1 that link to no census unit become units
    `benefits:<id>`; the incremental run on delivery 2 keeps every unit and id of the
    first (those whose record now links say so) and adds the new unlinked records."""
    jobs = {}
    for k in (1, 2):
        text = (runs / f"deliveries/{k}/job.yaml").read_text()
        text = text.replace("../../", f"{runs}/").replace("path: benefits.parquet",
                                                         f"path: {runs}/deliveries/{k}/"
                                                         "benefits.parquet")
        jobs[k] = tmp_path / f"job{k}.yaml"
        jobs[k].write_text(text + "extend_spine: true\n")
    run_job(jobs[1], output_dir=str(tmp_path / "e1"))
    run_job(jobs[2], output_dir=str(tmp_path / "e2"), since=tmp_path / "e1")
    s1 = pd.read_parquet(tmp_path / "e1/spine.parquet").set_index("unit_id")
    s2 = pd.read_parquet(tmp_path / "e2/spine.parquet").set_index("unit_id")
    census = set(pd.read_csv(runs / "census.csv", dtype=str)["person_id"])
    unlinked1 = set(pd.read_parquet(tmp_path / "e1/unlinked/benefits.parquet")["record_id"])
    assert set(s1.index[s1["origin"] == "census"]) == census
    assert set(s1.index[s1["origin"] == "benefits"]) == {f"benefits:{r}" for r in unlinked1}
    assert unlinked1 and (s1["status"] == "active").all()
    assert set(s1.index) <= set(s2.index)  # no unit lost or renamed
    assert (s2.loc[s1.index, "first_run"] == "benefits_delivery_1#1").all()
    unlinked2 = set(pd.read_parquet(tmp_path / "e2/unlinked/benefits.parquet")["record_id"])
    added = set(s2.index) - set(s1.index)
    assert added == {f"benefits:{r}" for r in unlinked2 - unlinked1}
    assert (s2.loc[sorted(added), "first_run"] == "benefits_delivery_2#2").all()
    links2 = pd.read_parquet(tmp_path / "e2/links/benefits.parquet")
    now_linked = s2[s2["status"] == "linked"]
    for _unit, row in now_linked.iterrows():
        assert row["linked_to"] in set(links2.loc[links2["source_id"] == row["source_id"],
                                                  "reference_id"])
    still = s2[(s2["origin"] == "benefits") & (s2["status"] == "active")]
    assert set(still["source_id"]) == unlinked2 | (unlinked1 & set(still["source_id"]))


def test_since_refuses_what_it_cannot_use(runs, tmp_path):
    job = str(runs / "deliveries/2/job.yaml")
    r = run_cli("run", job, "--output-dir", str(tmp_path / "o"), "--since",
                str(tmp_path / "nothing"))
    assert r.returncode == 2 and "no run_manifest.json" in r.stderr
    r = run_cli("run", job, "--retrain")
    assert r.returncode == 2 and "--retrain goes with --since" in r.stderr
    r = run_cli("run", job, "--output-dir", str(runs / "inc/2"), "--since",
                str(runs / "inc/2"))
    assert r.returncode == 2 and "own output folder" in r.stderr


def test_a_previous_run_on_another_backend_is_relinked_in_full(runs):
    """The saved model is in the SQL of the backend that trained it (a DuckDB model on
    Spark fails in Splink): a previous run on another backend means a full relink, with
    the reason; on the same backend the run stays incremental."""
    from spinelink.backends import open_engine
    from spinelink.config import load_job
    from spinelink.incremental.link import _full_reason, populated
    from spinelink.incremental.state import classify

    since = runs / "inc/2"
    lj = load_job(runs / "deliveries/3/job.yaml")
    prev = json.loads((since / "run_manifest.json").read_text())
    status = classify(since / "intake/benefits.parquet",
                      runs / "inc/3" / "intake/benefits.parquet")
    engine = open_engine("duckdb")
    try:
        engine.load_parquet("__sl_std_benefits", runs / "inc/3/standardised/benefits.parquet")
        assert prev["backend"] == "duckdb"
        shares = populated(engine, '"__sl_std_benefits"')
        out = runs / "inc/3"
        assert _full_reason(engine, lj, since, out, prev, "benefits", status, shares) is None
        assert _full_reason(engine, lj, since, out, {**prev, "backend": "spark"},
                            "benefits", status, shares) == \
            "the previous run used the spark backend"
        # the job's thresholds changed: the saved ones no longer stand for it (a run
        # --since kept the previous accept and called it the job's 'fixed' one)
        text = (runs / "deliveries/3/job.yaml").read_text()
        changed = text.replace("probabilistic: {model: auto}",
                               "probabilistic: {model: auto, accept: 0.99, review: 0.5}")
        assert changed != text
        path = runs / "deliveries/3/job_thresholds.yaml"
        path.write_text(changed)
        why = _full_reason(engine, load_job(path), since, out, prev, "benefits", status,
                           shares)
        assert why is not None and why.startswith("links.benefits or sources.benefits differs")
    finally:
        engine.close()


def test_a_changed_reference_record_is_relinked(runs, tmp_path):
    """A census record corrected to another person's details: the source record linked
    to it on its old details (probabilistically, an unchanged record) kept that link and
    its score in a run --since. A changed reference relinks in full, saying why."""
    links = pd.read_parquet(runs / "inc/2/links/benefits.parquet")
    link = links[links["method"] == "probabilistic"].iloc[0]
    census = pd.read_csv(runs / "census.csv", dtype=str, keep_default_na=False)
    at = census["person_id"] == link["reference_id"]
    census.loc[at, ["forename", "surname", "dob", "sex", "address_line", "postcode"]] = [
        "Priya", "Ramanathan", "01/01/1990", "F", "7 Quarry Lane, Leeds", "LS6 2AB"]
    census.to_csv(tmp_path / "census.csv", index=False)
    job = (runs / "deliveries/3/job.yaml").read_text()
    assert "../../census.csv" in job
    path = runs / "deliveries/3/job_census.yaml"  # beside its delivery file
    path.write_text(job.replace("../../census.csv", str(tmp_path / "census.csv")))
    run_job(path, output_dir=str(tmp_path / "out"), since=runs / "inc/2")
    man = json.loads((tmp_path / "out/run_manifest.json").read_text())
    inc = man["links"]["benefits"]["incremental"]
    assert inc["mode"] == "full" and inc["full_reason"].startswith("the reference changed")
    after = pd.read_parquet(tmp_path / "out/links/benefits.parquet")
    mine = after[after["source_id"] == link["source_id"]]
    assert link["reference_id"] not in set(mine["reference_id"])
    ch = _changes(tmp_path / "out")
    assert ch.loc[link["source_id"], "old_links"] == link["reference_id"]


def test_a_saved_model_reloads_as_a_model_file(runs, tmp_path):
    """models/<source>.json, reloaded with `model: path` as the README says, failed in
    Splink (an internal error, after intake and the cascade): `model: auto` blocks on
    capped keys, which only the auto spec built. A model that blocks on them has them
    built; one that names a key no field gives is a one-line job error."""
    from spinelink.errors import JobError

    saved = runs / "out/1/models/benefits.json"
    model = json.loads(saved.read_text())
    assert "blk_capped_" in json.dumps(model["blocking_rules_to_generate_predictions"])
    text = (runs / "deliveries/3/job.yaml").read_text()
    job = runs / "deliveries/3/job_model.yaml"
    job.write_text(text.replace("probabilistic: {model: auto}",
                                f"probabilistic: {{model: {saved}}}"))
    run_job(job, output_dir=str(tmp_path / "out"))
    same = _links(tmp_path / "out") == _links(runs / "out/3")
    assert same.mean() > 0.99
    model["blocking_rules_to_generate_predictions"].append(
        {"blocking_rule": 'l."blk_capped_99" = r."blk_capped_99"', "sql_dialect": "duckdb"})
    (tmp_path / "odd.json").write_text(json.dumps(model))
    job.write_text(text.replace("probabilistic: {model: auto}",
                                f"probabilistic: {{model: {tmp_path / 'odd.json'}}}"))
    with pytest.raises(JobError, match=r"the model blocks on capped keys \['blk_capped_99'\]"):
        run_job(job, output_dir=str(tmp_path / "odd"))


def test_an_added_delivery_after_a_moved_previous_folder(runs, tmp_path):
    """The previous run's state file is recorded by its absolute path: once that folder
    was archived under another name, the next added delivery stopped ("is not there").
    The state file in the folder as it is now is taken when it is the recorded file
    (same SHA-256)."""
    run_job(runs / "deliveries/2/job.yaml", output_dir=str(tmp_path / "x"),
            since=runs / "out/1")
    (tmp_path / "x").rename(tmp_path / "archived")
    job = (runs / "deliveries/2/job.yaml").read_text().replace("number: 2", "number: 5")
    path = runs / "deliveries/2/job_again.yaml"
    path.write_text(job)
    run_job(path, output_dir=str(tmp_path / "next"), since=tmp_path / "archived")
    man = json.loads((tmp_path / "next/run_manifest.json").read_text())
    assert man["links"]["benefits"]["incremental"]["mode"] == "incremental"
    assert _links(tmp_path / "next").equals(_links(tmp_path / "archived"))


def test_changes_list_method_changes_and_what_was_in_review(runs, tmp_path):
    """changes/<source>.parquet left out an unchanged record whose link kept its unit but
    changed method (its match key now shared by a record the delivery adds, so the
    cascade no longer links it and Splink does), and showed a record in review before and
    linked now with empty `old_links`. Both are listed with what they were before."""
    prev = pd.read_parquet(runs / "inc/2/links/benefits.parquet")
    review = pd.read_parquet(runs / "inc/2/review/benefits.parquet")
    claims = pd.read_parquet(runs / "inc/2/intake/benefits.parquet").set_index("record_id")
    census = pd.read_csv(runs / "census.csv", dtype=str, keep_default_na=False)
    # A: linked by a match key (no NINo), to one unit; a copy of it under a new claim id
    keyed = prev[prev["method"].str.startswith("key:")]
    keyed = keyed[~keyed["source_id"].duplicated(keep=False)]
    a = next(s for s in keyed["source_id"] if pd.isna(claims.loc[s, "nino"]))
    x = keyed.loc[keyed["source_id"] == a, "reference_id"].iloc[0]
    method = keyed.loc[keyed["source_id"] == a, "method"].iloc[0]
    cols = pq.read_schema(runs / "deliveries/2/benefits.parquet").names
    copy = {c: claims.loc[a, c] if c != "claim_id" else "B09999999" for c in cols}
    # R: in review before; delivered again with its best candidate's details
    best = review.sort_values("match_probability").drop_duplicates("source_id", keep="last")
    r, y = best.iloc[-1]["source_id"], best.iloc[-1]["reference_id"]
    assert r not in set(prev["source_id"])
    p = census[census["person_id"] == y].iloc[0]
    d, m, yy = p["dob"].split("/")
    again = {c: claims.loc[r, c] if c != "claim_id" else r for c in cols}
    again.update(nino=p["ni_number"] or None, first_name=p["forename"],
                 last_name=p["surname"], birth_date=f"{yy}-{m}-{d}", post_code=p["postcode"],
                 address=p["address_line"])
    folder = tmp_path / "deliveries" / "4"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({c: pa.array([copy[c], again[c]], pa.string()) for c in cols}),
                   folder / "benefits.parquet")
    job = (runs / "deliveries/2/job.yaml").read_text().replace("../../", f"{runs}/")
    (folder / "job.yaml").write_text(job.replace("number: 2", "number: 6"))
    run_job(folder / "job.yaml", output_dir=str(tmp_path / "out"), since=runs / "inc/2")
    ch = _changes(tmp_path / "out")
    now = pd.read_parquet(tmp_path / "out/links/benefits.parquet")
    mine = now[now["source_id"] == a]
    assert set(mine["reference_id"]) == {x} and set(mine["method"]) == {"probabilistic"}
    assert ch.loc[a].to_dict() == {
        "status": "unchanged", "old_links": x, "new_links": x, "old_method": method,
        "new_method": "probabilistic", "old_outcome": "linked", "new_outcome": "linked",
        "reason": "link method changed"}
    assert ch.loc[r, "old_links"] == y and ch.loc[r, "old_method"] == "review:probabilistic"
    assert ch.loc[r, "old_outcome"] == "review" and ch.loc[r, "new_outcome"] == "linked"
    assert y in ch.loc[r, "new_links"].split(";") and ch.loc[r, "reason"] == "changed record"
    # every record whose links or methods differ between the two runs is listed
    before, after = (f.assign(m=f["method"]).groupby("source_id")[["reference_id", "m"]].agg(
        lambda s: ";".join(sorted(s))) for f in (prev, now))
    both = before.join(after, lsuffix="_old", rsuffix="_new", how="outer").fillna("")
    moved = both.index[(both["reference_id_old"] != both["reference_id_new"])
                       | (both["m_old"] != both["m_new"])]
    assert set(moved) <= set(ch.index)


def test_since_a_run_on_another_reference_refuses(runs, tmp_path):
    """--since the output of a run on another census (another job's, another year's,
    with the same id scheme) relinked in full "as the reference changed" but carried that
    run's spine: unit C... of the old census became the id of whoever holds the record id
    in this one. Spine unit ids are reference record ids, so a run on another reference
    cannot follow that run: one line, exit 2, naming both files; a revised census (a few
    records corrected, test_a_changed_reference_record_is_relinked) still follows it."""
    census = pd.read_csv(runs / "census.csv", dtype=str, keep_default_na=False)
    other = census.assign(person_id=census["person_id"].sample(frac=1, random_state=3)
                          .to_numpy())  # the same ids, held by other people
    other.to_csv(tmp_path / "census.csv", index=False)
    text = (runs / "deliveries/3/job.yaml").read_text().replace("../../census.csv",
                                                                str(tmp_path / "census.csv"))
    job = tmp_path / "job.yaml"
    job.write_text(text.replace("path: benefits.parquet",
                                f"path: {runs}/deliveries/3/benefits.parquet").replace(
        "../../", f"{runs}/"))
    out = tmp_path / "out"
    r = run_cli("run", str(job), "--output-dir", str(out), "--since", str(runs / "inc/2"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: --since {runs / 'inc/2'}: that run's reference 'census' "
                           f"({runs / 'census.csv'}) is another source than this job's "
                           f"({tmp_path / 'census.csv'})"), last
    assert "would be reused for other people" in last
    assert not (out / "spine.parquet").exists() and not (out / "links").exists()
    # another reference source by name: refused before anything is read
    renamed = job.read_text().replace("reference: census", "reference: cen").replace(
        "  census:\n    role: census", "  cen:\n    role: census").replace(
        "    census: {steward", "    cen: {steward")
    job.write_text(renamed)
    r = run_cli("run", str(job), "--output-dir", str(tmp_path / "o2"), "--since",
                str(runs / "inc/2"))
    assert r.returncode == 2 and "that run's reference is 'census'" in r.stderr.splitlines()[-1]
    assert not (tmp_path / "o2" / "intake").exists()


def test_an_added_delivery_reports_what_the_delivered_file_held(runs, tmp_path):
    """An added delivery of five rows (a new version of two claims, one of them twice,
    a claim without its id, a new claim) was reported by the merged state it is read
    with: `read` the state's 1,500-odd rows, its quarantine counted there. The manifest,
    the intake report and the catalogue say what the delivered file held (read, accepted,
    quarantined, with its own row numbers), and the state's counts apart; both add up."""
    claims = pd.read_parquet(runs / "inc/2/intake/benefits.parquet").set_index("record_id")
    cols = pq.read_schema(runs / "deliveries/2/benefits.parquet").names
    a, b = claims.index[10], claims.index[20]
    rows = []
    for rid, change in ((a, {}), (b, {}), (a, {"last_name": "Bayley"}), (b, {"claim_id": None}),
                        ("B09999998", {})):
        row = {c: claims.loc[a if rid == "B09999998" else rid, c] for c in cols}
        rows.append({**row, "claim_id": rid, **change})
    folder = tmp_path / "deliveries" / "4"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({c: pa.array([r[c] for r in rows], pa.string()) for c in cols}),
                   folder / "benefits.parquet")
    job = (runs / "deliveries/2/job.yaml").read_text().replace("../../", f"{tmp_path}/")
    (folder / "job.yaml").write_text(job.replace("number: 2", "number: 4").replace(
        f"{tmp_path}/census.csv", f"{runs}/census.csv"))
    out = tmp_path / "out"
    r = run_cli("run", str(folder / "job.yaml"), "--output-dir", str(out), "--since",
                str(runs / "inc/2"))
    assert r.returncode == 0, r.stderr[-3000:]
    man = json.loads((out / "run_manifest.json").read_text())
    acc = man["accounting"]["benefits"]
    previous = pq.read_metadata(runs / "inc/2/intake/benefits.parquet").num_rows
    quarantine = pd.read_parquet(out / "quarantine/benefits.parquet")
    # the state: the previous records (a and b replaced) with the delivery's rows
    assert acc["read"] == previous - 2 + 5 == acc["accepted"] + acc["quarantined"]
    assert acc["quarantined"] == len(quarantine)
    d = acc["delivered"]
    # the delivered file: 5 rows; a twice (both quarantined as a duplicate id, or one) and
    # a row without an id quarantined, nothing of the previous state counted
    assert d["file"] == "benefits.parquet" and d["read"] == 5
    assert d["read"] == d["accepted"] + d["quarantined"] and d["unreadable"] == 0
    assert d["quarantined"] == acc["quarantined"] >= 2
    assert d["previous_records"] == previous - 2 and d["replaced"] == 2
    assert 4 in d["quarantined_rows"] and set(d["quarantined_rows"]) <= {1, 2, 3, 4, 5}
    report = json.loads((out / "intake/report.json").read_text())["benefits"]
    assert report["delivered"] == d and report["rows_read"] == acc["read"]
    assert f"benefits delivered file benefits.parquet: read 5, quarantined {d['quarantined']}" \
        in r.stdout
    con = duckdb.connect(str(tmp_path / "catalogue" / "catalogue.duckdb"), read_only=True)
    got = con.execute("SELECT rows_read, accepted, quarantined, state_rows, state_accepted, "
                      "state_quarantined, linked + review + unlinked FROM deliveries "
                      "WHERE delivery_id = 'benefits#4'").fetchone()
    con.close()
    assert got == (5, d["accepted"], d["quarantined"], acc["read"], acc["accepted"],
                   acc["quarantined"], acc["accepted"])


def test_an_added_delivery_that_leaves_the_state_as_it_was_reports_its_own_file(runs,
                                                                              tmp_path):
    """An added delivery that is empty, or holds only rows delivered before (the same file
    again), leaves the state file byte for byte the one the previous run read, so the
    intake stage is taken over from it. What the delivered file held must still be this
    run's file's: the empty one read 0 rows, the repeated one replaced all its rows (the
    previous run's recorded counts, or none, were reported; the catalogue recorded the
    state's 1,500-odd rows as the empty delivery's)."""
    state = pq.read_metadata(runs / "inc/2/intake/benefits.parquet").num_rows
    delivery2 = runs / "deliveries/2/benefits.parquet"
    n2 = pq.read_metadata(delivery2).num_rows
    job = (runs / "deliveries/2/job.yaml").read_text().replace("../../", f"{tmp_path}/")
    empty = tmp_path / "empty"
    empty.mkdir()
    pq.write_table(pq.read_table(delivery2).slice(0, 0), empty / "benefits.parquet")
    (empty / "job.yaml").write_text(job.replace("number: 2", "number: 4").replace(
        f"{tmp_path}/census.csv", f"{runs}/census.csv"))
    again = tmp_path / "again"
    again.mkdir()
    (again / "job.yaml").write_text(job.replace("number: 2", "number: 5").replace(
        f"{tmp_path}/census.csv", f"{runs}/census.csv").replace(
        "path: benefits.parquet", f"path: {delivery2}"))
    for folder, number, read, replaced in ((empty, 4, 0, 0), (again, 5, n2, n2)):
        out = tmp_path / f"out{number}"
        r = run_cli("run", str(folder / "job.yaml"), "--output-dir", str(out), "--since",
                    str(runs / "inc/2"))
        assert r.returncode == 0, r.stderr[-3000:]
        man = json.loads((out / "run_manifest.json").read_text())
        assert "intake:benefits" in man["incremental"]["reused_stages"]
        acc = man["accounting"]["benefits"]
        d = acc["delivered"]
        assert acc["read"] == state
        assert (d["read"], d["accepted"], d["quarantined"]) == (read, read, 0)
        assert (d["previous_records"], d["replaced"]) == (state - read, replaced)
        report = json.loads((out / "intake/report.json").read_text())["benefits"]
        assert report["delivered"] == d
        assert f"benefits delivered file benefits.parquet: read {read}, quarantined 0" \
            in r.stdout
        con = duckdb.connect(str(tmp_path / "catalogue" / "catalogue.duckdb"),
                             read_only=True)
        got = con.execute("SELECT rows_read, state_rows FROM deliveries WHERE "
                          f"delivery_id = 'benefits#{number}'").fetchone()
        con.close()
        assert got == (read, state)


def test_an_added_delivery_of_a_source_the_previous_run_had_not_is_refused_clearly(
        runs, tmp_path):
    """Delivery 2 (adds) of the benefits under a Cyrillic name the previous run did not
    have: exit 2, one line naming the source, the previous run's sources and what to do
    (it said "the previous run's input for 'пособия' (None) is not there")."""
    text = (runs / "deliveries/2/job.yaml").read_text().replace("../../", f"{runs}/")
    text = text.replace("path: benefits.parquet",
                        f"path: {runs}/deliveries/2/benefits.parquet")
    text = text.replace("  benefits:", "  пособия:").replace("    benefits:", "    пособия:")
    text = text.replace("source: benefits", "source: пособия")
    job = tmp_path / "job.yaml"
    job.write_text(text, encoding="utf-8")
    r = run_cli("run", str(job), "--output-dir", str(tmp_path / "o"), "--since",
                str(runs / "out/1"))
    assert r.returncode == 2, r.stderr[-2000:]
    err = r.stderr.strip().splitlines()[-1]
    assert "the previous run has no source 'пособия' (its sources: benefits, census)" in err
    assert "mode: replaces" in err and "None" not in err and "Traceback" not in r.stderr


def test_since_a_run_of_an_older_version_without_input_locations_is_refused_clearly(
        runs, tmp_path):
    """A run by a spinelink older than the inputs' `location` in its manifest: an added
    delivery --since it said "the previous run's input for 'benefits' (None) is not
    there"; now exit 2 saying the manifest is an older version's and what to do."""
    man = json.loads((runs / "out/1/run_manifest.json").read_text())
    for v in man["inputs"].values():
        v.pop("location")
    old = tmp_path / "old"
    old.mkdir()
    (old / "run_manifest.json").write_text(json.dumps(man))
    r = run_cli("run", str(runs / "deliveries/2/job.yaml"), "--output-dir",
                str(tmp_path / "o"), "--since", str(old))
    assert r.returncode == 2, r.stderr[-2000:]
    err = r.stderr.strip().splitlines()[-1]
    assert "written by an older spinelink, does not say where it read 'benefits'" in err
    assert "None" not in err and "Traceback" not in r.stderr


def test_ctrl_c_during_an_incremental_run_says_so_and_resume_continues(runs, tmp_path):
    """Ctrl-C while the delivery is linked: the engine's query ends with its own error
    ("Query interrupted", wrapped by Splink), which the command line called an internal
    error (exit 70: "internal error (SplinkException)"), or, in Python code, click's
    "Aborted!" (exit 1, no documented code). Now one line saying it was interrupted and
    that --resume continues, exit 130; --resume then gives the uninterrupted run's links."""
    out = tmp_path / "inc3"
    args = ["run", str(runs / "deliveries/3/job.yaml"), "--output-dir", str(out),
            "--since", str(runs / "inc/2")]
    p = subprocess.Popen([sys.executable, "-m", "spinelink", *args], text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = []
    for line in p.stderr:
        lines.append(line)
        if "probabilistic:benefits ..." in line:
            p.send_signal(signal.SIGINT)
            break
    rest = p.communicate(timeout=300)[1]
    err = "".join(lines) + rest
    assert p.returncode == 130, err[-3000:]
    assert err.strip().splitlines()[-1] == (
        "error: interrupted (Ctrl-C); `spinelink run JOB.yaml --resume` continues an "
        "interrupted run from its last finished stage")
    assert "internal error" not in err and "Traceback" not in err
    assert not (out / "run_manifest.json").exists()
    r = run_cli(*args, "--resume")
    assert r.returncode == 0, r.stderr[-3000:]
    pd.testing.assert_frame_equal(pd.read_parquet(out / "links/benefits.parquet"),
                                  pd.read_parquet(runs / "inc/3/links/benefits.parquet"))


def test_an_extension_unit_whose_record_goes_to_review_says_so(runs, tmp_path):
    """extend_spine: claim R, unlinked in the first run, is a unit `benefits:R`. An added
    delivery gives R the details of claim Q, held for review: R goes to review too. Its
    unit was carried as `active`, as if R were still unlinked (so the active extension
    units outnumbered the unlinked records); it is `review`, and the active extension
    units are the unlinked records."""
    text = (runs / "deliveries/1/job.yaml").read_text().replace("../../", f"{runs}/")
    text = text.replace("path: benefits.parquet",
                        f"path: {runs}/deliveries/1/benefits.parquet")
    (tmp_path / "job1.yaml").write_text(text + "extend_spine: true\n")
    run_job(tmp_path / "job1.yaml", output_dir=str(tmp_path / "e1"))
    unlinked = pd.read_parquet(tmp_path / "e1/unlinked/benefits.parquet")["record_id"]
    review = pd.read_parquet(tmp_path / "e1/review/benefits.parquet")["source_id"]
    r, q = sorted(unlinked)[0], sorted(review)[0]
    delivered = pd.read_parquet(runs / "deliveries/1/benefits.parquet").set_index("claim_id")
    row = delivered.loc[[q]].reset_index().assign(claim_id=r)
    folder = tmp_path / "d2"
    folder.mkdir()
    row.to_parquet(folder / "benefits.parquet", index=False)
    job2 = (runs / "deliveries/2/job.yaml").read_text().replace("../../", f"{runs}/")
    job2 = job2.replace(f"{runs}/catalogue", f"{tmp_path}/catalogue")
    (folder / "job.yaml").write_text(job2 + "extend_spine: true\n")
    run_job(folder / "job.yaml", output_dir=str(tmp_path / "e2"), since=tmp_path / "e1")
    review2 = set(pd.read_parquet(tmp_path / "e2/review/benefits.parquet")["source_id"])
    assert r in review2
    spine = pd.read_parquet(tmp_path / "e2/spine.parquet").set_index("unit_id")
    assert spine.loc[f"benefits:{r}", "status"] == "review"
    assert spine.loc[f"benefits:{r}", "first_run"] == "benefits_delivery_1#1"
    unlinked2 = set(pd.read_parquet(tmp_path / "e2/unlinked/benefits.parquet")["record_id"])
    ext = spine[spine["origin"] == "benefits"]
    assert set(ext.loc[ext["status"] == "active", "source_id"]) == unlinked2


def test_values_the_reader_blanks_in_an_added_delivery_are_reported(runs, tmp_path):
    """An added delivery as CSV whose first name on one row has a byte that is not UTF-8
    (a Latin-1 export): a full run reads it as missing and says so (values quarantine,
    warning). Read --since through the merged state, the value was already missing there,
    so nothing said it was blanked; now the values quarantine names the record and the
    field, by the state's row, and the warning counts it."""
    rows = pd.read_parquet(runs / "deliveries/2/benefits.parquet")
    rid = rows["claim_id"].iloc[2]
    folder = tmp_path / "d"
    folder.mkdir()
    text = rows.to_csv(index=False).encode("utf-8")
    line = text.split(b"\n")[3]
    bad = line.replace(f",{rows['first_name'].iloc[2]},".encode(), b",Zo\xeb,", 1)
    assert bad != line and line.startswith(rid.encode())
    (folder / "benefits.csv").write_bytes(text.replace(line, bad, 1))
    job = (runs / "deliveries/2/job.yaml").read_text().replace("../../", f"{runs}/")
    job = job.replace(f"{runs}/catalogue", f"{tmp_path}/catalogue")
    (folder / "job.yaml").write_text(job.replace("path: benefits.parquet", "path: benefits.csv"))
    r = run_cli("run", str(folder / "job.yaml"), "--output-dir", str(tmp_path / "o"),
                "--since", str(runs / "inc/2"))
    assert r.returncode == 0, r.stderr[-3000:]
    values = pd.read_parquet(tmp_path / "o/quarantine/benefits_values.parquet")
    hit = values[values["record_id"] == rid]
    assert list(hit["field"]) == ["first_name"]
    assert hit["reason"].iloc[0] == "bytes that are not valid utf-8"
    state = pd.read_parquet(tmp_path / "o/incremental/benefits_state.parquet")
    assert state["claim_id"].iloc[int(hit["_row"].iloc[0]) - 1] == rid  # the state's row
    assert "first_name: bytes that are not valid utf-8: 1" in r.stderr
    assert "Zo" not in r.stderr


def test_an_added_delivery_without_a_column_delivered_before_is_an_unusable_source(
        runs, tmp_path):
    """An added delivery without `employment_status` (a column no job setting reads):
    it was refused as a job-file problem (exit 2, "lacks columns the previous state has:
    ['employment_status']"); it is the delivered file that cannot be used (exit 3, as a
    missing mapped column), in one line naming the file, the column and what to do."""
    folder = tmp_path / "d"
    folder.mkdir()
    rows = pd.read_parquet(runs / "deliveries/2/benefits.parquet")
    rows.drop(columns=["employment_status"]).to_parquet(folder / "benefits.parquet",
                                                        index=False)
    job = (runs / "deliveries/2/job.yaml").read_text().replace("../../", f"{runs}/")
    (folder / "job.yaml").write_text(job.replace(f"{runs}/catalogue", f"{tmp_path}/cat"))
    r = run_cli("run", str(folder / "job.yaml"), "--output-dir", str(tmp_path / "o"),
                "--since", str(runs / "inc/2"))
    assert r.returncode == 3, r.stderr[-2000:]
    err = r.stderr.strip().splitlines()
    assert len(err) == 1 and str(folder / "benefits.parquet") in err[0]
    assert "lacks column(s) the records delivered before have: employment_status" in err[0]
    assert "mode: replaces" in err[0]


def test_the_console_says_an_incremental_runs_threshold_estimates_are_of_the_records_linked_anew(
        runs, tmp_path):
    """The incremental run on delivery 2 scores only the records it links anew; the
    console printed their estimates as the source's ("estimated precision 0.9988, recall
    0.8424" after the full run's 0.9531), as if recall had fallen. It says whose they are."""
    r = run_cli("run", str(runs / "deliveries/2/job.yaml"), "--output-dir",
                str(tmp_path / "o"), "--since", str(runs / "out/1"))
    assert r.returncode == 0, r.stderr[-3000:]
    man = json.loads((tmp_path / "o/run_manifest.json").read_text())
    inc = man["links"]["benefits"]["incremental"]
    assert inc["mode"] == "incremental"
    assert "has no --since" not in r.stderr  # an added delivery linked with its state
    assert "of another job" not in r.stderr  # the deliveries' jobs are named per delivery
    line = next(x for x in r.stdout.splitlines() if "benefits thresholds:" in x)
    assert f"; of the {inc['linked_anew']} records linked anew: estimated precision " in line
    # the thresholds are the previous run's (the job's accept: auto), not "fixed" ones
    th = man["links"]["benefits"]["probabilistic"]["thresholds"]
    assert (f"benefits thresholds: accept {shown(th['accept'])} (previous run), review "
            f"{shown(th['review'])} (previous run)") in line, line


def test_an_added_delivery_run_without_since_says_it_is_linked_alone(runs, tmp_path):
    """Delivery 2 adds to delivery 1; run without --since, only its own records are linked
    (the catalogue's scope `increment`) and nothing said so: a user who forgot --since got
    a 134-record output that looked like the month's. A warning names the source and the
    option; with --since there is none."""
    job = (runs / "deliveries/2/job.yaml").read_text().replace("../../", f"{runs}/")
    job = job.replace(f"{runs}/catalogue", f"{tmp_path}/catalogue").replace(
        "path: benefits.parquet", f"path: {runs}/deliveries/2/benefits.parquet")
    (tmp_path / "job.yaml").write_text(job)
    r = run_cli("run", str(tmp_path / "job.yaml"), "--output-dir", str(tmp_path / "alone"))
    assert r.returncode == 0, r.stderr[-3000:]
    assert ("WARNING benefits: the delivery adds to earlier ones (catalogue.delivery.mode: "
            "adds) and the run has no --since: only the records it holds are linked") \
        in r.stderr
    assert "run --since PREVIOUS_OUT" in r.stderr


def test_since_a_run_of_another_job_says_so_when_it_relinks_in_full(runs, tmp_path):
    """`--since` the output of another job (another name, other link settings) on the same
    census was accepted and every source relinked in full with an INFO line only: a user
    who gave the wrong folder was not told. The warning names both jobs and says the
    source is relinked in full; the monthly deliveries' own jobs (named per delivery,
    linked incrementally) get none."""
    job = (runs / "deliveries/3/job.yaml").read_text().replace("../../", f"{runs}/")
    job = job.replace(f"{runs}/catalogue", f"{tmp_path}/catalogue").replace(
        "path: benefits.parquet", f"path: {runs}/deliveries/3/benefits.parquet")
    job = job.replace("name: benefits_delivery_3", "name: other_job").replace(
        "probabilistic: {model: auto}", "probabilistic: {model: auto, accept: 0.99}")
    assert "name: other_job" in job and "accept: 0.99" in job
    (tmp_path / "job.yaml").write_text(job)
    r = run_cli("run", str(tmp_path / "job.yaml"), "--output-dir", str(tmp_path / "o"),
                "--since", str(runs / "out/1"))
    assert r.returncode == 0, r.stderr[-3000:]
    line = next(x for x in r.stderr.splitlines() if "of another job" in x)
    assert "WARNING" in line and "'benefits_delivery_1'" in line and "'other_job'" in line
    assert "linked in full" in line and str(runs / "out/1") in line
    man = json.loads((tmp_path / "o/run_manifest.json").read_text())
    assert man["links"]["benefits"]["incremental"]["mode"] == "full"
