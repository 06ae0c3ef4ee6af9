"""Two reference records that agree on every field the model compares (same-name twins, a
father and the son named after him, on a register without dates of birth) are strong
candidates of a source record at equal factors, which the record model reads as one person
the reference holds twice (`record_level.TIE_FROM`): the group's probability, the link to
its first record. When a second source record that differs from the first (another
romanisation, another weight) holds the same records too, the source holds two persons
there, and a link to either record is a coin toss: each candidate keeps its own share
(benchmarks/RESULTS.md, session 55 helper B; on the hand-made `ua_names_address` main
linked both admin records of the register's two identical records R00970 / R00972 to
R00970, one of them falsely). Two identical source records (equal factors) may be one
person held twice in both files, as the generator's benefits source holds some, and keep
the reading."""
from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from spinelink.backends import open_engine
from spinelink.probabilistic import record_model, select_links, tied_persons

N_REF = 3180  # the register of ua_names_address
# t0..t49: other source records with one strong candidate each (a linkable delivery)
OTHERS = [f"t{i}" for i in range(50)]


def _pairs(bf_s1: float, bf_s2: float) -> pd.DataFrame:
    """s1 and s2 against the identical register records c1, c2 (names and address only);
    the others against a record of their own."""
    return pd.DataFrame({
        "reference_id": ["c1", "c2", "c1", "c2"] + [f"r{i}" for i in range(50)],
        "source_id": ["s1", "s1", "s2", "s2"] + OTHERS,
        "bf": [bf_s1, bf_s1, bf_s2, bf_s2] + [30.0] * 50})


def _model(scored: pd.DataFrame):
    engine = open_engine()
    engine.register("ref", pd.DataFrame({  # no date of birth: the names-and-address set
        "record_id": ["c1", "c2"] + [f"r{i}" for i in range(50)],
        "first_name": ["vitalii", "vitalii"] + [f"n{i}" for i in range(50)]}))
    person, complete = tied_persons(engine, "ref", scored)
    assert complete is None and person[0] == person[1]
    rm = record_model(scored["bf"].to_numpy(), scored["source_id"], N_REF, 52,
                      person=person, complete=complete, reference=scored["reference_id"])
    pairs = scored.assign(match_weight=scored["bf"] - 11.6, match_probability=rm.posterior,
                          person_ref=scored["reference_id"].to_numpy()[rm.tie_first])
    return rm, pairs


def test_identical_reference_records_two_source_records_hold_are_not_one_person():
    # Levytskyy Vitaliy Vitaliyovych (passport_old) and Levytskyi Vitalii Vitaliiovych
    # (kmu2010), 12.7 and 15.1 bits on main, against two identical register records
    rm, pairs = _model(_pairs(24.35, 26.69))
    assert (pairs["match_weight"].iloc[:4] > 10).all()  # strong candidates
    assert rm.posterior[:4] == pytest.approx([0.5] * 4, abs=0.01)  # a coin toss each
    assert list(pairs["person_ref"].iloc[:4]) == ["c1", "c2", "c1", "c2"]
    links, review = select_links(pairs.drop(columns="bf"), 0.9, 0.05, one_to_one=False)
    assert not set(links["source_id"]) & {"s1", "s2"}  # main: both linked to c1
    assert {"s1", "s2"} <= set(review["source_id"])
    assert len(links) == 50


def test_one_source_record_or_identical_ones_keep_the_person_held_twice():
    # one source record on the two records: nothing tells the twins from a duplicate
    alone = _pairs(24.35, 26.69).iloc[[0, 1] + list(range(4, 54))].reset_index(drop=True)
    rm, pairs = _model(alone)
    assert rm.posterior[0] == rm.posterior[1] > 0.99
    assert list(pairs["person_ref"].iloc[:2]) == ["c1", "c1"]
    # two identical source records (equal factors): one person held twice in both files
    rm, pairs = _model(_pairs(26.69, 26.69))
    assert (rm.posterior[:4] > 0.99).all()
    links, _ = select_links(pairs.drop(columns="bf"), 0.9, 0.05, one_to_one=False)
    assert links.set_index("source_id").loc[["s1", "s2"], "reference_id"].tolist() == [
        "c1", "c1"]


@pytest.mark.slow
def test_ua_names_address_identical_register_records_are_not_linked_twice(tmp_path):
    """The real set: the register's R00970 / R00972 agree on every field; the admin file's
    A001436 (passport_old) and A002304 (kmu2010) are the two persons; neither link is
    automatic, and precision is main's or better (main: both to R00970, P 0.99703)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import compare
    import external_data

    pair = external_data.prepare_handmade(tmp_path, "ua_names_address", 42, "best")
    res = compare.run_spinelink(pair.bench)
    assert "error" not in res, res.get("error")
    links = pd.read_parquet(pair.bench.dir / "spinelink_out" / "links"
                            / f"{pair.bench.source}.parquet")
    got = links[links["source_id"].isin(["A001436", "A002304"])]
    assert got.empty, got.to_dict("records")
    assert res["precision"] >= 0.99703
    held = links[links["reference_id"].isin(["R00970", "R00972"])]
    assert held.empty
    assert np.isfinite(res["recall"]) and res["recall"] >= 0.935
