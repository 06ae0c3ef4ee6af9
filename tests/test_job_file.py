"""Job-file validation: each fault names the file, the key and what was expected."""
from __future__ import annotations

import pytest

from spinelink.config import load_job
from spinelink.errors import JobError

BASE = """\
schema_version: 1
name: t
reference: census
sources:
  census:
    role: census
    path: c.csv
    id: person_id
    columns: {first_name: fn, last_name: ln}
    identifiers: {nino: ni}
  admin:
    role: admin
    path: a.csv
    id: claim_id
    columns: {first_name: fn, last_name: ln}
    identifiers: {nino: ni}
links:
  admin:
    deterministic: {direct: [nino]}
    probabilistic: {model: auto, accept: 0.95, review: 0.5}
"""

CASES = [
    ("quality subgroup no source has", BASE + "quality: {subgroups: [sex, ethnicity]}\n",
     "key 'quality.subgroups': 'ethnicity' is not a column of any source"),
    ("unknown top-level key", BASE + "colour: blue\n", "key 'colour': unknown key"),
    ("wrong type", BASE.replace("schema_version: 1", "schema_version: one"),
     "key 'schema_version'"),
    ("missing required", BASE.replace("name: t\n", ""), "key 'name': required key is missing"),
    ("reference not a source", BASE.replace("reference: census", "reference: spine"),
     "reference 'spine' is not among the sources"),
    ("link to unknown source", BASE.replace("links:\n  admin:", "links:\n  benefits:"),
     "links.benefits: no source of that name"),
    ("threshold out of range", BASE.replace("accept: 0.95", "accept: 1.5"),
     "key 'links.admin.probabilistic.accept'"),
    ("review above accept", BASE.replace("review: 0.5", "review: 0.99"),
     "review must be at most accept"),
    ("unknown canonical field",
     BASE.replace("{first_name: fn, last_name: ln}\n    identifiers: {nino: ni}\n  admin",
                  "{forename: fn}\n    identifiers: {nino: ni}\n  admin"),
     "unknown canonical field"),
    ("bad role", BASE.replace("role: admin", "role: registry"), "key 'sources.admin.role'"),
    # a copied line left unedited: every last name was the first name, and nothing linked
    ("one column mapped twice", BASE.replace("path: a.csv\n    id: claim_id\n    columns: "
                                             "{first_name: fn, last_name: ln}",
                                             "path: a.csv\n    id: claim_id\n    columns: "
                                             "{first_name: fn, last_name: fn}"),
     "key 'sources.admin.columns': first_name and last_name both map column 'fn': a column "
     "holds one field"),
    ("direct id undeclared", BASE.replace("direct: [nino]", "direct: [nhs]"),
     "identifier 'nhs' is not declared"),
    ("bad encoding", BASE.replace("path: c.csv", "path: c.csv\n    encoding: ebcdic"),
     "key 'sources.census.encoding'"),
    ("source named left", BASE.replace("  admin:\n    role", "  left:\n    role").replace(
        "links:\n  admin:", "links:\n  left:"), "not 'left' or 'right'"),
    ("not yaml", "schema_version: [1\n", "not valid YAML at line"),
    ("not a mapping", "- 1\n- 2\n", "expected a mapping"),
    # a tab before a key (an editor's indent): it said only "not valid YAML at line 11"
    ("tab indent", BASE.replace("\n  admin:\n    role", "\n\tadmin:\n    role", 1),
     "not valid YAML at line 11; the line has a tab: YAML indents with spaces"),
]


@pytest.mark.parametrize("label,text,expected", CASES, ids=[c[0] for c in CASES])
def test_job_file_faults_name_file_and_key(tmp_path, label, text, expected):
    p = tmp_path / "job.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(JobError) as e:
        load_job(p)
    msg = str(e.value)
    assert str(p) in msg, msg
    assert expected in msg, msg


def test_a_job_file_saved_in_a_windows_code_page_names_the_line_and_the_fix(tmp_path):
    """Notepad's "ANSI" save of a job with Cyrillic column names (cp1251): it said "not
    valid UTF-8 (byte 150)", which an editor does not show; it names the line."""
    p = tmp_path / "job.yaml"
    text = BASE.replace("first_name: fn", "first_name: Ім'я")
    p.write_bytes(text.encode("cp1251"))
    line = text.split("\n").index(next(ln for ln in text.split("\n") if "Ім'я" in ln)) + 1
    with pytest.raises(JobError) as e:
        load_job(p)
    assert f"{p}: line {line}: job file is not valid UTF-8 (byte " in str(e.value)
    assert str(e.value).endswith("); save it as UTF-8")


def test_valid_job_loads_and_resolves_paths(tmp_path):
    p = tmp_path / "job.yaml"
    p.write_text(BASE, encoding="utf-8")
    lj = load_job(p)
    assert lj.job.reference == "census"
    assert lj.source_path("admin") == (tmp_path / "a.csv").resolve()
    assert lj.output_dir() == (tmp_path / "out").resolve()


def test_missing_and_directory_job_files(tmp_path):
    with pytest.raises(JobError, match="does not exist"):
        load_job(tmp_path / "nope.yaml")
    with pytest.raises(JobError, match="is a directory"):
        load_job(tmp_path)


def test_two_typos_are_both_reported_with_suggestions(tmp_path):
    p = tmp_path / "job.yaml"
    p.write_text(BASE.replace("name: t", "nmae: t").replace("role: admin", "rol: admin")
                 + "sed: 3\n", encoding="utf-8")
    with pytest.raises(JobError) as e:
        load_job(p)
    lines = str(e.value).splitlines()
    assert lines[0] == f"{p}: 3 problems"  # a misspelt required key: one problem, not two
    for expected in ("key 'nmae': unknown key; did you mean 'name'? (a required key, missing)",
                     "key 'sources.admin.rol': unknown key; did you mean 'role'? (a required "
                     "key, missing)",
                     "key 'sed': unknown key; did you mean 'seed'?"):
        assert any(ln == f"{p}: {expected}" for ln in lines), (expected, lines)


UA_HEADER = "id,прізвище,імя\n"
UA_JOB = """\
schema_version: 1
name: t
reference: census
sources:
  census:
    role: census
    path: c.csv
    encoding: {encoding}
    id: id
    columns: {{first_name: імя, last_name: прізвище}}
"""


@pytest.mark.parametrize("alias,name", [("windows-1251", "cp1251"), ("Windows-1251", "cp1251"),
                                        ("utf8", "utf-8"), ("UTF_8", "utf-8"),
                                        ("latin1", "latin-1"), ("iso8859_2", "iso-8859-2"),
                                        ("utf-8-sig", "utf-8-sig"), ("CP1251", "cp1251")])
def test_an_encoding_under_another_name_of_a_listed_one_is_that_one(tmp_path, alias, name):
    # "windows-1251" is what Excel and most tools call cp1251: it was refused ("one of
    # utf-8, ..., cp1251, ...") as were utf8 and latin1
    cyrillic = name in ("cp1251", "utf-8", "utf-8-sig")
    body = UA_HEADER + "1,Шевченко,Галина\n" if cyrillic else "id,ln,fn\n1,Müller,Jörg\n"
    (tmp_path / "c.csv").write_bytes(body.encode(name))
    text = UA_JOB.format(encoding=alias)
    if not cyrillic:
        text = text.replace("{first_name: імя, last_name: прізвище}", "{first_name: fn, "
                            "last_name: ln}")
    (tmp_path / "job.yaml").write_text(text, encoding="utf-8")
    assert load_job(tmp_path / "job.yaml", inputs=True).job.sources["census"].encoding == name


def test_an_unknown_encoding_is_one_problem_not_a_header_read_in_another(tmp_path):
    # a refused encoding was replaced by utf-8 for the header check, which then reported
    # a second, wrong problem: "the header has bytes that are not valid utf-8"
    (tmp_path / "c.csv").write_bytes((UA_HEADER + "1,Шевченко,Галина\n").encode("cp1251"))
    (tmp_path / "job.yaml").write_text(UA_JOB.format(encoding="windows-1252x"),
                                       encoding="utf-8")
    with pytest.raises(JobError) as e:
        load_job(tmp_path / "job.yaml", inputs=True)
    lines = str(e.value).splitlines()
    assert len(lines) == 1 and "key 'sources.census.encoding'" in lines[0], lines
    assert "one of utf-8, utf-8-sig, cp1251" in lines[0]


@pytest.mark.parametrize("written", ["'\\t'", "\\t", "tab", '"\\t"'])
def test_a_tab_delimiter_written_as_yaml_users_write_it(tmp_path, written):
    # delimiter: '\t' (single quotes keep the backslash) and delimiter: tab were refused
    # as "a single character other than a quote or newline": a tab-separated export could
    # not be declared but with double quotes
    (tmp_path / "c.tsv").write_text("id\tfn\tln\n1\tAnna\tBoyko\n", encoding="utf-8")
    (tmp_path / "job.yaml").write_text(
        "schema_version: 1\nname: t\nreference: census\nsources:\n  census:\n"
        f"    role: census\n    path: c.tsv\n    delimiter: {written}\n    id: id\n"
        "    columns: {first_name: fn, last_name: ln}\n", encoding="utf-8")
    assert load_job(tmp_path / "job.yaml", inputs=True).job.sources["census"].delimiter == "\t"


def test_a_delimiter_of_several_characters_says_how_to_write_a_tab(tmp_path):
    p = tmp_path / "job.yaml"
    p.write_text(BASE.replace("path: c.csv", "path: c.csv\n    delimiter: ';;'"),
                 encoding="utf-8")
    with pytest.raises(JobError, match=r"key 'sources.census.delimiter': a single character "
                       r"other than a quote or newline \(a tab: \"\\t\" or tab\)"):
        load_job(p)
