"""Quality stage units: statistics, calibration on simulated data, labels, subgroups,
the job file's quality section, and the docstring examples of the quality modules."""
from __future__ import annotations

import doctest
import importlib

import numpy as np
import pandas as pd
import pytest

from spinelink.config import Quality
from spinelink.errors import JobError
from spinelink.quality import calibrate, groups, labels, stats
from spinelink.quality.nullcal import NullSample

MODULES = ["stats", "disclosure", "groups", "per_source", "labels", "slope", "shared"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    mod = importlib.import_module(f"spinelink.quality.{name}")
    assert doctest.testmod(mod).failed == 0


@pytest.mark.parametrize("k, n, lo, hi", [
    (0, 10, 0.0, 0.2775), (10, 10, 0.7225, 1.0), (50, 100, 0.4038, 0.5962)])
def test_wilson(k, n, lo, hi):
    got = stats.wilson(k, n)
    assert got == pytest.approx((lo, hi), abs=1e-4)
    assert all(np.isnan(stats.wilson(0, 0)))


def test_std_diff_is_antisymmetric_and_zero_for_equal():
    assert stats.std_diff(0.3, 0.3) == 0
    assert stats.std_diff(0.4, 0.2) == pytest.approx(-stats.std_diff(0.2, 0.4))


def test_pav_gives_non_increasing_fit():
    y = np.array([0.2, 0.9, 0.5, 0.7, 0.1, 0.3])
    fit = stats.pav_decreasing(y, np.ones(len(y)))
    assert np.all(np.diff(fit) <= 1e-12)
    assert fit.mean() == pytest.approx(y.mean())


@pytest.mark.parametrize("seed", range(6))
def test_unique_rows_is_numpys_unique_over_rows(seed):
    """The recapture estimator's profiles and donor classes: the same rows, first
    occurrences and positions as np.unique(axis=0), which fixes the order its float sums
    run in (bitmasks up to 61 bits, repeated rows, one column to four)."""
    rng = np.random.default_rng(seed)
    for n, k, hi in [(0, 2, 3), (1, 1, 3), (2000, 2, 3), (3000, 4, 50), (500, 3, 2**61)]:
        a = rng.integers(0, hi, (n, k)).astype(np.int64)
        a[: n // 2] = a[n - n // 2:][: n // 2]  # every row of the first half twice
        u, first, inv = stats.unique_rows(a)
        if n == 0:
            assert len(u) == len(first) == len(inv) == 0
            continue
        want = np.unique(a, axis=0, return_index=True, return_inverse=True)
        assert np.array_equal(u, want[0])
        assert np.array_equal(first, want[1])
        assert np.array_equal(inv, want[2].reshape(-1))


def _simulate(seed, n_res=8000, unlinkable=0.3, n_null=8000):
    """Residual records: each has Poisson(2) non-match pairs, some 'household' pairs with
    high weights; linkable ones also their match. The null sample has the same non-match
    process, which a miscalibrated model would score as sure matches."""
    rng = np.random.default_rng(seed)

    def nulls(n):
        k = rng.poisson(2.0, n)
        rec = np.repeat(np.arange(n), k)
        w = rng.normal(-4, 3, len(rec))
        house = rng.random(len(rec)) < 0.04
        w[house] = rng.normal(12, 4, house.sum())
        return rec, w

    linkable = rng.random(n_res) >= unlinkable
    rec0, w0 = nulls(n_res)
    seen = linkable & (rng.random(n_res) > 0.02)  # 2% of matches never compared
    rec1 = np.flatnonzero(seen)
    w1 = rng.normal(22, 6, len(rec1))
    rec = np.r_[rec0, rec1]
    w = np.r_[w0, w1]
    truth = np.r_[np.zeros(len(rec0), bool), np.ones(len(rec1), bool)]
    keep = w > -8  # the stage's pair floor
    rec, w, truth = rec[keep], w[keep], truth[keep]
    order = np.lexsort((w, rec))
    rec, w, truth = rec[order], w[order], truth[order]
    codes = pd.factorize(rec)[0]
    nrec, nw = nulls(n_null)
    nkeep = nw > -8
    null = NullSample(n_null, nrec[nkeep], nw[nkeep], np.array([]), 1.0, 0)
    cands = calibrate.Candidates(codes, w, n_res, np.ones(len(w), bool))
    return cands, null, truth, linkable.sum()


@pytest.mark.parametrize("seed", [1, 2])
def test_calibration_recovers_truth_on_simulated_data(seed):
    cands, null, truth, n_linkable = _simulate(seed)
    f = calibrate.fit(cands, null)
    assert f.method == "null"
    # within sampling noise (records without candidates are few) and the 2% of matches
    # never compared that the simulation gives no rule counts to estimate
    assert f.linkable == pytest.approx(n_linkable, rel=0.05)
    # links: each record's best candidate at model probability >= 0.9 (weight >= 3.2)
    best = pd.Series(cands.weight).groupby(cands.rec).idxmax().to_numpy()
    links = best[cands.weight[best] >= 3.2]
    true_false = (~truth[links]).sum()
    est_false = (1 - f.posterior[links]).sum()
    model_false = (1 - 1 / (1 + np.exp2(-cands.weight[links]))).sum()
    assert model_false < 0.2 * true_false  # the model is over-confident here
    # far closer than the model; the rest is the noise of the few records without
    # candidates, which set the share of unlinkable records (the intervals carry it)
    assert est_false == pytest.approx(true_false, rel=0.4)


def test_calibration_falls_back_to_the_model_without_a_null():
    cands, _, _, _ = _simulate(3, n_res=300)
    f = calibrate.fit(cands, None)
    assert f.method == "model" and np.all((f.posterior >= 0) & (f.posterior <= 1))


def test_ties_share_a_posterior_and_count_once():
    rec = np.array([0, 0, 0])
    w = np.array([1.0, 30.0, 30.0])
    first = np.array([True, True, False])
    c = calibrate.Candidates(rec, w, 1, first)
    post = calibrate._posteriors(c, np.exp2(w), 1.0)
    assert post[1] == post[2] and post[1] > 0.99
    assert calibrate._total(c, post) <= 1.0


def test_age_bands_and_value_order():
    age = pd.Series([0, 17, 18, 29, 64, 65, 101, None])
    got = groups.age_band(age, [0, 18, 30, 50, 65]).tolist()
    assert got == ["0-17", "0-17", "18-29", "18-29", "50-64", "65+", "65+", "unknown"]
    assert groups.ordered_values(["B", "unknown", "A"]) == ["A", "B", "unknown"]


def test_variables_go_to_the_side_that_has_them():
    v = groups.choose_variables(["ethnic_group", "sex", "age_band", "religion", "tenure"],
                                ["record_id", "ethnic_group", "sex", "dob"],
                                {"survey": ["religion"], "benefits": []})
    assert v.reference == ["ethnic_group", "sex", "age_band"]
    assert v.source == {"survey": ["religion"]} and v.skipped == ["tenure"]


def test_label_rows_count_links_and_linkable_records():
    lab = pd.DataFrame({"reference_id": ["r1", "r2", "r3", "r4"], "source": "s",
                        "source_id": ["a", "b", "c", "d"],
                        "is_match": [True, False, True, True]})
    links = pd.DataFrame({"reference_id": ["r1", "r2", "r9"], "source_id": ["a", "b", "x"]})
    by = pd.Series({"r1": "F", "r2": "F", "r3": "M", "r4": "F", "r9": "M"})
    rows = labels.label_rows(lab, links, "s", {"sex": (["F", "M"], by, "reference")})
    f = rows.set_index("value").loc["F"]
    assert f["labelled_links"] == 2 and f["est_precision"] == 0.5   # r1 right, r2 wrong
    assert f["labelled_linkable"] == 2 and f["est_recall"] == 0.5   # a found, d missed
    m = rows.set_index("value").loc["M"]
    assert m["labelled_links"] == 0 and np.isnan(m["est_precision"])  # r9 not labelled
    assert m["est_recall"] == 0.0                                     # c missed


def test_read_labels_checks_columns_and_values(tmp_path):
    p = tmp_path / "labels.csv"
    p.write_text("reference_id,source,source_id,is_match\nr1,s,a,yes\nr2,s,b,0\n")
    got = labels.read_labels(p)
    assert got["is_match"].tolist() == [True, False]
    p.write_text("reference_id,source,source_id,is_match\nr1,s,a,maybe\n")
    with pytest.raises(JobError, match="labels.csv: row 2, field 'is_match'"):
        labels.read_labels(p)
    p.write_text("reference_id,source_id\nr1,a\n")
    with pytest.raises(JobError, match="quality.labels"):
        labels.read_labels(p)


def test_read_labels_reports_every_bad_row_at_its_line(tmp_path):
    """A clerk's labels file is fixed in one go: every bad `is_match` named by the line its
    row starts on (a quoted id over two lines counts as the two lines it takes), and no
    label is read."""
    p = tmp_path / "labels.csv"
    p.write_text("reference_id,source,source_id,is_match\n"
                 "r1,s,a,yes\n"
                 'r2,s,"b\nc",maybe\n'        # lines 3-4
                 "r3,s,d,0\n"                   # line 5
                 "r4,s,e,\n")                   # line 6: empty
    with pytest.raises(JobError) as e:
        labels.read_labels(p)
    lines = str(e.value).splitlines()
    assert lines[0] == f"{p}: 2 problems; no label was read (key 'quality.labels')"
    assert lines[1:] == [f"{p}: row 3, field 'is_match': expected 1/0, true/false",
                         f"{p}: row 6, field 'is_match': expected 1/0, true/false"]
    assert "maybe" not in str(e.value)


@pytest.mark.parametrize("sep", [";", "\t"], ids=["semicolon", "tab"])
def test_read_labels_reads_a_spreadsheets_csv(tmp_path, sep):
    """Excel's "CSV UTF-8" in a locale whose list separator is a semicolon (or a tab
    export), with its byte-order mark."""
    p = tmp_path / "labels.csv"
    rows = [["reference_id", "source", "source_id", "is_match"], ["r1", "s", "a,1", "yes"],
            ["r2", "s", "b", "0"]]
    p.write_text("\ufeff" + "".join(sep.join(r) + "\r\n" for r in rows), encoding="utf-8")
    got = labels.read_labels(p)
    assert got["source_id"].tolist() == ["a,1", "b"]
    assert got["is_match"].tolist() == [True, False]


def test_quality_section_is_validated():
    q = Quality.model_validate({"subgroups": ["sex"], "min_cell": 5, "rounding": 5})
    assert q.age_bands == [0, 18, 30, 50, 65] and q.labels is None
    for bad in ({"age_bands": [0, 30, 18]}, {"min_cell": 0}, {"subgroups": ["all"]},
                {"rounding": 1}, {"disclosure": {}}):
        with pytest.raises(ValueError):
            Quality.model_validate(bad)


def test_estimates_without_a_probabilistic_stage():
    from spinelink.quality import labelfree

    links = pd.DataFrame({"reference_id": ["r1", "r2"], "source_id": ["a", "b"],
                          "method": ["key:names_dob_sex", "direct:nino"],
                          "match_probability": np.nan})
    pairs = pd.DataFrame(columns=["reference_id", "source_id", "match_weight"])
    prep = labelfree.prepare(labelfree.SourceData(links, pairs, 3, None))
    bd = labelfree.Breakdown("all", ["all"], np.zeros(2, int), np.zeros(0, int))
    est = labelfree.estimate(prep, None, [bd], n_boot=20, seed=1)
    row = est.rows.iloc[0]
    assert row["est_precision"] == 1.0 and row["expected_false_links"] == 0


def test_a_subgroup_declared_on_a_linked_source_is_broken_down_by_default(tmp_path):
    """A source-only variable (the reference does not carry it) declared in the source's
    `subgroups` appears in subgroups.csv without listing it under `quality.subgroups`;
    a value with spaces around it is in the group of the value without them."""
    import pandas as pd
    from conftest import run_cli

    ref = pd.DataFrame({"id": [f"R{i}" for i in range(300)],
                        "fn": [f"name{i % 40}" for i in range(300)],
                        "sn": [f"family{i}" for i in range(300)],
                        "dob": [f"19{50 + i % 40}-0{1 + i % 9}-1{i % 9}" for i in range(300)]})
    src = ref.sample(200, random_state=1).rename(columns={"id": "sid"})
    src["sid"] = [f"S{i}" for i in range(200)]
    src["office"] = [(" north " if i % 4 == 1 else "north") if i % 2 else "south"
                     for i in range(200)]
    ref.to_csv(tmp_path / "ref.csv", index=False)
    src.to_csv(tmp_path / "src.csv", index=False)
    cols = "{first_name: fn, last_name: sn, date_of_birth: dob}"
    (tmp_path / "job.yaml").write_text(f"""\
schema_version: 1
name: source_subgroup
output_dir: out
reference: ref
sources:
  ref: {{role: census, path: ref.csv, id: id, columns: {cols}}}
  src: {{role: admin, path: src.csv, id: sid, columns: {cols}, subgroups: [office]}}
quality: {{min_cell: 1}}
links:
  src: {{}}
""", encoding="utf-8")
    r = run_cli("run", str(tmp_path / "job.yaml"))
    # every source record is an exact copy: all link deterministically, and the
    # probabilistic stage, left with no pair to score, does not fail
    assert r.returncode == 0, r.stderr[-2000:]
    assert len(pd.read_parquet(tmp_path / "out" / "links" / "src.parquet")) == 200
    q = pd.read_csv(tmp_path / "out" / "quality" / "subgroups.csv")
    office = q[(q["variable"] == "office") & (q["basis"] == "model")]
    assert set(office["value"]) == {"north", "south"}


def test_blank_subgroup_characters_are_pythons_whitespace():
    """group_values tells a blank value by trimming these in SQL: they must be exactly the
    characters str.strip() strips."""
    from spinelink.quality.groups import _WHITESPACE

    assert _WHITESPACE == "".join(c for c in map(chr, range(0x110000)) if c.isspace())


def test_caps_read_plain_give_the_never_compared_design_of_the_plain_rules():
    """The auto model's name + part-of-date rules are capped only to bound their pairs in
    large populations (issue 16; capped, they moved the never-compared estimates through
    their capped-key bits: benchmarks/RESULTS.md, sessions 30 hG, 31 hA and 43 hB). Marked
    `read_plain`, the design reads them as the plain equalities they were: the same atoms,
    rules, field groups and capped-key bits as the spec with those rules uncapped; read as
    caps, they add bits."""
    from spinelink.jobspec.files import data_dir
    from spinelink.model_spec import CappedBlock, blocking_rule, capped_column, load_model_spec
    from spinelink.quality import per_source

    spec = load_model_spec(data_dir("linkage_models") / "person_auto.yaml")
    plain_caps = [i for i, r in enumerate(spec.blocking)
                  if isinstance(r, CappedBlock) and r.read_plain]
    assert len(plain_caps) == 4  # the three name + part-of-date rules, surname + initial

    def model(rules):
        return {"blocking_rules_to_generate_predictions": [
            {"blocking_rule": blocking_rule(i, r).get_blocking_rule("duckdb")
             .blocking_rule_sql} for i, r in enumerate(rules)]}

    uncapped = [list(r.columns) if i in plain_caps else r for i, r in enumerate(spec.blocking)]
    capped = {capped_column(i): list(r.columns) for i, r in enumerate(spec.blocking)
              if isinstance(r, CappedBlock)}
    bits = {c: v for c, v in capped.items() if int(c.rsplit("_", 1)[1]) not in plain_caps}
    plain = {c: v for c, v in capped.items() if c not in bits}
    before = per_source.capture_design(model(uncapped), bits)
    got = per_source.capture_design(model(spec.blocking), bits, plain=plain)
    assert got is not None and got == before
    as_caps = per_source.capture_design(model(spec.blocking), capped)
    assert len(as_caps.caps) == len(before.caps) + len(plain_caps)


def test_the_surname_initial_fallback_is_a_catch_chao1_does_not_count():
    """The surname + middle initial rule (`chao1: false`): the quality stage hands its
    capped key to the never-compared design, which still reads the rule's catches (its
    atoms and field groups as before) but leaves it out of the rules Chao1 counts
    (`recapture_fallback`; sessions 41 hA and 44 hC: counted, it took the W-2 and 1040
    estimates to a third)."""
    from types import SimpleNamespace

    from spinelink.jobspec.files import data_dir
    from spinelink.model_spec import CappedBlock, blocking_rule, capped_column, load_model_spec
    from spinelink.quality import per_source, stage

    spec = load_model_spec(data_dir("linkage_models") / "person_auto.yaml")
    at = next(i for i, r in enumerate(spec.blocking) if isinstance(r, CappedBlock)
              and r.columns == ["last_name_mp", "middle_name_initial"])
    assert stage._not_chao1(SimpleNamespace(spec=spec)) == {capped_column(at)}
    model = {"blocking_rules_to_generate_predictions": [
        {"blocking_rule": blocking_rule(i, r).get_blocking_rule("duckdb").blocking_rule_sql}
        for i, r in enumerate(spec.blocking)]}
    capped = {capped_column(i): list(r.columns) for i, r in enumerate(spec.blocking)
              if isinstance(r, CappedBlock)}
    plain = {c: v for c, v in capped.items()
             if spec.blocking[int(c.rsplit("_", 1)[1])].read_plain}
    bits = {c: v for c, v in capped.items() if c not in plain}
    every = per_source.capture_design(model, bits, plain=plain)
    got = per_source.capture_design(model, bits, plain=plain, not_chao1={capped_column(at)})
    assert (got.atoms, got.rule_atoms, got.groups) == (every.atoms, every.rule_atoms,
                                                       every.groups)
    assert every.counted().all()
    assert got.counted().tolist() == [i != at for i in range(len(spec.blocking))]
