"""The never-compared estimator's catch chances (`recapture.Estimator.catch_chance`) on
compact tensors: patterns of a group whose no-fire slices are equal in every table of a
batch are one class (their probabilities add up), so the products run over classes, not
patterns (a profile's 216 name patterns fall in at most a few dozen classes). The
bootstrap's replicates need each profile's chance alone (`missed_only`); the point
estimate where the missed matches are too (`with_margins`); the subgroup shrinkage many
weightings at once (`recapture_batch`). The same figures as on the whole tensors, up to the
order of floating-point sums."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHUNK = 256  # tables of a compact tensor multiplied out at a time
FEW_ROWS = 32  # rows `_equal_rows` sorts by a dictionary, not `np.unique`
KEEP_PROJECTION = 1 << 15  # entries of `_equal_rows`' projection kept per group


@dataclass
class Bucket:
    """Tables of similar class counts in one tensor, padded with zeros to the largest:
    `order` the tables (positions in `Estimator.tables`), `big` (tables, classes...) and
    per group each table's kind (`Compact`)."""
    order: np.ndarray
    big: np.ndarray
    kind: list[np.ndarray]


@dataclass
class Compact:
    """The compact tensors in buckets, and per group the (slot, kind x class) pairs that
    sum the patterns' probabilities into classes (`src`, `dest`; `width` classes to a
    kind): tables that read one same run of slots with one same class map are one kind (a
    few hundred kinds for thousands of tables: the sums are made once per kind, each in
    the order of its patterns)."""
    buckets: list[Bucket]
    src: list[np.ndarray]
    dest: list[np.ndarray]
    width: list[int]
    n_kind: list[int]

    @property
    def order(self) -> np.ndarray:
        return np.concatenate([b.order for b in self.buckets])

    def probs(self, weighed: np.ndarray) -> list[np.ndarray]:
        """Per group, each kind's classes' probabilities (kinds, width) from the patterns'
        (`weighed`, per slot); or (weightings, kinds, width) for several (rows of
        `weighed`)."""
        out = []
        for s_, d_, c, k in zip(self.src, self.dest, self.width, self.n_kind, strict=True):
            if weighed.ndim == 1:
                out.append(np.bincount(d_, weights=weighed[s_], minlength=k * c)
                           .reshape(k, c))
                continue
            r = len(weighed)
            at = (np.arange(r)[:, None] * (k * c) + d_[None, :]).reshape(-1)
            out.append(np.bincount(at, weights=weighed[:, s_].reshape(-1),
                                   minlength=r * k * c).reshape(r, k, c))
        return out


def _bin(x: int) -> int:
    """The bucket of a class count: 1, 2, 3, 4, 6, 8, 12, 16, 24... (at most 1.5 times)."""
    b = 1
    while b < x:
        b = b + max(b // 2, 1) if b & (b - 1) == 0 else b * 4 // 3
    return b


def _equal_rows(rows: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
    """Classes of equal rows of a 0/1 matrix: each class's first row and every row's class,
    the classes in the order of a fixed random projection of their entries (found on the
    rows' packed bits, the projection made of one row per class alone: a float copy of
    every row was most of the cost)."""
    packed = np.ascontiguousarray(np.packbits(rows, axis=1))
    if len(packed) <= FEW_ROWS:
        first, inv = _unique_few(packed)
    else:
        as_one = packed.view(np.dtype((np.void, max(packed.shape[1], 1)))).reshape(-1)
        _, first, inv = np.unique(as_one, return_index=True, return_inverse=True)
    key = rows[first] @ _projection(g, rows.shape[1])
    o = np.argsort(key, kind="stable")
    rank = np.empty(len(o), np.int64)
    rank[o] = np.arange(len(o))
    return first[o], rank[inv.reshape(-1)]


def _unique_few(packed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(..., return_index=True, return_inverse=True)` of a few rows of bytes
    (the distinct rows in byte order, as `np.unique` sorts them: each one's first row,
    every row's place) by a dictionary: `np.unique`'s own cost, 50 us a call, was most
    of `_equal_rows` on the few patterns most groups have."""
    keys = [r.tobytes() for r in packed]
    at: dict[bytes, int] = {}
    for i, k in enumerate(keys):
        at.setdefault(k, i)
    order = sorted(at)
    pos = {k: j for j, k in enumerate(order)}
    return (np.array([at[k] for k in order], np.intp),
            np.array([pos[k] for k in keys], np.intp))


_PROJECTIONS: dict[int, np.ndarray] = {}


def _projection(g: int, n: int) -> np.ndarray:
    """`_equal_rows`' fixed random projection of `n` entries for group `g`: the first `n`
    uniforms of the generator seeded `g` (a generator's first n are the same whatever
    it is asked for after them), kept per group up to KEEP_PROJECTION entries and drawn
    again only longer (a generator seeded per call was a second of the stage at 1M
    records); a longer one is drawn and let go (not held through the estimate)."""
    if n > KEEP_PROJECTION:
        return np.random.default_rng(g).random(n)
    have = _PROJECTIONS.get(g)
    if have is None or len(have) < n:
        have = np.random.default_rng(g).random(min(KEEP_PROJECTION, max(
            n, 2 * len(have) if have is not None else n)))
        have.flags.writeable = False
        _PROJECTIONS[g] = have
    return have[:n]


def compact(est) -> Compact | None:
    """The compact tensors of `est`'s tables, in buckets by the class count of the group
    with the most (one tensor for all, padded to the largest, held four times the entries
    at 200,000 records). Made once, for every posterior (`with_post` copies share it).
    None: no table."""
    if "compact" in est.shared:
        return est.shared["compact"]
    parts = []
    for (idx, no_fire, slots), made in zip(est.batches, est.batch_maps, strict=True):
        t, maps = no_fire, []  # `made`: each pattern's class in the tensors as made
        for g in range(no_fire.ndim - 1):
            if t.shape[1 + g] <= 4:  # short axes kept as they are
                maps.append(made[g])
                continue
            flat = np.moveaxis(t, 1 + g, 0)
            rows = flat.reshape(flat.shape[0], -1)
            first, inv = _equal_rows(rows, g)
            t = np.moveaxis(flat[first], 0, 1 + g)
            maps.append(inv.reshape(-1)[made[g]])
        parts.append((idx, t, slots, maps))
    if not parts:
        est.shared["compact"] = None
        return None
    width = [int(x) for x in np.max([t.shape[1:] for _, t, _, _ in parts], axis=0)]
    axis = int(np.argmax(width))
    by: dict[int, list[int]] = {}
    for i, (_, t, _, _) in enumerate(parts):
        by.setdefault(_bin(t.shape[1 + axis]), []).append(i)
    kinds: list[dict] = [{} for _ in width]
    src: list[list] = [[] for _ in width]
    dest: list[list] = [[] for _ in width]
    buckets = []
    # per batch (in `batches` order): its bucket and its first row there (`with_margins`)
    where = [(0, 0)] * len(parts)
    for members in by.values():
        shape = [int(x) for x in np.max([parts[i][1].shape[1:] for i in members], axis=0)]
        n = sum(len(parts[i][0]) for i in members)
        big = np.zeros((n, *shape))
        kind = [np.empty(n, np.int64) for _ in width]
        at = 0
        for i in members:
            idx, t, slots, maps = parts[i]
            where[i] = (len(buckets), at)
            big[(slice(at, at + len(idx)), *[slice(0, x) for x in t.shape[1:]])] = t
            for g, (sl, inv) in enumerate(zip(slots, maps, strict=True)):
                kind[g][at:at + len(idx)] = _kinds(sl, inv, kinds[g], src[g], dest[g],
                                                   width[g])
            at += len(idx)
        buckets.append(Bucket(np.concatenate([parts[i][0] for i in members]), big, kind))
    est.shared["compact_parts"] = [(idx, slots, maps, *where[i])
                                   for i, (idx, _, slots, maps) in enumerate(parts)]
    held = Compact(buckets, [np.concatenate(x) for x in src],
                   [np.concatenate(x) for x in dest], width, [len(k) for k in kinds])
    est.shared["compact"] = held
    return held


def _kinds(sl: np.ndarray, inv: np.ndarray, kinds: dict, src: list, dest: list,
           width: int) -> np.ndarray:
    """Per table (rows of `sl`, its group's pattern slots) its kind: tables whose slots
    start alike with the same classes (`inv`) are one kind, numbered in order of first
    appearance across all the batches (`kinds`: key to number; a new kind's slots to
    `src`, its classes' places to `dest`). Each distinct start looked up once, not
    each table (a loop over every table was a second of the stage at 1M records), by a
    dictionary of the starts (`np.unique` per batch was 4 s of the stage at 1M)."""
    key_inv, n = inv.tobytes(), sl.shape[1]
    own: dict[int, int] = {}  # this batch's starts, looked up in `kinds` once each
    out = []
    for i, start in enumerate(sl[:, 0].tolist()):  # in order of first appearance
        k = own.get(start)
        if k is None:
            key = (start, n, key_inv)
            k = kinds.get(key)
            if k is None:
                k = kinds[key] = len(kinds)
                src.append(sl[i])
                dest.append(k * width + inv)
            own[start] = k
        out.append(k)
    return np.array(out, np.int64)


def missed_only(est, weighed: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The tables of the compact tensors (`compact`) and for each the chance a match is
    missed, from the patterns' probabilities (`weighed`, per slot); None: no compact
    tensor."""
    held = compact(est)
    if held is None:
        return None
    probs, out = held.probs(weighed), []
    for b in held.buckets:
        t, n = b.big, len(b.order)
        for c, p, k in zip(b.big.shape[1:], probs, b.kind, strict=True):
            t = np.matmul(p[k, :c].reshape(n, 1, c), t.reshape(n, c, -1))
        out.append(t.reshape(n))
    return held.order, np.concatenate(out)


def margins(t: np.ndarray) -> list[np.ndarray]:
    """Per group axis (after the tables' axis 0): `t` summed over the other group axes (half
    the axes summed away at a time: about twice the tensor's size, not once per group)."""
    k = t.ndim - 1
    if k <= 1:
        return [t]
    h = k // 2
    return (margins(t.sum(axis=tuple(range(1 + h, 1 + k))))
            + margins(t.sum(axis=tuple(range(1, 1 + h)))))


def with_margins(est, weighed: np.ndarray) -> tuple[np.ndarray, np.ndarray, list] | None:
    """`recapture.Estimator.catch_chance` with margins on the compact tensors: the tables,
    each one's chance a match is missed, and per batch of tables (`batches`, in their
    order) their positions, that chance, per group the patterns' probabilities among all
    matches and their shares among the missed. Patterns of one class have equal slices, so
    a pattern's missed share is its probability times its class's missed share per unit
    of the class's probability. None: no compact tensor."""
    held = compact(est)
    if held is None:
        return None
    got = []  # per bucket: classes' probabilities, missed shares per group
    probs = held.probs(weighed)
    for b in held.buckets:
        n, sizes = len(b.order), b.big.shape[1:]
        cls = [p[k, :c] for p, k, c in zip(probs, b.kind, sizes, strict=True)]
        marg = [np.empty((n, c)) for c in sizes]
        for a in range(0, n, CHUNK):
            rows = slice(a, min(a + CHUNK, n))
            joint = b.big[rows].copy()
            for g, p in enumerate(cls):
                shape = [joint.shape[0]] + [1] * len(sizes)
                shape[1 + g] = sizes[g]
                joint *= p[rows].reshape(shape)
            for m, part in zip(marg, margins(joint), strict=True):
                m[rows] = part
        got.append((cls, marg, marg[0].sum(axis=1)))
    how = []
    for idx, slots, maps, bi, at in est.shared["compact_parts"]:
        cls, marg, miss = got[bi]
        rows = slice(at, at + len(idx))
        probs, missed = [weighed[sl] for sl in slots], []
        for g, (p, inv) in enumerate(zip(probs, maps, strict=True)):
            c, m = cls[g][rows][:, inv], marg[g][rows][:, inv]
            missed.append(np.where(c > 0, p * (m / np.where(c > 0, c, 1.0)), 0.0))
        how.append((idx, miss[rows], probs, missed))
    return held.order, np.concatenate([m for _, _, m in got]), how
