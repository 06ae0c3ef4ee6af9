"""Records at a unit-mate's linked address (spinelink.quality.unit_home, issue 12).

pseudopeople's 1040 returns at raised noise (data nobody here generated; the harness's
`tax1040_raised`): a dependant has no middle initial and no date of birth, so the record
model leaves its candidates at the filer's census address low although the child is
usually there. On main the 0-17 band's candidate term was 97 of a true 179 and its recall
estimate 0.931 against 0.898, covered only by the never-compared term's Chao1 width. With
the household's coverage learnt from the returns themselves (the share of records with a
candidate at a unit-mate's linked address that are linked there), the band's estimate is
within 0.015 of the truth. The unit tests read the rule, and its placement by the
candidate's subgroups, on tiny
frames.
"""
from __future__ import annotations

import sys

import pandas as pd
import pytest
from conftest import ROOT

from spinelink.quality import unit_home


def _std(folder, n_units: int, apart: bool = True):
    """A reference of n_units households (a parent and a child each at one address) and
    a source of returns (the parent's and the child's record, one unit per return)."""
    std = folder / "standardised"
    std.mkdir(parents=True, exist_ok=True)
    ref = pd.DataFrame({"record_id": [f"C{i}{r}" for i in range(n_units) for r in "pc"],
                        "postcode": "00000",
                        "address": [f"{i} main st" for i in range(n_units) for _ in "pc"]})
    ref.to_parquet(std / "census.parquet", index=False)
    src = pd.DataFrame({"record_id": [f"T{i}{r}" for i in range(n_units) for r in "pc"]})
    if apart:
        src["persons_apart"] = [f"T{i}" for i in range(n_units) for _ in "pc"]
    src.to_parquet(std / "returns.parquet", index=False)


def _frames(n_units: int, n_linked_children: int):
    """Every parent linked; the first n_linked_children children linked, the rest left
    with a low probability on their own census record and on a stranger's."""
    links = [(f"C{i}p", f"T{i}p") for i in range(n_units)] + \
        [(f"C{i}c", f"T{i}c") for i in range(n_linked_children)]
    links = pd.DataFrame(links, columns=["reference_id", "source_id"])
    pairs = [(f"C{i}c", f"T{i}c", 0.2) for i in range(n_linked_children, n_units)] + \
        [(f"C{(i + 1) % n_units}c", f"T{i}c", 0.1) for i in range(n_linked_children, n_units)]
    pairs = pd.DataFrame(pairs, columns=["reference_id", "source_id", "match_probability"])
    pairs["person_ref"] = pairs["reference_id"]
    pairs["match_weight"] = 0.0
    return pairs, links


def test_unlinked_records_at_home_rise_to_the_units_coverage(tmp_path):
    _std(tmp_path, 40)
    pairs, links = _frames(40, 30)
    out, info = unit_home.adjust(tmp_path, "census", "returns", pairs, links)
    # at an address where a unit-mate is linked: 40 children (a candidate or their link)
    # and the 30 parents whose child is linked there; 60 of the 70 are linked there, so
    # theta is 6/7, and an unlinked child's 0.2 at home rises to 6/7 less its 0.1 elsewhere
    assert info["records_at_home"] == 70 and info["linked_there"] == 60
    theta = 60 / 70
    assert info["theta"] == pytest.approx(theta, abs=1e-4)
    home = out["reference_id"].str[1:-1] == out["source_id"].str[1:-1]
    assert out.loc[home, "match_probability"].to_numpy() == pytest.approx(theta - 0.1)
    # the stranger's candidate (another household) keeps the model's probability
    assert (out.loc[~home, "match_probability"] == 0.1).all()
    assert info["unlinked_raised"] == 10
    assert info["mass_added"] == pytest.approx(10 * (theta - 0.1 - 0.2), abs=0.01)


def test_a_source_without_units_or_too_few_records_is_untouched(tmp_path):
    _std(tmp_path, 40, apart=False)
    pairs, links = _frames(40, 30)
    out, info = unit_home.adjust(tmp_path, "census", "returns", pairs, links)
    assert info is None and out.equals(pairs)
    _std(tmp_path, 10)
    pairs, links = _frames(10, 5)
    out, info = unit_home.adjust(tmp_path, "census", "returns", pairs, links)
    assert info is None and out.equals(pairs)  # 10 records: too few to learn theta


def test_the_raise_goes_to_the_subgroup_the_records_profile_is_linked_to(tmp_path):
    """A child's return record has no middle name; at home it has two unlinked candidates
    in the census, a child and an adult (a grown-up sibling not on the return). The
    linked records without a middle name are linked to children, so the child candidate
    takes the raise and the adult's probability barely moves. Every household also has
    an unclaimed child nobody links (so the census's free residents at home are adults
    and children alike)."""
    std = tmp_path / "standardised"
    std.mkdir()
    n = 40
    ref = pd.DataFrame({"record_id": [f"C{i}{r}" for i in range(n) for r in "pcak"],
                        "postcode": "00000",
                        "address": [f"{i} main st" for i in range(n) for _ in "pcak"]})
    ref.to_parquet(std / "census.parquet", index=False)
    src = pd.DataFrame({"record_id": [f"T{i}{r}" for i in range(n) for r in "pc"],
                        "persons_apart": [f"T{i}" for i in range(n) for _ in "pc"]})
    src.to_parquet(std / "returns.parquet", index=False)
    # the delivered middle name (the intake table's `mid`): the children have none
    (tmp_path / "intake").mkdir()
    src.assign(mid=[m for _ in range(n) for m in ("j", None)]).to_parquet(
        tmp_path / "intake" / "returns.parquet", index=False)
    raw = {"middle_name": "mid"}
    pairs, links = _frames(n, 30)  # children 30..39 unlinked, 0.2 at home, 0.1 elsewhere
    extra = pd.DataFrame({"reference_id": [f"C{i}a" for i in range(30, n)],
                          "source_id": [f"T{i}c" for i in range(30, n)],
                          "match_probability": 0.2, "match_weight": 0.0})
    extra["person_ref"] = extra["reference_id"]
    pairs = pd.concat([pairs, extra], ignore_index=True)
    groups = pd.DataFrame({"age_band": ["30-49", "0-17", "30-49", "0-17"] * n},
                          index=ref["record_id"].to_numpy())
    even, _ = unit_home.adjust(tmp_path, "census", "returns", pairs, links, raw_columns=raw)
    tilt, info = unit_home.adjust(tmp_path, "census", "returns", pairs, links, groups, raw)
    child = tilt["reference_id"].str.endswith("c") & tilt["source_id"].str.endswith("c") & \
        (tilt["reference_id"].str[1:-1] == tilt["source_id"].str[1:-1])
    adult = tilt["reference_id"].str.endswith("a")
    # without subgroups both candidates at home rise alike; with them the child's does
    assert even.loc[child, "match_probability"].to_numpy() == \
        pytest.approx(even.loc[adult, "match_probability"].to_numpy())
    assert (tilt.loc[child, "match_probability"].to_numpy() >
            even.loc[child, "match_probability"].to_numpy() + 0.05).all()
    assert (tilt.loc[adult, "match_probability"] < 0.3).all()
    assert info["unlinked_raised"] == 10


@pytest.mark.slow
def test_dependants_recall_band_is_estimated_within_tolerance(tmp_path_factory):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import quality_eval

    _, res, df = quality_eval.case_frame(tmp_path_factory.mktemp("unit_home"), "raised",
                                         "tax1040_raised")
    band = df.set_index("group").loc["age_band=0-17"]
    print(band[["true_recall", "est_recall", "est_recall_low", "est_recall_high"]])
    # main: 0.931 against 0.898 (0.033 over, the harness's tolerance 0.015)
    assert abs(band["est_recall"] - band["true_recall"]) <= 0.015
    assert band["est_recall_low"] <= round(band["true_recall"], 4) <= band["est_recall_high"]
    assert res["summary"]["mae_spinelink"] < res["summary"]["mae_fl"]
    # the never-compared term reads the model's own probabilities, not the raise: with the
    # raise read as caught matches it found 417 never compared (true about 340) and the
    # overall recall was 0.902 against 0.910 (session 40 helper C: 0.9101)
    overall = df.set_index("group").loc["all=all"]
    assert abs(overall["est_recall"] - overall["true_recall"]) <= 0.004
