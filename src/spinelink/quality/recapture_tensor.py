"""The never-compared estimator's no-fire tensors (`recapture`): for one source profile,
over the field groups' agreement patterns, True where no prediction rule catches a match
(booleans: a float tensor per profile held eight times the memory, 6 GB of the quality
stage's peak at a million records; products with the patterns' probabilities are floats)."""
from __future__ import annotations

import numpy as np

from spinelink.quality.recapture_compact import margins as _margins
from spinelink.quality.recapture_design import Design


def _rules_on(d: Design, caps: int) -> np.ndarray:
    """The atom masks of the rules that can fire (their capped key small enough)."""
    masks = d.__dict__.setdefault("_masks", {})
    if caps not in masks:
        masks[caps] = np.array([m for m, c in zip(d.rule_atoms, d.rule_cap, strict=True)
                                if c < 0 or (caps >> c) & 1], np.int64)
    return masks[caps]


def rule_classes(d: Design, gi: int, patterns: np.ndarray, caps: int) -> tuple:
    """Group `gi`'s patterns by the rules (those that can fire) whose atoms of the group
    each holds: whether no rule fires depends on nothing else. Each class's first pattern,
    every pattern's class and, per run of 62 rules, each class's bits of those rules
    (`from_bits`: what `_tensor` makes of the first patterns)."""
    mg = _rules_on(d, caps) & d.groups[gi]
    holds = (np.asarray(patterns, np.int64)[:, None] & mg) == mg
    if len(mg) <= 62:  # the rows as integers, the first rule highest: the packed rows' order
        one = np.where(holds, np.left_shift(np.int64(1), np.arange(
            len(mg) - 1, -1, -1, dtype=np.int64)), 0).sum(axis=1)
    else:
        packed = np.ascontiguousarray(np.packbits(holds, axis=1))
        one = packed.view(np.dtype((np.void, max(packed.shape[1], 1)))).reshape(-1)
    _, first, inv = np.unique(one, return_index=True, return_inverse=True)
    bits = [np.where(holds[first, at:at + 62],
                     np.left_shift(np.int64(1), np.arange(min(62, len(mg) - at),
                                                          dtype=np.int64)), 0).sum(axis=1)
            for at in range(0, len(mg), 62)]
    return first, inv.reshape(-1), bits


def from_bits(bits: list[list[np.ndarray]], shape: list[int]) -> np.ndarray:
    """`no_fire`'s tensor from each group's classes' rule bits (`rule_classes`): the same
    ANDs as `_tensor`, the bits made once per group's classes and not per profile."""
    if bits and len(bits[0]) == 1:  # (at most 62 rules: no chunk to OR with another)
        combo = bits[0][0]
        for b in bits[1:]:
            combo = np.bitwise_and.outer(combo, b[0])
        return combo.reshape(shape) == 0
    caught = np.zeros(shape, bool)
    for chunk in range(len(bits[0]) if bits else 0):
        combo = None
        for b in bits:
            combo = b[chunk] if combo is None else np.bitwise_and.outer(combo, b[chunk])
        caught |= combo.reshape(shape) != 0
    return ~caught


class Bits:
    """A profile's `from_bits` tensor not made yet: its groups' classes' rule bits and the
    tensor's shape; made with the other tables of its batch (`stacked`)."""

    def __init__(self, bits: list[list[np.ndarray]], shape: list[int]):
        self.bits, self.shape = bits, tuple(shape)


STACK_CHUNK = 1 << 22  # entries of the AND made at once (`stacked`)


def stacked(tensors: list) -> np.ndarray:
    """`np.stack` of tables' no-fire tensors of one shape: those of `Bits` (at most 62
    rules) made in one broadcast AND per run of tables, the same ANDs `from_bits` makes
    table by table (its outer products, one table at a time, were most of building the
    subgroup values' estimators)."""
    if not all(isinstance(t, Bits) and t.bits and len(t.bits[0]) == 1 for t in tensors):
        return np.stack([from_bits(t.bits, list(t.shape)) if isinstance(t, Bits) else t
                         for t in tensors])
    k, size = len(tensors[0].shape), int(np.prod(tensors[0].shape))
    step = max(1, STACK_CHUNK // max(size, 1))
    out = np.empty((len(tensors), *tensors[0].shape), bool)
    for a in range(0, len(tensors), step):
        part = tensors[a:a + step]
        b = []
        for g in range(k):
            x = np.stack([t.bits[g][0] for t in part]) if len(part) > 1 else \
                tensors[a].bits[g][0][None]
            b.append(x.reshape(len(part), *([1] * g), x.shape[1], *([1] * (k - g - 1))))
        # the ANDs of each half of the groups, then one AND at the tensor's size written
        # where it is compared (AND is exact in any order: the same bits as group by group)
        h = (k + 1) // 2
        left, right = _and_all(b[:h]), _and_all(b[h:])
        part_out = out[a:a + len(part)]
        if right is None:
            np.equal(left, 0, out=part_out)
        else:
            np.equal(np.bitwise_and(left, right), 0, out=part_out)
    return out


def _and_all(arrays: list[np.ndarray]) -> np.ndarray | None:
    """The broadcast AND of `arrays` (None when there are none)."""
    got = None
    for x in arrays:
        got = x if got is None else got & x
    return got


def no_fire(d: Design, patterns: list[np.ndarray], caps: int) -> np.ndarray:
    """The tensor over the groups' patterns, True where no rule catches the match (the rules
    whose capped key is small enough): per group and pattern the bits of the rules whose
    atoms of the group it holds, ANDed across the groups (a rule fires where its bit is
    left)."""
    masks = {caps: _rules_on(d, caps)}
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
    if float(np.prod([2.0 ** bin(g).count("1") for g in d.groups])) > room:
        return None  # (before making the patterns: 980 designs' worth at 200,000 records)
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


def whole_chance(batches: list, weighed: np.ndarray, margins: bool) -> tuple:
    """`recapture.Estimator.catch_chance` on each table's whole tensor (`KEEP_WHOLE`: the
    tests' reference for `recapture_compact`): the tables, each one's chance a match is
    missed and (`margins`) per batch their positions, that chance, per group the patterns'
    probabilities among all matches and their shares among the missed."""
    order, miss_all, how = [], [], []
    for idx, no_fire, slots in batches:
        probs, joint = [weighed[sl] for sl in slots], None  # among matches
        order.append(idx)
        if not margins:  # the groups summed away one at a time, the first first
            t = no_fire
            for p in probs:
                t = np.matmul(p[:, None, :], t.reshape(len(idx), p.shape[1], -1))
            miss_all.append(t.reshape(len(idx)))
            continue
        for g, p in enumerate(probs):
            p = p.reshape([len(idx)] + [1] * g + [-1])
            joint = p if joint is None else joint[..., None] * p
        # the missed matches' share in each combination (in place when the products made
        # a fresh array: one group's is a view of its probabilities)
        missed = np.multiply(joint, no_fire, out=joint) if len(probs) > 1 else \
            no_fire * joint
        marg = _margins(missed)
        miss_all.append(marg[0].sum(axis=1))
        how.append((idx, miss_all[-1], probs, marg))
    if not order:
        return np.zeros(0, int), np.zeros(0), how
    return np.concatenate(order), np.concatenate(miss_all), how
