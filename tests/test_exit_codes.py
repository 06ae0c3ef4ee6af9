"""Every failure exits with one of the README's documented codes, in one line.

The base class SpinelinkError (exit 1, documented nowhere) used to be raised directly by
the reference tables under linkage_models/ (model_tables, romanisation, addresses), by
the engine choice (pyspark not installed, an unknown backend), by the Spark engine and by
the API's Result; TranslationError (SQL the Spark backend cannot run) had no code of its
own. Each now has its documented class: a job asking for a backend that is not installed
is a job problem (2), an unusable reference table or SQL the Spark engine cannot run is
linkage that cannot run (4), a run folder without its manifest an output problem (7).
"""
from __future__ import annotations

import ast
import re
import sys

import pytest
from click.testing import CliRunner
from conftest import ROOT, write_files

from spinelink.errors import JobError, LinkageError, OutputError, SpinelinkError

SRC = ROOT / "src" / "spinelink"


def _errors_paragraph() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("Errors are one line per problem")
    return text[start:text.index("A job file is checked whole", start)]


def _documented_codes() -> set[int]:
    """The exit codes the README's errors paragraph lists: `(2 job file, 3 ...`."""
    para = " ".join(_errors_paragraph().split())
    return {int(c) for c in re.findall(r"(?:\(|, )(\d+) [a-z]", para)}


def test_the_readme_documents_every_code_the_cli_uses():
    """70 (the CLI's internal error and out of memory) was mentioned only under Spark;
    1 (the base class) is no code a failure exits with."""
    assert _documented_codes() == {2, 3, 4, 5, 6, 7, 8, 70, 130}
    assert "70 an internal error or out of memory" in " ".join(_errors_paragraph().split())


def _error_classes() -> dict[str, tuple[list[str], bool]]:
    """Every class in src that derives (by name) from an error class: its bases and
    whether it sets exit_code itself."""
    found = {}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = [b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")
                         for b in node.bases]
                sets = any(isinstance(s, (ast.Assign, ast.AnnAssign)) and "exit_code" in
                           ast.unparse(s).split("=")[0] for s in node.body)
                found[f"{path.relative_to(SRC)}:{node.name}"] = (bases, sets)
    return found


def test_no_bare_spinelink_error_is_raised_or_subclassed_without_a_code():
    """`raise SpinelinkError(...)` exits 1; so does a direct subclass without a code."""
    bare = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                f = node.exc.func
                name = f.id if isinstance(f, ast.Name) else getattr(f, "attr", "")
                if name == "SpinelinkError":
                    bare.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert bare == []
    direct = [name for name, (bases, sets) in _error_classes().items()
              if "SpinelinkError" in bases and not sets and not name.startswith("errors.py")]
    assert direct == []


def test_every_error_class_exits_with_a_documented_code():
    import spinelink.atomic
    import spinelink.backends.spark_dates
    import spinelink.catalogue.show
    import spinelink.coding.workflow
    import spinelink.jobspec.problems
    import spinelink.review.band  # noqa: F401 - their error classes

    def walk(c):
        for s in c.__subclasses__():
            yield s
            yield from walk(s)

    codes = _documented_codes()
    classes = list(walk(SpinelinkError))
    assert len(classes) >= 10
    assert [c.__name__ for c in classes if c.exit_code not in codes] == []


def test_spark_dates_translation_error_is_linkage_that_cannot_run():
    from spinelink.backends.spark_dates import TranslationError

    assert issubclass(TranslationError, LinkageError) and TranslationError.exit_code == 4


@pytest.fixture
def no_pyspark(monkeypatch):
    """pyspark as if it were not installed (it is in the test environment)."""
    for name in list(sys.modules):
        if name == "pyspark" or name.startswith("pyspark.") or \
                name == "spinelink.backends.spark_engine":
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark: ImportError


def test_a_backend_not_installed_is_a_job_problem(no_pyspark):
    from spinelink.backends import open_engine

    with pytest.raises(JobError) as err:
        open_engine("spark")
    assert err.value.exit_code == 2
    assert str(err.value).startswith("backend 'spark' needs pyspark")
    assert "pip install 'spinelink[spark]'" in str(err.value)
    with pytest.raises(JobError, match="unknown backend 'oracle': expected duckdb or spark"):
        open_engine("oracle")


JOB = """\
    schema_version: 1
    name: exit_codes
    output_dir: out
    reference: census
    reference_date: 2021-03-21
    backend: spark
    sources:
      census:
        role: census
        path: census.csv
        id: person_id
        date_format: "%d/%m/%Y"
        columns: {first_name: forename, last_name: surname, date_of_birth: dob}
    """


def test_run_with_spark_not_installed_exits_2_in_one_line(tmp_path, no_pyspark):
    """Through the CLI (in this process, so that pyspark can be hidden): exit 2, not 1."""
    from spinelink.cli import main

    write_files(tmp_path, {"job.yaml": JOB, "census.csv":
                           "person_id,forename,surname,dob\nP1,Ann,Lee,01/02/1980\n"})
    r = CliRunner().invoke(main, ["run", str(tmp_path / "job.yaml")])
    assert r.exit_code == 2, r.output
    lines = [x for x in r.output.splitlines() if x.startswith("error:")]
    assert len(lines) == 1 and lines[0].startswith("error: backend 'spark' needs pyspark")
    assert "Traceback" not in r.output


def test_an_unknown_backend_on_the_command_line_is_refused_by_click(tmp_path):
    from spinelink.cli import main

    write_files(tmp_path, {"job.yaml": JOB})
    r = CliRunner().invoke(main, ["run", str(tmp_path / "job.yaml"), "--backend", "oracle"])
    assert r.exit_code == 2 and "'oracle' is not one of" in r.output


@pytest.mark.parametrize("case", ["missing", "columns", "row"])
def test_an_unusable_reference_table_is_linkage_that_cannot_run(tmp_path, case):
    """linkage_models/ tables (nicknames, romanisation, street types, sex codes): exit 4,
    one line naming the file (and the line and column of a bad row)."""
    from spinelink import addresses, romanisation
    from spinelink.model_tables import read_table

    bad = tmp_path / "table.csv"
    if case == "missing":
        with pytest.raises(LinkageError, match=r"table.csv: nickname table not found"):
            read_table(bad, "nickname table", {"nickname", "canonical"})
    elif case == "columns":
        bad.write_text("nick,canon\nbob,robert\n", encoding="utf-8")
        with pytest.raises(LinkageError, match="needs the columns canonical,nickname"):
            read_table(bad, "nickname table", {"nickname", "canonical"})
        with pytest.raises(LinkageError, match="street-type table needs the columns"):
            addresses.read_street_types(bad)
    else:
        bad.write_text("from,to\nkh,h\nK H,h\n", encoding="utf-8")
        with pytest.raises(LinkageError) as err:
            romanisation.read_rules(bad)
        assert err.value.exit_code == 4
        assert str(err.value).startswith(f"{bad}: line 3, column from:")


def test_a_folder_without_its_manifest_is_an_output_problem(tmp_path):
    import spinelink

    with pytest.raises(OutputError, match="no run_manifest.json") as err:
        spinelink.open_run(tmp_path)
    assert err.value.exit_code == 7


def test_an_output_folder_that_is_a_file_is_an_output_problem(tmp_path):
    """`--output-dir` naming a file (a slip: the census CSV): was 'internal error
    (FileExistsError)', exit 70 (session 49's trial); now exit 8, in one line."""
    import shutil

    from spinelink.cli import main

    for f in ("census.csv", "benefits.parquet", "survey.csv", "demo_job.yaml"):
        shutil.copy(ROOT / "sample_data" / f, tmp_path / f)
    target = tmp_path / "census.csv"
    for out in (target, target / "sub"):
        res = CliRunner().invoke(main, ["run", str(tmp_path / "demo_job.yaml"),
                                        "--output-dir", str(out)])
        assert res.exit_code == 8, res.output
        assert f"error: {out}: the folder cannot be made: {target} is a file" in res.output
        assert "internal error" not in res.output
