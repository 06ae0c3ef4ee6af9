"""The generated delivery sequence (spinelink.sample.deliveries): deterministic, each
delivery what its mode says, truth and change lists that match the files."""
from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq

from spinelink.sample.deliveries import DEGRADED_REGION, generate_deliveries

FILES = ["benefits.parquet", "truth.csv", "changes.csv", "job.yaml"]


def _claims(root, k) -> pd.DataFrame:
    return pq.read_table(root / f"deliveries/{k}/benefits.parquet").to_pandas()


def test_deliveries_are_deterministic_and_what_their_mode_says(tmp_path):
    a = generate_deliveries(400, 3, tmp_path / "a", degraded=3)
    b = generate_deliveries(400, 3, tmp_path / "b", degraded=3)
    assert a == b
    for k in (1, 2, 3):
        for f in FILES:
            assert ((tmp_path / "a" / f"deliveries/{k}/{f}").read_bytes()
                    == (tmp_path / "b" / f"deliveries/{k}/{f}").read_bytes())
    root = tmp_path / "a"
    d1, d2, d3 = (_claims(root, k) for k in (1, 2, 3))
    ch2 = pd.read_csv(root / "deliveries/2/changes.csv", dtype=str)
    ch3 = pd.read_csv(root / "deliveries/3/changes.csv", dtype=str)
    # 2 adds: exactly its new claims and the changed versions of earlier ones
    assert set(d2["claim_id"]) == set(ch2["record_id"])
    new2 = set(ch2.loc[ch2["change"] == "new", "record_id"])
    assert new2 and not new2 & set(d1["claim_id"])
    assert set(ch2.loc[ch2["change"] != "new", "record_id"]) <= set(d1["claim_id"])
    # 3 replaces: everything so far, less the dead, plus its own new claims
    died = set(ch3.loc[ch3["change"] == "died", "record_id"])
    new3 = set(ch3.loc[ch3["change"] == "new", "record_id"])
    assert died and new3
    assert set(d3["claim_id"]) == (set(d1["claim_id"]) | set(d2["claim_id"])) - died | new3
    # a moved claim has another address than before
    moved = ch2.loc[ch2["change"] == "moved", "record_id"]
    before = d1.set_index("claim_id").loc[moved, "address"]
    after = d2.set_index("claim_id").loc[moved, "address"]
    assert (before != after).mean() > 0.8  # a donor may share the street
    # the degraded region lost its identifiers, in delivery 3 only; truth covers the file
    persons = pd.read_csv(root / "truth/persons.csv", dtype=str).set_index("person_uid")
    truth = pd.read_csv(root / "deliveries/3/truth.csv", dtype=str)
    assert list(truth["record_id"]) == list(d3["claim_id"])
    region = persons.loc[truth["person_uid"], "region"].to_numpy() == DEGRADED_REGION
    assert region.any()
    assert d3.loc[region, ["birth_date", "nino", "post_code", "address"]].isna().all().all()
    assert d3.loc[~region, "birth_date"].notna().mean() > 0.9
    assert set(ch3.loc[ch3["change"] == "degraded", "record_id"]) == set(
        d3.loc[region, "claim_id"])
