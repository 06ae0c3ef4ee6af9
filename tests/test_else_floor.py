"""The m floor of a comparison's "else" level where EM's sessions saw few matches
(`training.floor_disagreement`, session 37 helper B, issue 11).

EM's m for a field's total disagreement comes from the sessions that do not block on that
field. On a small residual those sessions see a hundred or so matches: an m EM puts under
`min_m_disagree` (0.01) there is not a measurement, since a share none of n matches showed
is not known to be below 3 / n (the 95% upper bound of a rate never seen). The floor is
then 3 / n; on a large residual (thousands of matches) it stays 0.01, and an m EM put above
0.01 is its measurement and is kept.
"""
from __future__ import annotations

import pandas as pd
import pytest
from conftest import linked_pseudopeople

from spinelink.training import floor_disagreement, matches_seen


def _model(m_else: float) -> dict:
    return {"comparisons": [{"output_column_name": "last_name", "comparison_levels": [
        {"is_null_level": True}, {"m_probability": 1 - m_else - 0.05},
        {"m_probability": 0.05}, {"m_probability": m_else}]}]}


def _else(model: dict) -> float:
    return model["comparisons"][0]["comparison_levels"][-1]["m_probability"]


def test_the_floor_is_what_the_matches_seen_can_resolve():
    # cps_raised's surname: EM 0.008 from the date-blocked session's 148 matches
    seen: dict = {}
    few = floor_disagreement(_model(0.008), 0.01, {"last_name": 148.1}, seen)
    assert _else(few) == pytest.approx(3 / 148.1)
    levels = few["comparisons"][0]["comparison_levels"]
    assert sum(lv["m_probability"] for lv in levels[1:]) == pytest.approx(1.0)
    assert seen["last_name"] == {"em": 0.008, "matches": 148.1,
                                 "least": pytest.approx(3 / 148.1, rel=1e-5)}
    # W-2's surname: thousands of matches, the fixed floor
    assert _else(floor_disagreement(_model(3.5e-5), 0.01, {"last_name": 6729.0})) == 0.01
    # an m EM measured above the fixed floor is kept, however few the matches
    assert _else(floor_disagreement(_model(0.023), 0.01, {"last_name": 87.0})) == 0.023
    # no session count (a saved model, a failed session): the fixed floor
    assert _else(floor_disagreement(_model(1e-4), 0.01)) == 0.01
    assert _else(floor_disagreement(_model(1e-4), 0.01, {"last_name": 2.0})) == 0.01


def test_matches_seen_sums_the_used_sessions_per_comparison():
    sessions = [
        {"status": "used", "estimates": ["first_name", "last_name"], "matches": 148.1},
        {"status": "used", "estimates": ["first_name", "date_of_birth"], "matches": 122.3},
        {"status": "skipped: 128 pairs (fewer than 200)", "estimates": []},
        {"status": "failed: ValueError", "estimates": [], "matches": None},
    ]
    assert matches_seen(sessions) == {"first_name": pytest.approx(270.4),
                                      "last_name": 148.1, "date_of_birth": 122.3}


@pytest.mark.slow
def test_cps_at_raised_noise_links_the_surname_changer_at_full_precision(tmp_path):
    """pseudopeople's CPS at raised noise (data nobody here generated), 165 linkable
    records: main links 158 (recall 0.9576). A census record whose first name is a
    placeholder and whose surname is pseudopeople's fake `Doe` agrees with its survey
    record on date of birth, sex, middle initial and address: at the fixed floor its
    surname disagreement cost 6.6 bits, p 0.81 under the accept threshold 0.89; EM saw
    about 150 matches where the surname was free, so the floor is 3 / 150 = 0.02."""
    pair, res = linked_pseudopeople(tmp_path, "cps", "raised")
    assert res["precision"] >= 0.995
    assert res["recall"] >= 159 / 165 - 1e-9  # main: 158 of 165
    out = pair.bench.dir / "spinelink_out"
    manifest = pd.read_json(out / "run_manifest.json", typ="series")
    train = manifest["links"][pair.bench.source]["probabilistic"]["training"]
    surname = train["else_m"]["last_name"]
    assert surname["em"] < 0.01 and 100 < surname["matches"] < 300
    assert surname["least"] == pytest.approx(3 / surname["matches"], rel=1e-4)
