"""What the quality stage takes over instead of building again (issue 17, session 8).

The null sample's reference pool is the probabilistic stage's keyed reference table when it
holds every reference record (links not one-to-one, a full run), the whole-source and
whole-reference tables are views of the standardised tables the run loaded, the capped
keys' reference counts are the probabilistic stage's (or made once per source), and each
bootstrap draw works out its wrong links once for every breakdown. Each is checked against
the way it was built before, on a full and an incremental run of generated deliveries: the
quality outputs are byte-identical."""
from __future__ import annotations

import filecmp
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spinelink.pipeline import run_job
from spinelink.quality import fitcarry, labelfree, nullcal
from spinelink.quality import stage as quality_stage
from spinelink.quality.calibrate import Candidates
from spinelink.sample.deliveries import generate_deliveries

PERSONS, SEED = 1500, 9
pytestmark = pytest.mark.slow
QUALITY_FILES = ("quality/subgroups.csv", "quality/bias.csv", "quality/threshold.csv",
                 "quality/null/benefits_pairs.parquet",
                 "quality/null/benefits_records.parquet", "links/benefits.parquet",
                 "pairs/benefits.parquet")


def _runs(root: Path, tag: str) -> None:
    run_job(root / "deliveries/1/job.yaml", output_dir=str(root / f"{tag}/1"))
    # the fit refitted (not carried with its sample): the incremental run's null sample
    # is built and scored, part of it carried record by record
    carried = fitcarry.FitCarry.carried
    fitcarry.FitCarry.carried = lambda self, *a, **k: (None, "switched off by the test")
    try:
        run_job(root / "deliveries/2/job.yaml", output_dir=str(root / f"{tag}/2"),
                since=root / f"{tag}/1")
    finally:
        fitcarry.FitCarry.carried = carried


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("quality_reuse")
    generate_deliveries(PERSONS, SEED, root, degraded=None)
    _runs(root, "reuse")
    seen = []
    keyed = nullcal._keyed_pool

    def spy(*a, **k):
        seen.append(keyed(*a, **k))
        return seen[-1]

    counts = []
    keys = quality_stage._Keys.__call__

    def spy_keys(self, tables):
        counts.append(self.linked)
        return keys(self, tables)

    nullcal._keyed_pool = spy
    quality_stage._Keys.__call__ = spy_keys
    try:  # once more, with the pool and key counts seen taken over
        _runs(root, "seen")
    finally:
        nullcal._keyed_pool = keyed
        quality_stage._Keys.__call__ = keys
    # the full run took the linkage's table; the incremental run's linkage keyed only the
    # reference records its residual can pair with (incremental.pool): its pool is built
    assert seen == ["__sl_res_ref_benefits", None]
    # and the full run its key counts; the incremental run's linkage counted only the keys
    # its residual holds (capped_keys.add_capped_keys `among`): the quality stage counts
    # every key itself
    assert counts[0] == "__sl_lk_ref_benefits" and counts[-1] is None
    assert set(counts) == {"__sl_lk_ref_benefits", None}
    # built as before: the pool from the standardised files, no tables taken over
    mp = pytest.MonkeyPatch()
    mp.setattr(nullcal, "_keyed_pool", lambda *a, **k: None)
    mp.setattr(nullcal, "_has_table", lambda *a, **k: False)
    mp.setattr(quality_stage, "_has_table", lambda *a, **k: False)
    try:
        _runs(root, "built")
    finally:
        mp.undo()
    return root


@pytest.mark.parametrize("run", ["1", "2"])
def test_quality_outputs_equal_those_built_anew(runs, run):
    for f in QUALITY_FILES:
        assert filecmp.cmp(runs / "reuse" / run / f, runs / "built" / run / f,
                           shallow=False), f
    import json

    a, b = (json.loads((runs / t / run / "quality/summary.json").read_text())
            for t in ("reuse", "built"))
    for s in (a, b):  # where the carried scores and fit came from: the run's own folder
        s["sources"]["benefits"]["null_sample"].pop("carried_from", None)
        s["sources"]["benefits"]["estimate"].pop("fitted_in", None)
    assert a == b
    if run == "2":  # the incremental run carried most of the sample's scores
        ns = a["sources"]["benefits"]["null_sample"]
        assert 0 < ns["scored_now"] < ns["carried"]


def _prepared(rng: np.random.Generator, n_links: int = 400, n_rec: int = 120):
    """A Prepared with candidates for `n_rec` residual records, some linked, and links of
    which a share are probabilistic."""
    per = rng.integers(1, 4, n_rec)
    rec = np.repeat(np.arange(n_rec), per)
    cands = Candidates(rec, rng.normal(0, 10, len(rec)), n_rec + 10,
                       np.ones(len(rec), bool), None, None)
    first_of = np.r_[0, np.cumsum(per)[:-1]]
    linked = rng.random(n_rec) < 0.6
    link_group = np.full(n_links, -1)
    link_group[:linked.sum()] = first_of[linked]
    rec_link = np.full(n_rec, -1)
    rec_link[linked] = first_of[linked]
    return labelfree.Prepared(cands, rec.astype(str), rec.astype(str), np.arange(len(rec)),
                              link_group, rec_link, rng.random(n_links))


def test_a_draw_counted_once_equals_the_weighted_sums_per_breakdown():
    rng = np.random.default_rng(3)
    pr = _prepared(rng)
    bds = [labelfree.Breakdown(f"v{k}", [str(i) for i in range(k)],
                               rng.integers(0, k, len(pr.link_group)),
                               rng.integers(0, k, len(pr.cands.rec))) for k in (1, 3, 7)]
    cache_a, cache_b = {}, {}
    for _ in range(25):
        post = rng.random(len(pr.cands.rec))
        chosen = labelfree._choose(rng, pr.cands, post)
        surv = rng.random(len(pr.survive)) < pr.survive
        for survive in (surv, None):
            wrong = labelfree._wrong(pr, post, chosen, survive)
            for bd in bds:
                blk = rng.integers(0, 3, len(bd.values))
                p, r, _, _ = labelfree._rates(pr, bd, post, chosen, blk, cache_a,
                                              survive if survive is not None
                                              else np.ones(len(pr.survive), bool))
                p2, r2 = labelfree._draw_rates(pr, bd, wrong, blk, cache_b)
                np.testing.assert_array_equal(p, p2)
                np.testing.assert_array_equal(r, r2)
    assert pd.notna(p).any()
