"""What a delivery changes (spinelink.incremental.state): the record statuses an
incremental run works from, and the state file of an added delivery, on small files whose
every difference is known."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from spinelink.config import Source
from spinelink.incremental.state import classify, write_state


def _intake(path: Path, rows: dict[str, list]) -> Path:
    n = len(rows["record_id"])
    table = pa.table({**{k: pa.array(v, type=pa.string()) for k, v in rows.items()},
                      "_row": pa.array(range(2, n + 2), type=pa.int64())})
    pq.write_table(table, path)
    return path


def test_statuses_follow_every_column_but_the_row_number(tmp_path):
    old = _intake(tmp_path / "old.parquet", {
        "record_id": ["a", "b", "c", "d", "f", "g", "h"],
        "first": ["Ann", "Bo", "Cy", "Di", "x", "", "p"],
        "last": ["Lee", "Ng", "Oz", None, "y", "q", "r"]})
    # a: same values at another row number; b: a changed name; c: a value now missing;
    # d: removed; e: new; f: two values swapped between columns; g: "" now missing;
    # h: the same
    new = _intake(tmp_path / "new.parquet", {
        "record_id": ["h", "a", "b", "c", "e", "f", "g"],
        "first": ["p", "Ann", "Bob", "Cy", "Ed", "y", None],
        "last": ["r", "Lee", "Ng", None, "Ek", "x", "q"]})
    got = classify(old, new).set_index("record_id")["status"].to_dict()
    assert got == {"a": "unchanged", "b": "changed", "c": "changed", "d": "removed",
                   "e": "new", "f": "changed", "g": "changed", "h": "unchanged"}
    assert list(classify(old, new)["record_id"]) == sorted(got)  # ordered by id
    # a source the previous run did not read: every record is new
    none = classify(tmp_path / "missing.parquet", new)
    assert set(none["status"]) == {"new"} and len(none) == 7


def test_a_column_added_or_dropped_changes_no_record(tmp_path):
    """A steward's file gains a `notes` column no job reads (and loses `fax`): records
    compare on the columns both files hold, so only a changed value makes a record
    changed (every record was, and the source was relinked in full as drift)."""
    old = _intake(tmp_path / "old.parquet", {
        "record_id": ["a", "b", "c"], "first": ["Ann", "Bo", "Cy"],
        "fax": ["1", "2", "3"]})
    new = _intake(tmp_path / "new.parquet", {
        "record_id": ["a", "b", "c"], "first": ["Ann", "Bob", "Cy"],
        "notes": ["n1", "n2", "n3"]})
    got = classify(old, new).set_index("record_id")["status"].to_dict()
    assert got == {"a": "unchanged", "b": "changed", "c": "unchanged"}


def test_an_added_delivery_replaces_and_adds_records_in_id_order(tmp_path):
    before = tmp_path / "before.csv"
    pd.DataFrame({"id": ["3", "1", "2"], "name": ["C", "A", "B"]}).to_csv(before, index=False)
    delivery = tmp_path / "delivery.csv"
    pd.DataFrame({"id": ["4", "2"], "name": ["D", "B2"], "extra": ["x", "y"]}).to_csv(
        delivery, index=False)
    src = Source(role="admin", path=str(delivery), id="id", columns={"first_name": "name"})
    state = tmp_path / "state.parquet"
    assert write_state(before, delivery, src, state) == 4
    got = pd.read_parquet(state)
    # record 2 replaced by the delivery's version, 4 added, nothing lost; the previous
    # state's columns only, as text
    assert got.to_dict("list") == {"id": ["1", "2", "3", "4"], "name": ["A", "B2", "C", "D"]}
    assert all(pa.types.is_string(t) for t in pq.read_schema(state).types)


def test_an_added_delivery_whose_ids_changed_format_is_warned_about(tmp_path, caplog):
    """A delivery whose ids were all re-written (lower-cased) holds the same people as
    records delivered before under other ids: they are added as new records beside those
    (the state is as before), with a warning naming the file, the count, an example id
    pair and the likely cause; a delivery of new people is not warned about."""
    people = {"first": ["Ann", "Bo", "Cy", "Di"], "last": ["Lee", "Ng", "Oz", "Yu"],
              "dob": ["1980-01-31", "1975-02-03", "1990-12-01", "2001-07-07"]}
    before = tmp_path / "before.csv"
    pd.DataFrame({"id": ["B1", "B2", "B3", "B4"], **people}).to_csv(before, index=False)
    src = Source(role="admin", path="x.csv", id="id",
                 columns={"first_name": "first", "last_name": "last", "date_of_birth": "dob"})
    delivery = tmp_path / "lower.csv"
    # three of them again under lower-cased ids (one of which with a new surname: not the
    # same fields), and one new person
    pd.DataFrame({"id": ["b1", "b2", "b3", "b9"], "first": ["Ann", "Bo", "Cy", "Ed"],
                  "last": ["Lee", "Ng", "Oza", "Ek"],
                  "dob": ["1980-01-31", "1975-02-03", "1990-12-01", "1999-09-09"]}
                 ).to_csv(delivery, index=False)
    state = tmp_path / "state.parquet"
    with caplog.at_level("WARNING", logger="spinelink"):
        assert write_state(before, delivery, src, state) == 8  # what is linked: as before
    msg = " ".join(r.getMessage() for r in caplog.records)
    assert str(delivery) in msg and "4 of its 4 records" in msg and "2 of them" in msg, msg
    assert "'b1'" in msg and "'B1'" in msg and "format" in msg
    assert "Ann" not in msg and "1980" not in msg  # no personal data beyond record ids
    # new people under new ids: no warning
    caplog.clear()
    fresh = tmp_path / "fresh.csv"
    pd.DataFrame({"id": ["B5", "B6"], "first": ["Fay", "Gus"], "last": ["Po", "Qi"],
                  "dob": ["1970-01-01", "1971-01-01"]}).to_csv(fresh, index=False)
    with caplog.at_level("WARNING", logger="spinelink"):
        write_state(before, fresh, src, state)
    assert not caplog.records


def test_a_delivered_row_without_an_id_replaces_no_held_record(tmp_path):
    """Rows with a missing or blank id (quarantined by intake) name no record: a
    delivered one is added beside those held, which stay in the state (and in its
    quarantine), and `replaced` counts only records of the same id. Before, a null id
    in the delivery matched every held null id and dropped them from the state."""
    before = tmp_path / "before.csv"
    before.write_text("id,name\n1,A\n,B\n,C\n   ,D\n2,E\n")
    delivery = tmp_path / "delivery.csv"
    delivery.write_text("id,name\n2,E2\n,F\n  ,G\n")
    src = Source(role="admin", path=str(delivery), id="id", columns={"first_name": "name"})
    state = tmp_path / "state.parquet"
    origin: dict = {}
    assert write_state(before, delivery, src, state, origin) == 7
    got = pd.read_parquet(state)
    assert sorted(got["name"]) == ["A", "B", "C", "D", "E2", "F", "G"]
    assert origin["replaced"] == 1 and origin["previous_records"] == 4
