"""The bootstrap's catch chances (`recapture.Estimator.catch_chance` without margins) on
one compact tensor: the replicates need each profile's chance alone, not where the missed
matches are, so patterns that no rule tells apart are summed first."""
from __future__ import annotations

import numpy as np


def compact(est) -> tuple | None:
    """All tables in one tensor for the catch chance alone (the bootstrap's): along
    each group's axis, patterns whose slices are equal in every table of a batch are
    one class (their probabilities add up), and the batches are padded with zeros to
    the largest class counts. Per group the (slot, table x class) pairs that sum the
    patterns' probabilities into classes. None: no table, or padding too costly."""
    if "compact" in est.shared:  # made once, for every posterior (`with_post` copies)
        return est.shared["compact"]
    parts, sizes, at = [], None, 0
    for idx, no_fire, slots in est.batches:
        t, maps = no_fire, []
        for g in range(no_fire.ndim - 1):
            if t.shape[1 + g] <= 4:  # short axes kept as they are
                maps.append(np.arange(t.shape[1 + g]))
                continue
            flat = np.moveaxis(t, 1 + g, 0)
            rows = flat.reshape(flat.shape[0], -1)
            # equal slices by a fixed random projection of their 0/1 entries
            key = rows @ np.random.default_rng(g).random(rows.shape[1])
            _, first, inv = np.unique(key, return_index=True, return_inverse=True)
            t = np.moveaxis(flat[first], 0, 1 + g)
            maps.append(inv.reshape(-1))
        parts.append((idx, t, slots, maps, at))
        at += len(idx)
        sizes = t.shape[1:] if sizes is None else np.maximum(sizes, t.shape[1:])
    held = None
    if parts and at * int(np.prod(sizes)) <= 2 * sum(b[1].size for b in est.batches):
        big = np.zeros((at, *[int(x) for x in sizes]))
        src = [[] for _ in sizes]
        dest = [[] for _ in sizes]
        for idx, t, slots, maps, a in parts:
            big[(slice(a, a + len(idx)), *[slice(0, x) for x in t.shape[1:]])] = t
            for g, (sl, inv) in enumerate(zip(slots, maps, strict=True)):
                src[g].append(sl.reshape(-1))
                dest[g].append(((a + np.arange(len(idx)))[:, None] * int(sizes[g])
                                + inv[None, :]).reshape(-1))
        order = np.concatenate([b[0] for b in parts])
        held = (order, big, [np.concatenate(x) for x in src],
                [np.concatenate(x) for x in dest])
    est.shared["compact"] = held
    return held

def missed_only(est, weighed: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The tables of the compact tensor (`compact`) and for each the chance a match is
    missed, from the patterns' probabilities (`weighed`, per slot); None: no compact
    tensor."""
    held = compact(est)
    if held is None:
        return None
    order, big, src, dest = held
    t = big
    for c, s_, d_ in zip(big.shape[1:], src, dest, strict=True):
        p = np.bincount(d_, weights=weighed[s_], minlength=len(order) * c)
        t = np.matmul(p.reshape(len(order), 1, c), t.reshape(len(order), c, -1))
    return order, t.reshape(len(order))

