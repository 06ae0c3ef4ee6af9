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

AGES = ["0-17", "18-29", "30-49", "50-64", "65+"]
REGIONS = [f"R{i}" for i in range(10)]
P_CENSUS = dict(zip(REGIONS, np.linspace(0.80, 0.97, 10), strict=True))
P_SOURCE = dict(zip(AGES, [0.35, 0.55, 0.75, 0.8, 0.6], strict=True))
RECALL, FALSE_SHARE = 0.95, 0.02


def made_population(seed: int, n: int = 8000):
    rng = np.random.default_rng(seed)
    people = pd.DataFrame({"sex": rng.choice(["F", "M"], n), "age_band": rng.choice(AGES, n),
                           "region": rng.choice(REGIONS, n)})
    in_census = rng.random(n) < people["region"].map(P_CENSUS).to_numpy()
    in_source = rng.random(n) < people["age_band"].map(P_SOURCE).to_numpy()
    ref = people[in_census].set_axis([f"C{i}" for i in np.flatnonzero(in_census)])
    src = people[in_source].set_axis([f"S{i}" for i in np.flatnonzero(in_source)])
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


def coverage_of(estimator) -> tuple[float, int, float]:
    """Share of subgroups whose interval covers the truth, how many, and the median
    half-width of the intervals relative to the truth."""
    hits, total, widths = 0, 0, []
    for seed in range(5):
        ref, src, links, quality, truth = made_population(seed)
        counts = both_sides.dual_counts(ref, src, links, list(ref.columns)).assign(
            source="admin")
        est = estimator(counts, quality)
        for r in est.itertuples():
            t = truth[(r.variable, r.value)]
            hits += int(r.est_population_low <= t <= r.est_population_high)
            total += 1
            widths.append((r.est_population_high - r.est_population_low) / 2 / t)
    return hits / total, total, float(np.median(widths))


def adjusted(counts, quality):
    return dual_system.estimates(counts, quality)


def unadjusted(counts, quality):
    return dual_system.estimates(counts, None)


def census_count(counts, quality):
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


def test_the_adjustment_is_for_false_and_missed_links():
    # without linkage errors the adjusted and unadjusted estimates are Chapman's
    n, lo, hi = dual_system.estimate(900, 600, 540, 1.0, 1.0)
    assert n == pytest.approx(901 * 601 / 541 - 1)
    assert lo < n < hi
    # missed links (recall 0.9) raise the matches, so the estimate falls
    assert dual_system.estimate(900, 600, 540, 1.0, 0.9)[0] < n
    # false links (precision 0.9) lower them, so it rises
    assert dual_system.estimate(900, 600, 540, 0.9, 1.0)[0] > n
