"""Dual-system estimates of subgroup populations against populations the test made
(issue 15 item 3).

How the true population is known: the test makes it. Each of 8,000 persons has a sex,
an age band and a region; the census (the reference) misses a person with a probability
that depends on the region only, the source with one that depends on the age band only,
each drawn independently. So within every subgroup the two captures are independent
(the estimator's assumption), and the number of persons of each subgroup is the truth.
Linkage then makes the errors the quality stage estimates: 5% of the true pairs are
missed and false links join source records the census lacks to census units the source
lacks (more of them land where the source covers least). The estimator gets the
precision and recall of those links by subgroup with 95% intervals, as the quality stage
gives them (here measured against the truth), and goes through the stage's own counting
(dual_counts).
Over 5 populations x 17 subgroups the intervals must cover the truth in at least 90% of
subgroups; the unadjusted estimator (precision = recall = 1) and the constant census
count must fail that assertion.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spinelink.analysis import both_sides, dual_system
from spinelink.quality.groups import UNKNOWN

AGES = ["0-17", "18-29", "30-49", "50-64", "65+"]
REGIONS = [f"R{i}" for i in range(10)]
P_CENSUS = dict(zip(REGIONS, np.linspace(0.80, 0.97, 10), strict=True))
P_SOURCE = dict(zip(AGES, [0.35, 0.55, 0.75, 0.8, 0.6], strict=True))
RECALL, FALSE_SHARE = 0.95, 0.02


def made_population(seed: int, n: int = 8000, hard: bool = False, merged: bool = False):
    """hard: a fifth of the people (group `G2`) are missed more often by both captures
    (as migrants are by a census and a register alike), and the census leaves 3% of
    each variable blank (at random). merged: the source's code list has no region R0
    (it records those people as R1)."""
    rng = np.random.default_rng(seed)
    people = pd.DataFrame({"sex": rng.choice(["F", "M"], n), "age_band": rng.choice(AGES, n),
                           "region": rng.choice(REGIONS, n)})
    p_census = people["region"].map(P_CENSUS).to_numpy()
    p_source = people["age_band"].map(P_SOURCE).to_numpy()
    if hard:
        people["group"] = np.where(rng.random(n) < 0.2, "G2", "G1")
        p_census = p_census * np.where(people["group"] == "G2", 0.6, 1.0)
        p_source = p_source * np.where(people["group"] == "G2", 0.5, 1.0)
    in_census = rng.random(n) < p_census
    in_source = rng.random(n) < p_source
    ref = people[in_census].set_axis([f"C{i}" for i in np.flatnonzero(in_census)])
    if hard:
        ref = ref.mask(rng.random(ref.shape) < 0.03, UNKNOWN)
    src = people[in_source].set_axis([f"S{i}" for i in np.flatnonzero(in_source)])
    if merged:
        src = src.assign(region=src["region"].replace("R0", "R1"))
    both = np.flatnonzero(in_census & in_source)
    found = both[rng.random(len(both)) < RECALL]
    links = [(f"C{i}", f"S{i}") for i in found]
    # false links: source records the census lacks, onto census units the source lacks
    n_false = round(len(found) * FALSE_SHARE / (1 - FALSE_SHARE))
    only_src = rng.permutation(np.flatnonzero(in_source & ~in_census))[:n_false]
    only_ref = rng.permutation(np.flatnonzero(in_census & ~in_source))[:n_false]
    links += [(f"C{i}", f"S{j}") for i, j in zip(only_ref, only_src, strict=False)]
    links = pd.DataFrame(links, columns=["reference_id", "source_id"])
    truth = {(v, k): int(c) for v in people.columns
             for k, c in people[v].value_counts().items()}
    return ref, src, links, link_quality(people, links, both), truth


def link_quality(people: pd.DataFrame, links: pd.DataFrame, both: np.ndarray) -> pd.DataFrame:
    """Precision and recall of the links by subgroup of the reference unit, with 95%
    intervals, as the quality stage gives them (here measured against the truth)."""
    ref_person = links["reference_id"].str[1:].astype(int).to_numpy()
    correct = ref_person == links["source_id"].str[1:].astype(int).to_numpy()
    rows = []
    for var in people.columns:
        for v in people[var].unique():
            g = people[var].to_numpy()[ref_person] == v
            pairs = (people[var].to_numpy()[both] == v).sum()
            p, r = correct[g].mean(), correct[g].sum() / pairs
            sp, sr = np.sqrt(p * (1 - p) / g.sum()), np.sqrt(r * (1 - r) / pairs)
            rows.append({"source": "admin", "variable": var, "value": v,
                         "est_precision": p, "est_precision_low": p - 1.96 * sp,
                         "est_precision_high": min(1.0, p + 1.96 * sp), "est_recall": r,
                         "est_recall_low": r - 1.96 * sr,
                         "est_recall_high": min(1.0, r + 1.96 * sr)})
    return pd.DataFrame(rows)


def coverage_of(estimator, hard: bool = False, merged: bool = False
                ) -> tuple[float, int, float]:
    """Share of subgroups whose interval covers the truth, how many, and the median
    half-width of the intervals relative to the truth."""
    hits, total, widths = 0, 0, []
    for seed in range(5):
        ref, src, links, quality, truth = made_population(seed, hard=hard, merged=merged)
        counts = both_sides.dual_counts(ref, src, links, list(ref.columns)).assign(
            source="admin")
        cells = both_sides.dual_cells(ref, src, links, list(ref.columns)).assign(
            source="admin")
        est = estimator(counts, quality, cells)
        for r in est.itertuples():
            t = truth[(r.variable, r.value)]
            hits += int(r.est_population_low <= t <= r.est_population_high)
            total += 1
            widths.append((r.est_population_high - r.est_population_low) / 2 / t)
    return hits / total, total, float(np.median(widths))


def adjusted(counts, quality, cells):
    return dual_system.estimates(counts, quality, cells)


def one_way(counts, quality, cells):
    """The same adjustment on each subgroup as a whole (no post-strata)."""
    return dual_system.estimates(counts, quality)


def unadjusted(counts, quality, cells):
    return dual_system.estimates(counts, None, cells)


def census_count(counts, quality, cells):
    return counts.assign(est_population=counts["n_reference"],
                         est_population_low=counts["n_reference"],
                         est_population_high=counts["n_reference"])


def test_intervals_cover_the_true_subgroup_populations():
    share, total, width = coverage_of(adjusted)
    assert total == 5 * 17
    assert share >= 0.90, share
    assert width < 0.05, width  # and not by being wide: a few per cent of the population


@pytest.mark.parametrize("naive", [unadjusted, census_count])
def test_naive_estimators_fail_the_same_assertion(naive):
    share, _, _ = coverage_of(naive)
    assert share < 0.90, (naive.__name__, share)


def test_post_strata_hold_where_both_captures_miss_the_same_people():
    """A group both captures miss more often (G2) makes every one-way subgroup estimate
    of sex, age band and region fall short (people missed by both are more common than
    independence says); estimated within the cross-classification's cells, with the
    census's blank values spread, the intervals still cover the truth, and the one-way
    estimator and the census count fail the same assertion."""
    share, total, width = coverage_of(adjusted, hard=True)
    assert total == 5 * 19
    assert share >= 0.90, share
    # wider than where the captures are independent (8,000 persons in 200 cells, the
    # hard group's small ones pooled), still a few per cent of the population
    assert width < 0.08, width
    for naive in (one_way, census_count):
        assert coverage_of(naive, hard=True)[0] < 0.90, naive.__name__


def test_the_adjustment_is_for_false_and_missed_links():
    # without linkage errors the adjusted and unadjusted estimates are Chapman's
    n, lo, hi = dual_system.estimate(900, 600, 540, 1.0, 1.0)
    assert n == pytest.approx(901 * 601 / 541 - 1)
    assert lo < n < hi
    # missed links (recall 0.9) raise the matches, so the estimate falls
    assert dual_system.estimate(900, 600, 540, 1.0, 0.9)[0] < n
    # false links (precision 0.9) lower them, so it rises
    assert dual_system.estimate(900, 600, 540, 0.9, 1.0)[0] > n


def test_a_source_that_codes_a_group_differently_is_read_through_the_linked_pairs(
        monkeypatch):
    """The source records region R0 as R1. Its persons linked to none would all count in
    R1 (R0 short, R1 too many); read through the linked pairs' concordance (half of
    the source's R1 are the reference's R0) they land where the reference puts them,
    and the intervals cover the truth. Without that step the same assertion fails."""
    share, total, _ = coverage_of(adjusted, merged=True)
    assert share >= 0.90, share
    monkeypatch.setattr(both_sides, "_reclassify", lambda counts, var, shares: counts)
    ref, src, links, quality, truth = made_population(0, merged=True)
    cells = both_sides.dual_cells(ref, src, links, list(ref.columns)).assign(
        source="admin")
    counts = both_sides.dual_counts(ref, src, links, list(ref.columns)).assign(
        source="admin")
    est = dual_system.estimates(counts, quality, cells).set_index(["variable", "value"])
    for region in ("R0", "R1"):
        r = est.loc[("region", region)]
        t = truth[("region", region)]
        assert not (r.est_population_low <= t <= r.est_population_high), region


def blank_population(seed: int, n: int = 30000, blank: float = 0.2):
    """Captures that miss few people (census 97%, source 90%, independent, links exact),
    so Chapman's own variance is small, and a census that leaves 20% of regions blank
    at random: where those people belong is then the larger part of the uncertainty."""
    rng = np.random.default_rng(seed)
    people = pd.DataFrame({"sex": rng.choice(["F", "M"], n),
                           "region": rng.choice(REGIONS, n)})
    in_census, in_source = rng.random(n) < 0.97, rng.random(n) < 0.9
    ref = people[in_census].set_axis([f"C{i}" for i in np.flatnonzero(in_census)])
    ref = ref.assign(region=ref["region"].mask(rng.random(len(ref)) < blank, UNKNOWN))
    src = people[in_source].set_axis([f"S{i}" for i in np.flatnonzero(in_source)])
    both = np.flatnonzero(in_census & in_source)
    links = pd.DataFrame({"reference_id": [f"C{i}" for i in both],
                          "source_id": [f"S{i}" for i in both]})
    truth = {(v, k): int(c) for v in people.columns for k, c in people[v].value_counts().items()}
    return ref, src, links, truth


def test_blank_values_widen_the_intervals_by_what_they_leave_unknown(monkeypatch):
    """The census's blank regions are spread over the regions; each blank person is in
    one region, so the spread count has a binomial variance that Chapman's does not
    carry. With it the intervals cover the true regional populations as often as a 95%
    interval should, still narrow; without it (the same estimate, the allocation's
    variance set to 0) they cover about a third."""
    exact = pd.DataFrame([{"source": "a", "variable": "all", "value": "all",
                           **dict.fromkeys(["est_precision", "est_precision_low",
                                            "est_precision_high", "est_recall",
                                            "est_recall_low", "est_recall_high"], 1.0)}])

    def coverage() -> tuple[float, float]:
        hits, widths = [], []
        for seed in range(10):
            ref, src, links, truth = blank_population(seed)
            counts = both_sides.dual_counts(ref, src, links, ["sex", "region"])
            cells, allocated = both_sides.post_strata(ref, src, links, ["sex", "region"])
            est = dual_system.estimates(counts.assign(source="a"), exact,
                                        cells.assign(source="a"),
                                        allocated.assign(source="a"))
            for r in est[est["variable"] == "region"].itertuples():
                t = truth[("region", r.value)]
                hits.append(r.est_population_low <= t <= r.est_population_high)
                widths.append((r.est_population_high - r.est_population_low) / 2 / t)
        return float(np.mean(hits)), float(np.median(widths))

    share, width = coverage()
    assert share >= 0.90, share
    assert width < 0.03, width
    monkeypatch.setattr(dual_system, "_allocated_variance", lambda *a: 0.0)
    assert coverage()[0] < 0.6


def test_a_person_the_source_holds_twice_is_counted_once(tmp_path):
    """Of the source's records linked to none, those of one person (the same identifier,
    or without one the same first name, last name and date of birth) count once in the
    dual-system estimates; a namesake born on another day, a record without the fields
    to tell, and a linked person's records are not repeats."""
    from types import SimpleNamespace

    from spinelink.analysis.residues import source_repeats
    from spinelink.backends import open_engine

    std = pd.DataFrame([
        ("s1", "UK1", "ANNA", "SMITH", "1980-01-02"),   # linked
        ("s2", "UK1", "ANNA", "SMITH", "1980-01-02"),   # linked person's other record
        ("s3", "UK2", "JOHN", "BROWN", "1975-05-05"),
        ("s4", "UK2", "JON", "BROWN", "1975-05-05"),    # same identifier: repeat
        ("s5", None, "MARY", "JONES", "1990-03-04"),
        ("s6", None, "MARY", "JONES", "1990-03-04"),    # same names and date: repeat
        ("s7", None, "MARY", "JONES", "1991-03-04"),    # namesake
        ("s8", None, None, "JONES", "1990-03-04"),      # cannot tell
        ("s9", None, None, "JONES", "1990-03-04"),
    ], columns=["record_id", "id_nino", "first_name", "last_name", "dob_iso"])
    (tmp_path / "standardised").mkdir()
    std.to_parquet(tmp_path / "standardised" / "benefits.parquet", index=False)
    links = pd.DataFrame({"reference_id": ["c1"], "source_id": ["s1"]})
    ctx = SimpleNamespace(engine=open_engine("duckdb"), out=tmp_path)
    assert list(source_repeats(ctx, "benefits", links)) == ["s4", "s6"]


def two_source_population(seed: int, n: int = 20000):
    """A hidden fifth of the people (not a subgroup any table carries) whom the census
    misses more often (75% against 97%) and a survey too (30% against 80%); a register
    covers everyone alike (80%). Links exact. Within every post-stratum the survey's
    capture depends on the census's, so its estimates fall short; the register's hold."""
    rng = np.random.default_rng(seed)
    people = pd.DataFrame({"sex": rng.choice(["F", "M"], n), "age_band": rng.choice(AGES, n),
                           "region": rng.choice(REGIONS, n)})
    hidden = rng.random(n) < 0.2
    in_census = rng.random(n) < np.where(hidden, 0.75, 0.97)
    captures = {"register": rng.random(n) < 0.8,
                "survey": rng.random(n) < np.where(hidden, 0.3, 0.8)}
    ref = people[in_census].set_axis([f"C{i}" for i in np.flatnonzero(in_census)])
    counts, cells, allocated = [], [], []
    for s, ins in captures.items():
        src = people[ins].set_axis([f"{s}{i}" for i in np.flatnonzero(ins)])
        both = np.flatnonzero(in_census & ins)
        links = pd.DataFrame({"reference_id": [f"C{i}" for i in both],
                              "source_id": [f"{s}{i}" for i in both]})
        counts.append(both_sides.dual_counts(ref, src, links, list(people.columns))
                      .assign(source=s))
        c, a = both_sides.post_strata(ref, src, links, list(people.columns))
        cells.append(c.assign(source=s))
        allocated.append(a.assign(source=s))
    truth = {(v, k): int(c) for v in people.columns for k, c in people[v].value_counts().items()}
    return [pd.concat(x, ignore_index=True) for x in (counts, cells, allocated)], truth


def test_sources_that_disagree_widen_each_others_intervals(monkeypatch):
    """Two captures alone cannot see that the survey misses the people the census
    misses; the register's estimates of the same subgroups can. With the between-source
    variance added, both sources' intervals cover the truth in >= 90% of subgroups and
    stay a few per cent wide; without it the survey's cover none, while the register's
    (independent) still cover."""
    exact = pd.DataFrame([{"source": s, "variable": "all", "value": "all",
                           **dict.fromkeys(["est_precision", "est_precision_low",
                                            "est_precision_high", "est_recall",
                                            "est_recall_low", "est_recall_high"], 1.0)}
                          for s in ("register", "survey")])

    def coverage() -> tuple[dict, float]:
        hits: dict = {"register": [], "survey": []}
        widths = []
        for seed in range(5):
            (counts, cells, allocated), truth = two_source_population(seed)
            est = dual_system.estimates(counts, exact, cells, allocated)
            for r in est.itertuples():
                t = truth[(r.variable, r.value)]
                hits[r.source].append(r.est_population_low <= t <= r.est_population_high)
                widths.append((r.est_population_high - r.est_population_low) / 2 / t)
        return {s: float(np.mean(h)) for s, h in hits.items()}, float(np.median(widths))

    share, width = coverage()
    assert min(share.values()) >= 0.90, share
    assert width < 0.08, width
    monkeypatch.setattr(dual_system, "_between_sources", lambda est: est)
    share, _ = coverage()
    assert share["survey"] < 0.5 and share["register"] >= 0.90, share
