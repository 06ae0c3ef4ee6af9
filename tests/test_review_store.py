"""The decisions store and second-review QC, on literal decisions (no run needed)."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from spinelink.review.qc import QCSettings, cohen_kappa, draw, evaluate, stats
from spinelink.review.store import Decision, DecisionStore


def test_each_decision_is_on_disk_at_once_and_materialised(tmp_path):
    store = DecisionStore(tmp_path)
    store.add("alice", "match", "benefits", "C1", "B1", note="same person")
    lines = (tmp_path / "decisions.jsonl").read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["decision"] == "match"
    frame = pd.read_parquet(tmp_path / "decisions.parquet")
    assert frame[["reviewer", "decision", "note", "source", "reference_id", "source_id"]
                 ].values.tolist() == [["alice", "match", "same person", "benefits", "C1", "B1"]]
    assert frame["time"].str.match(r"\d{4}-\d\d-\d\dT").all()


def test_latest_decision_wins_and_undo_restores_the_previous(tmp_path):
    store = DecisionStore(tmp_path)
    store.add("alice", "match", "s", "C1", "B1")
    store.add("alice", "non-match", "s", "C1", "B1")
    store.add("alice", "unsure", "s", "C2", "B2")
    assert store.undo_last("alice", "first").source_id == "B2"
    assert store.undo_last("alice", "first").decision == "non-match"
    cur = {p: d.decision for (p, _), d in store.current().items()}
    assert cur == {("s", "C1", "B1"): "match"}
    assert store.undo_last("bob", "first") is None
    # a new process reading the log sees the same state
    again = DecisionStore(tmp_path)
    assert {p: d.decision for (p, _), d in again.current().items()} == cur
    assert len(pd.read_parquet(tmp_path / "decisions.parquet")) == 1


def test_a_torn_last_line_from_a_killed_writer_is_ignored(tmp_path):
    store = DecisionStore(tmp_path)
    store.add("alice", "match", "s", "C1", "B1")
    with open(tmp_path / "decisions.jsonl", "ab") as f:
        f.write(b'{"event": "decision", "decision_id": "x", "rev')
    assert len(DecisionStore(tmp_path)) == 1


def test_the_next_decision_after_a_torn_line_is_kept_whole(tmp_path):
    store = DecisionStore(tmp_path)
    store.add("alice", "match", "s", "C1", "B1")
    with open(tmp_path / "decisions.jsonl", "ab") as f:
        f.write(b'{"event": "decision", "decision_id": "x", "rev')
    store.add("bob", "non-match", "s", "C2", "B2")
    again = DecisionStore(tmp_path)
    assert {p: d.decision for (p, _), d in again.current().items()} == {
        ("s", "C1", "B1"): "match", ("s", "C2", "B2"): "non-match"}
    assert len(pd.read_parquet(tmp_path / "decisions.parquet")) == 2


def test_two_stores_on_one_folder_see_each_others_appends(tmp_path):
    a, b = DecisionStore(tmp_path), DecisionStore(tmp_path)
    a.add("alice", "match", "s", "C1", "B1")
    b.add("bob", "non-match", "s", "C2", "B2")
    a.refresh()
    assert len(a) == 2 and len(pd.read_parquet(tmp_path / "decisions.parquet")) == 2


@pytest.mark.parametrize("a, b, expected", [
    (["match", "non-match"], ["match", "non-match"], 1.0),
    (["match", "match", "non-match", "non-match"], ["match", "non-match", "match", "non-match"],
     0.0),
    (["match", "match", "match", "non-match"], ["match", "match", "non-match", "non-match"],
     0.5),
    (["match", "match"], ["match", "match"], 1.0),
    ([], [], None),
])
def test_cohen_kappa(a, b, expected):
    assert cohen_kappa(a, b) == expected


def _first_round(store, reviewer, n, decision="match"):
    store.add_many([Decision(f"{reviewer}{i}", reviewer, f"2021-01-01T00:00:{i:06.2f}",
                             decision, "", "s", f"C{i:03d}", f"B{reviewer}{i:03d}")
                    for i in range(n)])


def test_sampling_is_seeded_deterministic_and_near_the_share(tmp_path):
    store = DecisionStore(tmp_path)
    _first_round(store, "alice", 200)
    st1 = evaluate(store, QCSettings(share=0.25, batch_size=50, seed=3))
    st2 = evaluate(DecisionStore(tmp_path), QCSettings(share=0.25, batch_size=50, seed=3))
    st3 = evaluate(store, QCSettings(share=0.25, batch_size=50, seed=4))
    assert st1.sampled == st2.sampled and st1.sampled != st3.sampled
    assert 30 <= len(st1.sampled) <= 70
    assert len(st1.batches) == 4
    assert all(set(b) & set(st1.sampled) for b in st1.batches.values())  # >= 1 per batch
    assert draw(3, ("s", "C1", "B1")) == draw(3, ("s", "C1", "B1"))


def test_disagreement_at_the_threshold_flags_the_whole_batch(tmp_path):
    store = DecisionStore(tmp_path)
    _first_round(store, "alice", 100)                  # batches alice#1, alice#2
    settings = QCSettings(share=0.25, threshold=0.05, batch_size=50, seed=1)
    st = evaluate(store, settings)
    batch1 = [p for p in st.sampled if p in st.batches["alice#1"]]
    batch2 = [p for p in st.sampled if p in st.batches["alice#2"]]
    for k, (s, r, i) in enumerate(batch1):             # one disagreement in batch 1
        store.add("bob", "non-match" if k == 0 else "match", s, r, i, round_="second")
    for s, r, i in batch2:                             # full agreement in batch 2
        store.add("bob", "match", s, r, i, round_="second")
    st = evaluate(store, settings)
    assert st.flagged == {"alice#1"}
    assert set(st.to_rereview) == set(st.batches["alice#1"])
    final = st.final()
    assert not set(final) & set(st.batches["alice#1"])   # waiting for re-review
    assert set(st.batches["alice#2"]) <= set(final)
    data = stats(st)
    b1 = next(b for b in data["batches"] if b["batch"] == "alice#1")
    assert b1["status"] == "rereview" and b1["disagreements"] == 1
    assert data["reviewers"]["alice"]["compared"] == len(batch1) + len(batch2)
    assert data["overall"]["batches_flagged"] == 1
    # re-review of the flagged batch resolves it
    for s, r, i in st.batches["alice#1"]:
        store.add("carol", "non-match", s, r, i, round_="rereview")
    st = evaluate(store, settings)
    assert all(st.final()[p].decision == "non-match" for p in st.batches["alice#1"])
    assert next(b for b in stats(st)["batches"] if b["batch"] == "alice#1")["status"] == \
        "rereviewed"


def test_below_threshold_only_the_disagreeing_pair_is_rereviewed(tmp_path):
    store = DecisionStore(tmp_path)
    _first_round(store, "alice", 50)
    settings = QCSettings(share=1.0, threshold=0.5, batch_size=50, seed=1)
    st = evaluate(store, settings)
    first = st.sampled[0]
    for p in st.sampled:
        store.add("bob", "non-match" if p == first else "match", *p, round_="second")
    st = evaluate(store, settings)
    assert not st.flagged and st.to_rereview == [first]
    assert stats(st)["overall"]["kappa"] == 0.0  # all-'match' first reviewer: chance level


def test_second_review_by_the_same_reviewer_does_not_count(tmp_path):
    store = DecisionStore(tmp_path)
    _first_round(store, "alice", 10)
    st = evaluate(store, QCSettings(share=1.0, batch_size=50))
    for p in st.sampled:
        store.add("alice", "non-match", *p, round_="second")
    st = evaluate(store, QCSettings(share=1.0, batch_size=50))
    assert not st.flagged and stats(st)["overall"]["compared"] == 0
