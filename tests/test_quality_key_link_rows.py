"""The rule captures' key-link rows (`per_source._key_link_rows`) are what a left merge of
the key links on their ids with the join's captures gave: each link's own row, 0 where the
join has none, in the links' order, a pair that is also a candidate with the same
captures."""
from __future__ import annotations

import numpy as np
import pandas as pd

from spinelink.quality.per_source import _key_link_rows


def _merged(got: pd.DataFrame, keyed: pd.DataFrame) -> pd.DataFrame:
    """main's reading (before `_key_link_rows`): the links merged on their ids."""
    key = ["reference_id", "source_id"]
    got = got.drop(columns="pair_row").drop_duplicates(key)
    return keyed.astype(str).merge(got, on=key, how="left").fillna(0)


def test_key_link_rows_equal_the_left_merge_on_ids():
    n_pairs, n_keyed = 40, 30
    ids = [(f"r{i}", f"s{i}") for i in range(60)]
    pairs = pd.DataFrame(ids[:n_pairs], columns=["reference_id", "source_id"])
    # key links: some also candidates (ids 30-39), the rest not
    keyed = pd.DataFrame(ids[30:30 + n_keyed], columns=["reference_id", "source_id"])
    both = pd.concat([pairs, keyed], ignore_index=True)
    both["pair_row"] = np.arange(len(both))
    # the join: every row but those of two pairs (records not in the tables), in a
    # shuffled order, the captures a function of the pair (a pair's captures are its
    # records')
    kept = both[~both["source_id"].isin(["s42", "s59"])].sample(frac=1.0, random_state=3)
    code = kept["source_id"].str[1:].astype(int).to_numpy()
    got = kept.assign(agree=code * 7 % 64, avail=code * 3 % 64 + 1, caps=code % 4)
    got = got.reset_index(drop=True)
    out = _key_link_rows(got, both.iloc[n_pairs:, :2], n_pairs)
    want = _merged(got, keyed)
    pd.testing.assert_frame_equal(out, want, check_dtype=False)
    assert (out.loc[[12, 29], ["agree", "avail", "caps"]] == 0).all().all()
    assert (out.loc[:9, "avail"] > 0).all()  # the links that are candidates too
    assert out["agree"].dtype == np.int64 and len(out) == n_keyed
