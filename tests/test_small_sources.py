"""A small office's run as a new user reads it (session 55, helper E): a 135-record source
against a 401-person census, whose console, log, manifest and report said things its
figures did not bear out. Made-up people (twins among them), linked through the CLI."""
from __future__ import annotations

import json
import random

import pandas as pd
import pytest
from conftest import run_cli

FIRST = ["Anna", "Maria", "John", "Peter", "Olga", "Ivan", "Sarah", "David", "Emma", "Lucas",
         "Mia", "Noah", "Ella", "Liam", "Zoe", "Adam", "Eva", "Mark", "Nina", "Paul", "Rose",
         "Tom", "Kate", "Sam"]
LAST = ["Smith", "Jones", "Brown", "Taylor", "Wilson", "Evans", "Thomas", "Roberts",
        "Walker", "Wright", "Green", "Hall", "Wood", "Clarke", "Hughes", "Turner", "Moore",
        "Cook", "Baker", "King", "Ward", "Bell", "Shaw", "Reed", "Lane", "Fox", "Hart", "Cole"]
JOB = """\
schema_version: 1
name: small
output_dir: out
reference: census
reference_date: 2021-12-01
sources:
  census: {role: census, path: census.csv, id: id, date_format: "%d/%m/%Y",
           subgroups: [sex], identifiers: {nin: nin},
           columns: {first_name: first, last_name: last, date_of_birth: dob, sex: sex,
                     postcode: zip}}
  admin: {role: admin, path: ADMIN, id: rid, date_format: "%d/%m/%Y",
          columns: {first_name: first, last_name: last, date_of_birth: dob, sex: sex,
                    postcode: zip}}
links:
  admin: {}
"""
# the census with `ids` alone: 60 of its people with their `nin`
IDS = JOB.split("  admin:")[0] + """\
  ids: {role: admin, path: ids.csv, id: rid, date_format: "%d/%m/%Y", identifiers: {nin: nin},
        columns: {first_name: first, last_name: last, date_of_birth: dob, sex: sex}}
links:
  ids: {deterministic: {direct: [nin]}}
"""


def _date(rng: random.Random) -> str:
    return f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1940, 2010)}"


def _typo(rng: random.Random, s: str) -> str:
    j = rng.randrange(len(s))
    return s[:j] + rng.choice("aeioux") + s[j + 1:]


def _write(folder, seed: int = 1) -> dict[str, str]:
    """A census of 401 (a twin after every 19th person: surname, date of birth and
    postcode shared), `admin`: 120 of them with typos, a wrong year, no postcode or no
    first name, and 15 people not in the census; `ids`: 60 census people with their
    `nin`. Returns admin's truth (source id -> census id)."""
    rng = random.Random(seed)
    census: list[tuple] = []
    while len(census) < 400:
        i = len(census)
        last = rng.choice(LAST) + rng.choice(["", "son", "ley", "er", ""])
        dob, zip_ = _date(rng), f"{rng.randint(10000, 99999)}"
        census.append((f"C{i}", rng.choice(FIRST), last, dob, "MF"[i % 2], zip_))
        if (i + 1) % 20 == 0:
            other = rng.choice([x for x in FIRST if x != census[-1][1]])
            census.append((f"C{i + 1}", other, last, dob, "MF"[(i + 1) % 2], zip_))
    admin, truth = [], {}
    for k, (cid, first, last, dob, sex, zip_) in enumerate(rng.sample(census, 120)):
        u = rng.random()
        if u < 0.15:
            first = _typo(rng, first)
        elif u < 0.27:
            last = _typo(rng, last)
        elif u < 0.33:
            dob = dob[:6] + str(int(dob[6:]) + 1)
        elif u < 0.38:
            zip_ = ""
        elif u < 0.41:
            first = ""
        admin.append((f"A{k}", first, last, dob, sex, zip_))
        truth[f"A{k}"] = cid
    for q in range(15):
        admin.append((f"X{q}", rng.choice(FIRST), rng.choice(LAST) + "x", _date(rng),
                      "MF"[q % 2], ""))
    (folder / "census.csv").write_text("id,first,last,dob,sex,zip,nin\n" + "".join(
        ",".join(r) + f",N{r[0][1:]:0>5}\n" for r in census))
    (folder / "admin.csv").write_text("rid,first,last,dob,sex,zip\n" + "".join(
        ",".join(r) + "\n" for r in admin))
    (folder / "ids.csv").write_text("rid,first,last,dob,sex,nin\n" + "".join(
        f"B{k},{r[1]},{r[2]},{r[3]},{r[4]},N{r[0][1:]:0>5}\n" for k, r in enumerate(census[:60])))
    (folder / "job.yaml").write_text(JOB.replace("ADMIN", "admin.csv"))
    return truth


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    truth = _write(folder)
    r = run_cli("run", "job.yaml", cwd=folder)
    assert r.returncode == 0, r.stderr[-3000:]
    return folder, truth, r


def test_a_source_linked_wholly_deterministically_says_no_threshold_was_chosen(small,
                                                                              tmp_path):
    """`ids` links every record by its `nin`: nothing is left for the probabilistic
    stage, and the console and the report said `accept 1 (auto), review 1 (auto)`, a
    threshold nobody chose. They say none was chosen and why; the manifest says why."""
    _write(tmp_path)
    (tmp_path / "job.yaml").write_text(IDS)
    r = run_cli("run", "job.yaml", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    folder = tmp_path
    links = pd.read_parquet(folder / "out/links/ids.parquet")
    assert len(links) == 60 and set(links["method"]) == {"direct:nin"}
    why = "every record was linked deterministically: none left to score"
    line = next(x for x in r.stdout.splitlines() if "ids thresholds:" in x)
    assert line.strip() == f"ids thresholds: no acceptance threshold chosen ({why})", line
    th = json.loads((folder / "out/run_manifest.json").read_text())[
        "links"]["ids"]["probabilistic"]["thresholds"]
    assert th["not_chosen"] == why and th["accept_mode"] == "auto"
    assert f"none: {why}" in (folder / "out/report.html").read_text()
    # a source whose threshold `auto` chose says it as before, with no `not_chosen`
    folder, _, r = small
    admin = next(x for x in r.stdout.splitlines() if "admin thresholds:" in x)
    assert "admin thresholds: accept 0.95 (auto), review 0.95 (auto); of its 19" in admin
    assert "not_chosen" not in json.loads((folder / "out/run_manifest.json").read_text())[
        "links"]["admin"]["probabilistic"]["thresholds"]


def test_a_small_sources_group_is_not_flagged_for_one_expected_miss(small):
    """admin's 119 links are all right (the 120th, A83, is held in review at 0.94996 just
    under the threshold 0.95). Its age band 65+ (24 links) has estimated recall 0.9590 with
    an interval (0.9590-0.9600) of no width, a count of its own records, under the
    source's 0.9907: the report listed it as significantly below, from one expected miss
    in a group of 25. As a sample of its size it is too small to judge: not listed."""
    folder, truth, _ = small
    links = pd.read_parquet(folder / "out/links/admin.parquet")
    assert len(links) == 119
    assert all(truth[s] == ref for s, ref in zip(links["source_id"], links["reference_id"],
                                                   strict=True))
    sub = pd.read_csv(folder / "out/quality/subgroups.csv", dtype={"value": str})
    sub = sub[(sub["source"] == "admin") & (sub["basis"] == "model")].set_index(
        ["variable", "value"]).sort_index()
    old = sub.loc[("age_band", "65+")]
    overall = sub.loc[("all", "all"), "est_recall"]
    assert old["est_recall_high"] < overall  # the finite-population reading: below
    assert old["n_linked"] == 24 and old["est_recall"] == pytest.approx(0.959, abs=1e-3)
    summary = json.loads((folder / "out/quality/summary.json").read_text())
    assert summary["flags"] == []
    assert "a group too small to judge" in (folder / "out/report.html").read_text()


def test_a_tiny_residuals_calibration_check_says_too_few_to_judge(small):
    """admin's residual is 35 records (24 candidate pairs, 15 of its people not in the
    census): the leave-partner-out check read 2.3 expected false links against the
    model's 0.1 and warned "precision may be overstated"; every link is right. Two summary
    bins' worth of candidates (50) are too few to judge: the verdict says so, no warning."""
    folder, _, _ = small
    src = json.loads((folder / "out/quality/summary.json").read_text())["sources"]["admin"]
    cal = src["calibration"]
    assert cal["verdict"] == ("too few to judge (24 residual candidate pairs; the check "
                              "needs 50)")
    assert cal["calibrated_expected_false_links"] > 2  # what the warning was read from
    assert not any("leave-partner-out check" in w for w in src["warnings"])
    check = next(c for c in src["diagnostics"] if c["check"] == "calibration")
    assert check["ok"] and check["warning"] is None


def test_an_incremental_runs_log_says_its_thresholds_are_the_previous_runs(small, tmp_path):
    """Month 2 changes one admin record and links it with `--since`: its thresholds are
    the previous run's (the job says auto). The console said `(previous run)` since
    session 54, but the probabilistic stage's INFO line still said `accept fixed 0.95`."""
    folder, _, _ = small
    rows = (folder / "admin.csv").read_text().splitlines()
    rows[1] = rows[1].replace(",", ",Z", 1)  # A0's first name changed
    (tmp_path / "admin.csv").write_text("\n".join(rows) + "\n")
    job = JOB.replace("ADMIN", str(tmp_path / "admin.csv"))
    job = job.replace("path: census.csv", f"path: {folder / 'census.csv'}")
    (tmp_path / "job.yaml").write_text(job)
    r = run_cli("run", "job.yaml", "--output-dir", "o2", "--since", str(folder / "out"),
                cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "incremental admin: 1 of 135 records linked anew" in r.stderr
    logged = [x for x in r.stderr.splitlines() if " INFO admin: " in x and "review" in x]
    assert len(logged) == 1 and "admin: accept 0.95 (previous run), review 0.95 (previous " \
        "run); estimated precision" in logged[0], logged
    assert "fixed" not in logged[0]


def test_a_reference_without_sex_has_no_sex_subgroup(tmp_path):
    """FEBRL4's files have no sex column: the job maps none, yet the quality stage's
    default subgroups took `sex` from the standardised table's empty column, every record
    in the group `unknown`, and the report warned "100% of records have no sex". The
    default groups are sex and age band where the reference maps them."""
    _write(tmp_path)
    job = JOB.replace("ADMIN", "admin.csv").replace(" sex: sex,", "").replace(
        "subgroups: [sex], ", "")
    (tmp_path / "job.yaml").write_text(job)
    r = run_cli("run", "job.yaml", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    sub = pd.read_csv(tmp_path / "out/quality/subgroups.csv", dtype={"value": str})
    assert set(sub["variable"]) == {"all", "age_band"}
    summary = json.loads((tmp_path / "out/quality/summary.json").read_text())
    warnings = summary["sources"]["admin"]["warnings"]
    assert not any("no sex" in w for w in warnings), warnings
    assert "no sex" not in (tmp_path / "out/report.html").read_text()


def test_age_band_as_the_only_subgroup(tmp_path):
    """`quality: {subgroups: [age_band]}` stopped the run with "internal error
    (InvalidInputException)": the subgroup query was given the text parameters only a
    plain variable reads, and DuckDB refuses unused parameters."""
    _write(tmp_path)
    (tmp_path / "job.yaml").write_text(JOB.replace("ADMIN", "admin.csv").replace(
        "links:", "quality: {subgroups: [age_band]}\nlinks:"))
    r = run_cli("run", "job.yaml", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    sub = pd.read_csv(tmp_path / "out/quality/subgroups.csv", dtype={"value": str})
    assert set(sub["variable"]) == {"all", "age_band"}
    assert set(sub.loc[sub["variable"] == "age_band", "value"]) == {
        "0-17", "18-29", "30-49", "50-64", "65+"}


def test_a_calibration_with_nothing_to_check_against_says_not_checked(tmp_path):
    """A source linked by the model alone (pseudopeople's W-2 against the census, here
    admin without match keys) has no deterministic links for the leave-partner-out null:
    the report's "Calibration check" said "verdict: consistent" beside "model
    probabilities (too few deterministic links to check)", a check that never ran."""
    _write(tmp_path)
    (tmp_path / "job.yaml").write_text(JOB.replace("ADMIN", "admin.csv").replace(
        "  admin: {}", "  admin: {deterministic: {match_keys: null}}"))
    r = run_cli("run", "job.yaml", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    links = pd.read_parquet(tmp_path / "out/links/admin.parquet")
    assert set(links["method"]) == {"probabilistic"}
    cal = json.loads((tmp_path / "out/quality/summary.json").read_text())[
        "sources"]["admin"]["calibration"]
    assert cal["method"] == "model probabilities (too few deterministic links to check)"
    assert cal["verdict"] == "not checked (too few deterministic links to check against)"
    assert "verdict: <b>not checked" in (tmp_path / "out/report.html").read_text()


def test_the_console_says_where_a_withheld_overall_figure_is(tmp_path):
    """The overall row of the published subgroups.csv is withheld when one of its counts
    is under `quality.min_cell` (FEBRL4: 3 of 5,000 census records unlinked; here 60
    linked under a min_cell of 400). The console printed the figures and sent the reader
    to quality/subgroups.csv, whose row is blank; it says where they are."""
    _write(tmp_path)
    (tmp_path / "job.yaml").write_text(IDS + "quality: {min_cell: 400}\n")
    r = run_cli("run", "job.yaml", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    sub = pd.read_csv(tmp_path / "out/quality/subgroups.csv", dtype={"value": str})
    assert sub.loc[sub["variable"] == "all", "suppressed"].tolist() == [True]
    line = next(x for x in r.stdout.splitlines() if "ids quality" in x)
    assert line.endswith("(quality/summary.json; its row of the published "
                         "quality/subgroups.csv is withheld by disclosure control)"), line
