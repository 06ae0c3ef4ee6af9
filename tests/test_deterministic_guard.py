"""A match key whose first name is loose (an initial, a canonical or phonetic form) is
shared by opposite-sex twins: `not_disagree: [sex]` keeps such a key from linking records
whose sex disagrees, and still links when sex agrees or one side lacks it. The case is
pseudopeople's CPS (Max / Madelyn Shepler, one birthday, one address), made by hand."""
from __future__ import annotations

import pandas as pd
import pytest

from spinelink.backends import open_engine
from spinelink.deterministic import link_deterministic, load_match_keys, steps_for
from spinelink.jobspec.match_keys import MatchKey, MatchKeys
from spinelink.resources import data_dir

COLS = ["record_id", "first_initial", "last_name", "dob_iso", "postcode", "sex"]
REF = [("R1", "M", "SHEPLER", "1946-04-07", "46201", "M"),     # Max; his twin Madelyn
       ("R2", "K", "DOYLE", "1980-01-02", "46202", "F"),       # Kate
       ("R3", "J", "ORTIZ", "1975-05-06", "46203", "M")]       # Jon
SRC = [("S1", "M", "SHEPLER", "1946-04-07", "46201", "F"),     # Madelyn, not in REF
       ("S2", "K", "DOYLE", "1980-01-02", "46202", "F"),       # Katherine = Kate
       ("S3", "J", "ORTIZ", "1975-05-06", "46203", None)]      # sex not recorded


def _link(not_disagree: list[str]) -> set[tuple[str, str]]:
    keys = MatchKeys(schema_version=1, name="t", keys=[MatchKey(
        name="initial_surname_dob_postcode",
        fields=["first_initial", "last_name", "dob_iso", "postcode"],
        not_disagree=not_disagree)])
    engine = open_engine("duckdb")
    try:
        engine.register("ref_std", pd.DataFrame(REF, columns=COLS))
        engine.register("src_std", pd.DataFrame(SRC, columns=COLS))
        counts = link_deterministic(engine, "ref_std", "src_std", steps_for([], keys),
                                    "det_links", one_to_one=True)
        got = engine.df("SELECT reference_id, source_id FROM det_links")
    finally:
        engine.close()
    assert counts["key:initial_surname_dob_postcode"] == len(got)
    return set(got.itertuples(index=False, name=None))


def test_a_loose_key_does_not_link_opposite_sex_twins():
    assert _link([]) == {("R1", "S1"), ("R2", "S2"), ("R3", "S3")}  # the false link
    assert _link(["sex"]) == {("R2", "S2"), ("R3", "S3")}


def test_the_default_cascade_guards_every_loose_first_name_key():
    keys = load_match_keys(data_dir("linkage_models") / "match_keys" / "default.yaml")
    loose = {"first_name_canon", "first_name_mp", "first_name_canon_rom", "first_initial"}
    for k in keys.keys:
        if loose & set(k.fields) and "sex" not in k.fields:
            assert k.not_disagree == ["sex"], k.name


def test_an_unknown_guard_field_is_reported_with_a_suggestion():
    with pytest.raises(ValueError, match="did you mean 'sex'"):
        MatchKey(name="k", fields=["last_name"], not_disagree=["sexx"])
