"""Two parts of building `recapture.Estimator`'s pattern tables made without a pass
per profile or per table: a group's donors split by capped-key profile, made when a
profile asks (`CapsRuns`), and the tables' runs of pattern slots as rows of one array
(`slot_rows`). The same donors, weights and slots as made one at a time."""
from __future__ import annotations

import numpy as np


class CapsRuns:
    """`recapture_profiles._by_caps`' split by capped-key profile: a profile's donors (in pool
    order) and their weight, made when a profile asks (a subgroup value's estimator asks for few of
    the profiles its donors carry; making every one was a second at 1M records)."""

    def __init__(self, cols: np.ndarray, caps: np.ndarray, w: np.ndarray):
        self.order = np.argsort(caps, kind="stable")  # stable: each run keeps pool order
        self.sorted, self.cols, self.w = caps[self.order], cols, w
        self.held: dict[int, tuple] = {}

    def get(self, caps: int, default: tuple) -> tuple:
        if caps not in self.held:
            a, b = np.searchsorted(self.sorted, caps, "left"), \
                np.searchsorted(self.sorted, caps, "right")
            r = self.order[a:b]
            self.held[caps] = (self.cols[r], float(self.w[self.cols[r]].sum())) if b > a \
                else None
        got = self.held[caps]
        return default if got is None else got


def slot_rows(runs: list, none: int) -> np.ndarray:
    """Per table its run of pattern slots (`runs`: (start, end) or None, slot `none`
    alone), as rows of one array: the starts plus one range (an arange per table was
    most of grouping the tables of a subgroup value's estimator)."""
    lens = {1 if r is None else r[1] - r[0] for r in runs}
    if len(lens) != 1:  # (unequal runs cannot be rows of one array)
        return np.stack([np.arange(*r) if r is not None else np.array([none]) for r in runs])
    start = np.array([none if r is None else r[0] for r in runs], np.int64)
    return start[:, None] + np.arange(lens.pop(), dtype=np.int64)
