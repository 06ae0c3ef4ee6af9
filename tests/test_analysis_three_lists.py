"""Three-list estimates (issue 15): a dependence all sources share, which two lists cannot
see, measured with a third; the counts cleared of linkage errors; the residues' matches
between two sources."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from spinelink.analysis import both_sides, dual_system, residues, three_lists
from spinelink.backends import open_engine

VARS = ["sex", "age"]


def population(seed: int, survey_hidden: float, recall: float = 1.0, n: int = 20000):
    """People of whom a hidden 15% are missed more by the census and the register (and,
    with survey_hidden < 0.3, by the survey); `recall` < 1 leaves that share of the
    register's true links out (their records unlinked). Returns the dual-system
    estimates, the three-list ones and the true subgroup sizes."""
    rng = np.random.default_rng(seed)
    people = pd.DataFrame({"sex": rng.choice(["F", "M"], n), "age": rng.choice(["a", "b"], n)})
    hidden = rng.random(n) < 0.15
    cap = {"census": rng.random(n) < np.where(hidden, 0.75, 0.97),
           "register": rng.random(n) < np.where(hidden, 0.6, 0.9),
           "survey": rng.random(n) < np.where(hidden, survey_hidden, 0.3)}
    ref = people[cap["census"]].set_axis([f"C{i}" for i in np.flatnonzero(cap["census"])])
    counts, cells, alloc, src, links, unlinked = [], [], [], {}, {}, {}
    for s in ("register", "survey"):
        src[s] = people[cap[s]].set_axis([f"{s}{i}" for i in np.flatnonzero(cap[s])])
        both = np.flatnonzero(cap["census"] & cap[s])
        if s == "register":
            both = both[rng.random(len(both)) < recall]
        links[s] = pd.DataFrame({"reference_id": [f"C{i}" for i in both],
                                 "source_id": [f"{s}{i}" for i in both]})
        counts.append(both_sides.dual_counts(ref, src[s], links[s], VARS).assign(source=s))
        c, a = both_sides.post_strata(ref, src[s], links[s], VARS)
        cells.append(c.assign(source=s))
        alloc.append(a.assign(source=s))
        unlinked[s] = src[s].index[~src[s].index.isin(links[s]["source_id"])]
    est = dual_system.estimates(pd.concat(counts), None, pd.concat(cells), pd.concat(alloc))
    rows = []
    errors = {"register": (1.0, recall), "survey": (1.0, 1.0)}
    for a, b in (("register", "survey"), ("survey", "register")):
        b_residue = {int(x[len(b):]) for x in unlinked[b]}  # matched within residues
        held = np.array([int(x[len(a):]) in b_residue for x in unlinked[a]], dtype=bool)
        c = three_lists.counts(ref, links[a], links[b], src[a], unlinked[a],
                               unlinked[a][held], src[b], unlinked[b], VARS)
        rows.append(three_lists.estimates(
            c, lambda var, v, a=a, b=b: (errors[a], errors[b])).assign(source=a))
    truth = {(v, k): int(x) for v in VARS for k, x in people[v].value_counts().items()}
    return est, pd.concat(rows), truth


def summary(survey_hidden: float, recall: float = 1.0, seeds=range(8)) -> dict:
    cover_two, cover_wide, err_two, err_three, w_two, w_wide = [], [], [], [], [], []
    for seed in seeds:
        est, three, truth = population(seed, survey_hidden, recall)
        wide = three_lists.widen(est, three)
        for r, w in zip(est.itertuples(), wide.itertuples(), strict=True):
            t = truth[(r.variable, r.value)]
            cover_two.append(r.est_population_low <= t <= r.est_population_high)
            cover_wide.append(w.est_population_low <= t <= w.est_population_high)
            assert w.est_population_low <= r.est_population_low
            assert w.est_population_high >= r.est_population_high
            err_two.append(abs(r.est_population - t))
            err_three.append(abs(w.est_population_three_lists - t))
            w_two.append((r.est_population_high - r.est_population_low) / 2 / t)
            w_wide.append((w.est_population_high - w.est_population_low) / 2 / t)
    return {"cover_two": np.mean(cover_two), "cover_wide": np.mean(cover_wide),
            "mae_two": np.mean(err_two), "mae_three": np.mean(err_three),
            "width_two": np.median(w_two), "width_wide": np.median(w_wide)}


@pytest.mark.parametrize("survey_hidden", [0.3, 0.15])
def test_a_third_list_sees_the_dependence_two_cannot(survey_hidden):
    """The census and the register miss the same hidden people: the dual-system
    intervals fall short (the survey's too when it misses them as well). The three-list
    estimate is nearer the truth and the widened intervals cover it in >= 85% of
    subgroups, at most twice as wide. With the survey independent of the hidden group
    the log-linear model holds and they cover every subgroup."""
    got = summary(survey_hidden)
    assert got["cover_two"] < (0.9 if survey_hidden == 0.3 else 0.3), got
    assert got["cover_wide"] >= (0.95 if survey_hidden == 0.3 else 0.85), got
    assert got["mae_three"] < 0.5 * got["mae_two"], got
    assert got["width_wide"] < 2 * got["width_two"], got


def test_missed_links_are_taken_out_of_the_counts(monkeypatch):
    """A missed link puts one person among the units the register lacks and among its
    records linked to none: the three-list estimate multiplies the two and overshoots.
    With the register's recall (0.95) the counts are cleared and the estimate is as good
    as with every link found."""
    exact = summary(0.3, seeds=range(4))
    missed = summary(0.3, recall=0.95, seeds=range(4))
    assert missed["mae_three"] < 1.5 * exact["mae_three"] + 5, (missed, exact)
    monkeypatch.setattr(three_lists, "adjust", lambda n, a, b: n)
    raw = summary(0.3, recall=0.95, seeds=range(4))
    assert raw["mae_three"] > 3 * missed["mae_three"], (raw, missed)


def test_too_few_persons_in_a_denominator_give_no_estimate():
    n = {"111": 50, "110": 100, "101": 60, "100": 90, "011": 9, "010": 40, "001": 25}
    assert three_lists.loglinear(n) is None
    est, lo, hi = three_lists.loglinear({**n, "011": 10})
    assert lo < est < hi and est > sum(n.values()) - 9 + 10


def _standardised(path, rows):
    cols = ["record_id", "id_nino", "first_name", "last_name", "first_name_canon_rom",
            "last_name_rom", "dob_iso", "postcode"]
    pd.DataFrame(rows, columns=cols).to_parquet(path)


def test_residue_matches_follow_the_person_keys(tmp_path):
    """Records both sources hold for one person, linked to no reference unit: matched on
    an identifier, on names and date of birth, on romanised names, on one name with the
    date of birth and postcode, or on both names and the postcode. Relatives at one
    address (same surname and postcode, another first name and date of birth) and
    records a source links to the reference are not."""
    (tmp_path / "standardised").mkdir()
    _standardised(tmp_path / "standardised" / "a.parquet", [
        ("a1", "AB123", "olena", "kovalenko", "olena", "kovalenko", "1980-01-02", "X1"),
        ("a2", None, "mykola", "shevchenko", "mykola", "shevchenko", "1975-05-06", "X2"),
        ("a3", None, "iryna", "bondar", "iryna", "bondar", "1990-03-04", "X3"),
        ("a4", None, "petro", "melnyk", "petro", "melnyk", "1960-07-08", "X4"),
        ("a5", None, "anna", "tkachenko", "anna", "tkachenko", None, "X5"),
        ("a6", None, "oksana", "lysenko", "oksana", "lysenko", "1985-09-10", "X6"),
        ("a7", None, "taras", "boyko", "taras", "boyko", "1970-11-12", "X7"),
    ])
    _standardised(tmp_path / "standardised" / "b.parquet", [
        ("b1", "AB123", "alena", "kovalenka", "alena", "kovalenka", None, None),
        ("b2", None, "mykola", "shevchenko", "mykola", "shevchenko", "1975-05-06", None),
        ("b3", None, "iryna", "bondarenko", "iryna", "bondarenko", "1990-03-04", "X3"),
        ("b4", None, "petr", "melnik", "petro", "melnyk", "1960-07-08", None),
        ("b5", None, "anna", "tkachenko", "anna", "tkachenko", "1999-01-01", "X5"),
        ("b6", None, "ivan", "lysenko", "ivan", "lysenko", "1950-01-01", "X6"),
        ("b7", None, "taras", "boyko", "taras", "boyko", "1970-11-12", "X7"),
    ])
    ctx = SimpleNamespace(engine=open_engine("duckdb"), out=tmp_path)
    none = pd.DataFrame({"reference_id": [], "source_id": []}, dtype=str)
    linked_b7 = pd.DataFrame({"reference_id": ["C9"], "source_id": ["b7"]})
    got = residues.residue_matches(ctx, "a", none, "b", linked_b7)
    assert sorted(zip(got["a_id"], got["b_id"], strict=True)) == [
        ("a1", "b1"), ("a2", "b2"), ("a3", "b3"), ("a4", "b4"), ("a5", "b5")]
