"""The never-compared estimator's no-fire tensors: sliced from the whole tensor, or made
for the profile alone, both equal to the rules applied pattern combination by pattern
combination (`recapture_design.fires`)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from spinelink.quality import recapture_tensor
from spinelink.quality.recapture_design import design, fires

RULES = [[("fn", "fn"), ("ln", "ln")], [("k0", "k0")], [("dob", "dob")],
         [("ln", "ln"), ("dob_y", "dob_y"), ("dob_m", "dob_m")], [("fn", "ln"), ("ln", "fn")],
         [("pc", "pc"), ("ln", "ln")], [("k1", "k1"), ("dob_y", "dob_y")]]
CAPPED = {"k0": ["fn_i", "ln"], "k1": ["fn_mp", "pc_d"]}
FIELD = {"fn": "name", "ln": "name", "fn_i": "name", "fn_mp": "name", "dob": "dob",
         "dob_y": "dob", "dob_m": "dob", "pc": "pc", "pc_d": "pc"}


def _brute(d, patterns, caps):
    """1 where no rule fires, combination by combination."""
    out = np.zeros([len(p) for p in patterns])
    for idx in itertools.product(*(range(len(p)) for p in patterns)):
        agree = np.bitwise_or.reduce([int(p[i]) for p, i in zip(patterns, idx, strict=True)])
        out[idx] = 0.0 if fires(d, [agree], [caps]).any() else 1.0
    return out


def _patterns(d, rng):
    """Per group: some distinct subsets of its atoms (a profile's observed patterns)."""
    out = []
    for g in d.groups:
        bits = [b for b in range(63) if (g >> b) & 1]
        subsets = {sum(1 << b for b in bits if rng.random() < 0.5) for _ in range(6)}
        out.append(np.array(sorted(subsets), np.int64))
    return out


@pytest.mark.parametrize("whole_max", [1 << 23, 0])
def test_no_fire_is_the_rules_applied_to_each_pattern(monkeypatch, whole_max):
    """With the whole tensor and without it (each profile's own): the same tensor as
    applying each rule to each combination of the groups' patterns."""
    monkeypatch.setattr(recapture_tensor, "WHOLE_MAX", whole_max)
    d = design(RULES, CAPPED, FIELD)
    assert len(d.groups) == 3 and d.caps == ["k0", "k1"]
    rng = np.random.default_rng(7)
    for caps in (0, 1, 2, 3):  # which capped keys are small enough to fire
        for _ in range(3):
            patterns = _patterns(d, rng)
            got = recapture_tensor.no_fire(d, patterns, caps)
            want = _brute(d, patterns, caps)
            assert got.dtype == bool and got.shape == want.shape
            assert np.array_equal(got.astype(float), want)
            assert 0 < want.sum() < want.size  # some combinations caught, some not
    kept = d.__dict__["_whole"]
    assert all(t is None for t in kept.values()) == (whole_max == 0)


def _packed_classes(d, gi, patterns, caps):
    """The classes as first made (`np.unique` on each pattern's packed rule bits): the
    order `rule_classes` keeps."""
    mg = recapture_tensor._rules_on(d, caps) & d.groups[gi]
    packed = np.packbits((patterns[:, None] & mg) == mg, axis=1)
    one = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).reshape(-1)
    _, first, inv = np.unique(one, return_index=True, return_inverse=True)
    return first, inv.reshape(-1)


def test_tensor_from_the_classes_bits_is_the_rules_applied_to_each_pattern():
    """The tensor over one pattern per rule class, made from the classes' rule bits and
    spread back to every pattern, equals the rules applied combination by combination;
    the classes in the order of the packed rule bits."""
    d = design(RULES, CAPPED, FIELD)
    rng = np.random.default_rng(11)
    merged = 0
    for caps in (0, 1, 2, 3):
        for _ in range(3):
            patterns = _patterns(d, rng)
            got = [recapture_tensor.rule_classes(d, gi, p, caps)
                   for gi, p in enumerate(patterns)]
            for gi, (p, (first, inv, _)) in enumerate(zip(patterns, got, strict=True)):
                want_first, want_inv = _packed_classes(d, gi, p, caps)
                assert np.array_equal(first, want_first)
                assert np.array_equal(inv, want_inv)
                merged += len(first) < len(p)
            t = recapture_tensor.from_bits([b for _, _, b in got], [len(f) for f, _, _ in got])
            assert t.dtype == bool
            spread = t[np.ix_(*[inv for _, inv, _ in got])]
            assert np.array_equal(spread.astype(float), _brute(d, patterns, caps))
    assert merged > 0  # some patterns meet the same rules


@pytest.mark.parametrize("chunk", [1 << 22, 7])
def test_stacked_tables_are_each_tables_own_tensor(monkeypatch, chunk):
    """`stacked` (the ANDs of each half of the groups, then one AND) gives each table the
    tensor `from_bits` makes of it alone, for one to five groups, single tables and runs
    of them, in one piece or in chunks of a few tables."""
    monkeypatch.setattr(recapture_tensor, "STACK_CHUNK", chunk)
    rng = np.random.default_rng(5)
    for k in range(1, 6):
        for n in (1, 2, 5):
            shape = [int(x) for x in rng.integers(1, 5, size=k)]
            tables = [recapture_tensor.Bits(
                [[rng.integers(0, 1 << 12, size=s) & rng.integers(0, 1 << 12, size=s)]
                 for s in shape], shape) for _ in range(n)]
            got = recapture_tensor.stacked(tables)
            want = np.stack([recapture_tensor.from_bits(t.bits, shape) for t in tables])
            assert got.dtype == bool and got.shape == (n, *shape)
            assert np.array_equal(got, want)
            # against the rules' bits one combination at a time
            for i, t in enumerate(tables):
                for idx in itertools.product(*(range(s) for s in shape)):
                    bits = np.bitwise_and.reduce([int(b[0][j]) for b, j
                                                  in zip(t.bits, idx, strict=True)])
                    assert got[(i, *idx)] == (bits == 0)
