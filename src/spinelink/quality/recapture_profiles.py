"""A source profile's pattern tables for the never-compared estimate (`recapture`): per field
group the donors (likely matches some rule not reading the group caught) a profile learns its
agreement patterns from, each donor's pattern, and the patterns' rule classes (patterns that
meet the same rules: what no rule firing depends on). Donors carrying the same columns and
with the same capped keys small enough are taken when they weigh at least MIN_DONORS, else
those carrying the same columns, else the group's whole pool. `cap` is a
`recapture.Captures`."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from spinelink.quality import recapture_tensor
from spinelink.quality.recapture_runs import CapsRuns

if TYPE_CHECKING:
    from spinelink.quality.recapture import Captures

MIN_DONORS = 20.0  # weighted donors below which a group's patterns pool all its donors
MAX_COMBOS = 200_000  # group-pattern combinations evaluated per profile
KEEP_WHOLE = False  # keep the whole no-fire tensors (the tests' products on them)


@dataclass
class _Profile:
    """One source profile's pattern tables: per group the donor candidates, each donor's
    pattern index and the patterns; `no_fire`: the tensor over the groups' patterns, True
    where no rule catches the match (None when too large, and once `Estimator` has
    stacked it into its batches)."""
    donors: list[np.ndarray]
    index: list[np.ndarray]
    no_fire: np.ndarray | None
    maps: list[np.ndarray] | None = None  # per group each pattern's class (`no_fire`'s axis)


def profile(cap: Captures, avail: int, caps: int, w: np.ndarray,
             memo: dict | None = None) -> _Profile:
    """`memo`: the donor sets already made for other profiles (one array each, shared),
    and each group's part of a profile by its columns and capped keys (`_group`)."""
    d = cap.design
    memo = {} if memo is None else memo
    got = [memo.get(("group", gi, avail & g, caps)) or
           _group(cap, gi, avail & g, caps, w, memo) for gi, g in enumerate(d.groups)]
    donors, index, patterns = ([x[k] for x in got] for k in range(3))
    if math.prod(len(p) for p in patterns) > MAX_COMBOS:  # (np.prod: 1 s at 1M records)
        return _Profile(donors, index, None)
    if KEEP_WHOLE:
        return _Profile(donors, index, recapture_tensor.no_fire(d, patterns, caps))
    # the tensor over one pattern per class of patterns that meet the same rules (what
    # no rule firing depends on), not over every pattern (`recapture_compact`)
    classes = [_classes(d, gi, x[2], caps, x) for gi, x in enumerate(got)]
    return _Profile(donors, index, recapture_tensor.Bits(  # made in `_batches`
        [c[2] for c in classes], [len(c[0]) for c in classes]), [c[1] for c in classes])


def _group(cap: Captures, gi: int, sig: int, caps: int, w: np.ndarray, memo: dict) -> list:
    """A profile's group `gi` (its columns `sig`, capped keys `caps`): the donors, their
    pattern indices and the patterns, kept in `memo` for every profile alike in these."""
    if ("pool", gi) not in memo:
        memo["pool", gi] = np.flatnonzero(cap.donors[gi] & (w > 0))
    pool = memo["pool", gi]
    # donors carrying the same columns and with the same capped keys small enough
    # (a source key absent from the reference is not small: it tells of a typo), else
    # the same columns, else all
    if ("pick", gi, sig, caps) not in memo:
        cols, by_caps = _by_caps(memo, cap, gi, sig, pool, w)
        same, w_same = by_caps.get(caps, (cols[:0], 0.0))
        memo["pick", gi, sig, caps] = (
            (caps, same) if w_same >= MIN_DONORS else
            ("cols", cols) if memo["w", gi, sig] >= MIN_DONORS else ("pool", pool))
    kind, use = memo["pick", gi, sig, caps]
    if len(use) and ("use", gi, sig, kind) not in memo:
        pat, idx = np.unique(cap.agree[use] & sig, return_inverse=True)
        memo["use", gi, sig, kind] = (use, idx.reshape(-1), pat.astype(np.int64))
    # (nobody to learn the group from: taken to agree where present)
    got = [*memo["use", gi, sig, kind], None] if len(use) else \
        [np.zeros(0, int), np.zeros(0, int), np.array([sig], np.int64), None]
    memo["group", gi, sig, caps] = got
    return got


def _classes(d, gi: int, pat: np.ndarray, caps: int, got: list) -> tuple:
    """`recapture_tensor.rule_classes` of a group's patterns, kept with the design (the
    subgroup values' estimators meet the same ones) and with the group's part (`got`)."""
    if got[3] is None:
        classes = d.__dict__.setdefault("_classes", {})
        # by the rules' atoms of the group that can fire (all `rule_classes` reads of the
        # capped keys): profiles whose keys differ elsewhere share them (half as many)
        masks = d.__dict__.setdefault("_group_masks", {})
        if (gi, caps) not in masks:
            masks[gi, caps] = (recapture_tensor._rules_on(d, caps) & d.groups[gi]).tobytes()
        key = (gi, masks[gi, caps], pat.tobytes())
        if key not in classes:
            classes[key] = recapture_tensor.rule_classes(d, gi, pat, caps)
        got[3] = classes[key]
    return got[3]


def _by_caps(memo: dict, cap: Captures, gi: int, sig: int, pool: np.ndarray,
             w: np.ndarray) -> tuple[np.ndarray, dict]:
    """The group's donors carrying the columns `sig` (in pool order), their weight, and
    the same split by capped-key profile: each profile's donors (in pool order) and their
    weight. Made once per group and signature (a mask per profile was a pass over all
    donors for each of thousands of profiles: a minute at 1M records)."""
    if ("cols", gi, sig) not in memo:
        cols = pool[(cap.avail[pool] & sig) == sig]
        memo["cols", gi, sig] = cols
        memo["w", gi, sig] = float(w[cols].sum())
        memo["caps", gi, sig] = CapsRuns(cols, cap.caps[cols], w)
    return memo["cols", gi, sig], memo["caps", gi, sig]
