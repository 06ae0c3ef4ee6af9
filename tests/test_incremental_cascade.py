"""The deterministic cascade of an incremental run on the closure of the changed records
(spinelink.incremental.cascade): an unchanged record whose key value a changed record
shared before is linked again, as a cascade on every record links it."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from spinelink import manifest
from spinelink.backends.duckdb_engine import DuckDBEngine
from spinelink.deterministic import Step
from spinelink.incremental import cascade

STEPS = [Step("key:names_dob", ["first_name", "last_name", "dob_iso"],
              ["first_name", "last_name", "dob_iso"]),
         Step("key:surname_dob", ["last_name", "dob_iso"], ["last_name", "dob_iso"])]
REF = pd.DataFrame({"record_id": ["r1", "r2", "r3"],
                    "first_name": ["ann", "bob", "cy"],
                    "last_name": ["lee", "ray", "fox"],
                    "dob_iso": ["1980-01-01", "1970-02-02", "1990-03-03"]})
# before: s1 and s2 share ann lee's key (no link for either); s3 links bob ray; s4 cy fox
OLD = pd.DataFrame({"record_id": ["s1", "s2", "s3", "s4"],
                    "first_name": ["ann", "ann", "bob", "cy"],
                    "last_name": ["lee", "lee", "ray", "fox"],
                    "dob_iso": ["1980-01-01", "1980-01-01", "1970-02-02", "1990-03-03"]})
# now: s2 corrected to another person (so s1, unchanged, is unique and links r1), s4
# removed, s5 new with cy fox's key
NEW = pd.DataFrame({"record_id": ["s1", "s2", "s3", "s5"],
                    "first_name": ["ann", "dee", "bob", "cy"],
                    "last_name": ["lee", "kim", "ray", "fox"],
                    "dob_iso": ["1980-01-01", "2000-04-04", "1970-02-02", "1990-03-03"]})
STATUS = pd.DataFrame({"record_id": ["s1", "s2", "s3", "s4", "s5"],
                       "status": ["unchanged", "changed", "unchanged", "removed", "new"]})


def _lj():
    return SimpleNamespace(job=SimpleNamespace(reference="ref", privacy=SimpleNamespace(
        pseudonymise=False)))


def _engine(src: pd.DataFrame) -> DuckDBEngine:
    e = DuckDBEngine()
    e.register("ref_in", REF)
    e.register("src_in", src)
    e.execute("CREATE TABLE ref AS SELECT * FROM ref_in")
    e.execute("CREATE TABLE src AS SELECT * FROM src_in")
    return e


def _previous(tmp: Path) -> Path:
    """A previous run's folder: its standardised tables, saved cascade and manifest."""
    prev = tmp / "prev"
    e = _engine(OLD)
    cascade.run(e, _lj(), prev, "src", "ref", "src", STEPS, "links", False)
    for name in ("ref", "src"):
        e.write_parquet(f"SELECT * FROM {name} ORDER BY record_id",
                        prev / "standardised" / f"{name}.parquet")
    _record(prev)
    return prev


def _record(folder: Path) -> None:
    """The manifest of a finished run: every file with its SHA-256."""
    files = [p for p in folder.rglob("*") if p.is_file() and p.name != "run_manifest.json"]
    outputs = {p.relative_to(folder).as_posix(): {"sha256": manifest.file_hash(p)}
               for p in files}
    (folder / "run_manifest.json").write_text(json.dumps({"outputs": outputs}))


def _incremental(tmp: Path, since: Path, folder: str, status=STATUS):
    """An incremental cascade on NEW from `since` into tmp/folder: (engine, plan)."""
    out = tmp / folder
    e = _engine(NEW)
    for name in ("ref", "src"):  # the reference is the previous one
        e.write_parquet(f"SELECT * FROM {name} ORDER BY record_id",
                        out / "standardised" / f"{name}.parquet")
    plan = SimpleNamespace(since=since, status=status, cascade_on=None)
    cascade.run(e, _lj(), out, "src", "ref", "src", STEPS, "links", False, plan)
    return e, plan


def _links(e) -> list[tuple]:
    return [tuple(r) for r in e.df("SELECT source_id, reference_id, method FROM links "
                                   "ORDER BY source_id").itertuples(index=False)]


def test_an_unchanged_record_freed_by_a_change_is_linked_as_in_a_full_cascade(tmp_path):
    prev = _previous(tmp_path)
    out = tmp_path / "now"
    full = _engine(NEW)
    full_counts = cascade.run(full, _lj(), tmp_path / "full", "src", "ref", "src", STEPS,
                              "links", False)
    e = _engine(NEW)
    e.write_parquet("SELECT * FROM ref ORDER BY record_id",
                    out / "standardised" / "ref.parquet")  # the previous reference
    plan = SimpleNamespace(since=prev, status=STATUS, cascade_on=None)
    counts = cascade.run(e, _lj(), out, "src", "ref", "src", STEPS, "links", False, plan)
    assert _links(e) == _links(full) == [("s1", "r1", "key:names_dob"),
                                         ("s3", "r2", "key:names_dob"),
                                         ("s5", "r3", "key:names_dob")]
    assert counts == full_counts == {"key:names_dob": 3, "key:surname_dob": 0}
    # the closure: s2 and s5 (changed, new) and s1, which shared s2's old key; not s3
    assert plan.cascade_on == 3
    saved = pd.read_parquet(cascade.saved_path(out, "src"))
    assert list(saved["source_id"]) == ["s1", "s3", "s5"]


def test_another_reference_means_the_cascade_on_every_record(tmp_path):
    prev = _previous(tmp_path)
    out = tmp_path / "now"
    e = _engine(NEW)
    e.write_parquet("SELECT * FROM ref WHERE record_id <> 'r3' ORDER BY record_id",
                    out / "standardised" / "ref.parquet")  # not the previous reference
    plan = SimpleNamespace(since=prev, status=STATUS, cascade_on=None)
    cascade.run(e, _lj(), out, "src", "ref", "src", STEPS, "links", False, plan)
    assert plan.cascade_on is None  # every record
    assert len(_links(e)) == 3


def test_the_reference_keys_are_hashed_once_and_taken_over(tmp_path, caplog):
    """An incremental run saves every reference record's hashed keys; the next one, on the
    same reference, takes them over, unless the file is not as the manifest records it."""
    caplog.set_level("INFO", logger="spinelink")
    prev = _previous(tmp_path)
    e1, _ = _incremental(tmp_path, prev, "now")
    keys = pd.read_parquet(cascade.hashes_path(tmp_path / "now", "src"))
    assert list(keys.columns) == ["record_id", "h0", "h1"]
    assert sorted(keys["record_id"]) == ["r1", "r2", "r3"]
    assert (keys[["h0", "h1"]] != 0).all().all()
    assert "hashed keys taken over" not in caplog.text  # the first incremental run made them
    _record(tmp_path / "now")
    # the next delivery: s2 changed again (to the same values: any seed will do)
    e2, plan = _incremental(tmp_path, tmp_path / "now", "next")
    assert "hashed keys taken over from" in caplog.text
    assert plan.cascade_on is not None and _links(e2) == _links(e1) == [
        ("s1", "r1", "key:names_dob"), ("s3", "r2", "key:names_dob"),
        ("s5", "r3", "key:names_dob")]
    assert (cascade.hashes_path(tmp_path / "next", "src").read_bytes()
            == cascade.hashes_path(tmp_path / "now", "src").read_bytes())
    # a saved file that changed since its run (here every key blanked, which would leave
    # the closure no reference record to link): made again, the same links
    path = cascade.hashes_path(tmp_path / "now", "src")
    keys.assign(h0=0, h1=0).to_parquet(path)
    caplog.clear()
    e3, _ = _incremental(tmp_path, tmp_path / "now", "again")
    assert "hashed keys taken over" not in caplog.text
    assert _links(e3) == _links(e1)
