"""Work-arounds for Splink 5.0.0 quirks, in one place.

EM's maximisation step can produce an m or u probability around 1e-313 for a level that
true matches (or non-matches) never reach; Splink 5.0.0 then raises ValueError from its
own setter and training stops. Such a value means "practically never": we let it through
here, and `probabilistic._clamp` floors saved values at 1e-12 so the model reloads.

Parsing caches (`install_caches`): Splink parses the same few column names and level
conditions with sqlglot again for every comparison, linker and settings object (2,247
parses, ~0.7 s of a small run). The results depend on the text and the dialect only, so
they are kept: a column name's builder (a frozen dataclass, never changed in place) and
the conditions that parsed. Same results, parsed once.

Prediction's inputs from the two sides whole (`sides_as_inputs`): given spinelink's
blocked pairs, Splink 5 finds the records of the pairs among both sides concatenated,
building each record's string id, and copies them, once for each side of the pairs; at a
million records that was 0.9-1.3 s for inputs that kept 885,000 of the 973,000 reference
records (issue 16).

More reach into Splink's internals, so they live here too: its term frequency cache
(`forget_term_frequencies`), a linker's settings around an EM session that fails
(`settings_restorer`), and EM's blocking between the two datasets instead of the
concatenation with itself, its comparison vectors from the records of its pairs only,
cut before their term frequencies are joined (`em_between_datasets`).
"""
from __future__ import annotations

import itertools
from contextlib import contextmanager

from splink.internals import comparison_level as _cl
from splink.internals import input_column as _ic

_original = _cl._validate_m_u_probability


def _tolerant(value, param_name, level_not_observed_text):
    if isinstance(value, int | float) and 0 <= value < _cl.M_U_CLAMP_MIN:
        return
    _original(value, param_name, level_not_observed_text)


def install() -> None:
    _cl._validate_m_u_probability = _tolerant


_builder = _ic.SqlglotColumnTreeBuilder.from_raw_column_name_or_column_reference.__func__
_builders: dict = {}
_validate = _cl.ComparisonLevel._validate_sql
_valid: set = set()


def _cached_builder(cls, input_str, sqlglot_dialect):
    key = (cls, input_str, sqlglot_dialect)
    if key not in _builders:
        _builders[key] = _builder(cls, input_str, sqlglot_dialect)  # raises: not kept
    return _builders[key]


def _cached_validate(self):
    if self._is_else_level:
        return True
    key = (self.sql_condition, self.sqlglot_dialect)
    if key not in _valid:
        _validate(self)  # raises ValueError on a condition that does not parse: not kept
        _valid.add(key)
    return True


def install_caches() -> None:
    _ic.SqlglotColumnTreeBuilder.from_raw_column_name_or_column_reference = classmethod(
        _cached_builder)
    _cl.ComparisonLevel._validate_sql = _cached_validate


def forget_term_frequencies(db_api) -> None:
    """Drop the term frequency tables Splink keeps from its cache. The cache belongs to
    the database (one for every source), and Splink looks a table up by the column's name
    only: a source trained after another took that source's term frequencies (names
    counted over the reference and the other source), and a run resumed between the two
    trained it on its own, so its model and links differed from the uninterrupted run's.
    The tables stay in the database (Splink's and the lookups of prediction alike)."""
    cache = db_api._intermediate_table_cache
    for key in [k for k in cache if k.startswith("__splink__df_tf_")]:
        del cache[key]


def release_tables(db_api) -> None:
    """Drop every table Splink made through this database (its blocked pairs, comparison
    vectors, term frequencies) and empty its cache of them, which would otherwise name
    dropped tables. Splink keeps them until the database closes: at a million records
    training's comparison vectors (1M pairs) were held through prediction, whose scoring
    set the run's peak memory. A later linker makes again what it needs."""
    db_api.delete_tables_created_by_splink_from_db()
    db_api._intermediate_table_cache.invalidate_cache()


def settings_restorer(linker):
    """A function putting the linker's model settings back as they are now. Splink's EM
    session drops the comparisons its rule blocks on and sets the prior to the blocked
    pairs' in the linker's own settings, and puts them back only when the session
    succeeds."""
    settings = linker._settings_obj.core_model_settings.copy()

    def restore() -> None:
        linker._settings_obj.core_model_settings = settings
    return restore


_CONCAT = "__splink__df_concat"


def _between_datasets(original):
    """`block_using_rules_sqls` blocking the two datasets of a link-only linker against
    each other: EM's sessions (and their probe of the pair count) self-join Splink's
    concatenation of both and keep the pairs across datasets, so a rule's pairs within
    the reference (at a million records, 13M on the date of birth, against 2M between
    the reference and the residual) are made to be thrown away. Splink's prediction
    splits the concatenation in two tables first (its `two_dataset_link_only`); so does
    this. The same pairs in the same orientation: the left record is the one whose
    dataset's name is the smaller, as the link-only condition (`l` id < `r` id) has it."""
    from splink.internals.vertically_concatenate import (
        split_df_concat_with_tf_into_two_tables_sqls,
    )

    def blocked(**kw):
        if (kw.get("link_type") != "link_only" or kw.get("input_tablename_l") != _CONCAT
                or kw.get("input_tablename_r") != _CONCAT
                or kw.get("source_dataset_input_column") is None):
            return original(**kw)
        split = split_df_concat_with_tf_into_two_tables_sqls(
            _CONCAT, kw["source_dataset_input_column"].name)
        return split + original(**{**kw, "input_tablename_l": f"{_CONCAT}_left",
                                   "input_tablename_r": f"{_CONCAT}_right",
                                   "link_type": "two_dataset_link_only"})
    return blocked


def _records_of_pairs_with_tf(linker, pipeline):
    """`enqueue_df_concat_with_tf` as an EM session's comparison vectors call it (the
    pipeline holds its sampled `__splink__blocked_id_pairs`): the concatenation cut to
    the records some pair names *before* their term frequencies are joined. Splink's EM
    joins the pairs to the whole concatenation with its term frequencies (at a million
    records every reference record, each joined to five term-frequency tables, for
    300,000 pairs; Splink's own DuckDB filter of the records of the pairs, which this
    replaces, came after those joins). The same rows: an inner join of the pairs keeps
    only those records, and their term frequencies come from the same tables, computed
    over every record (`ensure_term_frequencies_for_linker` materialises them from the
    whole concatenation first)."""
    from splink.internals.term_frequencies import (
        _join_tf_to_input_table_sql,
        append_term_frequencies_to_pipeline,
    )
    from splink.internals.unique_id_concat import _composite_unique_id_from_nodes_sql
    from splink.internals.vertically_concatenate import enqueue_df_concat

    from spinelink.sqlfiles import sql_file

    info = linker._settings_obj.column_info_settings
    uid = _composite_unique_id_from_nodes_sql(
        [info.source_dataset_input_column, info.unique_id_input_column])
    enqueue_df_concat(linker, pipeline)
    pipeline.enqueue_sql(sql_file("probabilistic/em_pairs_records.sql", concat=_CONCAT,
                                  uid=uid), PAIRS_RECORDS)
    append_term_frequencies_to_pipeline(linker, pipeline)
    pipeline.enqueue_sql(_join_tf_to_input_table_sql(linker, PAIRS_RECORDS),
                         f"{_CONCAT}_with_tf")
    return pipeline


PAIRS_RECORDS = f"{_CONCAT}_of_pairs"  # EM's records of its pairs, before their tf


@contextmanager
def em_between_datasets(dialect: str | None = None):
    """EM sessions (and their probes) in this context block between the two datasets
    (`_between_datasets`); on DuckDB (`dialect`) their comparison vectors read only the
    records of their pairs, cut before their term frequencies are joined
    (`_records_of_pairs_with_tf`)."""
    from splink.internals import blocking, em_training_session

    original = blocking.block_using_rules_sqls
    patched = _between_datasets(original)
    with_tf = em_training_session.enqueue_df_concat_with_tf
    blocking.block_using_rules_sqls = patched
    em_training_session.block_using_rules_sqls = patched
    if dialect == "duckdb":
        em_training_session.enqueue_df_concat_with_tf = _records_of_pairs_with_tf
    try:
        yield
    finally:
        blocking.block_using_rules_sqls = original
        em_training_session.block_using_rules_sqls = original
        em_training_session.enqueue_df_concat_with_tf = with_tf


_inputs = itertools.count()
SIDES = "spinelink_sides"  # a registered blocked pairs table's metadata: its two datasets


@contextmanager
def sides_as_inputs():
    """Splink's pruned prediction (DuckDB) takes, as the inputs of the pairs' left and
    right records, the records of the pairs' two datasets themselves, when the blocked
    pairs name them (metadata SIDES: {"l": dataset, "r": dataset}, as `chunks` registers
    its pairs, whose every join key of a side starts with that side's dataset name).
    Splink keeps, of both datasets concatenated, the records whose id is among the pairs'
    (`_materialise_pruned_predict_input`); the records of a side not in any pair join no
    pair in its scoring join (an inner join on the id), and every other column of a record
    is computed from that record alone: the same scored pairs."""
    from splink.internals.duckdb import pruned_prediction as pp

    original = pp._materialise_pruned_predict_input

    def materialise(linker, blocked_pairs, side):
        made = _side_input(linker, blocked_pairs.metadata.get(SIDES, {}).get(side), side)
        return made if made is not None else original(linker, blocked_pairs, side)

    pp._materialise_pruned_predict_input = materialise
    try:
        yield
    finally:
        pp._materialise_pruned_predict_input = original


def _side_input(linker, dataset: str | None, side: str):
    """One dataset's rows as Splink's concatenation writes them (`vertically_concatenate_
    sql`: the dataset's name as `source_dataset`, then the first input's columns), as a
    view over the dataset's input (no copy: Splink's scoring statement reads it once), or
    None where that is not how Splink would write them (one input, or inputs that carry
    the dataset's column)."""
    inputs = linker._input_tables_dict
    first = next(iter(inputs.values()))
    col = linker._settings_obj.column_info_settings.source_dataset_input_column
    named = [d for d in inputs.values() if d.dataset_display_name == dataset]
    if dataset is None or len(inputs) < 2 or len(named) != 1 or (
            col is not None and (col.unquote().name != "source_dataset"
                                 or col in first.columns)):
        return None
    columns = ",\n".join(["'" + dataset + "' as source_dataset", *first.columns_escaped])
    db_api = linker._db_api
    name = f"__sl_predict_input_{side}_{next(_inputs)}"
    db_api._execute_sql_against_backend(
        f"CREATE OR REPLACE TEMP VIEW {name} AS select\n{columns}\nfrom "
        f"{named[0].physical_name}")
    made = db_api.table_to_splink_dataframe(f"__splink__df_pruned_predict_input_{side}", name)
    made.created_by_splink = True  # Splink drops it after scoring (a view: DROP VIEW)
    return made
