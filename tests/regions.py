"""The generated benefits file and which of its records belong to persons of one region
(by the truth files), for tests that degrade a region's records."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def benefits_in_region(data: Path, region: str) -> tuple[pd.DataFrame, np.ndarray]:
    """`benefits.parquet` and a mask of the records whose person's census region is
    `region`."""
    b = pd.read_parquet(data / "benefits.parquet")
    tb = pd.read_csv(data / "truth" / "benefits.csv", dtype=str)
    tc = pd.read_csv(data / "truth" / "census.csv", dtype=str)
    census = pd.read_csv(data / "census.csv", dtype=str).set_index("person_id")
    region_of = dict(zip(tc["person_uid"], census.loc[tc["record_id"], "region"], strict=True))
    uid = dict(zip(tb["record_id"], tb["person_uid"], strict=True))
    return b, b["claim_id"].map(uid).map(region_of).eq(region).to_numpy()
