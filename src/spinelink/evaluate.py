"""Accuracy of links against ground truth (precision, recall, F1).

Truth is given as, for each side, a table of `record_id, person_uid`. A true pair is a
(reference record, source record) pair of the same person. Each link is judged correct
when both records belong to one person. Recall is counted per source record: a source
record whose person has at least one reference record is *linkable*, and it is found
when it carries at least one correct link. Links are pairs, so a source record linked
to two reference records counts one correct and one false link.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd


@dataclass(frozen=True)
class Accuracy:
    links: int
    true_links: int
    linkable: int
    found: int

    @property
    def precision(self) -> float:
        return self.true_links / self.links if self.links else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.linkable if self.linkable else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict:
        return {**asdict(self), "precision": self.precision, "recall": self.recall, "f1": self.f1}


def score_links(links: pd.DataFrame, truth_ref: pd.DataFrame, truth_src: pd.DataFrame) -> Accuracy:
    """links: reference_id, source_id; truth_*: record_id, person_uid."""
    ref = truth_ref.astype({"record_id": str}).rename(
        columns={"record_id": "reference_id", "person_uid": "uid_ref"})
    src = truth_src.astype({"record_id": str}).rename(
        columns={"record_id": "source_id", "person_uid": "uid_src"})
    lk = links[["reference_id", "source_id"]].astype(str).drop_duplicates()
    lk = lk.merge(ref, on="reference_id", how="left").merge(src, on="source_id", how="left")
    lk["ok"] = lk["uid_ref"].notna() & (lk["uid_ref"] == lk["uid_src"])
    linkable = src[src["uid_src"].isin(set(ref["uid_ref"]))]
    found = lk.loc[lk["ok"], "source_id"].nunique()
    return Accuracy(links=len(lk), true_links=int(lk["ok"].sum()),
                    linkable=len(linkable), found=int(found))
