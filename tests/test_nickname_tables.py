"""The nickname lookups are built once and kept: per process, and from one run to the next
(`run --since`) through the files the earlier run saved, when their key and the manifest's
SHA-256 agree; otherwise they are built again (spinelink.nickname_tables)."""
from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from spinelink import manifest, nickname_tables
from spinelink.backends.duckdb_engine import DuckDBEngine
from spinelink.standardise import (
    diminutives_file,
    install_macros,
    nickname_roots_file,
    nicknames_file,
)

FILES = (nicknames_file(), diminutives_file(), nickname_roots_file())


@pytest.fixture
def fresh(monkeypatch):
    """No tables kept in this process; counts the builds."""
    monkeypatch.setattr(nickname_tables, "_BUILT", {})
    builds = []
    build = nickname_tables._build

    def counted(engine, paths):
        builds.append(paths)
        return build(engine, paths)

    monkeypatch.setattr(nickname_tables, "_build", counted)
    return builds


def _register(store, files=FILES):
    engine = DuckDBEngine()
    nickname_tables.register(engine, install_macros(engine), *files, store)
    return engine, [engine.arrow(f"SELECT * FROM {t}")
                    for t in (nickname_tables.NICKNAMES, nickname_tables.ROOTS)]


def _record(out: Path) -> None:
    """A manifest recording the saved files, as a finished run's does."""
    manifest.write_json(out / "run_manifest.json", {"outputs": {
        rel: {"sha256": manifest.file_hash(out / rel)} for rel in nickname_tables.FILES}})


def test_saved_tables_are_taken_over_by_the_next_run(fresh, tmp_path):
    first, second = tmp_path / "1", tmp_path / "2"
    _, built = _register(nickname_tables.Store(first))
    assert len(fresh) == 1 and all((first / rel).is_file() for rel in nickname_tables.FILES)
    assert built[0].num_rows > 500 and built[1].num_rows > 500
    assert "oleksandr" in built[0].column("canonical").to_pylist()
    _record(first)
    nickname_tables._BUILT.clear()  # a new process
    _, taken = _register(nickname_tables.Store(second, since=first))
    assert len(fresh) == 1  # not built again
    assert [t.equals(b) for t, b in zip(taken, built, strict=True)] == [True, True]
    # and saved again for the run after it, byte for byte the same
    for rel in nickname_tables.FILES:
        assert (second / rel).read_bytes() == (first / rel).read_bytes()


def test_same_process_builds_once_for_every_engine(fresh, tmp_path):
    _register(None)
    _register(None)
    assert len(fresh) == 1


@pytest.mark.parametrize("damage", ["modified", "no manifest", "other lists"])
def test_tables_are_built_again_when_the_saved_ones_cannot_stand(fresh, tmp_path, damage):
    first = tmp_path / "1"
    _, built = _register(nickname_tables.Store(first))
    _record(first)
    files = FILES
    if damage == "modified":  # a file changed since the run recorded it
        path = first / nickname_tables.FILES[0]
        table = pq.read_table(path)
        pq.write_table(table.slice(1), path)
    elif damage == "no manifest":  # an interrupted run
        (first / "run_manifest.json").unlink()
    else:  # the job's nickname list differs from the one the saved tables were built from
        mine = tmp_path / "mine.csv"
        mine.write_text("nickname,canonical\nbobo,robert\n", encoding="utf-8")
        files = (mine, *FILES[1:])
    nickname_tables._BUILT.clear()
    _, again = _register(nickname_tables.Store(tmp_path / "2", since=first), files)
    assert len(fresh) == 2
    if damage != "other lists":
        assert again[0].equals(built[0])
    else:
        assert again[0].num_rows < built[0].num_rows


def test_each_run_writes_its_own_copy_whatever_the_folder_holds(fresh, tmp_path):
    """Once per run (engine): a second source of the run does not write them again, a run
    again in the folder (a stage redone on --resume) does, over a file changed since."""
    out = tmp_path / "out"
    engine, _ = _register(nickname_tables.Store(out))
    path = out / nickname_tables.FILES[0]
    good = path.read_bytes()
    path.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))  # changed after the run
    nickname_tables.register(engine, install_macros(engine), *FILES,
                             nickname_tables.Store(out))  # the same run's next source
    assert path.read_bytes() != good
    _register(nickname_tables.Store(out))  # another run in the folder
    assert path.read_bytes() == good
    assert len(fresh) == 1  # built once in this process all the same
