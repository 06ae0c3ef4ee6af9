"""Records at a unit-mate's linked address (spinelink.quality.unit_home, issue 12).

pseudopeople's 1040 returns at raised noise (data nobody here generated; the harness's
`tax1040_raised`): a dependant has no middle initial and no date of birth, so the record
model leaves its candidates at the filer's census address low although the child is
usually there. On main the 0-17 band's candidate term was 97 of a true 179 and its recall
estimate 0.931 against 0.898, covered only by the never-compared term's Chao1 width. With
the household's coverage learnt from the returns themselves (the share of records with a
candidate at a unit-mate's linked address that are linked there), the band's estimate is
within 0.015 of the truth. The unit tests read the rule, and its placement by the
candidate's subgroups, on tiny
frames.
"""
from __future__ import annotations

import shutil
import sys

import pandas as pd
import pytest
from conftest import ROOT

from spinelink.quality import unit_home

# tax1040_raised on main (session 53's harness): 181 unlinked records raised at a
# unit-mate's address, 81.9 expected matches added; at least this many candidates raised
MIN_RAISED = 100


def _std(folder, n_units: int, apart: bool = True):
    """A reference of n_units households (a parent and a child each at one address) and
    a source of returns (the parent's and the child's record, one unit per return)."""
    std = folder / "standardised"
    std.mkdir(parents=True, exist_ok=True)
    ref = pd.DataFrame({"record_id": [f"C{i}{r}" for i in range(n_units) for r in "pc"],
                        "postcode": "00000",
                        "address": [f"{i} main st" for i in range(n_units) for _ in "pc"]})
    ref.to_parquet(std / "census.parquet", index=False)
    src = pd.DataFrame({"record_id": [f"T{i}{r}" for i in range(n_units) for r in "pc"]})
    if apart:
        src["persons_apart"] = [f"T{i}" for i in range(n_units) for _ in "pc"]
    src.to_parquet(std / "returns.parquet", index=False)


def _frames(n_units: int, n_linked_children: int):
    """Every parent linked; the first n_linked_children children linked, the rest left
    with a low probability on their own census record and on a stranger's."""
    links = [(f"C{i}p", f"T{i}p") for i in range(n_units)] + \
        [(f"C{i}c", f"T{i}c") for i in range(n_linked_children)]
    links = pd.DataFrame(links, columns=["reference_id", "source_id"])
    pairs = [(f"C{i}c", f"T{i}c", 0.2) for i in range(n_linked_children, n_units)] + \
        [(f"C{(i + 1) % n_units}c", f"T{i}c", 0.1) for i in range(n_linked_children, n_units)]
    pairs = pd.DataFrame(pairs, columns=["reference_id", "source_id", "match_probability"])
    pairs["person_ref"] = pairs["reference_id"]
    pairs["match_weight"] = 0.0
    return pairs, links


def test_unlinked_records_at_home_rise_to_the_units_coverage(tmp_path):
    _std(tmp_path, 40)
    pairs, links = _frames(40, 30)
    out, info = unit_home.adjust(tmp_path, "census", "returns", pairs, links)
    # at an address where a unit-mate is linked: 40 children (a candidate or their link)
    # and the 30 parents whose child is linked there; 60 of the 70 are linked there, so
    # theta is 6/7, and an unlinked child's 0.2 at home rises to 6/7 less its 0.1 elsewhere
    assert info["records_at_home"] == 70 and info["linked_there"] == 60
    theta = 60 / 70
    assert info["theta"] == pytest.approx(theta, abs=1e-4)
    home = out["reference_id"].str[1:-1] == out["source_id"].str[1:-1]
    assert out.loc[home, "match_probability"].to_numpy() == pytest.approx(theta - 0.1)
    # the stranger's candidate (another household) keeps the model's probability
    assert (out.loc[~home, "match_probability"] == 0.1).all()
    assert info["unlinked_raised"] == 10
    assert info["mass_added"] == pytest.approx(10 * (theta - 0.1 - 0.2), abs=0.01)


def test_a_source_without_units_or_too_few_records_is_untouched(tmp_path):
    _std(tmp_path, 40, apart=False)
    pairs, links = _frames(40, 30)
    out, info = unit_home.adjust(tmp_path, "census", "returns", pairs, links)
    assert info is None and out.equals(pairs)
    _std(tmp_path, 10)
    pairs, links = _frames(10, 5)
    out, info = unit_home.adjust(tmp_path, "census", "returns", pairs, links)
    assert info is None and out.equals(pairs)  # 10 records: too few to learn theta


def test_the_raise_goes_to_the_subgroup_the_records_profile_is_linked_to(tmp_path):
    """A child's return record has no middle name; at home it has two unlinked candidates
    in the census, a child and an adult (a grown-up sibling not on the return). The
    linked records without a middle name are linked to children, so the child candidate
    takes the raise and the adult's probability barely moves. Every household also has
    an unclaimed child nobody links (so the census's free residents at home are adults
    and children alike)."""
    std = tmp_path / "standardised"
    std.mkdir()
    n = 40
    ref = pd.DataFrame({"record_id": [f"C{i}{r}" for i in range(n) for r in "pcak"],
                        "postcode": "00000",
                        "address": [f"{i} main st" for i in range(n) for _ in "pcak"]})
    ref.to_parquet(std / "census.parquet", index=False)
    src = pd.DataFrame({"record_id": [f"T{i}{r}" for i in range(n) for r in "pc"],
                        "persons_apart": [f"T{i}" for i in range(n) for _ in "pc"]})
    src.to_parquet(std / "returns.parquet", index=False)
    # the delivered middle name (the intake table's `mid`): the children have none
    (tmp_path / "intake").mkdir()
    src.assign(mid=[m for _ in range(n) for m in ("j", None)]).to_parquet(
        tmp_path / "intake" / "returns.parquet", index=False)
    raw = {"middle_name": "mid"}
    pairs, links = _frames(n, 30)  # children 30..39 unlinked, 0.2 at home, 0.1 elsewhere
    extra = pd.DataFrame({"reference_id": [f"C{i}a" for i in range(30, n)],
                          "source_id": [f"T{i}c" for i in range(30, n)],
                          "match_probability": 0.2, "match_weight": 0.0})
    extra["person_ref"] = extra["reference_id"]
    pairs = pd.concat([pairs, extra], ignore_index=True)
    groups = pd.DataFrame({"age_band": ["30-49", "0-17", "30-49", "0-17"] * n},
                          index=ref["record_id"].to_numpy())
    even, _ = unit_home.adjust(tmp_path, "census", "returns", pairs, links, raw_columns=raw)
    tilt, info = unit_home.adjust(tmp_path, "census", "returns", pairs, links, groups, raw)
    child = tilt["reference_id"].str.endswith("c") & tilt["source_id"].str.endswith("c") & \
        (tilt["reference_id"].str[1:-1] == tilt["source_id"].str[1:-1])
    adult = tilt["reference_id"].str.endswith("a")
    # without subgroups both candidates at home rise alike; with them the child's does
    assert even.loc[child, "match_probability"].to_numpy() == \
        pytest.approx(even.loc[adult, "match_probability"].to_numpy())
    assert (tilt.loc[child, "match_probability"].to_numpy() >
            even.loc[child, "match_probability"].to_numpy() + 0.05).all()
    assert (tilt.loc[adult, "match_probability"] < 0.3).all()
    assert info["unlinked_raised"] == 10


@pytest.fixture(scope="module")
def raised(tmp_path_factory):
    """The harness's tax1040_raised case, run once (a subprocess, as the harness runs it)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import quality_eval

    return quality_eval.case_frame(tmp_path_factory.mktemp("unit_home"), "raised",
                                   "tax1040_raised")


@pytest.mark.slow
def test_dependants_recall_band_is_estimated_within_tolerance(raised):
    _, res, df = raised
    band = df.set_index("group").loc["age_band=0-17"]
    print(band[["true_recall", "est_recall", "est_recall_low", "est_recall_high"]])
    # main: 0.931 against 0.898 (0.033 over, the harness's tolerance 0.015)
    assert abs(band["est_recall"] - band["true_recall"]) <= 0.015
    assert band["est_recall_low"] <= round(band["true_recall"], 4) <= band["est_recall_high"]
    assert res["summary"]["mae_spinelink"] < res["summary"]["mae_fl"]
    # the overall figure within the harness's tolerance. This bound was 0.004 (main's
    # 0.0037 at noise seed 42), standing in for the mechanism the test below now guards
    # directly (the never-compared term reads the model's own probabilities, not the
    # raise). 0.004 was a seed-42 coincidence: over pseudopeople noise seeds 42-47 main's
    # overall error is 0.0037, 0.0083, 0.0070, 0.0019, 0.0160, 0.0076 (within 0.004 at 2
    # of 6; session 52 helper B)
    overall = df.set_index("group").loc["all=all"]
    assert abs(overall["est_recall"] - overall["true_recall"]) <= 0.015


@pytest.mark.slow
def test_the_never_compared_term_reads_the_models_own_probabilities(raised, monkeypatch):
    """The quality stage of the tax1040_raised run again in this process, the label-free
    estimate's inputs kept: unit_home raised candidates at unit-mates' addresses, and the
    never-compared estimate reads the model's own probabilities there, not the raise. Read
    as caught matches the raise stands for more never-compared matches than there are
    (session 40 helper C: 417 against a true ~340, the overall recall 0.902 against 0.910)."""
    import numpy as np
    import quality_resume

    import spinelink
    from spinelink import pipeline
    from spinelink.quality import calibrate, labelfree

    case, _, _ = raised
    out = case.bench.dir / "spinelink_out"
    again = out.parent / "quality_again"
    shutil.copytree(out, again)
    seen = []
    real = labelfree.estimate

    def keep(pr, *args, **kw):
        est = real(pr, *args, **kw)
        seen.append((pr, est))
        return est

    monkeypatch.setattr(pipeline, "open_checkpoint", quality_resume.forgetting())
    monkeypatch.setattr(labelfree, "estimate", keep)
    spinelink.run(case.bench.job, output_dir=again, resume=True)
    (pr, est), = seen
    c = pr.cands
    # the stage passed the model's own probabilities through beside the raised ones
    assert c.own is not None and c.prob is not None
    up = c.prob > c.own + 1e-9
    print("candidates raised:", int(up.sum()), "mass:", float((c.prob - c.own)[up].sum()))
    assert up.sum() >= MIN_RAISED
    # the caught matches the never-compared estimate reads are the own probabilities
    assert np.array_equal(c.caught(est.fit), c.own)
    assert not np.array_equal(c.caught(est.fit), est.fit.posterior)
    # and its figure is theirs: the raise would stand for more never compared
    own_nc = calibrate.blocked_out(c, c.own)[0]
    raised_nc = calibrate.blocked_out(c, c.prob)[0]
    print("never compared: fit", est.fit.blocked, "own", own_nc, "raised", raised_nc,
          "published", est.blocked)
    assert est.fit.blocked == pytest.approx(own_nc, rel=1e-9)
    # measured with the Jaro-Winkler fix: 319 candidates raised (81.96 expected matches
    # added), never compared 276.4 from the own probabilities, 343.3 from the raised ones;
    # with `own_or` returning the raised probabilities the stage published 348.0 and an
    # overall recall of 0.9089 (own: 0.9169, true 0.9114): inside the 0.015 bound above,
    # so only this test sees it
    assert raised_nc > own_nc
