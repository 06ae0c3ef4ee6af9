"""A first name compared by its romanisation key's Jaro-Winkler, a level of its own below
the spelling levels in `linkage_models/person_auto.yaml` (session 36 helper G, session 37
helper A, session 38 helper B; issue 11).

The hand-made Ukrainian register (Cyrillic, transliterated by the national system) against
an admin file romanised four ways, names and address only (the benchmark's
`ua_names_address`): a Russian form with a typo (Ekaerina against the register's
Kateryna) is too far from the Ukrainian spelling for Jaro-Winkler 0.8 and sat at the first
name's lowest level, where the evidence rule (no date of birth) drops the pair; on the
keys (ekarina / katerina) it is 0.82. Main: recall of the russian variant 0.8955, kmu2010
0.9447 (gap 0.049); these four persons unlinked.
"""
from __future__ import annotations

import sys

import pandas as pd
import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

pytestmark = pytest.mark.slow

# (source record, its person's register record): Russian-form first names with a typo
RUSSIAN_TYPOS = {"A001437": "R00354",   # ekaerina zinchenko / kateryna zinchenko
                 "A001691": "R03060",   # vradimir shevchenko / volodymyr shevchenko
                 "A001692": "R02085",   # mikhaydo polishchuk / mykhailo polishchuk
                 "A002121": "R00523"}   # loeg cherednichenko / oleh cherednichenko
# a different person the new level reaches: sisters at one address with one patronymic,
# Uljana / Yana Chorna Stepanivna (keys uliana / iana, Jaro-Winkler 0.89)
SISTER = ("A002851", "R02343")


def test_russian_first_name_typos_link_and_a_sister_does_not(tmp_path):
    import compare
    import external
    import external_data

    pair = external_data.prepare_handmade(tmp_path, "ua_names_address", 42, "best")
    res = compare.run_spinelink(pair.bench)
    assert "error" not in res, res.get("error")
    assert res["precision"] >= 0.995
    out = pair.bench.dir / "spinelink_out"
    links = pd.read_parquet(out / "links" / f"{pair.bench.source}.parquet")
    truth_src = pd.read_csv(pair.bench.truth_src, dtype=str).set_index("record_id")
    truth_ref = pd.read_csv(pair.bench.truth_ref, dtype=str).set_index("record_id")
    for src, ref in [*RUSSIAN_TYPOS.items(), SISTER]:  # the truth as the test states it
        same = truth_src.loc[src, "person_uid"] == truth_ref.loc[ref, "person_uid"]
        assert same == (src != SISTER[0]), src
    got = dict(zip(links["source_id"].astype(str), links["reference_id"].astype(str),
                   strict=False))
    assert {s: got.get(s) for s in RUSSIAN_TYPOS} == RUSSIAN_TYPOS
    assert got.get(SISTER[0]) != SISTER[1]
    pairs = pd.read_parquet(out / "pairs" / f"{pair.bench.source}.parquet")
    sister = pairs[(pairs["source_id"].astype(str) == SISTER[0])
                   & (pairs["reference_id"].astype(str) == SISTER[1])]
    assert len(sister) == 1 and sister["match_probability"].iloc[0] < 0.05
    by_variant = external.group_recall(links, pair)["by_group"]["variant"]
    assert by_variant["russian"]["recall"] >= 0.90  # main 0.8955
