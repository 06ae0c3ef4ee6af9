"""benchmarks/quality_bands.py: the candidate-level terms by band of the record-level
probability, against the truth, split by whether an unlinked candidate's unit is claimed
by another link (issue 12)."""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import quality_bands  # noqa: E402

UID_REF = pd.Series({"r1": "p1", "r2": "p2", "r3": "p3", "r4": "p4"})
# s5's person p5 has no reference record (absent); s6 is p4's second record
UID_SRC = pd.Series({"s1": "p1", "s2": "p2", "s3": "p3", "s5": "p5", "s6": "p4"})


def test_bands_count_expected_and_true_per_term():
    cands = pd.DataFrame({
        "reference_id": ["r1", "r2", "r4", "r2", "r3", "r4"],
        "source_id": ["s1", "s5", "s6", "s3", "s3", "s5"],
        "post": [0.995, 0.999, 0.95, 0.6, 0.2, 0.4],
        "linked": [True, True, True, False, False, False],
        "true": [True, False, True, False, True, False]})
    links = pd.DataFrame({"reference_id": ["r1", "r2", "r4"],
                          "source_id": ["s1", "s5", "s6"],
                          "method": ["probabilistic"] * 3})
    b = quality_bands.bands(cands, links, UID_REF, UID_SRC).set_index(
        ["term", "band", "claimed"])
    top = b.loc[("link", "[0.99, 1.0)", "-")]
    # r1-s1 right, r2-s5 a person the reference lacks: 1 false, absent, 0.006 expected
    assert (top["n"], top["true"], top["true_absent"]) == (2, 1, 1)
    assert abs(top["expected"] - 0.006) < 1e-9
    assert b.loc[("link", "[0.9, 0.99)", "-"), "true"] == 0
    # s3's candidate r2 is claimed (s5 links to it) and not s3's person
    cl = b.loc[("unlinked candidate", "[0.5, 0.7)", "yes")]
    assert (cl["n"], cl["true"], cl["expected"]) == (1, 0, 0.6)
    # s3's own r3 is free, and its match
    fr = b.loc[("unlinked candidate", "[0.1, 0.3)", "no")]
    assert (fr["n"], fr["true"], fr["true_absent"]) == (1, 1, 0)
    # s5's r4 is claimed by s6; s5's person is absent
    ab = b.loc[("unlinked candidate", "[0.3, 0.5)", "yes")]
    assert (ab["true"], ab["true_absent"]) == (0, 1)


def test_a_unit_linked_only_to_the_record_itself_is_not_claimed():
    cands = pd.DataFrame({"reference_id": ["r1", "r1"], "source_id": ["s1", "s2"],
                          "post": [0.3, 0.3], "linked": [False, False],
                          "true": [True, False]})
    links = pd.DataFrame({"reference_id": ["r1"], "source_id": ["s1"],
                          "method": ["deterministic"]})
    b = quality_bands.bands(cands, links, UID_REF, pd.Series({"s1": "p1", "s2": "p9"}))
    got = b.set_index("claimed")
    assert got.loc["no", "true"] == 1 and got.loc["yes", "true"] == 0
