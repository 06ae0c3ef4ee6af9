"""No suppressed cell of a run can be worked out from what the run publishes.

A real run (generated census, benefits and survey, the demo job with two intersectional
tables) publishes its tables under OUT/tables. An attacker who reads only those files
collects every published count as a cell (reference units; linked and not linked by each
source; by the categories of the row) and applies, until nothing more follows:

- the same cell in another table (another source's rows, the bias table, the record
  accounting, the integration table);
- linked + not linked = all, for every group;
- margin minus siblings: a group is the sum of its breakdown by any variable (one-way
  totals, one-way from intersectional sums, intersectional cells from one-way margins,
  through margins no table shows);
- for a source whose linked records are as many as the reference units it links (the
  record accounting against the quality table's total: one record per unit, the
  demo's survey), the units it links by its own values (a concordance table's column
  total) are its linked records by those values (the coverage profile).

Every suppressed cell must stay unknown, and a cell is shown everywhere or nowhere. The
checks can fail: with only the threshold rule the attacker recovers cells (each equal to
its true count), and the tables suppressed the old way (each source's rows on their own)
hide cells they show elsewhere (the demo's ethnic group C4).
"""
from __future__ import annotations

import itertools
import json

import pandas as pd
import pytest
from conftest import demo_job

from spinelink.pipeline import run_job
from spinelink.quality import disclosure
from spinelink.sample import generate

pytestmark = pytest.mark.slow
MIN_CELL = 10
CROSSES = [["ethnic_group", "age_band"], ["sex", "age_band", "region"]]


def _job(zeros: str | None) -> str:
    job = demo_job()
    return job + ("quality:\n  subgroups: [ethnic_group, sex, age_band, region, disability]\n"
                  f"  crosses: {json.dumps(CROSSES)}\n"
                  f"  min_cell: {MIN_CELL}\n  bootstrap: 20\n"
                  + (f"  zeros: {zeros}\n" if zeros else ""))


def _run(factory, name: str, zeros: str | None = None):
    d = factory.mktemp(name)
    generate(1500, 3, d / "data")
    (d / "data" / "job.yaml").write_text(_job(zeros))
    run_job(d / "data" / "job.yaml")
    return d / "out"


@pytest.fixture(scope="session")
def out(tmp_path_factory):
    """A run of the demo job with intersectional tables, zeros published (shared with
    test_intersectional): at 1,500 persons the default zeros rule withholds the whole
    three-way cross (every group with no survey link goes, and the small cells around
    it), leaving no published cell of it to check or attack."""
    return _run(tmp_path_factory, "recovery", "publish")


@pytest.fixture(scope="session")
def out_default(tmp_path_factory):
    """The same run with the default zeros rule (`group`)."""
    return _run(tmp_path_factory, "recovery_group")


@pytest.fixture(params=["zeros_publish", "zeros_group"])
def either(request):
    return request.getfixturevalue("out" if request.param == "zeros_publish" else
                                   "out_default")


def _published(out) -> dict[str, pd.DataFrame]:
    return {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""])
            for p in sorted((out / "tables").glob("*.csv")) if p.stem != "dictionary"}


# ---- the attacker ----------------------------------------------------------------------

def _key(kind, source, cond):
    return kind, source, frozenset(cond.items())


class Attacker:
    """What the published tables say, and what follows from it."""

    def __init__(self, tables: dict[str, pd.DataFrame], reference_vars: set[str]):
        self.known: dict = {}
        self.hidden: set = set()   # suppressed in some table
        self.shown: set = set()    # published in some table: not a secret
        self.ref_vars = reference_vars
        self.sources: set[str] = set()
        self.linked_records: dict[str, float] = {}  # per source, from the accounting
        self.unit_kinds: set[str] = set()  # other counts of reference units (imputation)
        self.integrated: dict[str, set] = {}  # integration table: values of each column
        self.gaps: list = []   # units missing a variable = its missing + imputed units
        self.extra: list = []  # (total, parts): sums besides margins and identities
        for name, df in tables.items():
            if name.startswith(("quality_subgroups", "quality_cross",
                                "analysis_weighted_margins")):
                self._rows(df, {"n_reference": "ref", "n_linked": "linked"})
            elif name == "quality_bias":
                self._rows(df, {"n_linked": "linked", "n_unlinked": "unlinked"})
            elif name == "analysis_dual_system":  # persons: duplicates once
                self._rows(df, {"n_reference": "pref", "n_linked": "plinked",
                                "n_source": "persons"})
            elif name == "analysis_coverage_profile":
                self._rows(df, {"n_source": "rec", "n_linked": "reclinked",
                                "n_unlinked": "recunlinked"})
            elif name.startswith("analysis_concordance_"):
                self._rows(df, {"n": "linked"})
            elif name == "analysis_imputation":  # per imputed variable, of reference units
                for r in df.to_dict(orient="records"):
                    cond = {} if r["variable"] == "all" else {r["variable"]: r["value"]}
                    self._see(_key("ref", None, cond), r["n_units"])
                    # imputed: the integration table's units of status imputed:<method>;
                    # missing: those and the units still missing (status `missing`)
                    var, status = r["imputed_variable"], f"{r['imputed_variable']}__status"
                    self._see(_key("ref", None, {**cond, status: f"imputed:{r['method']}"}),
                              r["n_imputed"])
                    kind = f"missing {var}"
                    self.unit_kinds.add(kind)
                    self._see(_key(kind, None, cond), r["n_missing"])
                    self.gaps.append((_key(kind, None, cond), [
                        _key("ref", None, {**cond, status: st})
                        for st in ("missing", f"imputed:{r['method']}")]))
            elif name == "record_accounting":
                for r in df.to_dict(orient="records"):
                    if pd.isna(r["linked"]):  # the reference
                        self._see(_key("ref", None, {}), r["accepted"])
                    else:
                        self._see(_key("rec", r["source"], {}), r["accepted"])
                        self._see(_key("reclinked", r["source"], {}), r["linked"])
                        self.linked_records[r["source"]] = float(r["linked"])
            elif name == "integration_sources":
                for r in df.itertuples():
                    col = f"{r.variable}__{r.kind}"
                    self.integrated.setdefault(col, set()).add(r.value)
                    self._see(_key("ref", None, {col: r.value}),
                              None if r.suppressed == "true" else r.units)
            elif name == "integration_conflicts":  # a unit's conflict: its status
                for r in df.itertuples():
                    self._see(_key("ref", None, {f"{r.variable}__status": r.status}),
                              None if r.suppressed == "true" else r.units)
        for total, parts in self.gaps:  # a status the integration table lists not: none
            self.extra.append((total, [p for p in parts if self._listed(p)]))
        for var in {c.rsplit("__", 1)[0] for c in self.integrated}:
            # no unit has a source and a status of no source, or no source and another
            # status (the table's description): zeros everyone knows
            for src in self.integrated.get(f"{var}__source", ()):
                for st in self.integrated.get(f"{var}__status", ()):
                    none = st in ("missing", "invalid_code") or st.startswith("imputed:")
                    if (src == "(none)") != none:
                        self._see(_key("ref", None, {f"{var}__source": src,
                                                     f"{var}__status": st}), 0)

    def _listed(self, key) -> bool:
        """A cell the integration table has a row for (or no integration table)."""
        return not self.integrated or all(
            v in self.integrated.get(c, {v}) for c, v in key[2] if c.endswith("__status"))

    def _see(self, key, value):
        if value is None or pd.isna(value):
            self.hidden.add(key)
        else:
            self.known[key] = float(value)
            self.shown.add(key)

    def _rows(self, df, columns: dict[str, str]):
        dims = [c for c in df.columns if c not in {
            "source", "basis", "suppressed", "variable", "value", *columns}
            and not c.startswith(("link_rate", "est_", "share_", "std_diff", "_",
                                  "weighted"))]
        for r in df.to_dict(orient="records"):
            s = r["source"]
            self.sources.add(s)
            if "variable" in r:
                cond = {} if r["variable"] == "all" else {r["variable"]: r["value"]}
            else:
                cond = {d: r[d] for d in dims}
            # a stacked row of a variable only the source carries counts its records
            own = "variable" in r and any(v not in self.ref_vars for v in cond)
            for col, kind in columns.items():
                if col not in r:
                    continue  # a table that does not publish this count
                if own and kind in ("ref", "linked", "unlinked"):
                    kind = {"ref": "rec", "linked": "reclinked",
                            "unlinked": "recunlinked"}[kind]
                # a suppressed row is blank, but for counts published anyway
                self._see(_key(kind, None if kind in ("ref", "pref") else s, cond),
                          r[col])

    def equations(self):
        conds = {k[2] for k in self.known.keys() | self.hidden}
        lattice = {frozenset(sub) for c in conds for n in range(len(c) + 1)
                   for sub in itertools.combinations(sorted(c), n)}
        cats: dict[str, set] = {}
        for c in conds:
            for var, val in c:
                cats.setdefault(var, set()).add(val)
        kinds = [("ref", None), ("pref", None)] + [(k, s) for s in sorted(self.sources)
                                                   for k in ("linked", "unlinked", "rec",
                                                             "reclinked", "recunlinked",
                                                             "plinked", "persons")]
        kinds += [(k, None) for k in sorted(self.unit_kinds)]
        for c in lattice:
            for s in self.sources:  # all = linked + not linked
                yield (("ref", None, c), [("linked", s, c), ("unlinked", s, c)])
                yield (("rec", s, c), [("reclinked", s, c), ("recunlinked", s, c)])
                yield (("persons", s, c), [("plinked", s, c), ("recunlinked", s, c)])
            for var, _ in c:        # margin = sum of the breakdown
                rest = frozenset(x for x in c if x[0] != var)
                for kind, s in kinds:
                    yield ((kind, s, rest),
                           [(kind, s, rest | {(var, v)}) for v in sorted(cats[var])])
        for s in self.one_to_one():  # its linked units by its values: its linked records
            tail = f" ({s})"
            for c in lattice:
                if c and all(var.endswith(tail) for var, _ in c):
                    own = frozenset((var[: -len(tail)], v) for var, v in c)
                    yield (("linked", s, c), [("reclinked", s, own)])
        yield from self.extra
        for var in cats:            # totals by a variable no cross holds
            for kind, s in kinds:
                yield ((kind, s, frozenset()),
                       [(kind, s, frozenset({(var, v)})) for v in sorted(cats[var])])

    def one_to_one(self) -> list[str]:
        """Sources that link as many records as reference units: one record per unit."""
        return [s for s, n in self.linked_records.items()
                if self.known.get(("linked", s, frozenset())) == n]

    def secrets(self) -> set:
        """Cells suppressed wherever they appear."""
        return self.hidden - self.shown

    def solve(self) -> dict:
        eqs = list(self.equations())
        changed = True
        while changed:
            changed = False
            for total, parts in eqs:
                missing = [k for k in [total, *parts] if k not in self.known]
                if len(missing) != 1:
                    continue
                m = missing[0]
                if m == total:
                    self.known[m] = sum(self.known[p] for p in parts)
                else:
                    self.known[m] = self.known[total] - sum(
                        self.known[p] for p in parts if p != m)
                changed = True
        return {k: self.known[k] for k in self.secrets() if k in self.known}


def _reference_vars(out) -> set[str]:
    summary = json.loads((out / "quality" / "summary.json").read_text())
    return set(summary["variables"]["reference"]) | {
        v for c in CROSSES for v in c} | {"all"}


def _exact(out, name) -> pd.DataFrame:
    """A table's exact counts from the run's internal copy (not published)."""
    return pd.read_parquet(out / "disclosure" / f"{name}.parquet").assign(suppressed="false")


def _truth(out) -> dict:
    """Every cell's exact count, from the internal copies."""
    names = [p.stem for p in sorted((out / "disclosure").glob("*.parquet"))
             if p.stem != "quality_threshold"]
    a = Attacker({n: _exact(out, n) for n in names}, _reference_vars(out))
    a.solve()
    return a.known


# ---- the tests -------------------------------------------------------------------------

def test_run_publishes_every_table_with_suppressions(out):
    tables = _published(out)
    assert {"quality_subgroups", "quality_bias", "record_accounting",
            "quality_cross_ethnic_group_age_band",
            "quality_cross_sex_age_band_region"} <= set(tables)
    sub = tables["quality_subgroups"]
    assert (sub["suppressed"] == "true").sum() > 10  # small ethnic groups
    cross = tables["quality_cross_sex_age_band_region"]
    assert (cross["suppressed"] == "true").any() and (cross["suppressed"] == "false").any()


def test_a_cell_is_shown_everywhere_or_nowhere(either):
    attacker = Attacker(_published(either), _reference_vars(either))
    both = attacker.hidden & attacker.shown
    assert not both, sorted(both, key=str)[:10]


def test_no_suppressed_cell_can_be_recovered(either):
    attacker = Attacker(_published(either), _reference_vars(either))
    assert len(attacker.secrets()) > 50
    recovered = attacker.solve()
    assert not recovered, sorted(recovered.items(), key=str)[:10]


def _old_way(out) -> dict[str, pd.DataFrame]:
    """The run's tables suppressed as before coordination: each source's rows of each
    variable on their own (`disclosure.suppress`), crosses left out."""
    exact = pd.read_parquet(out / "disclosure" / "quality_subgroups.parquet")
    cov = exact.drop(columns=["suppressed"]).rename(columns={"_n_unlinked": "n_unlinked"})
    sup = disclosure.suppress(cov, ["n_reference", "n_linked", "n_unlinked"],
                              ["source", "variable", "basis"], MIN_CELL, "n_reference")
    shown = disclosure.blank(cov, sup, ["source", "variable", "value", "basis"])
    shown["suppressed"] = [str(x).lower() for x in sup]
    return {"quality_subgroups": shown, "record_accounting": _exact(out, "record_accounting")}


def test_secondary_suppression_is_needed(out):
    """With only the threshold rule (every cell at or above it shown), the attacker
    recovers cells: the secondary suppressions are what protects them."""
    truth = _truth(out)
    attacker = Attacker(_published(out), _reference_vars(out))
    for k in list(attacker.hidden):
        if k in truth and (truth[k] == 0 or truth[k] >= MIN_CELL):
            attacker.hidden.discard(k)
            attacker.known[k] = truth[k]
            attacker.shown.add(k)
    recovered = attacker.solve()
    assert recovered and all(v == pytest.approx(truth[k]) for k, v in recovered.items())


def test_the_old_suppression_hides_cells_it_shows_elsewhere(out):
    """Each source's rows suppressed on their own: a group's reference count is hidden in
    one source's rows and shown in another's (the demo's ethnic group C4)."""
    attacker = Attacker(_old_way(out), _reference_vars(out))
    both = attacker.hidden & attacker.shown
    assert any(k[0] == "ref" and k[2] for k in both)


def _whole_group_rows(out, name):
    """Rows of a table whose group has people, all or none of them linked (exact)."""
    e = pd.read_parquet(out / "disclosure" / f"{name}.parquet")
    people = e["n_reference"] > 0
    return e, people & ((e["n_linked"] == 0) | (e["n_linked"] == e["n_reference"]))


def test_zeros_that_tell_about_a_whole_group_are_withheld_by_default(out, out_default):
    """With the default rule every group with nobody, or everybody, linked by a source
    is withheld in every table; with `zeros: publish` some are shown (the rule is what
    withholds them)."""
    names = ["quality_subgroups", *(f"quality_cross_{'_'.join(c)}" for c in CROSSES)]
    shown_before = 0
    for name in names:
        e, whole = _whole_group_rows(out_default, name)
        assert whole.any()
        assert e.loc[whole, "suppressed"].all(), name
        e, whole = _whole_group_rows(out, name)
        shown_before += int((whole & ~e["suppressed"]).sum())
    assert shown_before > 0
