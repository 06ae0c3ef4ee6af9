"""Splink parsing caches (spinelink.splink_compat.install_caches): the same column names
and level conditions give the same SQL as Splink's own parse, and a text that does not
parse still fails every time (failures are not kept)."""
from __future__ import annotations

import pytest
from splink.internals.comparison_level import ComparisonLevel
from splink.internals.dialects import SplinkDialect
from splink.internals.input_column import InputColumn, SqlglotColumnTreeBuilder

from spinelink import splink_compat
from spinelink.model_spec import install_caches  # noqa: F401 - installs the caches

NAMES = ["first_name", "first name", "group", "coords['lat']", "coords[1]", '"sur NAME"',
         "dob_year"]


def test_caches_are_installed_by_model_spec():
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
