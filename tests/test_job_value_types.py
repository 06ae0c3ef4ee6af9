"""A value of the wrong type in the demo job, as a new user would write it, is one line
naming the file and the key, exit 2: never an internal error, and never a second,
invented problem caused by the first (session 49's new-user trial)."""
from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from click.testing import CliRunner

from spinelink.cli import main

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"


def _job(tmp_path: Path, change) -> Path:
    for f in SAMPLE.iterdir():
        if f.is_file() and f.suffix in (".csv", ".parquet"):
            shutil.copy(f, tmp_path / f.name)
    job = yaml.safe_load((SAMPLE / "demo_job.yaml").read_text(encoding="utf-8"))
    job["output_dir"] = "out"
    change(job)
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(job, allow_unicode=True), encoding="utf-8")
    return path


def _validate(path: Path) -> tuple[int, list[str]]:
    res = CliRunner().invoke(main, ["validate", str(path)])
    lines = [ln for ln in res.output.splitlines() if ln.startswith("error:")]
    return res.exit_code, lines


def _one_problem(path: Path) -> str:
    """The one error line `validate` prints for the job, which must exit 2."""
    code, lines = _validate(path)
    assert code == 2, lines
    assert len(lines) == 1, lines
    return lines[0]


def test_a_memory_limit_that_is_no_size_is_a_job_problem(tmp_path):
    # was: "internal error (ParserException)", exit 70, when DuckDB opened
    path = _job(tmp_path, lambda j: j.update(resources={"memory_limit": "lots"}))
    line = _one_problem(path)
    assert line.endswith("job.yaml: key 'resources.memory_limit': a memory size such "
                         "as 8GB, 512MB or 2GiB")


def test_the_sizes_duckdb_reads_are_accepted(tmp_path):
    for size in ("8GB", "512 MB", "2GiB", "80%"):
        path = _job(tmp_path, lambda j, s=size: j.update(resources={"memory_limit": s}))
        code, lines = _validate(path)
        assert code == 0, (size, lines)


def test_one_badly_typed_integrated_variable_leaves_the_others_known(tmp_path):
    # was: also "'disability' is not an integrated variable (integrate:); expected one
    # of []" and the same for employment_status, the analysis' imputed variables
    path = _job(tmp_path, lambda j: j["integrate"]["sex"].update(priority="census"))
    line = _one_problem(path)
    assert "key 'integrate.sex.priority'" in line


def test_an_imputed_variable_missing_from_integrate_is_still_named(tmp_path):
    # the check the fix narrows still fires for a variable that is truly not integrated
    def change(j):
        j["integrate"]["sex"].update(priority="census")
        j["analysis"]["imputation"]["employmnt"] = {"method": "hot_deck", "classes": ["sex"]}
    code, lines = _validate(_job(tmp_path, change))
    assert code == 2
    assert any("'employmnt' is not an integrated variable" in ln for ln in lines), lines
    assert not any("'disability' is not" in ln for ln in lines), lines


def test_a_bad_rule_is_one_problem_not_also_its_default(tmp_path):
    # was: a second line, "key 'integrate.address': expected priority: [sources, best
    # first] or rule: most_recent", from the rule's default once the bad rule was set aside
    path = _job(tmp_path, lambda j: j["integrate"]["address"].update(rule="newest"))
    line = _one_problem(path)
    assert "key 'integrate.address.rule'" in line


def test_a_reference_date_not_written_as_a_date_says_how_to_write_one(tmp_path):
    # was: "Datetimes provided to dates should have zero time - e.g. be exact dates"
    # (20210321, read by YAML as a number) and "invalid character in year" (21/03/2021)
    for value in (20210321, "21/03/2021"):
        line = _one_problem(_job(tmp_path, lambda j, v=value: j.update(reference_date=v)))
        assert line.endswith("key 'reference_date': expected a date written YYYY-MM-DD "
                             "(e.g. 2021-03-21)")


def test_a_section_given_as_a_word_names_no_class(tmp_path):
    # was: "Input should be a valid dictionary or instance of Period" (a class of spinelink's)
    path = _job(tmp_path, lambda j: j["sources"]["census"].update(reference_period="March"))
    line = _one_problem(path)
    assert "key 'sources.census.reference_period'" in line
    assert "instance" not in line and "Period" not in line


def test_an_address_given_as_its_parts_says_to_join_them(tmp_path):
    # pseudopeople's files (street_number, street_name, ...), mapped as a list: was
    # "Input should be a valid string"
    def change(j):
        j["sources"]["census"]["columns"]["address"] = ["address_line", "postcode"]
    line = _one_problem(_job(tmp_path, change))
    assert line.endswith("key 'sources.census.columns.address': one column a field (a "
                         "list is not read: join the parts, e.g. street number and "
                         "name, into one column of the file first)")


# every boolean key of the job file (a test below checks the list against the schema)
BOOLEANS = ["links.benefits.one_to_one", "links.benefits.hold_relatives",
            "links.benefits.probabilistic.household",
            "integrate_options.flag_reference_duplicates", "quality.enabled",
            "analysis.enabled", "extend_spine", "privacy.pseudonymise", "privacy.separate"]


def _set(job: dict, dotted: str, value) -> None:
    *parents, last = dotted.split(".")
    node = job
    for k in parents:
        node = node.setdefault(k, {})
    node[last] = value


def _schema_booleans() -> dict[str, object]:
    """Every field of the job's models (and the models under them) that can hold a bool:
    dotted path (`links.*`: an entry of a name -> model section) -> its annotation."""
    import types
    import typing

    from pydantic import BaseModel

    from spinelink.config import Job

    found: dict[str, object] = {}

    def visit(ann, path):
        origin = typing.get_origin(ann)
        if origin is typing.Annotated:
            if typing.get_args(ann)[0] is bool:
                found[path] = ann
            return
        if origin in (typing.Union, types.UnionType, dict, list):
            args = typing.get_args(ann)
            if origin is dict and str in args and bool in args[-1:]:
                found[path] = ann
            for a in args:
                visit(a, path + (".*" if origin in (dict, list) else ""))
            return
        if ann is bool:
            found[path] = ann
        elif isinstance(ann, type) and issubclass(ann, BaseModel):
            for name, f in ann.model_fields.items():
                visit(f.annotation if not f.metadata else typing.Annotated[
                    f.annotation, *f.metadata], f"{path}.{name}".lstrip("."))

    visit(Job, "")
    return found


def test_every_boolean_of_the_job_is_strict_and_tested():
    """A new boolean key must be strict too, and be added to BOOLEANS."""
    from pydantic import Strict

    found = _schema_booleans()
    found.pop("spark.config.*", None)  # Spark's own settings, passed on as text
    assert sorted(found) == sorted(k.replace("benefits", "*") for k in BOOLEANS)
    for path, ann in found.items():
        meta = getattr(ann, "__metadata__", ())
        assert any(isinstance(m, Strict) and m.strict for m in meta), path


def test_a_boolean_given_as_text_or_a_number_is_one_problem(tmp_path):
    # was: one_to_one: 'yes' read as true ('no' as false, 1 as true: pydantic's lax bools)
    for key in BOOLEANS:
        for value in ("yes", "no", "true", "False", 1, 0):
            line = _one_problem(_job(tmp_path, lambda j, k=key, v=value: _set(j, k, v)))
            assert line.endswith(f"job.yaml: key '{key}': expected true or false, unquoted: "
                                 "a quoted word ('yes', 'no', 'true') or a number is not "
                                 "a boolean"), (key, value, line)


def test_unquoted_yes_and_no_are_yaml_booleans(tmp_path):
    """YAML 1.1, as the job file is read: unquoted yes/no, on/off, true/false (any of
    their usual capitalisations) are booleans; quoted, they are text (above)."""
    from spinelink.config import load_job

    _job(tmp_path, lambda j: None)
    text = (SAMPLE / "demo_job.yaml").read_text(encoding="utf-8").replace(
        "output_dir: ../out/demo", "output_dir: out")
    for word, want in (("yes", True), ("no", False), ("on", True), ("Off", False),
                       ("TRUE", True), ("false", False)):
        for key in ("one_to_one", "flag_reference_duplicates"):
            old = {"one_to_one": "    one_to_one: false\n",
                   "flag_reference_duplicates": "  flag_reference_duplicates: true\n"}[key]
            assert old in text
            path = tmp_path / "job.yaml"
            path.write_text(text.replace(old, old.split(":")[0] + f": {word}\n"),
                            encoding="utf-8")
            code, lines = _validate(path)
            assert code == 0, (word, key, lines)
            job = load_job(path).job
            got = (job.links["benefits"].one_to_one if key == "one_to_one"
                   else job.integrate_options.flag_reference_duplicates)
            assert got is want, (word, key)
        path.write_text(text.replace("    one_to_one: false\n", f"    one_to_one: '{word}'\n"),
                        encoding="utf-8")
        assert "key 'links.benefits.one_to_one'" in _one_problem(path)


def test_a_model_files_boolean_given_as_text_is_one_problem(tmp_path):
    """The model specification a job's `model: auto` reads (linkage_models/
    person_auto.yaml, or a copy) has booleans too (`tf`, `read_plain`, `chao1`): strict
    alike."""
    from spinelink.jobspec.autospec import model_spec_problems

    spec = (SAMPLE.parent / "linkage_models" / "person_auto.yaml").read_text(encoding="utf-8")
    for old, new, key in (("{exact: first_name, tf: true}", "{exact: first_name, tf: 'yes'}",
                           "comparisons.0.levels."),
                          ("max_block: 30, read_plain: true}", "max_block: 30, read_plain: 1}",
                           "blocking.")):
        assert old in spec
        (tmp_path / "person_auto.yaml").write_text(spec.replace(old, new, 1), encoding="utf-8")
        spec_ok, problems = model_spec_problems(tmp_path / "person_auto.yaml")
        lines = [p.line() for p in problems]
        assert spec_ok is None and len(lines) == 1, lines
        assert f"person_auto.yaml: key '{key}" in lines[0], lines
        assert lines[0].endswith("expected true or false, unquoted: a quoted word ('yes', "
                                 "'no', 'true') or a number is not a boolean"), lines


def test_a_saved_splink_models_null_level_given_as_text_is_one_problem(tmp_path):
    """`is_null_level: "false"` was read as a null level (the engine reads the flag's
    truth, and a non-empty text is true): the whole level then counted as missing."""
    import json

    from spinelink.jobspec.splink_model import splink_model_problems

    levels = [{"sql_condition": "first_name_l IS NULL", "is_null_level": True},
              {"sql_condition": "first_name_l = first_name_r", "m_probability": 0.9},
              {"sql_condition": "ELSE", "m_probability": 0.1}]
    path = tmp_path / "model.json"
    for value, problems in ((True, 0), (False, 0), ("false", 1), (0, 1)):
        levels[1]["is_null_level"] = value
        path.write_text(json.dumps({"comparisons": [
            {"output_column_name": "first_name", "comparison_levels": levels}]}))
        lines = [p.line() for p in splink_model_problems(path)]
        assert len(lines) == problems, (value, lines)
        if problems:
            assert "model.json: key 'comparisons.0.comparison_levels.1.is_null_level'" \
                in lines[0] and lines[0].endswith("expected true or false, unquoted: a "
                                                  "quoted word ('yes', 'no', 'true') or a "
                                                  "number is not a boolean"), lines
