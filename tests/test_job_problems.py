"""Every problem in a job and the files it names is found when the job loads, and
`spinelink validate` reports them all in one run, before any data is read (issue 13)."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from spinelink import readers
from spinelink.cli import main
from spinelink.config import load_job
from spinelink.errors import IntakeError, JobError, LinkageError

SRC = Path(__file__).resolve().parents[1] / "src" / "spinelink"

CENSUS = "person_id,forename,surname,birth_date,sex,region\nC1,Annabel,Leeming,01/02/1980,F,E1\n"
ADMIN = "claim_id,first_name,last_name,dob\nA1,Annabel,Leeming,1980-02-01\n"
KEYS = ("schema_version: 1\nname: mine\nkeys:\n"
        "  - {name: names_dob, fields: [first_name, last_nme, dob_iso]}\n")
MODEL = {"comparisons": [{"output_column_name": "first_name", "comparison_levels": [
    {"sql_condition": "first_name_l IS NULL", "is_null_level": True},
    {"sql_condition": "first_name_l = first_name_r", "m_probability": 1.5},
    {"label_for_charts": "else", "m_probability": 0.1}]}]}
GOOD_MODEL = {"comparisons": [{"output_column_name": "first_name", "comparison_levels": [
    {"sql_condition": "first_name_l IS NULL", "is_null_level": True},
    {"sql_condition": "first_name_l = first_name_r", "m_probability": 0.9},
    {"sql_condition": "ELSE", "m_probability": 0.1}]}]}

JOB = """\
schema_version: 1
name: five
seeed: 7
reference: census
sources:
  census:
    role: census
    path: census.csv
    id: person_id
    date_format: "%d/%m/%Y"
    columns: {first_name: forename, last_name: surname, date_of_birth: dob, sex: sex}
    code_lists: {region: regions}
  admin:
    role: admin
    path: admin.csv
    id: claim_id
    date_format: "%Y-%Q-%d"
    columns: {first_name: first_name, last_name: last_name, date_of_birth: dob}
links:
  admin:
    deterministic: {match_keys: my_keys.yaml}
    probabilistic: {model: model.json}
"""

# (what, the substrings of its one line)
MISTAKES = [
    ("misspelt top-level key", ["job.yaml: key 'seeed': unknown key; did you mean 'seed'?"]),
    ("missing source column", ["census.csv: required column 'dob' is missing",
                               "'sources.census.columns.date_of_birth'",
                               "the file's columns are: person_id, forename, surname, "
                               "birth_date, sex, region"]),
    ("bad match-key file", ["my_keys.yaml: key 'keys.0': unknown field 'last_nme'; "
                            "did you mean 'last_name'?"]),
    ("invalid model level", ["model.json: key 'comparisons.0.comparison_levels.1."
                             "m_probability'", "less than or equal to 1"]),
    ("model level without SQL", ["model.json: key 'comparisons.0.comparison_levels.2."
                                 "sql_condition': required key is missing"]),
    ("bad date format", ["job.yaml: key 'sources.admin.date_format': not a date format"]),
    ("unknown code list", ["job.yaml: key 'sources.census.code_lists.region': code list "
                           "'regions' not found", "did you mean 'region'?"]),
]


def _write(folder: Path, job: str = JOB, model: dict = MODEL) -> Path:
    (folder / "census.csv").write_text(CENSUS, encoding="utf-8")
    (folder / "admin.csv").write_text(ADMIN, encoding="utf-8")
    (folder / "my_keys.yaml").write_text(KEYS, encoding="utf-8")
    (folder / "model.json").write_text(json.dumps(model), encoding="utf-8")
    (folder / "job.yaml").write_text(job, encoding="utf-8")
    return folder / "job.yaml"


@pytest.fixture
def no_data_read(monkeypatch):
    """Reading a source's rows fails the test: validation reads headers only. Every
    module that binds `read_source` at import is patched (imported first, so that a first
    import under the patch does not keep `refuse` after the test: the later tests of this
    file then failed when it ran alone)."""
    import spinelink.incremental.state as state
    import spinelink.intake as intake

    def refuse(*_a, **_k):
        raise AssertionError("a source file's data was read")

    for module in (readers, intake, state):
        monkeypatch.setattr(module, "read_source", refuse)


@pytest.mark.parametrize("command", ["validate", "run"])
def test_every_mistake_reported_in_one_run_before_data_is_read(tmp_path, no_data_read,
                                                                command):
    job = _write(tmp_path)
    r = CliRunner().invoke(main, [command, str(job)])
    assert r.exit_code == 2, r.output  # several kinds of file: the job file's exit code
    lines = [ln for ln in r.output.splitlines() if ln.startswith("error: ")]
    assert lines[0] == f"error: {job}: {len(MISTAKES)} problems (in 4 files)"
    assert len(lines) == len(MISTAKES) + 1, r.output
    for what, parts in MISTAKES:
        assert any(all(p in ln for p in parts) for ln in lines), (what, r.output)
    assert "Traceback" not in r.output
    assert not (tmp_path / "out").exists()  # nothing written, no engine opened
    assert "Annabel" not in r.output and "Leeming" not in r.output  # no data values


def test_load_job_lists_the_problems(tmp_path):
    with pytest.raises(JobError) as e:
        load_job(_write(tmp_path), inputs=True)
    assert len(e.value.problems) == len(MISTAKES)
    assert len(str(e.value).splitlines()) == len(MISTAKES) + 1
    # without inputs: the same, less the source file's header
    with pytest.raises(JobError) as e:
        load_job(tmp_path / "job.yaml")
    assert len(e.value.problems) == len(MISTAKES) - 1


def test_problems_are_found_when_the_job_as_a_whole_does_not_validate(tmp_path):
    """A required key missing and a bad source role: the rest is still checked (the
    reference, the files of the valid entries)."""
    text = (JOB.replace("name: five\n", "").replace("reference: census", "reference: censsus")
            .replace("seeed: 7\n", ""))
    with pytest.raises(JobError) as e:
        load_job(_write(tmp_path, text), inputs=True)
    msg = str(e.value)
    assert "key 'name': required key is missing" in msg
    assert "reference 'censsus' is not among the sources" in msg and "did you mean 'census'" in msg
    assert "my_keys.yaml" in msg and "model.json" in msg and "census.csv" in msg
    text = text.replace("role: admin", "role: registry")
    with pytest.raises(JobError) as e:
        load_job(_write(tmp_path, text), inputs=True)
    msg = str(e.value)
    assert "key 'sources.admin.role'" in msg and "census.csv: required column 'dob'" in msg
    assert "code list 'regions' not found" in msg


ROLES_JOB = """\
schema_version: 1
name: roles
reference: cenus
sources:
  census:
    role: censuss
    path: census.csv
    id: person_id
    date_format: "%d/%m/%Y"
    columns: {first_name: forename, last_name: surname, date_of_birth: birth_date, sex: sex}
  admin:
    role: registry
    path: admin.csv
    id: claim_id
    columns: {first_name: first_name, last_name: last_name, date_of_birth: birth}
links:
  admin: {probabilistic: {model: auto}}
"""


def test_bad_roles_do_not_hide_the_other_problems(tmp_path, no_data_read):
    """Two sources with a role not among the roles: the reference naming no source and a
    column missing from a source file are reported in the same run, each naming its key."""
    job = _write(tmp_path, ROLES_JOB, GOOD_MODEL)
    r = CliRunner().invoke(main, ["validate", str(job)])
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.output.splitlines() if ln.startswith("error: ")]
    assert lines[0] == f"error: {job}: 4 problems (in 2 files)", r.output
    for part in ("key 'sources.census.role': Input should be 'census', 'survey' or 'admin'",
                 "key 'sources.admin.role': Input should be 'census', 'survey' or 'admin'",
                 "key 'reference': reference 'cenus' is not among the sources",
                 "admin.csv: required column 'birth' is missing (job key "
                 "'sources.admin.columns.date_of_birth')"):
        assert sum(part in ln for ln in lines) == 1, (part, r.output)
    assert "did you mean 'census'" in r.output and "Traceback" not in r.output
    # a source whose id is not a column name: its references are checked, its file is not
    text = ROLES_JOB.replace("id: claim_id", "id: [claim_id]")
    with pytest.raises(JobError) as e:
        load_job(_write(tmp_path, text, GOOD_MODEL), inputs=True)
    keys = [p.key for p in e.value.problems]
    assert keys == ["sources.census.role", "sources.admin.role", "sources.admin.id",
                    "reference"], str(e.value)
    # a source too faulty to build (a misspelt canonical field): the names are still checked
    text = ROLES_JOB.replace("date_of_birth: birth}", "birth_date: birth}") + "  payroll: {}\n"
    with pytest.raises(JobError) as e:
        load_job(_write(tmp_path, text, GOOD_MODEL), inputs=True)
    keys = [p.key for p in e.value.problems]
    assert keys == ["sources.census.role", "sources.admin.role", "sources.admin.columns",
                    "reference", "links"], str(e.value)
    assert "links.payroll: no source of that name" in str(e.value)


def test_exit_codes_stay_those_of_the_file_at_fault(tmp_path):
    ok = (JOB.replace("seeed: 7\n", "").replace("code_lists: {region: regions}", "")
          .replace("%Y-%Q-%d", "%Y-%m-%d").replace("date_of_birth: dob, sex", "sex"))
    (tmp_path / "my_keys.yaml").write_text(KEYS.replace("last_nme", "last_name"))
    job = _write(tmp_path, ok)
    (tmp_path / "my_keys.yaml").write_text(KEYS.replace("last_nme", "last_name"))
    with pytest.raises(LinkageError) as e:  # only the model file: exit 4, as at run time
        load_job(job)
    assert e.value.exit_code == 4 and len(e.value.problems) == 2
    (tmp_path / "model.json").write_text(json.dumps(GOOD_MODEL))
    assert load_job(job).job.name == "five"
    (tmp_path / "census.csv").write_text(CENSUS.replace("surname", "family_name"))
    with pytest.raises(IntakeError) as e:  # only a source file: exit 3, as at intake
        load_job(job, inputs=True)
    assert e.value.exit_code == 3
    assert "required column 'surname' is missing (job key 'sources.census.columns.last_name')"\
        in str(e.value)
    assert load_job(job).job.name == "five"  # headers are read only when asked


def test_a_file_without_a_header_names_no_columns(tmp_path):
    """When the header has none of the source's columns it may be a data row: its cells
    are not printed."""
    ok = (JOB.replace("seeed: 7\n", "").replace("code_lists: {region: regions}", "")
          .replace("%Y-%Q-%d", "%Y-%m-%d"))
    job = _write(tmp_path, ok, GOOD_MODEL)
    (tmp_path / "my_keys.yaml").write_text(KEYS.replace("last_nme", "last_name"))
    (tmp_path / "census.csv").write_text("C1,Annabel,Leeming,01/02/1980,F,E1\n")
    with pytest.raises(IntakeError) as e:
        load_job(job, inputs=True)
    msg = str(e.value)
    assert "required column 'person_id' is missing (and 4 more" in msg
    assert "does it start with a header row?" in msg and "Annabel" not in msg


def test_misspelt_nested_keys_get_a_suggestion(tmp_path):
    text = JOB.replace("    deterministic: {match_keys", "    determinstic: {match_keys")
    with pytest.raises(JobError) as e:
        load_job(_write(tmp_path, text))
    assert ("key 'links.admin.determinstic': unknown key; did you mean 'deterministic'?"
            in str(e.value))



def test_a_misspelt_auto_model_gets_a_suggestion(tmp_path):
    """`model: atuo` is looked for as a file; the line says what it was likely meant as."""
    ok = (JOB.replace("seeed: 7\n", "").replace("code_lists: {region: regions}", "")
          .replace("%Y-%Q-%d", "%Y-%m-%d").replace("model: model.json", "model: atuo"))
    job = _write(tmp_path, ok)
    (tmp_path / "my_keys.yaml").write_text(KEYS.replace("last_nme", "last_name"))
    with pytest.raises(LinkageError) as e:
        load_job(job)
    assert ("key 'links.admin.probabilistic.model': model file 'atuo' does not exist"
            in str(e.value) and "did you mean 'auto'?" in str(e.value)), str(e.value)


def test_a_date_format_with_the_year_twice_is_refused_at_load(tmp_path):
    """'%d.%m.%y%Y' (a slip of the finger) passed the check, then read every date of
    birth as missing and the run went on without them; it is now refused at load, in a
    line naming the key, like any other bad format."""
    job = _write(tmp_path, JOB.replace("%Y-%Q-%d", "%d.%m.%y%Y"))
    r = CliRunner().invoke(main, ["validate", str(job)])
    assert r.exit_code == 2, r.output
    assert ("key 'sources.admin.date_format': the year appears twice (%y and %Y)"
            in r.output), r.output
    ok = (JOB.replace("seeed: 7\n", "").replace("code_lists: {region: regions}", "")
          .replace("%Y-%Q-%d", "%-d.%-m.%Y"))  # one code per part: accepted
    job = _write(tmp_path, ok, GOOD_MODEL)
    (tmp_path / "my_keys.yaml").write_text(KEYS.replace("last_nme", "last_name"))
    assert load_job(job).job.sources["admin"].date_format == "%-d.%-m.%Y"


def test_a_misspelt_integrated_variable_gets_a_suggestion(tmp_path):
    """integrate: {regoin: ...} named no variable of the source and said how to declare
    one, but not that 'region' was meant."""
    ok = (JOB.replace("seeed: 7\n", "").replace("code_lists: {region: regions}",
                                                "variables: {region: region}")
          .replace("%Y-%Q-%d", "%Y-%m-%d")) + "integrate:\n  regoin: {priority: [census]}\n"
    with pytest.raises(JobError) as e:
        load_job(_write(tmp_path, ok, GOOD_MODEL))
    assert ("regoin.priority: source 'census' does not carry 'regoin' (declare it in "
            "sources.census.variables, or code it from free text under coding.census); "
            "did you mean 'region'?") in str(e.value), str(e.value)

def test_model_spec_levels_are_typed(tmp_path):
    """A level without its threshold names the file and key (it was a bare KeyError)."""
    from spinelink.jobspec.autospec import JaroWinklerLevel, model_spec_problems

    spec = (SRC.parents[1] / "linkage_models" / "person_auto.yaml").read_text(encoding="utf-8")
    # the first name's Jaro-Winkler 0.92 level, counted in the file (levels are added above it)
    first = yaml.safe_load(spec)["comparisons"][0]["levels"]
    jw = next(i for i, lv in enumerate(first) if lv.get("jaro_winkler") == "first_name")
    bad = spec.replace("{jaro_winkler: first_name, threshold: 0.92}",
                       "{jaro_winkler: first_name}", 1)
    bad = bad.replace("{exact: middle_name}", "{exact: middle_name, jaro: 1}", 1)
    assert bad.count("jaro: 1") == 1
    (tmp_path / "person_auto.yaml").write_text(bad, encoding="utf-8")
    _, problems = model_spec_problems(tmp_path / "person_auto.yaml")
    lines = [p.line() for p in problems]
    assert any(f"levels.{jw}.threshold': required key is missing" in ln for ln in lines), lines
    assert any("unknown key" in ln and "jaro" in ln for ln in lines), lines
    # a job next to it uses it for model: auto, and the job load reports it
    job = JOB.replace("model: model.json", "model: auto")
    with pytest.raises(JobError) as e:
        load_job(_write(tmp_path, job))
    assert f"person_auto.yaml: key 'comparisons.0.levels.{jw}.threshold'" in str(e.value)
    spec_ok, _ = model_spec_problems(SRC.parents[1] / "linkage_models" / "person_auto.yaml")
    assert isinstance(spec_ok.comparisons[0].levels[jw], JaroWinklerLevel)


def test_one_code_list_loader():
    from spinelink import intake
    from spinelink.integrate import codes
    from spinelink.jobspec import code_lists

    assert intake.code_list("region") == list(codes.get_list("region").codes)
    assert codes.get_list is code_lists.get_list and codes.code_lists_dir is \
        code_lists.code_lists_dir
    with pytest.raises(IntakeError, match="did you mean 'region'"):
        intake.code_list("regoin")


def _imports(path: Path, package: str, modules: dict) -> set[str]:
    """spinelink modules a file imports anywhere (functions too), except under
    TYPE_CHECKING (`from package import module` is an import of the module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
            and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
    out = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("spinelink")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            if base.startswith("spinelink"):
                out |= {f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                        for a in node.names}
    return out


def test_no_import_circle_through_the_job_spec():
    """config, the job-spec package and what they import never import back (not even
    inside a function): config -> integrate.spec -> integrate.codes -> config was one."""
    modules = {}
    for f in SRC.rglob("*.py"):
        parts = f.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = f
    graph = {m: {i for i in _imports(f, m if f.name == "__init__.py" else m.rsplit(".", 1)[0],
                                     modules) if i in modules and i != m}
             for m, f in modules.items()}
    start = ["spinelink.config", *(m for m in modules if m.startswith("spinelink.jobspec")),
             "spinelink.integrate.spec", "spinelink.integrate.codes"]
    for root in start:
        seen, todo = set(), [root]
        while todo:
            m = todo.pop()
            for dep in graph.get(m, ()):
                if dep == root:
                    pytest.fail(f"{root} imports itself back through {m}")
                if dep not in seen:
                    seen.add(dep)
                    todo.append(dep)


@pytest.mark.parametrize("quality, expected", [
    ("quality: {zeroes: publish}\n",
     "key 'quality.zeroes': unknown key; did you mean 'zeros'?"),
    ("quality: {zeros: hide}\n", "key 'quality.zeros'"),
    ("quality: {p_percent: 10}\n",
     "key 'quality.p_percent': a dominance rule applies to magnitude tables"),
    ("quality: {nk: [2, 90]}\n", "this run publishes counts of units only"),
])
def test_disclosure_keys_are_checked_at_load(tmp_path, quality, expected):
    """`zeros` is one of its values, a typo gets a suggestion, and the dominance rules
    (which would apply to no table: the run publishes counts only) are refused, not
    ignored."""
    text = JOB.replace("seeed: 7\n", "") + quality
    with pytest.raises(JobError) as e:
        load_job(_write(tmp_path, text))
    assert expected in str(e.value)
    # one line among the job's other mistakes (less the misspelt seed and the header)
    assert len(e.value.problems) == len(MISTAKES) - 1


UA_JOB = """\
schema_version: 1
name: ua
reference: register
sources:
  register:
    role: census
    path: register.csv
    encoding: {encoding}
    id: {id}
    columns: {{first_name: імя, last_name: прізвище, date_of_birth: дата}}
"""
UA_ROWS = "UA1,Галина,Шевченко,03.01.1967\n"


@pytest.mark.parametrize("id_column", ["id", "ід"], ids=["some found", "none found"])
def test_a_utf8_header_declared_cp1251_suggests_utf8(tmp_path, id_column):
    (tmp_path / "register.csv").write_text(f"{id_column},імя,прізвище,дата\n" + UA_ROWS,
                                           encoding="utf-8")
    (tmp_path / "job.yaml").write_text(UA_JOB.format(encoding="cp1251", id=id_column),
                                       encoding="utf-8")
    r = CliRunner().invoke(main, ["validate", str(tmp_path / "job.yaml")])
    assert r.exit_code == 3, r.output
    lines = [ln for ln in r.output.splitlines() if "required column" in ln]
    assert lines and all(ln.endswith("the header read as UTF-8 has the column(s): declare "
                                     "encoding: utf-8)" if id_column == "ід" else
                                     "declare encoding: utf-8") for ln in lines), r.output
    assert "Галина" not in r.output and "Шевченко" not in r.output


def test_a_cp1251_header_declared_utf8_names_the_encoding(tmp_path):
    (tmp_path / "register.csv").write_bytes(("id,імя,прізвище,дата\n" + UA_ROWS)
                                            .encode("cp1251"))
    (tmp_path / "job.yaml").write_text(UA_JOB.format(encoding="utf-8", id="id"),
                                       encoding="utf-8")
    r = CliRunner().invoke(main, ["validate", str(tmp_path / "job.yaml")])
    assert r.exit_code == 3, r.output
    assert (f"error: {tmp_path / 'register.csv'}: line 1: the header has bytes that are not "
            "valid utf-8: is the encoding right? (e.g. encoding: cp1251 or cp1252)"
            in r.output)
    (tmp_path / "job.yaml").write_text(UA_JOB.format(encoding="cp1251", id="id"),
                                       encoding="utf-8")
    r = CliRunner().invoke(main, ["validate", str(tmp_path / "job.yaml")])
    assert r.exit_code == 0, r.output


def test_a_source_without_a_links_entry_is_warned_about(tmp_path):
    """A source the job reads but never links (a forgotten `links:` entry) ends in none of
    linked, review or unlinked: the run says so instead of passing over it silently."""
    (tmp_path / "c.csv").write_text("pid,fn,ln\nP1,Ann,Lee\n", encoding="utf-8")
    (tmp_path / "a.csv").write_text("aid,fn,ln\nA1,Ann,Lee\n", encoding="utf-8")
    (tmp_path / "job.yaml").write_text(
        "schema_version: 1\nname: t\nreference: census\nsources:\n"
        "  census: {role: census, path: c.csv, id: pid, columns: {first_name: fn, "
        "last_name: ln}}\n"
        "  admin: {role: admin, path: a.csv, id: aid, columns: {first_name: fn, "
        "last_name: ln}}\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["validate", str(tmp_path / "job.yaml")])
    assert r.exit_code == 0, r.output
    assert ("WARNING admin: no entry under links: its records are read and checked but not "
            "linked to census (add links.admin to link it)") in r.output
    assert "census: no entry" not in r.output


def test_a_run_with_a_source_without_a_links_entry_finishes(tmp_path):
    """The source read but not linked is counted as its own records in the published
    record accounting, not as the reference's units: it was counted as "reference units",
    whose count (the census's) the disclosure control found twice with two values, and the
    run ended in an internal error (exit 70) in the quality stage."""
    from spinelink.sample import generate
    from spinelink.sample.job import write_job

    generate(300, 1, tmp_path / "data")
    write_job(tmp_path / "data", 1)
    job = yaml.safe_load((tmp_path / "data" / "job.yaml").read_text())
    del job["links"]["survey"]
    for key in ("coding", "analysis", "integrate", "integrate_options"):
        job.pop(key)
    (tmp_path / "data" / "job.yaml").write_text(yaml.safe_dump(job))
    r = CliRunner().invoke(main, ["run", str(tmp_path / "data" / "job.yaml")])
    assert r.exit_code == 0, r.output
    out = tmp_path / "data" / job["output_dir"]
    manifest = json.loads((out / "run_manifest.json").read_text())
    table = pd.read_csv(out / "tables" / "record_accounting.csv").set_index("source")
    for source in ("census", "benefits", "survey"):
        assert table.loc[source, "accepted"] == manifest["accounting"][source]["accepted"]
    assert pd.isna(table.loc["survey", "linked"]) and not table["suppressed"].any()


@pytest.mark.parametrize("admin_columns, link, shared", [
    ("", "{}", "both map 0 (none), linking needs at least 2"),
    ("\n    columns: {last_name: last_name}", "{}", "both map 1 (last_name), linking needs "
                                                    "at least 2"),
    ("", "{probabilistic: null}", "both map 0 (none), linking needs at least 1")])
def test_a_linked_source_sharing_too_few_fields_is_a_job_problem(tmp_path, admin_columns,
                                                                 link, shared):
    """A linked source with no `columns:` passed `validate`, then `run` read and
    standardised every source before stopping ("too few fields in common"): the fields
    both sides map are counted when the job loads (two for a probabilistic model, one for
    deterministic keys alone)."""
    job = ("schema_version: 1\nname: t\nreference: census\nsources:\n  census:\n"
           "    role: census\n    path: census.csv\n    id: person_id\n"
           "    date_format: '%d/%m/%Y'\n"
           "    columns: {first_name: forename, last_name: surname, date_of_birth: "
           "birth_date, sex: sex}\n"
           "  admin:\n    role: admin\n    path: admin.csv\n    id: claim_id"
           f"{admin_columns}\nlinks:\n  admin: {link}\n")
    with pytest.raises(JobError) as e:
        load_job(_write(tmp_path, job))
    msg = str(e.value)
    assert f"links.admin: too few fields in common with the reference: {shared}" in msg
    # one field and a model: the way out is to link by keys alone
    assert ("links.admin.probabilistic: null" in msg) == ("both map 1" in shared)


def test_a_column_named_in_another_case_is_suggested(tmp_path):
    # an office's file with a header in capitals (ID, SURNAME) while the job names the
    # columns in lower case: every missing column gets the header's spelling, however
    # short (difflib alone finds nothing close between "id" and "ID")
    (tmp_path / "census.csv").write_text(CENSUS, encoding="utf-8")
    (tmp_path / "admin.csv").write_text("ID,FIRST_NAME,SURNAME,DOB\nA1,Annabel,Leeming,"
                                        "1980-02-01\n", encoding="utf-8")
    job = JOB.replace("seeed", "seed").replace("%Y-%Q-%d", "%Y-%m-%d").replace(
        "code_lists: {region: regions}", "").replace("date_of_birth: dob, sex", "sex")
    job = job.replace("id: claim_id", "id: id").replace(
        "columns: {first_name: first_name, last_name: last_name, date_of_birth: dob}",
        "columns: {first_name: first_name, last_name: surname, date_of_birth: dob}")
    job = job.split("links:")[0]
    (tmp_path / "job.yaml").write_text(job, encoding="utf-8")
    r = CliRunner().invoke(main, ["validate", str(tmp_path / "job.yaml")])
    assert r.exit_code == 3, r.output
    lines = [ln for ln in r.output.splitlines() if "required column" in ln]
    for col, meant in (("id", "ID"), ("first_name", "FIRST_NAME"), ("surname", "SURNAME"),
                       ("dob", "DOB")):
        assert any(f"required column '{col}' is missing" in ln
                   and f"did you mean '{meant}'?" in ln for ln in lines), (col, r.output)
    assert "Annabel" not in r.output and "Leeming" not in r.output
