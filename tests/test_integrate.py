"""Integration stage: code lists and versions, rules, job-file checks, and the real
pipeline on generated data compared with the generator's truth and with an independent
re-computation of the priority rules from the raw files."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import ROOT

import spinelink
from spinelink.config import load_job
from spinelink.errors import JobError
from spinelink.integrate import choose, codes, duplicates
from spinelink.sample import generate

D = dt.date
REF_DATE = "2021-03-21"

# ---------------------------------------------------------------- code lists, versions


@pytest.mark.parametrize("period,expected", [
    ((D(2015, 1, 1), D(2015, 12, 31)), ["ethnic_group_2011"]),
    ((D(2021, 3, 20), D(2021, 3, 20)), ["ethnic_group_2011"]),
    ((D(2021, 3, 21), D(2021, 3, 21)), ["ethnic_group_2021"]),
    ((D(2020, 1, 1), D(2021, 12, 31)), ["ethnic_group_2011", "ethnic_group_2021"]),
])
def test_versions_chosen_by_reference_period(period, expected):
    assert [c.name for c in codes.applicable("ethnic_group_2021", period)] == expected


def test_no_version_valid_or_no_period_is_an_error():
    with pytest.raises(ValueError, match="no version of ethnic_group is valid"):
        codes.applicable("ethnic_group_2021", (D(2000, 1, 1), D(2000, 12, 31)))
    with pytest.raises(ValueError, match="no reference_period"):
        codes.applicable("ethnic_group_2021", None)


def test_code_table_maps_2011_to_2021_and_keeps_2021():
    names, table = codes.plan_for("ethnic_group_2021", (D(2020, 1, 1), D(2021, 12, 31)))
    m = dict(zip(table["code"], table["value"], strict=True))
    assert names == ["ethnic_group_2011", "ethnic_group_2021"]
    assert (m["01"], m["04"], m["11"], m["D4"], m["D1"]) == ("D1", "D5", "A1", "D4", "D1")
    assert len(table) == 18 + 19


def test_source_specific_list_only_when_named():
    lists = codes.applicable("disability", (D(2021, 1, 1), D(2021, 12, 31)))
    assert [c.name for c in lists] == ["disability"]
    names, table = codes.plan_for("disability", None, "disability_yes_no_12")
    assert names == ["disability_yes_no_12"]
    assert dict(zip(table["code"], table["value"], strict=True)) == {"1": "Y", "2": "N"}


def test_lists_valid_together_must_not_share_codes(tmp_path):
    (tmp_path / "a.csv").write_text("code\n1\n2\n")
    (tmp_path / "b.csv").write_text("code\n1\n3\n")
    (tmp_path / "a_b.csv").write_text("from_code,to_code\n1,3\n2,3\n")
    (tmp_path / "versions.yaml").write_text(
        "schema_version: 1\nlists:\n"
        "  a: {family: f, file: a.csv, valid_to: 2020-12-31}\n"
        "  b: {family: f, file: b.csv, valid_from: 2020-06-01}\n"
        "mappings:\n  - {from: a, to: b, file: a_b.csv}\n")
    lists = codes.applicable("b", (D(2020, 1, 1), D(2020, 12, 31)), folder=tmp_path)
    with pytest.raises(ValueError, match="different meanings"):
        codes.code_table("b", lists, folder=tmp_path)
    only_a = codes.applicable("b", (D(2019, 1, 1), D(2019, 12, 31)), folder=tmp_path)
    assert codes.code_table("b", only_a, folder=tmp_path)["value"].tolist() == ["3", "3"]


def test_versions_file_lists_every_code_list_with_a_code_column():
    folder = codes.code_lists_dir()
    for name in ("ethnic_group_2011", "ethnic_group_2021", "sex", "region", "disability"):
        assert codes.get_list(name).codes
    assert {p.name for p in folder.glob("*.csv")} >= {"disability.csv", "ethnic_group_2021.csv"}


# ---------------------------------------------------------------- small pure functions


def test_duplicate_groups_join_through_shared_records():
    assert duplicates.groups([("C3", "C1"), ("C3", "C2")]) == {"C2": "C1", "C3": "C1"}
    assert duplicates.groups([]) == {}


def test_pivot_fragments_quote_names_and_bind_values():
    frag, params = choose.variable_fragments(['a"b'])
    assert '"a""b__status"' in frag["variable_columns"]
    assert params == {"var_0": 'a"b'} and "$var_0" in frag["variable_pivot"]
    frag, params = choose.source_fragments(["benefits"])
    assert 'coalesce(s."benefits__n_records", 0)' in frag["source_columns"]


# ---------------------------------------------------------------- job-file checks

JOB = """\
schema_version: 1
name: t
reference: census
reference_date: 2021-03-21
sources:
  census:
    role: census
    path: c.csv
    id: pid
    columns: {first_name: fn, last_name: ln, sex: sx}
    variables: {ethnic_group: eth}
  admin:
    role: admin
    path: a.csv
    id: cid
    columns: {first_name: fn, last_name: ln, sex: sx}
    variables: {ethnic_group: eth, employment_status: emp}
    reference_period: {start: 2020-01-01, end: 2021-12-31}
  other:
    role: survey
    path: o.csv
    id: oid
    columns: {first_name: fn, last_name: ln}
links:
  admin: {}
integrate:
  ethnic_group: {priority: [census, admin], code_list: ethnic_group_2021}
  sex: {priority: [census, admin]}
  employment_status: {rule: most_recent, date_column: {admin: updated}}
integrate_options:
  select: {admin: {rule: most_recent, date_column: updated}}
"""

BAD = [
    ("unknown source", ("priority: [census, admin], code", "priority: [census, benefits], code"),
     "ethnic_group.priority: unknown source 'benefits'"),
    ("source not linked", ("sex: {priority: [census, admin]}", "sex: {priority: [census, other]}"),
     "source 'other' is neither the reference nor linked"),
    ("variable not carried", ("employment_status: {rule", "disability: {rule"),
     "source 'admin' does not carry 'disability' (declare it in sources.admin.variables, "
     "or code it from free text under coding.admin)"),
    ("canonical not mapped", ("    columns: {first_name: fn, last_name: ln, sex: sx}\n"
                              "    variables: {ethnic_group: eth}\n",
                              "    columns: {first_name: fn, last_name: ln}\n"
                              "    variables: {ethnic_group: eth}\n"),
     "does not carry 'sex' (declare it in sources.census.columns)"),
    ("unknown code list", ("code_list: ethnic_group_2021", "code_list: ethnicity_2031"),
     "unknown code list 'ethnicity_2031'"),
    ("no version in period", ("{start: 2020-01-01, end: 2021-12-31}",
                              "{start: 2001-01-01, end: 2001-12-31}"),
     "source 'admin': no version of ethnic_group is valid"),
    ("priority missing", ("sex: {priority: [census, admin]}", "sex: {}"),
     "expected priority: [sources, best first] or rule: most_recent"),
    ("most_recent without dates", ("{rule: most_recent, date_column: {admin: updated}}",
                                   "{rule: most_recent}"), "needs date_column"),
    ("reserved name", ("  sex: {priority", "  unit_status: {priority"), "not one of"),
    ("double underscore", ("  sex: {priority", "  sex__x: {priority"), "single underscores"),
    ("select unknown source", ("select: {admin:", "select: {survey:"),
     "select.survey: unknown source"),
    ("select on reference", ("select: {admin:", "select: {census:"),
     "only a linked source"),
    ("select rule shape", ("rule: most_recent, date_column: updated}}\n",
                           "rule: priority, date_column: updated}}\n"), "rule priority takes"),
]


@pytest.mark.parametrize("label,edit,expected", BAD, ids=[b[0] for b in BAD])
def test_integrate_section_faults_name_file_and_key(tmp_path, label, edit, expected):
    old, new = edit
    assert old in JOB, label
    p = tmp_path / "job.yaml"
    p.write_text(JOB.replace(old, new), encoding="utf-8")
    with pytest.raises(JobError) as e:
        load_job(p)
    msg = str(e.value)
    assert str(p) in msg and "integrate" in msg, msg
    assert expected in msg, msg


def test_every_source_a_variable_names_wrongly_is_reported_at_once(tmp_path):
    """A priority list naming a source that is not linked and a misspelt one: both are
    reported when the job loads (only the first was, so fixing it revealed the next)."""
    p = tmp_path / "job.yaml"
    p.write_text(JOB.replace("sex: {priority: [census, admin]}",
                             "sex: {priority: [census, other, admn]}"), encoding="utf-8")
    with pytest.raises(JobError) as e:
        load_job(p)
    lines = str(e.value).splitlines()
    assert lines[0] == f"{p}: 2 problems"
    assert lines[1:] == [
        f"{p}: key 'integrate': sex.priority: source 'other' is neither the reference nor "
        "linked to it (no links entry)",
        f"{p}: key 'integrate': sex.priority: unknown source 'admn'; expected one of "
        "['census', 'admin', 'other']; did you mean 'admin'?"]


def test_valid_integrate_section_loads(tmp_path):
    p = tmp_path / "job.yaml"
    p.write_text(JOB, encoding="utf-8")
    job = load_job(p).job
    assert job.integrate["ethnic_group"].priority == ["census", "admin"]
    assert job.sources["admin"].reference_period.start == D(2020, 1, 1)
    assert job.integrate_options.select["admin"].rule == "most_recent"


def test_demo_job_integrates_four_variables_one_through_a_mapping():
    job = load_job(ROOT / "sample_data" / "demo_job.yaml").job
    assert len(job.integrate) >= 4
    plan, table = choose.build_plan(job)
    eth = plan[plan["variable"] == "ethnic_group"].set_index("source")
    assert "ethnic_group_2011" in eth.loc["benefits", "lists"]
    assert eth.loc["census", "lists"] == "ethnic_group_2021"


# ---------------------------------------------------------------- the real pipeline

MAP_2011 = pd.read_csv(codes.code_lists_dir() / "ethnic_group_2011_to_2021.csv", dtype=str)
ETHNIC = {**dict(zip(MAP_2011.from_code, MAP_2011.to_code, strict=True)),
          **{c: c for c in codes.get_list("ethnic_group_2021").codes}}
ETHNIC_2021 = {c: c for c in codes.get_list("ethnic_group_2021").codes}


def _hash(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read(data):
    census = pd.read_csv(data / "census.csv", dtype=str, keep_default_na=False)
    survey = pd.read_csv(data / "survey.csv", dtype=str, keep_default_na=False, sep=";",
                         encoding="utf-8-sig")
    benefits = pd.read_parquet(data / "benefits.parquet").fillna("")
    truth = {s: pd.read_csv(data / "truth" / f"{s}.csv", dtype=str)
             for s in ("census", "benefits", "survey", "persons")}
    return census, benefits, survey, truth


def _corrupt(data):
    """Codes outside the lists (benefits '99', census 2011 code '01') and deliberate
    census/benefits disagreements (benefits '17' = Arab) for persons not in the survey."""
    census, benefits, survey, truth = _read(data)
    uid_c = dict(zip(truth["census"].record_id, truth["census"].person_uid, strict=True))
    in_survey = set(truth["survey"].person_uid)
    b = benefits.merge(truth["benefits"], left_on="claim_id", right_on="record_id")
    b = b[~b.person_uid.isin(in_survey) & b.person_uid.isin(set(uid_c.values()))]
    b = b[~b.person_uid.duplicated(keep=False)]
    rng = np.random.default_rng(5)
    pick = rng.choice(b.index.to_numpy(), size=60, replace=False)
    invalid, conflict = b.loc[pick[:20]], b.loc[pick[20:]]
    conflict = conflict[conflict.ethnicity.map(ETHNIC) != "E1"]
    # a planted conflict needs a census value to conflict with: every census record of the
    # person has a 2021 code other than E1 (blank ones are single-source, the first five
    # census rows get a 2011 code below)
    cen = census.assign(uid=census.person_id.map(uid_c))
    cen.loc[cen.index[:5], "ethnic_group"] = ""
    usable = cen.groupby("uid")["ethnic_group"].agg(
        lambda v: all(isinstance(x, str) and x not in ("", "E1") for x in v))
    conflict = conflict[conflict.person_uid.map(usable).fillna(False).astype(bool)]
    benefits.loc[invalid.index, "ethnicity"] = "99"
    benefits.loc[conflict.index, "ethnicity"] = "17"
    blank = census.person_id.map(uid_c).isin(set(invalid.person_uid))
    census.loc[blank, "ethnic_group"] = ""
    census.loc[census.index[:5], "ethnic_group"] = "01"
    census.to_csv(data / "census.csv", index=False)
    table = pa.table({c: pa.array([v or None for v in benefits[c]], pa.string())
                      for c in benefits.columns})
    pq.write_table(table, data / "benefits.parquet")
    return {"invalid": set(invalid.claim_id), "conflict": set(conflict.claim_id),
            "census_2011": set(census.person_id[:5])}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    d = tmp_path_factory.mktemp("integrate")
    data = d / "data"
    generate(1500, 11, data)
    planted = _corrupt(data)
    # integration as it leaves the integrate stage: without the demo's analysis section,
    # whose imputation fills the gaps (`missing`) these tests check
    job = (ROOT / "sample_data" / "demo_job.yaml").read_text().split("\n# Analysis:")[0] + "\n"
    (data / "job.yaml").write_text(job.replace("output_dir: ../out/demo", "output_dir: ../run1"))
    inputs = {p.name: _hash(p) for p in data.glob("*.*") if p.suffix in (".csv", ".parquet")}
    result = spinelink.run(data / "job.yaml")
    return {"dir": d, "data": data, "result": result, "planted": planted, "inputs": inputs,
            "job": job}


@pytest.fixture(scope="module")
def swapped(demo):
    """The same data with the priorities of two variables changed (deterministic
    linkage only, to keep the test quick)."""
    job = demo["job"].replace("output_dir: ../out/demo", "output_dir: ../run2")
    job = re.sub(r"probabilistic: \{model: auto[^}]*\}[^\n]*", "probabilistic: null", job)
    job = job.replace("ethnic_group: {priority: [census, survey, benefits]",
                      "ethnic_group: {priority: [benefits, census, survey]")
    job = job.replace("employment_status: {priority: [survey, benefits]}",
                      "employment_status: {priority: [benefits, survey]}")
    (demo["data"] / "job2.yaml").write_text(job)
    return spinelink.run(demo["data"] / "job2.yaml")


def _expected(units, data, variable, priority, maps):
    """Recompute a priority variable from the raw files and the chosen records."""
    census, benefits, survey, _ = _read(data)
    raw = {"census": census.set_index("person_id"), "benefits": benefits.set_index("claim_id"),
           "survey": survey.set_index("resp_id")}
    column = {"census": {"ethnic_group": "ethnic_group", "disability": "disability"},
              "benefits": {"ethnic_group": "ethnicity", "employment_status": "employment_status"},
              "survey": {"ethnic_group": "ethnic_group", "disability": "disability",
                         "employment_status": "employment_status"}}
    rows = []
    for u in units.itertuples():
        ids = {"census": u.reference_id, "benefits": u.benefits__id, "survey": u.survey__id}
        vals, invalid = {}, False
        for s in priority:
            rid = ids[s]
            v = raw[s].at[rid, column[s][variable]].strip() if isinstance(rid, str) else ""
            mapped = maps[s].get(v) if s in maps else (v or None)
            invalid |= bool(v) and mapped is None
            vals[s] = mapped
        have = [s for s in priority if vals[s] is not None]
        distinct = {vals[s] for s in have}
        status = ("invalid_code" if not have and invalid else "missing" if not have
                  else "single_source" if len(have) == 1 else "agree" if len(distinct) == 1
                  else "conflict_resolved_by_priority")
        rows.append((u.reference_id, vals[have[0]] if have else None,
                     have[0] if have else None, status))
    return pd.DataFrame(rows, columns=["reference_id", variable, f"{variable}__source",
                                       f"{variable}__status"])


def _compare(integrated, expected, variable):
    cols = [variable, f"{variable}__source", f"{variable}__status"]
    got = integrated.set_index("reference_id")[cols].astype(object)
    want = expected.set_index("reference_id")[cols].astype(object)
    got, want = got.where(got.notna(), None), want.where(want.notna(), None)
    diff = got.compare(want.loc[got.index])
    assert diff.empty, diff.head()


@pytest.mark.slow
def test_one_row_per_accepted_reference_record(demo):
    res = demo["result"]
    integrated = res.integrated()
    intake = res.table("intake/census")
    assert len(integrated) == len(intake) == res.accounting["census"]["accepted"]
    assert integrated.reference_id.is_unique
    assert set(integrated.reference_id) == set(intake.record_id)
    assert set(integrated.unit_status) <= {"linked_all", "linked_some", "reference_only",
                                           "probable_duplicate"}
    assert (integrated.unit_status == "reference_only").sum() > 0


@pytest.mark.slow
@pytest.mark.parametrize("variable,priority", [
    ("ethnic_group", ["census", "survey", "benefits"]),
    ("employment_status", ["survey", "benefits"]),
    ("disability", ["census", "survey"]),
])
def test_values_sources_and_statuses_follow_the_declared_priority(demo, variable, priority):
    maps = {"census": ETHNIC_2021, "survey": ETHNIC, "benefits": ETHNIC}
    if variable == "disability":
        maps = {"census": {"Y": "Y", "N": "N"}, "survey": {"1": "Y", "2": "N"}}
    if variable == "employment_status":
        maps = {}
    integrated = demo["result"].integrated()
    _compare(integrated, _expected(integrated, demo["data"], variable, priority, maps), variable)


@pytest.mark.slow
def test_changing_priorities_changes_the_result_as_declared(demo, swapped):
    integrated = swapped.integrated()
    for variable, priority in (("ethnic_group", ["benefits", "census", "survey"]),
                               ("employment_status", ["benefits", "survey"])):
        maps = {"census": ETHNIC_2021, "survey": ETHNIC, "benefits": ETHNIC}
        _compare(integrated, _expected(integrated, demo["data"], variable, priority,
                                       maps if variable == "ethnic_group" else {}), variable)
    first = demo["result"].integrated().set_index("reference_id")
    second = integrated.set_index("reference_id")
    assert (first.ethnic_group__source == "benefits").mean() < 0.05
    assert (second.ethnic_group__source == "benefits").mean() > 0.5
    planted = second[second.benefits__id.isin(demo["planted"]["conflict"])]
    assert len(planted) >= 20
    assert (planted.ethnic_group == "E1").all()
    assert set(planted.ethnic_group__status) == {"conflict_resolved_by_priority"}


@pytest.mark.slow
def test_against_truth_survey_employment_census_wins_and_mapped_codes(demo):
    res, data = demo["result"], demo["data"]
    _, _, _, truth = _read(data)
    persons = truth["persons"].set_index("person_uid")
    uid = {s: dict(zip(truth[s].record_id, truth[s].person_uid, strict=True))
           for s in ("census", "benefits", "survey")}
    integrated = res.integrated()
    in_survey = integrated[integrated.survey__id.notna()]
    assert len(in_survey) > 200 and (in_survey.employment_status__source == "survey").all()
    true_emp = in_survey.survey__id.map(uid["survey"]).map(persons.employment_status)
    assert (in_survey.employment_status == true_emp).mean() > 0.95
    # planted disagreements: census keeps its value, status says so
    planted = integrated[integrated.benefits__id.isin(demo["planted"]["conflict"])]
    assert len(planted) >= 20
    assert (planted.ethnic_group__source == "census").all()
    assert set(planted.ethnic_group__status) == {"conflict_resolved_by_priority"}
    truth_eth = planted.reference_id.map(uid["census"]).map(persons.ethnic_group)
    assert (planted.ethnic_group == truth_eth).all()
    # every benefits code mapped 2011 -> 2021 equals the person's true 2021 code (Roma,
    # D4, had no 2011 category: it was Other White, D5)
    audit = res.table("audit")
    mapped = audit[(audit.stage == "code_map") & (audit.source == "benefits")
                   & (audit.rule == "ethnic_group_2011 -> ethnic_group_2021")]
    right = mapped.source_record_id.map(uid["benefits"]) == mapped.reference_id.map(uid["census"])
    mapped = mapped[right & ~mapped.source_record_id.isin(demo["planted"]["conflict"])]
    true_code = mapped.source_record_id.map(uid["benefits"]).map(persons.ethnic_group)
    assert len(mapped) > 800
    assert (mapped.new_value == true_code.replace("D4", "D5")).all()


@pytest.mark.slow
def test_invalid_codes_are_reported_and_become_missing(demo):
    res, planted = demo["result"], demo["planted"]
    bad = res.table("invalid_codes")
    assert list(bad.columns) == ["source", "record_id", "reference_id", "variable", "column",
                                 "value", "expected_code_lists"]
    assert set(bad[bad.source == "benefits"].record_id) == planted["invalid"]
    assert set(bad[bad.source == "census"].record_id) == planted["census_2011"]
    assert set(bad.value) == {"99", "01"}
    summary = res.summary["integrate"]["invalid_codes"]
    assert summary["by_source"]["benefits"]["ethnic_group"] == len(planted["invalid"])
    units = res.integrated().set_index("reference_id")
    hit = units[units.benefits__id.isin(planted["invalid"])]
    assert len(hit) >= 15 and (hit.ethnic_group__status == "invalid_code").all()
    assert hit.ethnic_group.isna().all()


@pytest.mark.slow
def test_record_accounting_nothing_lost_between_links_and_integration(demo):
    res = demo["result"]
    integrated = res.integrated()
    acc = res.summary["integrate"]["accounting"]
    for s in ("benefits", "survey"):
        links = res.links(s)
        assert integrated[f"{s}__n_records"].sum() == len(links) == res.accounting[s]["linked"]
        assert acc[s]["in_integrated"] == acc[s]["linked"]
        per_unit = links.groupby("reference_id").size()
        got = integrated.set_index("reference_id")[f"{s}__n_records"]
        assert (got[got > 0].sort_index() == per_unit.sort_index()).all()
        chosen = integrated.dropna(subset=[f"{s}__id"])
        pairs = set(zip(links.reference_id, links.source_id, strict=True))
        assert set(zip(chosen.reference_id, chosen[f"{s}__id"], strict=True)) <= pairs
    unlinked = res.summary["integrate"]["unlinked"]
    assert unlinked["by_role"] == {"admin": res.accounting["benefits"]["unlinked"],
                                   "survey": res.accounting["survey"]["unlinked"]}
    for name, digest in demo["inputs"].items():  # raw inputs never modified
        assert _hash(demo["data"] / name) == digest, name


@pytest.mark.slow
def test_latest_claim_supplies_the_values(demo):
    res, data = demo["result"], demo["data"]
    _, benefits, _, _ = _read(data)
    updated = dict(zip(benefits.claim_id, benefits.updated_on, strict=True))
    links = res.links("benefits").assign(updated=lambda f: f.source_id.map(updated))
    latest = links.groupby("reference_id").updated.max()
    several = res.integrated().query("benefits__n_records > 1")
    assert len(several) >= 5 and set(several.benefits__selected_by) == {"most_recent"}
    assert (several.benefits__id.map(updated).values
            == latest.loc[several.reference_id].values).all()


@pytest.mark.slow
def test_audit_conflicts_and_agreement(demo):
    res = demo["result"]
    units = res.integrated().set_index("reference_id")
    audit = res.table("audit")
    assert list(audit.columns) == ["reference_id", "source", "source_record_id", "variable",
                                   "raw_value", "new_value", "stage", "rule", "from_source",
                                   "from_record_id"]
    assert set(audit.stage) == {"standardise", "code_map", "integrate"}
    sex = audit[(audit.stage == "standardise") & (audit.variable == "sex")]
    assert {("male", "M"), ("female", "F")} <= set(zip(sex.raw_value, sex.new_value,
                                                       strict=True))
    integ = audit[audit.stage == "integrate"]
    for r in integ.itertuples():
        assert r.source == "census" and r.source_record_id == r.reference_id
        assert units.at[r.reference_id, r.variable] == r.new_value
        assert units.at[r.reference_id, f"{r.variable}__source"] == r.from_source
    conflicts = res.table("conflicts")
    assert {"census__value", "benefits__value", "survey__value"} <= set(conflicts.columns)
    for r in conflicts.itertuples():
        assert units.at[r.reference_id, r.variable] == r.chosen_value
    agreement = res.summary["integrate"]["agreement"]
    assert set(agreement["ethnic_group"]) == {"census~benefits", "census~survey",
                                              "benefits~survey"}
    assert agreement["ethnic_group"]["census~survey"]["rate"] > 0.98
    assert agreement["disability"]["census~survey"]["rate"] > 0.98
    assert 0.9 < agreement["ethnic_group"]["census~benefits"]["rate"] < 1.0


@pytest.mark.slow
def test_probable_duplicates_are_flagged_not_dropped(demo):
    res, data = demo["result"], demo["data"]
    _, _, _, truth = _read(data)
    uid = dict(zip(truth["census"].record_id, truth["census"].person_uid, strict=True))
    units = res.integrated()
    flagged = units[units.unit_status == "probable_duplicate"]
    assert len(flagged) >= 0.5 * truth["census"].person_uid.duplicated().sum()
    assert (flagged.reference_id.map(uid) == flagged.duplicate_of.map(uid)).all()
    assert units.duplicate_of.notna().sum() == len(flagged)
    manifest = json.loads((res.output_dir / "run_manifest.json").read_text())
    assert manifest["stages"]["integrate"]["reference_duplicates"]["flagged"] == len(flagged)


def test_date_column_missing_from_the_file_names_file_and_key(tmp_path):
    from spinelink.backends import open_engine
    from spinelink.integrate.choose import Tables
    from spinelink.integrate.stage import _check_date_columns

    p = tmp_path / "job.yaml"
    p.write_text(JOB, encoding="utf-8")
    lj = load_job(p)
    pd.DataFrame({"record_id": ["A1"], "updated_on": ["2021-01-01"]}).to_parquet(
        tmp_path / "a.parquet")
    engine = open_engine()
    try:
        engine.view_parquet(Tables().intake("admin"), tmp_path / "a.parquet")
        with pytest.raises(JobError) as e:
            _check_date_columns(engine, Tables(), lj)
    finally:
        engine.close()
    msg = str(e.value)
    assert str(p) in msg and "key 'integrate.employment_status.date_column.admin'" in msg
    assert "column 'updated' is not in the file of source admin" in msg


def test_doctests_of_the_integrate_modules():
    import doctest

    for module in (codes, choose, duplicates):
        assert doctest.testmod(module).failed == 0, module.__name__


@pytest.mark.parametrize("select,chosen,selected_by", [
    ("", "A1", "default"),  # deterministic before probabilistic
    ("select: {admin: {rule: priority, column: kind, order: [UC, JSA, ESA]}}", "A2",
     "priority"),
    ("select: {admin: {rule: priority, column: rank}}", "A3", "priority"),
    ("select: {admin: {rule: most_recent, date_column: updated}}", "A2", "most_recent"),
])
def test_which_of_several_records_supplies_values(tmp_path, select, chosen, selected_by):
    from spinelink.backends import open_engine
    from spinelink.integrate.choose import Tables
    from spinelink.sqlfiles import sql_file

    text = JOB.replace("integrate_options:\n  select: {admin: {rule: most_recent, "
                       "date_column: updated}}\n", f"integrate_options:\n  {select or '{}'}\n")
    (tmp_path / "job.yaml").write_text(text, encoding="utf-8")
    job = load_job(tmp_path / "job.yaml").job
    t, engine = Tables(), open_engine()
    try:
        engine.register(t.spine, pd.DataFrame({"record_id": ["R1", "R2"]}))
        engine.register(t.intake("admin"), pd.DataFrame({
            "record_id": ["A1", "A2", "A3", "A4"], "kind": ["ESA", "UC", "JSA", "UC"],
            "rank": ["2", "10", "1", "1"],
            "updated": ["2020-01-01", "2021-06-30", "2021-01-01", "2020-01-01"]}))
        engine.register("links_admin", pd.DataFrame({
            "reference_id": ["R1", "R1", "R1", "R2"], "source_id": ["A1", "A2", "A3", "A4"],
            "method": ["key:k", "probabilistic", "probabilistic", "direct:nino"],
            "match_probability": [None, 0.95, 0.99, None]}))
        engine.execute(sql_file("integrate/create_tables.sql", values=t.values, dates=t.dates,
                                links=t.links, keys=t.keys))
        choose.fill_links(engine, t, job, {"admin": "links_admin"})
        engine.execute(sql_file("integrate/chosen.sql", chosen=t.chosen, links=t.links,
                                keys=t.keys, select_rules=t.select_rules, spine=t.spine),
                       {"reference": "census"})
        got = engine.df(f"SELECT * FROM {t.chosen} WHERE source = 'admin' ORDER BY 2")
    finally:
        engine.close()
    assert got.record_id.tolist() == [chosen, "A4"]
    assert got.n_records.tolist() == [3, 1]
    assert got.selected_by.tolist() == [selected_by, "single"]


def test_accounting_mismatch_stops_the_run_and_removes_the_table(tmp_path):
    from spinelink.errors import AccountingError
    from spinelink.integrate.stage import _check_accounting

    (tmp_path / "integrated.parquet").write_bytes(b"x")
    acc = {"census": {"accepted": 10}, "admin": {"linked": 7}}
    ok = _check_accounting(acc, "census", 10, {"admin": {"linked_records": 7}}, tmp_path)
    assert ok["admin"] == {"linked": 7, "in_integrated": 7}
    with pytest.raises(AccountingError, match="source admin: 7 linked records but 6"):
        _check_accounting(acc, "census", 10, {"admin": {"linked_records": 6}}, tmp_path)
    assert not (tmp_path / "integrated.parquet").exists()
