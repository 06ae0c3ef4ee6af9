"""The never-compared estimator's no-fire tensors (`recapture`): for one source profile,
over the field groups' agreement patterns, True where no prediction rule catches a match
(booleans: a float tensor per profile held eight times the memory, 6 GB of the quality
stage's peak at a million records; products with the patterns' probabilities are floats)."""
from __future__ import annotations

import numpy as np

from spinelink.quality.recapture_design import Design


def no_fire(d: Design, patterns: list[np.ndarray], caps: int) -> np.ndarray:
    """The tensor over the groups' patterns, True where no rule catches the match (the rules
    whose capped key is small enough): per group and pattern the bits of the rules whose
    atoms of the group it holds, ANDed across the groups (a rule fires where its bit is
    left)."""
    masks = d.__dict__.setdefault("_masks", {})
    if caps not in masks:
        masks[caps] = np.array([m for m, c in zip(d.rule_atoms, d.rule_cap, strict=True)
                                if c < 0 or (caps >> c) & 1], np.int64)
    # every profile's tensor (and the subgroup values' own fits', recapture_strata) is a
    # slice of one tensor over all the patterns each group's atoms can make, per set of
    # rules that can fire: made once per design, sliced per profile
    whole = d.__dict__.setdefault("_whole", {})
    if caps not in whole:
        held = sum(t.size for t in whole.values() if t is not None)
        whole[caps] = _whole_tensor(d, masks[caps], WHOLE_MAX - held)
    if whole[caps] is None:  # too many atoms to a group: this profile's own
        return _tensor(d, patterns, masks[caps])
    at = []
    for p, g in zip(patterns, d.groups, strict=True):
        bits = [b for b in range(63) if (g >> b) & 1]
        at.append(sum((((p >> b) & 1) << j for j, b in enumerate(bits)),
                      np.zeros(len(p), np.int64)))
    return whole[caps][np.ix_(*at)]


WHOLE_MAX = 1 << 23  # entries of the tensors over every pattern, per design (8 MB)


def _whole_tensor(d: Design, rules_on: np.ndarray, room: int) -> np.ndarray | None:
    """`_tensor` over every pattern of each group's atoms (pattern i of a group holds its
    j-th atom where bit j of i is set), or None when that is more than `room` entries."""
    every = []
    for g in d.groups:
        bits = [b for b in range(63) if (g >> b) & 1]
        i = np.arange(1 << len(bits), dtype=np.int64)
        every.append(sum(((i >> j) & 1) << b for j, b in enumerate(bits))
                     if bits else np.zeros(1, np.int64))
    if float(np.prod([len(e) for e in every], dtype=float)) > room:
        return None
    return _tensor(d, every, rules_on)


def _tensor(d: Design, patterns: list[np.ndarray], rules_on: np.ndarray) -> np.ndarray:
    """`_no_fire`'s tensor, for the rules (atom masks) `rules_on` that can fire."""
    caught = np.zeros([len(p) for p in patterns], bool)
    for at in range(0, len(rules_on), 62):  # 62 rules to an integer
        m = rules_on[at:at + 62]
        bit = np.left_shift(np.int64(1), np.arange(len(m), dtype=np.int64))
        combo = None
        for p, g in zip(patterns, d.groups, strict=True):
            mg = m & g
            rules = np.where((p[:, None] & mg) == mg, bit, 0).sum(axis=1)
            combo = rules if combo is None else np.bitwise_and.outer(combo, rules)
        caught |= combo.reshape(caught.shape) != 0
    return ~caught
