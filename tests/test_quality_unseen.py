"""benchmarks/quality_unseen.py: the truth's never-compared records split by whether a
prediction rule's column equalities hold for them (caught by blocking, scored below the
pair floor) or not (what the recapture estimates) (issue 12)."""
from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import quality_unseen  # noqa: E402

from spinelink.quality import recapture_design  # noqa: E402


def test_a_rule_holds_only_when_every_equality_does():
    ref = pd.DataFrame({"ln": ["a", "a", "a", None], "pc": ["x", "x", "y", "x"]})
    src = pd.DataFrame({"ln": ["a", "b", "a", None], "pc": ["x", "x", "x", "x"]})
    atoms = [("ln", "ln"), ("pc", "pc"), ("fn", "fn")]  # fn: a column neither side has
    assert quality_unseen.rule_holds(atoms, [0b011], ref, src).tolist() == \
        [True, False, False, False]
    # either rule: the postcode alone catches rows 0, 1 and 3 (a missing surname is no match)
    assert quality_unseen.rule_holds(atoms, [0b011, 0b010], ref, src).tolist() == \
        [True, True, False, True]
    assert not quality_unseen.rule_holds(atoms, [0b100], ref, src).any()


def test_never_compared_split_into_caught_and_missed(tmp_path):
    d = recapture_design.design([[("last_name", "last_name"), ("postcode", "postcode")],
                                 [("first_name", "first_name"), ("last_name", "last_name")]],
                                {}, {"first_name": "name", "last_name": "name",
                                     "postcode": "postcode"})
    out = tmp_path / "out"
    for sub in ("links", "pairs", "standardised"):
        (out / sub).mkdir(parents=True)
    ref = pd.DataFrame({"record_id": ["r1", "r2", "r3", "r4"],
                        "first_name": ["ann", "bob", "cy", "di"],
                        "last_name": ["lee", "ray", "fox", "oak"],
                        "postcode": ["a1", "b2", "c3", "d4"]})
    src = pd.DataFrame({"record_id": ["s1", "s2", "s3", "s4", "s5"],
                        # s2: surname and postcode agree, first name another (caught);
                        # s3: nothing a rule reads agrees (missed); s4: a key link
                        "first_name": ["ann", "rob", "cy", "di", "ed"],
                        "last_name": ["lee", "ray", "fax", "oak", "elm"],
                        "postcode": ["a1", "b2", "c9", "d4", "e5"]})
    ref.to_parquet(out / "standardised" / "census.parquet")
    src.to_parquet(out / "standardised" / "w2.parquet")
    pd.DataFrame({"reference_id": ["r1", "r4"], "source_id": ["s1", "s4"],
                  "method": ["probabilistic", "key:name_dob"]}).to_parquet(
        out / "links" / "w2.parquet")
    pd.DataFrame({"reference_id": ["r1", "r2"], "source_id": ["s1", "s3"]}).to_parquet(
        out / "pairs" / "w2.parquet")
    pd.DataFrame({"record_id": ["r1", "r2", "r3", "r4"],
                  "person_uid": ["p1", "p2", "p3", "p4"]}).to_csv(tmp_path / "tr.csv",
                                                                 index=False)
    pd.DataFrame({"record_id": ["s1", "s2", "s3", "s4", "s5"],
                  "person_uid": ["p1", "p2", "p3", "p4", "p5"]}).to_csv(tmp_path / "ts.csv",
                                                                       index=False)
    bench = SimpleNamespace(truth_ref=tmp_path / "tr.csv", truth_src=tmp_path / "ts.csv",
                            source="w2")
    # s1 compared; s3's pair with r2 is not its person's; s5's person is not in the
    # reference; s4 linked by a key (outside the residual)
    assert quality_unseen.truth(bench, out, d) == {"never_compared": 2, "caught": 1,
                                                   "missed": 1}
    # the evidence rule dropped s2's true pair and s5's only pair (s5's person is not in
    # the reference: a relative); it kept s3's pair with r2 (not s3's person)
    judged = pd.DataFrame({"reference_id": ["r2", "r1", "r2"], "source_id": ["s2", "s5", "s3"],
                           "keep": [False, False, True]})
    got = quality_unseen.truth(bench, out, d, judged)
    assert (got["evidence_dropped"], got["without_evidence"],
            got["without_evidence_true"]) == (1, 2, 1)
