"""Disclosure control: primary and secondary suppression, rounding, published tables."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spinelink.quality import disclosure
from spinelink.quality.per_source import Result
from spinelink.quality.stage import SUBGROUP_COLUMNS, publish

ROOT = Path(__file__).resolve().parents[1]


def _cov(rows):
    return pd.DataFrame(rows, columns=["variable", "value", "n_reference", "n_linked"])


@pytest.mark.parametrize("counts, expected", [
    ([50, 40, 30], [False, False, False]),        # nothing small
    ([50, 40, 3], [False, True, True]),           # one small: next-smallest goes too
    ([50, 4, 3], [False, True, True]),            # two small: nothing more to do
    ([50, 40, 0], [False, False, False]),         # zero cells are published
    ([9, 10, 11], [True, True, False]),           # 9 is small, 10 is not; 10 is next
])
def test_primary_and_secondary(counts, expected):
    df = pd.DataFrame({"variable": "v", "value": list("abc"), "n": counts})
    assert disclosure.suppress(df, ["n"], ["variable"], 10, "n").tolist() == expected


def test_total_rows_never_take_secondary_suppression():
    df = pd.DataFrame({"variable": ["all", "v", "v"], "value": ["all", "a", "b"],
                       "n": [100, 97, 3]})
    assert disclosure.suppress(df, ["n"], ["variable"], 10, "n").tolist() == [
        False, True, True]


def test_secondary_is_within_each_group():
    df = pd.DataFrame({"source": ["s1"] * 3 + ["s2"] * 3, "variable": "v",
                       "value": list("abcabc"), "n": [50, 40, 3, 50, 40, 30]})
    got = disclosure.suppress(df, ["n"], ["source", "variable"], 10, "n").tolist()
    assert got == [False, True, True, False, False, False]


def test_rounding_to_base():
    s = pd.Series([0, 1, 2, 3, 7, 8, 12, 13, 1002])
    assert disclosure.round_counts(s, 5).tolist() == [0, 0, 0, 5, 5, 10, 10, 15, 1000]
    assert disclosure.round_counts(s, None).tolist() == s.tolist()


def test_suppress_counts_for_histograms():
    got = disclosure.suppress_counts(pd.Series([100, 5, 40, 60]), 10)
    assert got.isna().tolist() == [False, True, True, False]


def _result(cov):
    est = cov[["variable", "value"]].assign(
        est_precision=0.99, est_precision_low=0.98, est_precision_high=1.0,
        est_recall=0.97, est_recall_low=0.95, est_recall_high=0.99,
        expected_false_links=1.0, expected_linkable=10.0)
    bias = cov[cov["variable"] != "all"].assign(
        n_unlinked=lambda d: d["n_reference"] - d["n_linked"])[
        ["variable", "value", "n_linked", "n_unlinked"]]
    curve = pd.DataFrame({"threshold": [0.5, 0.99], "links": [200, 7],
                          "est_precision": [0.9, 0.99], "est_recall": [0.99, 0.5],
                          "model_precision": [0.95, 1.0]})
    return Result(cov, est, None, bias, curve, {})


def test_publish_blanks_suppressed_rows_and_keeps_the_contract():
    cov = _cov([("all", "all", 330, 250), ("sex", "F", 160, 120), ("sex", "M", 165, 126),
                ("sex", "unknown", 5, 4)])
    tables = publish({"benefits": _result(cov)}, min_cell=10, rounding=None)
    sub = tables["subgroups"]
    assert list(sub.columns) == SUBGROUP_COLUMNS
    by = sub.set_index("value")
    assert bool(by.loc["unknown", "suppressed"]) and bool(by.loc["F", "suppressed"])
    assert not bool(by.loc["M", "suppressed"]) and not bool(by.loc["all", "suppressed"])
    for col in SUBGROUP_COLUMNS[3:14]:
        assert pd.isna(by.loc["unknown", col]) and pd.isna(by.loc["F", col])
    assert by.loc["M", "n_linked"] == 126 and by.loc["M", "basis"] == "model"
    assert tables["curve"]["suppressed"].tolist() == [False, True]
    assert pd.isna(tables["curve"]["links"].iloc[1])
    bias = tables["bias"].set_index("value")
    assert bool(bias.loc["unknown", "suppressed"]) and pd.isna(bias.loc["unknown", "n_linked"])


def test_unlinked_complement_counts_as_a_cell():
    cov = _cov([("all", "all", 400, 300), ("sex", "F", 200, 195), ("sex", "M", 200, 105)])
    sub = publish({"s": _result(cov)}, 10, None)["subgroups"].set_index("value")
    assert bool(sub.loc["F", "suppressed"])  # 5 unlinked women would be revealed


def test_rounding_applies_before_rates():
    cov = _cov([("all", "all", 333, 251), ("sex", "F", 163, 122), ("sex", "M", 170, 129)])
    sub = publish({"s": _result(cov)}, 10, 5)["subgroups"].set_index("value")
    assert sub.loc["F", "n_reference"] == 165 and sub.loc["F", "n_linked"] == 120
    assert sub.loc["F", "link_rate"] == pytest.approx(120 / 165)


# ---- coordinated protection (protect): cells shared across tables ----------------------

from spinelink.quality import cells as cellmod  # noqa: E402
from spinelink.quality import published  # noqa: E402
from spinelink.quality.protect import PublishedTable, Rules, protect  # noqa: E402

ROW = {"n_reference": "people", "n_linked": "people linked by {source}",
       "n_unlinked": "people not linked by {source}"}
IDS = (("people", ("people linked by s1", "people not linked by s1")),
       ("people", ("people linked by s2", "people not linked by s2")))


def _one_way(source, rows):
    df = pd.DataFrame(rows, columns=["variable", "value", "n_reference", "n_linked"])
    df["n_unlinked"] = df["n_reference"] - df["n_linked"]
    return PublishedTable(df.assign(source=source), ROW, stacked=("variable", "value"),
                          keep=["source"])


def test_a_cell_suppressed_in_one_table_is_suppressed_in_every_table():
    """The demo's leak: a group's reference count shown in the survey rows (nothing small
    there) and hidden in the benefits rows (3 unlinked)."""
    s1 = _one_way("s1", [("all", "all", 200, 150), ("eg", "C4", 37, 34),
                         ("eg", "D1", 80, 60), ("eg", "D2", 83, 56)])
    s2 = _one_way("s2", [("all", "all", 200, 60), ("eg", "C4", 37, 12),
                         ("eg", "D1", 80, 20), ("eg", "D2", 83, 28)])
    alone = protect({"s2": s2}, Rules(10, identities=IDS))["s2"]
    assert not alone["suppressed"].any()  # on its own the survey table is safe
    both = protect({"s1": s1, "s2": s2}, Rules(10, identities=IDS))
    for name in ("s1", "s2"):
        by = both[name].set_index("value")
        assert by.loc["C4", "suppressed"] and pd.isna(by.loc["C4", "n_reference"])
        assert by.loc[["D1", "D2"], "suppressed"].sum() >= 1  # C4 = all - D1 - D2 otherwise
        assert not by.loc["all", "suppressed"]


def _cross(rng, cats_a, cats_b, source="s1"):
    rows = []
    for a in cats_a:
        for b in cats_b:
            n = int(rng.integers(0, 80))
            rows.append({"a": a, "b": b, "n_reference": n,
                         "n_linked": int(rng.integers(0, n + 1)) if n else 0})
    df = pd.DataFrame(rows).assign(source=source)
    df["n_unlinked"] = df["n_reference"] - df["n_linked"]
    return df


def _margins(cross):
    parts = [cross[["n_reference", "n_linked"]].sum().to_frame().T.assign(
        variable="all", value="all")]
    for v in ("a", "b"):
        g = cross.groupby(v)[["n_reference", "n_linked"]].sum().reset_index()
        parts.append(g.rename(columns={v: "value"}).assign(variable=v))
    return pd.concat(parts, ignore_index=True)[["variable", "value", "n_reference",
                                                "n_linked"]]


def _independently_exposed(shown: dict, exact: dict) -> list:
    """An independent check of what the published tables determine: unknowns are the
    suppressed cells of the cross and the one-way table (reference, linked); equations
    are the cross's row and column sums against the one-way margins, and the grand total,
    written out by hand; a cell is determined when adding its unit row does not raise the
    rank (numpy.linalg.matrix_rank)."""
    cross, one = exact["cross"], exact["one"]
    hid_c, hid_o = shown["cross"]["suppressed"].to_numpy(), shown["one"]["suppressed"].to_numpy()
    found = []
    for col in ("n_reference", "n_linked"):
        unknown = [("c", i) for i in np.flatnonzero(hid_c)] + \
                  [("o", i) for i in np.flatnonzero(hid_o)]
        pos = {u: j for j, u in enumerate(unknown)}
        rows = []
        for var in ("a", "b"):
            for value in one.loc[one["variable"] == var, "value"]:
                r = np.zeros(len(unknown))
                o = one.index[(one["variable"] == var) & (one["value"] == value)][0]
                if ("o", o) in pos:
                    r[pos[("o", o)]] = -1
                for i in cross.index[cross[var] == value]:
                    if ("c", i) in pos:
                        r[pos[("c", i)]] = 1
                rows.append(r)
            r = np.zeros(len(unknown))  # the variable's values add up to the total
            for o in one.index[one["variable"] == var]:
                if ("o", o) in pos:
                    r[pos[("o", o)]] = 1
            rows.append(r)
        if not unknown:
            continue
        m = np.array(rows)
        base = np.linalg.matrix_rank(m)
        for u, j in pos.items():
            e = np.zeros(len(unknown))
            e[j] = 1
            if np.linalg.matrix_rank(np.vstack([m, e])) == base:
                found.append((col, u))
    return found


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_no_cell_of_a_cross_and_its_margins_is_determined(seed):
    rng = np.random.default_rng(seed)
    cross = _cross(rng, ["x", "y", "z", "w"], ["p", "q", "r"])
    one = _margins(cross).assign(source="s1")
    one["n_unlinked"] = one["n_reference"] - one["n_linked"]
    tables = {"cross": PublishedTable(cross, ROW, dims=["a", "b"], keep=["source"]),
              "one": PublishedTable(one, ROW, stacked=("variable", "value"),
                                    keep=["source"])}
    shown = protect(tables, Rules(10, identities=IDS[:1]))
    hidden = shown["cross"]["suppressed"]
    assert hidden.any() and not hidden.all()
    assert not _independently_exposed(shown, {"cross": cross, "one": one})


def test_the_independent_check_finds_a_lone_small_cell():
    """The check has teeth: a cross with one small cell, suppressed alone, is determined
    by its row and column margins; protect adds enough for it not to be."""
    rng = np.random.default_rng(5)
    cross = _cross(rng, ["x", "y", "z"], ["p", "q"])
    cross["n_reference"] = [40, 50, 60, 45, 55, 6]
    cross["n_linked"] = [20, 25, 30, 22, 27, 3]
    cross["n_unlinked"] = cross["n_reference"] - cross["n_linked"]
    one = _margins(cross).assign(source="s1")
    one["n_unlinked"] = one["n_reference"] - one["n_linked"]
    exact = {"cross": cross, "one": one}
    lone = {"cross": pd.DataFrame({"suppressed": [False] * 5 + [True]}),
            "one": pd.DataFrame({"suppressed": np.zeros(len(one), bool)})}
    assert _independently_exposed(lone, exact)
    tables = {"cross": PublishedTable(cross, ROW, dims=["a", "b"], keep=["source"]),
              "one": PublishedTable(one, ROW, stacked=("variable", "value"),
                                    keep=["source"])}
    shown = protect(tables, Rules(10, identities=IDS[:1]))
    assert shown["cross"]["suppressed"].sum() >= 4  # a rectangle of four at least
    assert not _independently_exposed(shown, exact)


def test_exact_tables_are_never_suppressed_and_count_as_known():
    """No `all` row in the one-way table, but the accounting publishes the total: one
    small group alone would be the total minus the others."""
    one = _one_way("s1", [("eg", "A", 120, 100), ("eg", "B", 90, 80), ("eg", "C", 5, 4)])
    acc = PublishedTable(pd.DataFrame({"source": ["census"], "accepted": [215]}),
                         {"accepted": "people"}, exact=True, keep=["source"])
    alone = protect({"one": one}, Rules(10, identities=IDS[:1]))["one"]
    assert alone["suppressed"].tolist() == [False, False, True]  # no total published
    shown = protect({"one": one, "acc": acc}, Rules(10, identities=IDS[:1]))
    assert shown["one"]["suppressed"].tolist() == [False, True, True]
    assert not shown["acc"]["suppressed"].any() and shown["acc"]["accepted"].iat[0] == 215


def test_later_tables_are_protected_against_earlier_ones(tmp_path):
    first = _one_way("s1", [("all", "all", 200, 150), ("eg", "C4", 7, 5),
                            ("eg", "D1", 80, 60), ("eg", "D2", 113, 85)])
    rules = Rules(10, identities=IDS[:1])
    shown = protect({"first": first}, rules)
    published.save(tmp_path, {"first": first}, shown)
    before = published.load(tmp_path)
    # a later table shows the reference units by eg again, with nothing small of its own
    later = PublishedTable(pd.DataFrame({"eg": ["C4", "D1", "D2"], "units": [7, 80, 113]}),
                           {"units": "people"}, dims=["eg"])
    out = protect({"later": later}, rules, before=before)["later"].set_index("eg")
    assert out.loc["C4", "suppressed"] and out["suppressed"].sum() == 2
    assert (tmp_path / "tables" / "first.csv").exists()
    assert "7" not in (tmp_path / "tables" / "first.csv").read_text().split("C4")[1][:8]


def test_dominance_marks_a_magnitude_cell():
    df = pd.DataFrame({"region": ["N", "S"], "n": [40, 50], "income": [1000.0, 900.0],
                       "top": [[950.0, 20.0], [100.0, 90.0]]})
    t = PublishedTable(df, {"n": "firms"}, dims=["region"],
                       magnitudes={"income": ("income of firms", "top")})
    sup = protect({"t": t}, Rules(10, p_percent=10))["t"]["suppressed"].tolist()
    assert sup == [True, False]  # N: the largest firm is 95% of it


def test_exposed_finds_a_bridge_that_counting_misses():
    """Two 2x2 blocks of suppressed cells joined by one suppressed cell: every sum has two
    unknowns, yet the joining cell is determined."""
    s = cellmod.System()
    ids = [s.add(cellmod.cell("p", {"k": str(i)}), 0.0) for i in range(9)]
    eq = [(0, 1), (2, 3), (0, 2), (1, 3, 8), (4, 5), (6, 7), (4, 6), (5, 7, 8)]
    for terms in eq:
        s.rows.append([(ids[i], 1.0) for i in terms])
    got = cellmod.exposed(s, np.ones(9, bool))
    assert got[8] and not got[:8].any()


def test_suppressed_cells_of_one_sum_do_not_add_up_to_a_small_count():
    """3 and 2 hidden together: the total less the others says they are 5 between them;
    a third cell goes with them."""
    one = _one_way("s1", [("all", "all", 395, 300), ("eg", "A", 200, 150),
                          ("eg", "B", 190, 148), ("eg", "C", 3, 1), ("eg", "D", 2, 1)])
    shown = protect({"one": one}, Rules(10, identities=IDS[:1]))["one"].set_index("value")
    assert shown.loc[["C", "D"], "suppressed"].all()
    assert shown.loc["B", "suppressed"] and not shown.loc["A", "suppressed"]


def test_a_variable_with_one_value_and_a_small_unlinked_count(tmp_path):
    """FEBRL4 has no sex: every reference unit is `sex = unknown`, so that row is the `all`
    row and its reference count is the accounting's exact total. 3 unlinked units hide
    both rows; the hidden reference count of `unknown` (the total itself) is shown, as
    published elsewhere, instead of stopping the run with an internal error."""
    one = _one_way("s1", [("all", "all", 5000, 4997), ("sex", "unknown", 5000, 4997)])
    acc = PublishedTable(pd.DataFrame({"source": ["census"], "accepted": [5000]}),
                         {"accepted": "people"}, exact=True, keep=["source"])
    shown = protect({"one": one, "acc": acc}, Rules(10, identities=IDS[:1]))["one"]
    assert shown["suppressed"].all()
    assert shown["n_linked"].isna().all() and shown["n_unlinked"].isna().all()
    assert (shown["n_reference"] == 5000).all()  # the total, published by the accounting
    # a later stage (the analysis) shows the units by sex again, against what is out
    tables = {"one": one, "acc": acc}
    published.save(tmp_path, tables, protect(tables, Rules(10, identities=IDS[:1])))
    later = PublishedTable(pd.DataFrame({"sex": ["unknown"], "units": [5000]}),
                           {"units": "people"}, dims=["sex"])
    out = protect({"later": later}, Rules(10, identities=IDS[:1]),
                  before=published.load(tmp_path))["later"]
    assert not out["suppressed"].any() and out["units"].iat[0] == 5000


def test_a_small_count_the_exact_accounting_determines_is_shown_as_it():
    """FEBRL4's coverage profile: 3 reference units not linked, a small count, but the
    exact accounting publishes the total and the linked count, so it is their difference
    for anyone: no suppression can hide it. It is shown (it was an internal error), and a
    small count the exact figures do not determine is still suppressed."""
    one = _one_way("s1", [("all", "all", 5000, 4997), ("sex", "unknown", 5000, 4997)])
    acc = PublishedTable(pd.DataFrame({"source": ["census"], "accepted": [5000],
                                       "linked": [4997]}),
                         {"accepted": "people", "linked": "people linked by s1"},
                         exact=True, keep=["source"])
    shown = protect({"one": one, "acc": acc}, Rules(10, identities=IDS[:1]))["one"]
    assert not shown["suppressed"].any() and (shown["n_unlinked"] == 3).all()
    two = _one_way("s1", [("all", "all", 5000, 4997), ("eg", "A", 4000, 3999),
                          ("eg", "B", 1000, 998)])
    shown = protect({"one": two, "acc": acc}, Rules(10, identities=IDS[:1]))["one"]
    assert shown["suppressed"].tolist() == [False, True, True]
    assert shown["n_unlinked"].iat[0] == 3


# ---- zeros: a whole group linked, or none of it ---------------------------------------

def test_a_zero_that_tells_about_a_whole_group_is_suppressed():
    """Group C: all 40 linked (0 not linked: every member is in the source); group D:
    none of 30 linked; group E: empty (nothing to tell). With `zeros: group` C and D are
    withheld and cannot be worked out (their unlinked / linked count is not the total
    less what is shown); with `zeros: publish` they are shown."""
    rows = [("all", "all", 470, 340), ("eg", "A", 200, 150), ("eg", "B", 200, 150),
            ("eg", "C", 40, 40), ("eg", "D", 30, 0), ("eg", "E", 0, 0)]
    one = _one_way("s1", rows)
    shown = protect({"one": one}, Rules(10, identities=IDS[:1]))["one"].set_index("value")
    assert shown.loc[["C", "D"], "suppressed"].all()
    assert not shown.loc[["all", "E"], "suppressed"].any()
    hidden = shown[shown["suppressed"]].index
    exact = one.data.set_index("value")
    for col in ("n_linked", "n_unlinked"):
        # what a reader can work out: the hidden rows together, from the total
        together = exact.loc["all", col] - shown.loc[~shown.index.isin(hidden)
                                                     & (shown.index != "all"), col].sum()
        assert together == exact.loc[hidden, col].sum()
        assert together > 0  # not known to be zero
    shown = protect({"one": one}, Rules(10, identities=IDS[:1], zeros="publish"))["one"]
    assert not shown["suppressed"].any()


def test_zeros_hidden_together_are_not_known_to_be_zeros():
    """C and D both fully linked: hidden alone, their unlinked counts add up to the
    total's less the others', 0, so each would be known to be 0; a third row goes."""
    one = _one_way("s1", [("all", "all", 470, 370), ("eg", "A", 200, 150),
                          ("eg", "B", 200, 150), ("eg", "C", 40, 40), ("eg", "D", 30, 30)])
    shown = protect({"one": one}, Rules(10, identities=IDS[:1]))["one"].set_index("value")
    hidden = shown.index[shown["suppressed"]]
    assert {"C", "D"} <= set(hidden) and len(hidden) == 3
    assert one.data.set_index("value").loc[hidden, "n_unlinked"].sum() > 0


# ---- the exposure check at scale: sparse null-space certificates -----------------------

def _margin_system(rng, shape, hidden_share):
    """The sums of a len(shape)-way table of counts and its margins (every sub-crossing),
    with a random share of its cells unknown."""
    import itertools

    s = cellmod.System()
    names = [f"v{i}" for i in range(len(shape))]
    cats = {n: [str(x) for x in range(k)] for n, k in zip(names, shape, strict=True)}
    for r in range(len(names) + 1):
        for cr in itertools.combinations(names, r):
            for v in cr:
                cellmod._margins(s, "p", list(cr), v, cats)
    unknown = rng.random(len(s.cells)) < hidden_share
    return s, unknown


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_sparse_check_agrees_with_the_exact_dense_one(seed):
    """The certificates (random null-space vectors by LSQR) and the exact pivoted QR
    give the same determined cells, on tables where some cells are determined and some
    are not (so that always or never 'determined' would fail)."""
    rng = np.random.default_rng(seed)
    s, unknown = _margin_system(rng, (5, 4, 3), 0.5)
    m = s.matrix().tocsc()[:, np.flatnonzero(unknown)].tocsr()
    m = m[np.diff(m.indptr) > 0]
    sparse, dense = cellmod._determined(m), cellmod._determined_dense(m.toarray())
    assert 0 < dense.sum() < len(dense)
    assert (sparse == dense).all()


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_the_dense_path_agrees_with_the_sparse_one(seed, monkeypatch):
    """Up to SMALL_UNKNOWNS unknowns the whole check is dense (numpy arrays, union-find,
    SVD); the same systems through the sparse path (limit 0) give the same exposed cells,
    some but not all of them, with and without cells not asked about (peeled first)."""
    rng = np.random.default_rng(seed)
    s, unknown = _margin_system(rng, (4, 3, 3), 0.6)
    assert unknown.sum() <= cellmod.SMALL_UNKNOWNS
    ask = rng.random(len(s.cells)) < 0.5
    dense = [cellmod.exposed(s, unknown), cellmod.exposed(s, unknown, ask)]
    monkeypatch.setattr(cellmod, "SMALL_UNKNOWNS", 0)
    sparse = [cellmod.exposed(s, unknown), cellmod.exposed(s, unknown, ask)]
    for d, sp_ in zip(dense, sparse, strict=True):
        assert 0 < d.sum() < unknown.sum()
        assert (d == sp_).all()


def test_a_small_check_does_not_import_scipy():
    """A run's few published cells are checked with numpy alone: scipy's import (a
    quarter of a second) is paid only by large systems."""
    code = ("import sys, numpy as np\n"
            "from spinelink.quality import cells\n"
            "s = cells.System()\n"
            "ids = [s.add(cells.cell('p', {'k': str(i)}), 0.0) for i in range(4)]\n"
            "s.rows += [[(ids[0], 1.0), (ids[1], -1.0), (ids[2], -1.0)],"
            " [(ids[2], 1.0), (ids[3], 1.0)]]\n"
            "hit = cells.exposed(s, np.array([False, True, True, False]))\n"
            "assert hit.tolist() == [False, True, True, False], hit\n"
            "print(any(m.startswith('scipy') for m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert done.stdout.strip() == "False"


def test_a_part_larger_than_the_dense_limit_is_checked(monkeypatch):
    """More linked unknowns than the dense check takes: the sparse check decides alone
    (the dense one is not called)."""
    def refuse(m):
        raise AssertionError("dense check called")

    sizes = []
    sparse = cellmod._determined

    def measured(m):
        sizes.append(m.shape[1])
        return sparse(m)

    monkeypatch.setattr(cellmod, "_determined_dense", refuse)
    monkeypatch.setattr(cellmod, "_determined", measured)
    s, unknown = _margin_system(np.random.default_rng(7), (30, 12, 30), 0.5)
    hit = cellmod.exposed(s, unknown)
    assert max(sizes) > cellmod.DENSE_LIMIT  # one connected part
    lone = {c for terms in s.rows if sum(unknown[c] for c, _ in terms) == 1
            for c, _ in terms if unknown[c]}  # the one unknown of a sum: determined
    assert lone and all(hit[c] for c in lone)
    assert not hit[unknown].all()


def test_a_one_to_one_sources_concordance_column_is_its_coverage_profile_count():
    """The demo's survey links one record per reference unit, so a concordance column
    (the units it links with its value N, over the reference's values) adds up to the
    coverage profile's linked survey records with N: 434 + 0 + a hidden 3 = 437, shown.
    Described as the analysis stage describes them, the protection must know that sum
    (`Rules.one_to_one`): the hidden 3 is not to be worked out from the 437."""
    from spinelink.analysis import tables as analysis_tables
    from spinelink.quality.protect import identities

    raw = {
        "coverage_profile": pd.DataFrame({
            "source": "survey", "variable": "disability", "value": ["N", "Y", "unknown"],
            "n_source": [453, 102, 17], "n_linked": [437, 98, 16], "n_unlinked": [16, 4, 1]}),
        "concordance": pd.DataFrame({
            "source": "survey", "variable": "disability",
            "reference_value": ["N"] * 3 + ["Y"] * 3 + ["unknown"] * 3,
            "source_value": ["N", "Y", "unknown"] * 3,
            "n": [434, 0, 15, 0, 95, 1, 3, 3, 0]}),
    }
    described = analysis_tables.describe(raw)
    name = "analysis_concordance_survey_disability"
    rules = Rules(10, identities=identities(["survey"]), one_to_one=("survey",))
    shown = protect(described, rules)
    conc, prof = shown[name], shown["analysis_coverage_profile"].set_index("value")
    col = conc.columns[2]
    for w, g in conc.groupby(col):
        hidden = g["suppressed"].sum()
        # the column's hidden cells, one alone, would be its shown total less the rest
        assert hidden != 1 or prof.loc[w, "suppressed"], (w, g.to_dict("records"))
    # the unprotected way: the cell is recovered
    naive = protect(described, Rules(10, identities=identities(["survey"])))
    n = naive[name]
    col_n = n[n[col] == "N"]
    assert col_n["suppressed"].sum() == 1
    assert not naive["analysis_coverage_profile"].set_index("value").loc["N", "suppressed"]


def _integrated(tmp_path, parts):
    """An integrated.parquet of units with (source, status) of one variable, and its
    conflicts.parquet (a row per unit whose sources differ)."""
    src, st = [], []
    for (a, b), n in parts.items():
        src += [a] * n
        st += [b] * n
    df = pd.DataFrame({"reference_id": [f"C{i:05d}" for i in range(len(src))],
                       "disability": "N", "disability__source": src,
                       "disability__status": st})
    df.to_parquet(tmp_path / "integrated.parquet")
    conf = df[df["disability__status"].isin(["conflict_resolved_by_priority"])]
    pd.DataFrame({"reference_id": conf["reference_id"], "variable": "disability",
                  "status": conf["disability__status"]}).to_parquet(
        tmp_path / "conflicts.parquet")
    # the record accounting, published before (exact): the reference units' total
    from spinelink.quality.tables import accounting_table

    acc = accounting_table({"census": {"read": len(df), "accepted": len(df),
                                       "quarantined": 0}}, {"census": "census"}, [], "census")
    published.save(tmp_path, {"record_accounting": acc},
                   {"record_accounting": acc.data.assign(suppressed=False)})
    return len(df)


def _solve_integration(shown: pd.DataFrame, total: int) -> dict:
    """What an attacker works out of the published sources and statuses of one
    variable: units = sum of sources = sum of statuses, and the units with no source are
    the missing, invalid and imputed ones (the rest are the units with a source)."""
    known = {(r.kind, r.value): float(r.units) for r in shown.itertuples()
             if str(r.suppressed).lower() != "true"}
    hidden = {(r.kind, r.value) for r in shown.itertuples()
              if str(r.suppressed).lower() == "true"}
    every = set(known) | hidden
    sources = [k for k in every if k[0] == "source"]
    statuses = [k for k in every if k[0] == "status"]
    none_st = [k for k in statuses if k[1] in ("missing", "invalid_code")
               or k[1].startswith("imputed:")]
    none_src = [k for k in sources if k[1] == "(none)"]
    eqs = [(None, sources), (None, statuses), ("none", none_src, none_st),
           ("some", [k for k in sources if k not in none_src],
            [k for k in statuses if k not in none_st])]
    recovered = {}
    for _ in range(5):
        for eq in eqs:
            if eq[0] is None:
                lhs, rhs = eq[1], []
                const = total
            else:
                lhs, rhs, const = eq[1], eq[2], 0
            terms = [(k, 1) for k in lhs] + [(k, -1) for k in rhs]
            unknown = [(k, c) for k, c in terms if k not in known]
            if len(unknown) == 1:
                k, c = unknown[0]
                rest = sum(c2 * known[k2] for k2, c2 in terms if k2 in known)
                known[k] = (const - rest) / c
                recovered[k] = known[k]
    return {k: v for k, v in recovered.items() if k in hidden}


def test_units_with_no_source_are_the_missing_and_imputed_ones(tmp_path):
    """The demo's disability: 2,887 from the census, 6 from the survey, 17 from no source
    and all 17 imputed. Hiding the survey's 6 with `(none)` (17, the smallest other
    source) did not hide it: `imputed:model` 17, shown, is the units with no source,
    and 2,910 - 2,887 - 17 = 6. The protection knows which sources and statuses cannot
    go together, and the conflicts table's counts are the same cells as the statuses'."""
    from spinelink.report import data as report_data

    total = _integrated(tmp_path, {("census", "agree"): 529, ("census", "single_source"): 2358,
                                   ("survey", "single_source"): 6,
                                   (None, "imputed:model"): 17})
    got = report_data.integration(tmp_path, Rules(10, identities=()))
    shown = pd.read_csv(tmp_path / "tables" / "integration_sources.csv", dtype=str)
    shown["units"] = pd.to_numeric(shown["units"])
    assert shown.loc[shown["value"] == "survey", "suppressed"].iat[0] == "true"
    assert not _solve_integration(shown, total)
    assert got["values"]["suppressed"].sum() >= 2


def test_a_conflict_count_is_the_status_count_suppressed_in_both_or_neither(tmp_path):
    """Units whose sources disagree, by how it was settled, are the units of that status:
    a status hidden in the sources table must not be shown in the conflicts table."""
    from spinelink.report import data as report_data

    _integrated(tmp_path, {("census", "agree"): 500, ("census", "single_source"): 300,
                           ("census", "conflict_resolved_by_priority"): 12,
                           (None, "missing"): 4})
    report_data.integration(tmp_path, Rules(10, identities=()))
    src = pd.read_csv(tmp_path / "tables" / "integration_sources.csv", dtype=str)
    conf = pd.read_csv(tmp_path / "tables" / "integration_conflicts.csv", dtype=str)
    hidden_status = src.set_index(["kind", "value"]).loc[
        ("status", "conflict_resolved_by_priority"), "suppressed"]
    assert hidden_status == "true"  # the smallest beside the missing 4
    assert conf["suppressed"].tolist() == ["true"]


def _solve_knowing(shown, known: dict, total):
    """_solve_integration with the cells the attacker knows from elsewhere shown."""
    return _solve_integration(shown.assign(suppressed=[
        "false" if v in known else s for v, s in zip(shown["value"], shown["suppressed"],
                                                      strict=True)],
        units=[known.get(v, u) for v, u in zip(shown["value"], shown["units"],
                                              strict=True)]), total)


def _imputation_then_integration(tmp_path, summary: dict):
    """The analysis stage's imputation table published (at min_cell 10), then the report's
    integration table: both as published."""
    from types import SimpleNamespace

    from spinelink.analysis import stage as analysis_stage
    from spinelink.analysis import tables as analysis_tables
    from spinelink.report import data as report_data

    raw = {"imputation": analysis_tables.imputation_table(summary)}
    job = SimpleNamespace(quality=SimpleNamespace(min_cell=10, rounding=None, zeros="group"),
                          links={})
    imp = analysis_stage.publish(tmp_path, job, raw)["analysis_imputation"]
    report_data.integration(tmp_path, Rules(10, identities=()))
    shown = pd.read_csv(tmp_path / "tables" / "integration_sources.csv", dtype=str)
    shown["units"] = pd.to_numeric(shown["units"])
    return imp, shown


def test_the_imputation_tables_counts_are_the_integration_tables_status_cells(tmp_path):
    """The demo's disability again, with the analysis stage's imputation table published
    first: 17 units missing and 17 imputed (9 women, 8 men). As populations of their own
    the imputed 17 was shown there and `imputed:model` hidden in the integration table,
    and with it `(none)` 17 and `agree` 529 followed (2910 - 2364 - 17). The imputation
    table's counts are the integration table's status cells in the subgroup: a cell is
    shown in both or neither, and nothing hidden follows."""
    total = _integrated(tmp_path, {("census", "agree"): 529, ("census", "single_source"): 2358,
                                   ("survey", "single_source"): 6,
                                   (None, "imputed:model"): 17})
    sex = {"F": (1535, 9), "M": (1375, 8)}
    summary = {"disability": {
        "method": "model", "units": total, "missing": 17, "imputed": 17,
        "by_subgroup": {"sex": {k: {"units": u, "missing": m, "imputed": m}
                                for k, (u, m) in sex.items()}}}}
    imp, shown = _imputation_then_integration(tmp_path, summary)
    status = shown.set_index("value")
    every = imp[imp["variable"] == "all"].iloc[0]
    # the same cell: shown in both or hidden in both
    assert bool(every["suppressed"]) == (status.loc["imputed:model", "suppressed"] == "true")
    # what the attacker of the integration table knows besides: the imputed units
    known = {} if every["suppressed"] else {"imputed:model": float(every["n_imputed"])}
    solved = _solve_knowing(shown, known, total)
    assert not solved, solved
    assert status.loc["survey", "suppressed"] == "true"  # the small survey 6
    assert imp.set_index("value").loc[["F", "M"], "suppressed"].all()  # 9 and 8


def test_units_still_missing_are_the_missing_less_the_imputed(tmp_path):
    """25 units missing disability, 20 imputed (13 and 10 women, 12 and 10 men): every
    count of the imputation table is at or above the threshold, but the 5 still missing
    (status `missing` of the integration table, 3 women, 2 men) are their difference.
    The imputation table hides what gives them away, and the integration table's
    statuses and sources do not give them (or the survey's 6) back."""
    total = _integrated(tmp_path, {("census", "agree"): 529, ("census", "single_source"): 2353,
                                   ("survey", "single_source"): 6,
                                   (None, "imputed:model"): 20, (None, "missing"): 5})
    sex = {"F": (1535, 13, 10), "M": (total - 1535, 12, 10)}
    summary = {"disability": {
        "method": "model", "units": total, "missing": 25, "imputed": 20,
        "by_subgroup": {"sex": {k: {"units": u, "missing": m, "imputed": i}
                                for k, (u, m, i) in sex.items()}}}}
    imp, shown = _imputation_then_integration(tmp_path, summary)
    # still missing in each row of the imputation table: missing less imputed
    for r in imp.itertuples():
        assert r.suppressed or pd.isna(r.n_missing) or pd.isna(r.n_imputed), r
    every = imp[imp["variable"] == "all"].iloc[0]
    known = {} if every["suppressed"] else {"imputed:model": float(every["n_imputed"]),
                                            "missing": float(every["n_missing"]
                                                             - every["n_imputed"])}
    status = shown.set_index("value")
    assert status.loc["missing", "suppressed"] == "true"
    solved = _solve_knowing(shown, known, total)
    assert not solved, solved


def test_one_to_one_sources_read_from_the_links_files(tmp_path):
    """A source is one-to-one when no unit and no record appears in two of its links;
    a link without a reference id (a missing value) is not a unit twice."""
    from spinelink.quality.protect_spec import one_to_one_sources

    (tmp_path / "links").mkdir()
    files = {"a": (["u1", "u2", "u3"], ["r1", "r2", "r3"]),     # one-to-one
             "b": (["u1", "u1", "u2"], ["r1", "r2", "r3"]),     # a unit linked twice
             "c": (["u1", "u2", "u3"], ["r1", "r1", "r2"]),     # a record linked twice
             "d": (["u1", None, "u2"], ["r1", "r2", "r3"])}     # a missing unit
    for s, (units, records) in files.items():
        pd.DataFrame({"reference_id": units, "source_id": records}).to_parquet(
            tmp_path / "links" / f"{s}.parquet")
    assert one_to_one_sources(tmp_path, ["a", "b", "c", "d", "absent"]) == ("a",)


def test_the_report_counts_the_integrated_flags_without_reading_ids_or_values(tmp_path,
                                                                              monkeypatch):
    """The integration section counts each variable's `__source` and `__status` flags; it
    reads those columns of integrated.parquet alone (the units' ids and values are neither
    needed nor converted: at 5M persons the whole table's conversion was most of the
    report's time), and counts the same as from the whole table."""
    from spinelink.report import data as report_data

    _integrated(tmp_path, {("census", "agree"): 500, ("census", "single_source"): 300,
                           ("survey", "single_source"): 40, (None, "missing"): 12})
    read = []
    real = pd.read_parquet

    def spy(path, *a, **k):
        read.append((Path(path).name, k.get("columns")))
        return real(path, *a, **k)

    monkeypatch.setattr(report_data.pd, "read_parquet", spy)
    got = report_data.integration(tmp_path, Rules(10, identities=()))
    assert ("integrated.parquet", ["disability__source", "disability__status"]) in read
    whole = real(tmp_path / "integrated.parquet")
    want = {("source", k): n for k, n in
            whole["disability__source"].fillna("(none)").value_counts().items()}
    want |= {("status", k): n for k, n in whole["disability__status"].value_counts().items()}
    vals = got["values"]
    assert {(r.kind, r.value): r.units for r in vals.itertuples()} == want
