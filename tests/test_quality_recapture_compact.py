"""The never-compared estimator on compact tensors (`quality.recapture_compact`): patterns
no rule tells apart summed first, the tables in buckets of similar class counts. Every
figure (each profile's catch chance, per group the patterns' shares among all matches and
among the missed, the placed never-compared matches, the shrinkage's many weightings) must
be the one the products on each table's whole no-fire tensor give."""
from __future__ import annotations

import contextlib

import numpy as np
import pytest
from test_quality_recapture_tensor import CAPPED, FIELD, RULES

from spinelink.quality import recapture, recapture_batch, recapture_compact, recapture_profiles
from spinelink.quality.recapture_design import design, fires


def _captures(seed: int = 5, n: int = 6000) -> recapture.Captures:
    """Matches with correlated agreements (a record noisy in one name is noisier in the
    other), some columns missing, capped keys small enough or not; those a rule caught."""
    d = design(RULES, CAPPED, FIELD)
    rng = np.random.default_rng(seed)
    noise = rng.beta(1, 6, n)  # per record
    agree = np.zeros(n, np.int64)
    for j in range(len(d.atoms)):
        agree |= np.where(rng.random(n) > noise * (1 + j % 3), 1 << j, 0)
    avail = np.full(n, (1 << len(d.atoms)) - 1, np.int64)
    for j in rng.choice(len(d.atoms), 3, replace=False):  # a column some deliveries lack
        avail &= np.where(rng.random(n) < 0.2, ~(1 << int(j)), -1)
    agree &= avail
    caps = rng.integers(0, 4, n).astype(np.int64)
    caught = fires(d, agree, caps).any(axis=1)
    return recapture.Captures(d, agree[caught], avail[caught], caps[caught], 30,
                              int(caught.sum()))


@contextlib.contextmanager
def _whole(monkeypatch):
    """Estimators made and asked within run on each table's whole tensor."""
    with monkeypatch.context() as m:
        m.setattr(recapture_profiles, "KEEP_WHOLE", True)
        m.setattr(recapture, "missed_only", lambda *a: None)
        m.setattr(recapture, "with_margins", lambda *a: None)
        m.setattr(recapture_compact, "compact", lambda est: None)
        yield


def _per_table(how: list) -> dict:
    """`catch_chance`'s margins per table: its missed chance, then per group the patterns'
    probabilities and their missed shares (the batches may group the tables otherwise)."""
    out = {}
    for idx, miss, probs, missed in how:
        for r, i in enumerate(idx):
            out[int(i)] = (float(miss[r]), [p[r] for p in probs + missed])
    return out


def test_compact_figures_are_the_whole_tensors(monkeypatch):
    cap = _captures()
    n = len(cap.agree)
    rng = np.random.default_rng(1)
    post, first = rng.uniform(0.4, 1.0, n), rng.random(n) < 0.97
    est = recapture.Estimator(cap, post, first)
    with _whole(monkeypatch):
        whole = recapture.Estimator(cap, post, first)
    held = recapture_compact.compact(est)
    # the situation under test: classes merge patterns, several buckets, the tables'
    # whole tensors let go
    entries = sum(b.big.size for b in held.buckets)
    assert entries < 0.5 * sum(t.size for _, t, _ in whole.batches)
    assert len(held.buckets) > 1 and all(t is None for _, t, _ in est.batches)
    assert max(t.shape[1] for _, t, _ in whole.batches) > 4
    ws = np.tile(est.w, (5, 1)) * rng.poisson(1.0, (5, len(est.w)))
    got = [est.catch_chance(w) for w in ws[:2]]
    got_only = [est.catch_chance(w, margins=False)[0] for w in ws[:2]]
    got_batch, got_unseen = recapture_batch.chances(est, ws), est.unseen()
    with _whole(monkeypatch):
        want = [whole.catch_chance(w) for w in ws[:2]]
        want_only = [whole.catch_chance(w, margins=False)[0] for w in ws[:2]]
        want_batch, want_unseen = recapture_batch.chances(whole, ws), whole.unseen()
    for (c1, how), (c2, how_w), o1, o2 in zip(got, want, got_only, want_only, strict=True):
        assert np.allclose(c1, c2, rtol=1e-12, atol=0)
        assert np.allclose(o1, o2, rtol=1e-12, atol=0)
        assert 0.05 < c2.min() < 0.99  # some profiles miss matches
        t1, t2 = _per_table(how), _per_table(how_w)
        assert t1.keys() == t2.keys() and len(t2) > 10
        for i, (m1, p1) in t1.items():
            m2, p2 = t2[i]
            assert abs(m1 - m2) <= 1e-12 * abs(m2)
            for x, y in zip(p1, p2, strict=True):
                assert np.allclose(x, y, rtol=1e-11, atol=1e-15)
    assert np.allclose(got_batch, want_batch, rtol=1e-12, atol=0)
    (t1, s1), (t2, s2) = got_unseen, want_unseen
    assert t2 > 1 and abs(t1 - t2) < 1e-10 * t2
    assert np.allclose(s1, s2, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("x", range(1, 40))
def test_bucket_class_counts_grow_by_at_most_half(x):
    b = recapture_compact._bin(x)
    assert x <= b <= max(2, 1.5 * x)


def test_equal_rows_are_one_class():
    rng = np.random.default_rng(3)
    for _ in range(200):
        m = int(rng.integers(1, 300))
        base = rng.random((int(rng.integers(1, 8)), m)) < 0.5
        rows = base[rng.integers(0, len(base), int(rng.integers(1, 60)))]
        first, inv = recapture_compact._equal_rows(rows, 0)
        assert np.array_equal(rows[first][inv], rows)
        assert len({r.tobytes() for r in rows}) == len(first)
        assert all(inv[f] == c and (inv[:f] != c).all() for c, f in enumerate(first))


def test_few_rows_sorted_as_np_unique_sorts_them():
    """`_unique_few` (a dictionary, for the few patterns most groups have) gives
    `np.unique`'s distinct rows in its order, first rows and every row's place."""
    rng = np.random.default_rng(5)
    for _ in range(500):
        r, c = int(rng.integers(1, recapture_compact.FEW_ROWS + 1)), int(rng.integers(1, 90))
        rows = rng.random((r, c)) < rng.random()
        k = int(rng.integers(0, r + 1))
        if k:  # repeated rows
            rows[rng.integers(0, r, k)] = rows[rng.integers(0, r, k)]
        packed = np.ascontiguousarray(np.packbits(rows, axis=1))
        as_one = packed.view(np.dtype((np.void, packed.shape[1]))).reshape(-1)
        _, first, inv = np.unique(as_one, return_index=True, return_inverse=True)
        got_first, got_inv = recapture_compact._unique_few(packed)
        np.testing.assert_array_equal(got_first, first)
        np.testing.assert_array_equal(got_inv, inv.reshape(-1))


def test_projection_is_the_seeded_generators_first_draws():
    """`_projection` kept per group: the first n uniforms of the generator seeded by the
    group, whatever longer or shorter ones were asked for before."""
    for g, n in ((0, 5), (0, 300), (0, 7), (1, 40), (0, 2000), (1, 3), (1, 41), (0, 40000),
                 (0, 9)):
        np.testing.assert_array_equal(recapture_compact._projection(g, n),
                                      np.random.default_rng(g).random(n))
