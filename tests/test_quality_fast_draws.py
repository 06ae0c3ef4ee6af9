"""The quality stage's parts made once per estimate (session 36) give what the parts made
anew each time gave, to the bit: the shared units' survival draw, the slope's tilt with its
log-odds kept, the outcome draw with the records' runs and the probabilistic links found
once, a group's donors split by capped-key profile when asked, and the tables' slot rows."""
from __future__ import annotations

import numpy as np
import pytest

from spinelink.quality import labelfree, slope
from spinelink.quality.calibrate import Candidates
from spinelink.quality.recapture_runs import CapsRuns, slot_rows


@pytest.mark.parametrize("b", [1.0, 0.5, 1.7, 0.031])
def test_survival_equals_the_comparison_with_every_tilted_chance(b):
    rng = np.random.default_rng(11)
    c = rng.random(5000)
    c[rng.random(5000) < 0.6] = 1.0  # most links: nobody else on their unit
    c[rng.random(5000) < 0.05] = 0.0
    c[:3] = [0.0, 1.0, 0.5]
    surv = slope.Survival(c)
    for _ in range(5):
        u = rng.random(len(c))
        u[:2] = 0.0  # a draw of 0 survives a chance of 1, not one of 0
        got = surv(u, b)
        assert got.dtype == bool
        np.testing.assert_array_equal(got, u < slope.tilt_chance(c, b))
    assert 0 < got.sum() < len(c)


def _records(rng, n_rec=300):
    per = rng.integers(1, 5, n_rec)
    rec = np.repeat(np.arange(n_rec), per)
    first = rng.random(len(rec)) < 0.8
    first[np.r_[0, np.cumsum(per)[:-1]]] = True
    post = rng.random(len(rec)) / per[rec]
    post[rng.random(len(rec)) < 0.1] = 0.0
    return rec, first, post


def test_tilt_with_its_log_odds_kept_equals_a_tilt_made_anew():
    rng = np.random.default_rng(5)
    rec, first, post = _records(rng)
    kept = slope.Tilt(rec, first)
    for b in (0.5, 2.0, 1.0, 0.8):
        np.testing.assert_array_equal(kept(post, b), slope.Tilt(rec, first)(post, b))
    post[:50] = rng.random(50) / 5  # the same array changed in place: not the old odds
    np.testing.assert_array_equal(kept(post, 0.7), slope.Tilt(rec, first)(post, 0.7))
    other = post * 0.9
    np.testing.assert_array_equal(kept(other, 1.3), slope.Tilt(rec, first)(other, 1.3))
    assert not np.array_equal(kept(post, 0.7), post)


def test_outcome_draw_with_runs_and_links_made_once_equals_made_each_time():
    rng = np.random.default_rng(8)
    rec, first, post = _records(rng, 200)
    cands = Candidates(rec, rng.normal(0, 10, len(rec)), 230, first, None, None)
    starts = np.flatnonzero(np.r_[True, rec[1:] != rec[:-1]])
    link_group = np.full(700, -1)
    pick = rng.choice(len(starts), 120, replace=False)
    link_group[rng.choice(700, 120, replace=False)] = starts[pick]
    rec_link = np.full(200, -1)
    rec_link[rec[starts[pick]]] = starts[pick]
    pr = labelfree.Prepared(cands, rec.astype(str), rec.astype(str), np.arange(len(rec)),
                            link_group, rec_link, rng.random(700))
    runs, links = labelfree._runs(rec), labelfree._prob_links(pr)
    n_wrong = 0
    for i in range(20):
        seed = [3, i]
        a = labelfree._choose(np.random.default_rng(seed), cands, post)
        b = labelfree._choose(np.random.default_rng(seed), cands, post, runs)
        np.testing.assert_array_equal(a, b)
        surv = rng.random(700) < pr.survive
        for s in (surv, None):
            w1, w2 = labelfree._wrong(pr, post, a, s), labelfree._wrong(pr, post, a, s, links)
            np.testing.assert_array_equal(w1[0], w2[0])
            np.testing.assert_array_equal(w1[1], w2[1])
            n_wrong += len(w1[0])
    assert n_wrong > 0 and (a >= 0).any()


def test_caps_runs_equal_every_profile_split_at_once():
    rng = np.random.default_rng(2)
    cols = np.sort(rng.choice(5000, 800, replace=False))
    caps = rng.integers(0, 40, len(cols)) * 3  # gaps: profiles no donor carries
    w = rng.random(5000)
    # as `_by_caps` made them: every profile's run, in pool order, and its weight
    order = np.argsort(caps, kind="stable")
    values, start = np.unique(caps[order], return_index=True)
    whole = {int(v): (cols[r], float(w[cols[r]].sum()))
             for v, r in zip(values, np.split(order, start[1:]), strict=True)}
    runs = CapsRuns(cols, caps, w)
    none = (cols[:0], 0.0)
    for c in [*rng.permutation(130).tolist(), 0, 3]:
        got, want = runs.get(c, none), whole.get(c, none)
        np.testing.assert_array_equal(got[0], want[0])
        assert got[1] == want[1]
    assert runs.get(1, none) is none


def test_slot_rows_equal_the_stacked_ranges():
    runs = [(4, 7), None, (10, 13), (0, 3)]
    with pytest.raises(ValueError):  # a run of three and a lone slot: as np.stack said
        slot_rows(runs, 99)
    for runs in ([(4, 7), (10, 13), (0, 3)], [(5, 6), None, (2, 3)], [None, None]):
        want = np.stack([np.arange(*r) if r is not None else np.array([99]) for r in runs])
        got = slot_rows(runs, 99)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_rule_classes_kept_by_group_mask_equal_those_made_per_capped_key():
    """Profiles whose capped keys differ only where a group has no atom of the rules that
    can fire share that group's classes (`recapture_profiles._classes`): each equals the classes
    made for its own capped keys."""
    from spinelink.quality import recapture_profiles, recapture_tensor
    from spinelink.quality.recapture_design import design

    rules = [[("fn", "fn"), ("ln", "ln")], [("k0", "k0")], [("dob", "dob")],
             [("ln", "ln"), ("dob_y", "dob_y")], [("pc", "pc"), ("ln", "ln")],
             [("k1", "k1"), ("dob_y", "dob_y")]]
    d = design(rules, {"k0": ["fn_i", "ln"], "k1": ["fn_mp", "pc_d"]},
               {"fn": "name", "ln": "name", "fn_i": "name", "fn_mp": "name", "dob": "dob",
                "dob_y": "dob", "pc": "pc", "pc_d": "pc"})
    rng = np.random.default_rng(4)
    shared = 0
    for _ in range(30):
        for gi, g in enumerate(d.groups):
            bits = [b for b in range(63) if (g >> b) & 1]
            pat = np.unique([sum(1 << b for b in bits if rng.random() < 0.5)
                             for _ in range(5)]).astype(np.int64)
            for caps in (0, 1, 2, 3):
                before = len(d.__dict__.get("_classes", {}))
                got = recapture_profiles._classes(d, gi, pat, caps, [None, None, pat, None])
                shared += len(d.__dict__["_classes"]) == before
                want = recapture_tensor.rule_classes(d, gi, pat, caps)
                for a, b in zip(got[:2] + tuple(got[2]), want[:2] + tuple(want[2]),
                                strict=True):
                    np.testing.assert_array_equal(a, b)
    assert shared > 0


def test_compact_kinds_equal_the_loop_over_every_table():
    from spinelink.quality.recapture_compact import _kinds

    rng = np.random.default_rng(9)
    kinds_a, src_a, dest_a = {}, [], []
    kinds_b, src_b, dest_b = {}, [], []
    for _ in range(6):  # batches meeting earlier batches' kinds
        c = int(rng.integers(1, 4))
        sl = rng.integers(0, 8, 40)[:, None] * 3 + np.arange(c)
        inv = rng.integers(0, c, c)
        width = 5
        want = np.empty(len(sl), np.int64)
        for j, row in enumerate(sl):  # as `compact` numbered them, table by table
            key = (int(row[0]), len(row), inv.tobytes())
            if key not in kinds_a:
                kinds_a[key] = len(kinds_a)
                src_a.append(row)
                dest_a.append(kinds_a[key] * width + inv)
            want[j] = kinds_a[key]
        got = _kinds(sl, inv, kinds_b, src_b, dest_b, width)
        np.testing.assert_array_equal(got, want)
    assert kinds_a == kinds_b and len(kinds_a) > 8
    for x, y in ((src_a, src_b), (dest_a, dest_b)):
        np.testing.assert_array_equal(np.concatenate(x), np.concatenate(y))


@pytest.mark.parametrize("chunk", [1 << 22, 7])
def test_stacked_bits_equal_each_tables_tensor_stacked(chunk, monkeypatch):
    """A batch's no-fire tensors made in one broadcast AND (in runs of `STACK_CHUNK`
    entries) equal `from_bits` table by table, stacked; with more than 62 rules (two
    chunks of bits) or a tensor made already, table by table as before."""
    from spinelink.quality import recapture_tensor as rt

    monkeypatch.setattr(rt, "STACK_CHUNK", chunk)
    rng = np.random.default_rng(6)
    shape = [3, 1, 4, 2]
    for chunks in (1, 2):
        tables = [rt.Bits([[rng.integers(0, 1 << 40, c) & rng.integers(0, 1 << 40, c)
                            for _ in range(chunks)] for c in shape], shape)
                  for _ in range(9)]
        want = np.stack([rt.from_bits(t.bits, shape) for t in tables])
        got = rt.stacked(tables)
        assert got.dtype == bool and got.shape == (9, *shape)
        np.testing.assert_array_equal(got, want)
        assert 0 < got.sum() < got.size
        mixed = rt.stacked([want[0], *tables[1:]])
        np.testing.assert_array_equal(mixed, want)
