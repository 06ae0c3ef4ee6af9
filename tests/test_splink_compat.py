"""Splink parsing caches (spinelink.splink_compat.install_caches): the same column names
and level conditions give the same SQL as Splink's own parse, and a text that does not
parse still fails every time (failures are not kept). Splink imported when first needed,
or on a run's background thread (spinelink.splink_import), with the caches in place before
any comparison is built."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from splink.internals.comparison_level import ComparisonLevel
from splink.internals.dialects import SplinkDialect
from splink.internals.input_column import InputColumn, SqlglotColumnTreeBuilder

from spinelink import splink_compat
from spinelink.splink_import import splink_ready

splink_ready()  # installs the caches

ROOT = Path(__file__).resolve().parents[1]

NAMES = ["first_name", "first name", "group", "coords['lat']", "coords[1]", '"sur NAME"',
         "dob_year"]


def _python(code: str) -> str:
    """Run `code` in a fresh interpreter (nothing imported yet); its standard output."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], check=True,
                          capture_output=True, text=True, cwd=ROOT).stdout


def test_a_command_imports_neither_splink_nor_sqlglot_before_it_needs_them():
    out = _python("""
        import sys
        import spinelink.cli, spinelink.pipeline, spinelink.model_spec
        print(sorted({m.split('.')[0] for m in sys.modules} & {'splink', 'sqlglot'}))
    """)
    assert out.strip() == "[]"


def test_comparisons_built_while_splink_is_imported_in_the_background_are_splinks():
    # the main thread builds a model's comparisons while the run's thread is importing
    # Splink: it waits for the import and the caches, and gets what a plain import gives
    code = """
        import json, sys
        from spinelink import splink_import
        from spinelink.jobspec.autospec import load_model_spec
        from spinelink.model_fields import Fields
        from spinelink.model_spec import settings_for
        if sys.argv[-1] == "background":
            splink_import.import_in_background()
        spec = load_model_spec(__import__("pathlib").Path("linkage_models/person_auto.yaml"))
        f = frozenset({"first_name", "last_name", "date_of_birth", "sex", "postcode"})
        s = settings_for(spec, Fields(f, f)).get_settings("duckdb").as_dict()
        from splink.internals.comparison_level import ComparisonLevel
        from spinelink import splink_compat
        print(json.dumps([ComparisonLevel._validate_sql is splink_compat._cached_validate,
                          s["comparisons"]], sort_keys=True))
    """
    runs = [subprocess.run([sys.executable, "-c", textwrap.dedent(code), mode], check=True,
                           capture_output=True, text=True, cwd=ROOT).stdout
            for mode in ("background", "plain")]
    assert runs[0] == runs[1]
    assert runs[0].startswith("[true, [{")


def test_caches_are_installed_by_splink_ready():
    assert SqlglotColumnTreeBuilder.from_raw_column_name_or_column_reference.__func__ is (
        splink_compat._cached_builder)
    assert ComparisonLevel._validate_sql is splink_compat._cached_validate


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dialect", ["duckdb", "spark"])
def test_cached_column_builder_matches_splink(name, dialect):
    uncached = splink_compat._builder(SqlglotColumnTreeBuilder, name, dialect)
    first = SqlglotColumnTreeBuilder.from_raw_column_name_or_column_reference(name, dialect)
    again = SqlglotColumnTreeBuilder.from_raw_column_name_or_column_reference(name, dialect)
    assert first == again == uncached
    col = InputColumn(name, sqlglot_dialect_str=dialect)
    assert (col.name_l, col.name_r) == (
        InputColumn(name, sqlglot_dialect_str=dialect).name_l,
        InputColumn(name, sqlglot_dialect_str=dialect).name_r)
    assert col.name_l.endswith(("_l", '_l"', "_l`", "]"))


def test_column_that_does_not_parse_fails_every_time():
    for _ in range(2):
        with pytest.raises(ValueError, match="Could not parse input column"):
            SqlglotColumnTreeBuilder.from_raw_column_name_or_column_reference('a"b', "duckdb")


def test_condition_that_does_not_parse_fails_every_time():
    dialect = SplinkDialect.from_string("duckdb")
    good = ComparisonLevel("first_name_l = first_name_r", dialect)
    assert good._validate_sql() is True and good._validate_sql() is True
    for _ in range(2):
        with pytest.raises(ValueError, match="Error parsing sql_statement"):
            ComparisonLevel("first_name_l = = (", dialect)._validate_sql()
