"""EM's sums in one order run after run (`Engine.ordered_sums`): the DuckDB engine runs
Splink's EM iterations on one thread over comparison vectors sorted by pair (a parallel
sum adds its threads' partial sums in the order they finish, and a parallel join writes
rows in the order the threads do: at a million records EM's m-probabilities differed in
their 12th digit between two runs of one job)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from splink.internals import em_training_session as session

from spinelink.backends.duckdb_engine import DuckDBEngine


def _threads(engine: DuckDBEngine) -> int:
    return int(engine.scalar("SELECT current_setting('threads')"))


@pytest.mark.parametrize("threads", [2, 3])
def test_em_iterations_see_sorted_pairs_on_one_thread(monkeypatch, threads):
    engine = DuckDBEngine(threads=threads)
    engine.execute("CREATE TABLE cv AS SELECT * FROM (VALUES (3, 1, 0.5), (1, 2, 0.25), "
                   "(1, 1, 0.125), (2, 9, 1.0)) t(unique_id_l, unique_id_r, gamma)")
    seen = []

    def em(*, df_comparison_vector_values, db_api=None):
        seen.append((_threads(engine), engine.df(
            f"SELECT unique_id_l, unique_id_r FROM {df_comparison_vector_values.physical_name}"
        ).values.tolist()))
        if db_api == "fail":
            raise RuntimeError("EM did not converge")
        return ["trained"]

    monkeypatch.setattr(session, "expectation_maximisation", em)
    cv = SimpleNamespace(physical_name="cv")
    with engine.ordered_sums():
        assert _threads(engine) == threads  # the vectors are made on every thread
        assert session.expectation_maximisation(df_comparison_vector_values=cv) == ["trained"]
        with pytest.raises(RuntimeError):
            session.expectation_maximisation(df_comparison_vector_values=cv, db_api="fail")
    assert seen == [(1, [[1, 1], [1, 2], [2, 9], [3, 1]])] * 2
    assert _threads(engine) == threads  # restored, also after a failure
    assert session.expectation_maximisation is em  # Splink's own function back


def test_em_iterations_see_pairs_sorted_by_the_models_record_id(monkeypatch):
    """spinelink's models name the record id `record_id`: the vectors' `record_id_l` and
    `_r` (from Splink's `unique_id_input_columns`) order the pairs, not the dataset names
    alone (which left the rows in the join's order)."""
    from splink.internals.input_column import InputColumn

    engine = DuckDBEngine(threads=2)
    engine.execute("CREATE TABLE cv AS SELECT * FROM (VALUES ('r', 'C3', 's', 'B1'), "
                   "('r', 'C1', 's', 'B2'), ('r', 'C1', 's', 'B1'), ('r', 'C2', 's', 'B9')) "
                   "t(source_dataset_l, record_id_l, source_dataset_r, record_id_r)")
    seen = []

    def em(*, df_comparison_vector_values, unique_id_input_columns):
        seen.append(engine.df(f"SELECT record_id_l, record_id_r FROM "
                              f"{df_comparison_vector_values.physical_name}").values.tolist())
        return ["trained"]

    monkeypatch.setattr(session, "expectation_maximisation", em)
    uid = [InputColumn(c, sqlglot_dialect_str="duckdb")
           for c in ("source_dataset", "record_id")]
    with engine.ordered_sums():
        session.expectation_maximisation(
            df_comparison_vector_values=SimpleNamespace(physical_name="cv"),
            unique_id_input_columns=uid)
    assert seen == [[["C1", "B1"], ["C1", "B2"], ["C2", "B9"], ["C3", "B1"]]]
