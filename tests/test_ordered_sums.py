"""EM's sums in one order run after run: the DuckDB engine runs them on one thread (a
parallel sum adds its threads' partial sums in the order they finish: at a million
records EM's m-probabilities differed in their 12th digit between two runs of one job)."""
from __future__ import annotations

import pytest

from spinelink.backends.duckdb_engine import DuckDBEngine


def _threads(engine: DuckDBEngine) -> int:
    return int(engine.scalar("SELECT current_setting('threads')"))


@pytest.mark.parametrize("threads", [2, 3])
def test_one_thread_within_and_the_job_setting_after(threads):
    engine = DuckDBEngine(threads=threads)
    assert _threads(engine) == threads
    with engine.ordered_sums():
        assert _threads(engine) == 1
    assert _threads(engine) == threads
    with pytest.raises(RuntimeError), engine.ordered_sums():  # restored on the way out
        raise RuntimeError("EM failed")
    assert _threads(engine) == threads

