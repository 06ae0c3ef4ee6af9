"""Everything the quality stage works out for one linked source (before disclosure)."""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from spinelink import relatives
from spinelink.backends import Engine
from spinelink.quality import coverage, diagnostics, groups, labelfree, shared
from spinelink.quality import labels as labelmod
from spinelink.quality.groups import ordered_values
from spinelink.quality.nullcal import null_sample
from spinelink.sqlfiles import quote_ident, sql_file

log = logging.getLogger("spinelink.quality")
_EQ = re.compile(r'^l\.("?)([A-Za-z_]\w*)\1\s*=\s*r\.("?)([A-Za-z_]\w*)\3$')
DETERMINISTIC = ("direct:", "key:")


@dataclass
class Inputs:
    """What one source's quality needs, read from OUT and the run context."""
    name: str
    links: pd.DataFrame
    pairs: pd.DataFrame
    n_accepted: int
    model: dict | None
    prior: float | None
    one_to_one: bool
    ref_groups: pd.DataFrame          # reference record_id -> value per reference variable
    src_groups: pd.DataFrame | None   # source record_id -> value per source-only variable
    seed: int
    n_boot: int
    extend: object = None  # callable adding the model's derived blocking columns
    household: bool = False  # the probabilistic stage weighed pairs at home (its manifest)
    calibration: str = "model"  # quality.calibration: model or null (labelfree.estimate)
    without_evidence: int = 0  # residual records whose candidates all lacked personal fields
    crosses: list = field(default_factory=list)  # lists of reference variables, crossed
    carry: object = None  # nullcarry.Carry: where null scores are kept (and carried from)
    # the probabilistic stage's reference table with its capped keys, if still in the
    # engine (nullcal._prepare checks it has the pool's columns)
    keyed_ref: str | None = None
    std: dict | None = None  # engine tables of the standardised records (ref, src)


@dataclass
class Result:
    coverage: pd.DataFrame
    estimates: pd.DataFrame
    label_rows: pd.DataFrame | None
    bias: pd.DataFrame
    curve: pd.DataFrame
    summary: dict = field(default_factory=dict)


def read_inputs(out: Path, name: str, accounting: dict, link_info: dict, one_to_one: bool,
                ref_groups, src_groups, seed: int, n_boot: int, extend=None,
                calibration: str = "model") -> Inputs:
    links = pd.read_parquet(out / "links" / f"{name}.parquet")
    pp = out / "pairs" / f"{name}.parquet"
    pairs = pd.read_parquet(pp) if pp.exists() else pd.DataFrame(
        columns=["reference_id", "source_id", "match_weight", "match_probability"])
    pairs = _without_held(pairs, out / "review" / f"{name}.parquet")
    mp = out / "models" / f"{name}.json"
    model = json.loads(mp.read_text(encoding="utf-8")) if mp.exists() else None
    prior = (link_info.get("probabilistic") or {}).get("prior")
    prob = link_info.get("probabilistic") or {}
    return Inputs(name, links, pairs, int(accounting["accepted"]), model, prior, one_to_one,
                  ref_groups, src_groups, seed, n_boot, extend,
                  prob.get("household") is not None, calibration,
                  int(prob.get("records_without_personal_evidence") or 0))


def _without_held(pairs: pd.DataFrame, review_path: Path) -> pd.DataFrame:
    """The scored pairs without those held for review as probable relatives
    (spinelink.relatives): the model is sure of them, the first names say another person
    is linked to the unit, so they are neither found matches nor missed ones; their source
    records count as the reference may lack them."""
    if pairs.empty or not review_path.exists():
        return pairs
    review = pd.read_parquet(review_path, columns=["reference_id", "source_id", "method"])
    return relatives.without(pairs, relatives.held_pairs(review))


def rule_columns(model: dict) -> list[list[tuple[str, str]]] | None:
    """Prediction blocking rules as lists of (left column, right column) equalities, when
    every rule is a conjunction of `l.a = r.b` (else None: the rules cannot be counted).

    >>> rule_columns({"blocking_rules_to_generate_predictions": [
    ...     {"blocking_rule": '(l."x" = r."x") AND (l."y" = r."y")'},
    ...     {"blocking_rule": "l.dob = r.dob_swapped"}]})
    [[('x', 'x'), ('y', 'y')], [('dob', 'dob_swapped')]]
    """
    rules = []
    for br in model.get("blocking_rules_to_generate_predictions", []):
        sql = br["blocking_rule"] if isinstance(br, dict) else str(br)
        cols = []
        for part in re.split(r"\s+AND\s+", sql.strip(), flags=re.IGNORECASE):
            m = _EQ.match(part.strip().strip("()").strip())
            if not m:
                return None
            cols.append((m.group(2), m.group(4)))
        rules.append(cols)
    return rules or None


def rule_captures(engine: Engine, name: str, pairs: pd.DataFrame,
                  rules: list[list[tuple[str, str]]], extend=None) -> pd.DataFrame:
    """How many rules each pair satisfies (l: the reference side, as in prediction).
    Only the pairs' records are given the model's derived blocking columns (`extend`): a
    record's capped key depends on its own values and the reference's key counts only."""
    def cond(cols):
        return " AND ".join(f"l.{quote_ident(a)} = r.{quote_ident(b)}" for a, b in cols)

    captures = " + ".join(f"(CASE WHEN {cond(r)} THEN 1 ELSE 0 END)" for r in rules)
    tag = f"__sl_q_{name}"
    engine.register(f"{tag}_pairs", pairs[["reference_id", "source_id"]].astype(str))
    sides = {}
    for side, col in (("ref", "reference_id"), ("src", "source_id")):
        sides[side] = f"{tag}_rc_{side}"
        engine.create_table(sides[side], sql_file(
            "quality/pair_records.sql", table=f"{tag}_{side}_full", pairs=f"{tag}_pairs",
            id_col=col))
    if extend is not None:
        extend({"ref_full": f"{tag}_ref_full", "src_full": f"{tag}_src_full", **sides})
    return engine.df(sql_file("quality/rule_captures.sql", captures=captures,
                              pairs=f"{tag}_pairs", ref=sides["ref"], src=sides["src"]))


def _breakdowns(inp: Inputs, prep: labelfree.Prepared) -> tuple[list, dict]:
    """Label-free breakdowns and, for labels and coverage, value lists by variable."""
    lk = inp.links.astype({"reference_id": str, "source_id": str})
    bds = [labelfree.Breakdown("all", ["all"], np.zeros(len(lk), int),
                               np.zeros(len(prep.cand_ref), int))]
    codes = {"all": (["all"], pd.Series("all", index=pd.Index([], dtype=object)), "all")}
    sides = [("reference", inp.ref_groups, lk["reference_id"], prep.cand_ref)]
    if inp.src_groups is not None:
        sides.append(("source", inp.src_groups, lk["source_id"], prep.cand_src))
    for side, table, link_ids, cand_ids in sides:
        for var in table.columns:
            by_id = table[var]
            values = ordered_values(by_id.unique())
            pos = {v: i for i, v in enumerate(values)}
            lc = by_id.reindex(link_ids).fillna("unknown")
            cc = by_id.reindex(pd.Index(cand_ids)).fillna("unknown")
            for v in sorted(set(pd.unique(lc)) | set(pd.unique(cc)), key=str):
                if v not in pos:
                    pos[v] = len(values)
                    values.append(v)
            bds.append(labelfree.Breakdown(var, values, lc.map(pos).to_numpy(int),
                                           cc.map(pos).to_numpy(int)))
            codes[var] = (values, by_id, side)
    for cross in inp.crosses:  # intersectional: one composite variable per cross
        name = groups.cross_name(cross)
        by_id = groups.cross_values(inp.ref_groups, cross)
        values = groups.cross_sorted(by_id.unique(), cross, inp.ref_groups)
        pos = {v: i for i, v in enumerate(values)}
        lc = by_id.reindex(lk["reference_id"]).map(pos)
        cc = by_id.reindex(pd.Index(prep.cand_ref)).map(pos)
        if lc.isna().any() or cc.isna().any():
            log.warning("quality: cross %s: records without group values; skipped", name)
            continue
        bds.append(labelfree.Breakdown(name, values, lc.to_numpy(int), cc.to_numpy(int)))
        codes[name] = (values, by_id, "reference")
    return bds, codes


def compute(engine: Engine, out: Path, reference: str, inp: Inputs,
            labels: pd.DataFrame | None) -> Result:
    det = inp.links[inp.links["method"].astype(str).str.startswith(DETERMINISTIC)]
    n_res = inp.n_accepted - det["source_id"].nunique()
    null, n_rules = None, None
    if inp.model is not None and inp.prior and len(inp.pairs):
        null = null_sample(engine, out, reference, inp.name, inp.model, inp.prior, det,
                           inp.one_to_one, inp.seed, n_res, extend=inp.extend,
                           household=inp.household, carry=inp.carry,
                           keyed_ref=inp.keyed_ref, std=inp.std)
        rules = rule_columns(inp.model)
        if null is not None and rules:
            n_rules = rule_captures(engine, inp.name, inp.pairs, rules, inp.extend)
    data = labelfree.SourceData(inp.links, inp.pairs, n_res, null, n_rules)
    prep = labelfree.prepare(data)
    sh = None
    if null is not None:  # the model and the full tables are there (nullcal._prepare)
        tag = f"__sl_q_{inp.name}"
        sh = shared.shared_units(engine, inp.model, inp.links, f"{tag}_ref_full",
                                 f"{tag}_src_full", f"{tag}_sh")
        prep.survive = sh.survive if sh.units else None
    bds, codes = _breakdowns(inp, prep)
    est = labelfree.estimate(prep, null, bds, inp.n_boot, inp.seed, inp.calibration)
    rows = est.rows
    if inp.model is None:  # no probabilistic stage: the unlinked cannot be judged
        rows[["est_recall", "est_recall_low", "est_recall_high"]] = np.nan
    cov, bias = _coverage(inp, codes)
    lab = labelmod.label_rows(labels, inp.links, inp.name, codes) if labels is not None \
        else None
    from spinelink.quality.summary import source_summary, threshold_curve

    curve = threshold_curve(prep, est, inp.links)
    summ = source_summary(inp, det, n_res, null, prep, est)
    summ["shared_units"] = _shared_summary(sh, inp.links)
    one_way = cov[~cov["variable"].isin([groups.cross_name(c) for c in inp.crosses])]
    checks = diagnostics.source_checks(summ, inp.n_boot) + diagnostics.group_checks(
        one_way.merge(rows, on=["variable", "value"], how="left"))
    summ["diagnostics"], summ["warnings"] = checks, diagnostics.warnings(checks)
    return Result(cov, rows, lab, bias, curve, summ)


def _shared_summary(sh, links: pd.DataFrame) -> dict | None:
    """What summary.json says about units more than one source record links to."""
    if sh is None:
        return None
    det = links["method"].astype(str).str.startswith(DETERMINISTIC).to_numpy()
    return {"units": sh.units, "links": sh.links,
            "log2_prior_same_person": None if not sh.units else round(sh.prior, 2),
            "expected_false_links": round(sh.expected_false, 2),
            "expected_false_deterministic": round(float((1 - sh.survive[det]).sum()), 2),
            "how": "source records on one reference unit scored against each other with "
                   "the trained model: if two are different persons at most one link is "
                   "right, the one whose fields agree better with the reference record"}


def _coverage(inp: Inputs, codes: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    linked_by = {side: pd.Index(inp.links[f"{side}_id"].astype(str).astype(object).unique())
                 for side in ("reference", "source")}
    cov, bias = [], []
    for var, (values, by_id, side) in codes.items():
        if var == "all":
            ids = inp.ref_groups.index
            by_id = pd.Series("all", index=ids)
            side = "reference"
        linked = linked_by[side]
        cov.append(coverage.coverage_counts(by_id, linked, var, values))
        if var != "all" and side == "reference":
            bias.append(coverage.bias_counts(by_id, linked, var, values))
    empty = pd.DataFrame(columns=["variable", "value", "n_linked", "n_unlinked"])
    return (pd.concat(cov, ignore_index=True),
            pd.concat(bias, ignore_index=True) if bias else empty)
