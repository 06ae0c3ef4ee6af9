"""Everything the quality stage works out for one linked source (before disclosure)."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from spinelink.backends import Engine
from spinelink.capped_keys import keyed_reference, whole_reference
from spinelink.pair_keys import id_positions
from spinelink.quality import (
    born_after,
    coverage,
    diagnostics,
    fitcarry,
    found_shared,
    generation_apart,
    groups,
    held_person,
    labelfree,
    labelfree_carried,
    named_apart,
    nullcal,
    recapture_design,
    shared,
    twins,
)
from spinelink.quality import labels as labelmod
from spinelink.quality.beside import Beside, engine_alone
from spinelink.quality.capture_rules import capture_design, rule_columns
from spinelink.quality.fitcarry import CARRY_WITHIN
from spinelink.quality.groups import ordered_values, table_columns
from spinelink.quality.nullcal import _has_table, full_tables, null_sample
from spinelink.quality.summary import deterministic
from spinelink.sqlfiles import quote_ident, sql_file

log = logging.getLogger("spinelink.quality")


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
    capped: dict = field(default_factory=dict)  # capped key column -> its columns
    plain: dict = field(default_factory=dict)  # the same, for caps read as plain rules
    not_chao1: set = field(default_factory=set)  # capped key columns Chao1 does not count
    keys: dict = field(default_factory=dict)  # match-key link method -> column pairs
    carry: object = None  # nullcarry.Carry: where null scores are kept (and carried from)
    fitcarry: object = None  # fitcarry.FitCarry: where the fit is kept (and carried from)
    carry_within: float = CARRY_WITHIN  # quality.carry_within
    # the probabilistic stage's reference table with its capped keys, if still in the
    # engine (nullcal._prepare checks it has the pool's columns)
    keyed_ref: str | None = None
    std: dict | None = None  # engine tables of the standardised records (ref, src)
    # no later source's quality reads the reference's standardised table (the last source)
    last: bool = True
    hold_relatives: bool = False  # the linkage holds probable relatives (`named_apart`)
    # the scored pairs held for review as relatives (`held_person.split`): candidates
    # again at the chance they are the unit's person (`held_person.back`)
    held: pd.DataFrame | None = None


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
    pairs, held_rows = held_person.split(pairs, out / "review" / f"{name}.parquet")
    mp = out / "models" / f"{name}.json"
    model = json.loads(mp.read_text(encoding="utf-8")) if mp.exists() else None
    prior = (link_info.get("probabilistic") or {}).get("prior")
    prob = link_info.get("probabilistic") or {}
    pairs = _with_born_apart(out, name, pairs, link_info, accounting)
    return Inputs(name, links, pairs, int(accounting["accepted"]), model, prior, one_to_one,
                  ref_groups, src_groups, seed, n_boot, extend,
                  prob.get("household") is not None, calibration,
                  int(prob.get("records_without_personal_evidence") or 0), held=held_rows)


def _with_born_apart(out: Path, name: str, pairs: pd.DataFrame, link_info: dict,
                     accounting: dict) -> pd.DataFrame:
    """The scored pairs with those the born-after rule kept from being candidates, as
    candidates the stage did not link (`quality.born_after`)."""
    path = out / "pairs" / "born_apart" / f"{name}.parquet"  # stages.link.born_apart_path
    lr = born_after.likelihood_ratio(link_info.get("born_after_reference"), accounting)
    pi = (link_info.get("probabilistic") or {}).get("linkable_share")
    if lr is None or pi is None or not path.exists():
        return pairs
    return born_after.with_born_apart(pairs, pd.read_parquet(path), lr, float(pi))


def rule_captures(engine: Engine, name: str, pairs: pd.DataFrame, det: pd.DataFrame,
                  d: recapture_design.Design, extend=None) -> tuple:
    """Which atoms of the rules hold for each candidate pair and each link a match key made
    (its `method` one of `d.keys`), which its source record could agree on, and the
    residual records' profiles (l: the reference side, as in prediction;
    `quality.recapture`): (candidates, key links, residual records no rule can catch,
    residual records one can)."""
    def bits(terms):
        return " + ".join(f"(CASE WHEN {t} THEN {1 << j} ELSE 0 END)"
                          for j, t in enumerate(terms)) or "0"

    agree = bits(f"l.{quote_ident(a)} = r.{quote_ident(b)}" for a, b in d.atoms)
    avail = bits(f"r.{quote_ident(b)} IS NOT NULL" for _, b in d.atoms)
    caps = bits(f"r.{quote_ident(c)} IS NOT NULL" for c in d.caps)
    tag = f"__sl_q_{name}"
    keyed = det[det["method"].astype(str).isin(d.keys)][["reference_id", "source_id"]]
    engine.register(f"{tag}_pairs", pd.concat(
        [pairs[["reference_id", "source_id"]], keyed], ignore_index=True).astype(str))
    engine.register(f"{tag}_rdet", det[["source_id"]].astype(str))
    ref, src = _keyed_sides(engine, tag, extend)
    got = engine.df(sql_file("quality/rule_captures.sql", agree=agree, avail=avail, caps=caps,
                             pairs=f"{tag}_pairs", ref=ref, src=src))
    prof = engine.df(sql_file("quality/record_profiles.sql", avail=avail, caps=caps,
                              src=src, det=f"{tag}_rdet"))
    # read once: not held through the estimate (the stage's peak)
    engine.release(f"{tag}_pairs", f"{tag}_rdet", *(t for t in (ref, src)
                                                    if t.startswith(f"{tag}_rc_")))
    can = recapture_design.possible(d, prof["avail"].to_numpy(np.int64),
                                    prof["caps"].to_numpy(np.int64))
    n = prof["n"].to_numpy(int)
    key = ["reference_id", "source_id"]
    got = got.astype({"reference_id": str, "source_id": str}).drop_duplicates(key)
    det_rows = keyed.astype(str).merge(got, on=key, how="left").fillna(0)
    return got, det_rows, int(n[~can].sum()), int(n[can].sum())


def _keyed_sides(engine: Engine, tag: str, extend) -> tuple[str, str]:
    """The tables the captures are read from, with the model's derived blocking columns
    (`extend`; a record's capped key depends on its own values and the reference's key
    counts only): the reference records of the pairs and key links alone, and the source
    records that are residual (`record_profiles.sql` reads their capped keys) or in them
    (`capture_sources.sql`)."""
    ref, src = f"{tag}_rc_ref", f"{tag}_rc_src"
    engine.create_table(ref, sql_file("quality/pair_records.sql", table=f"{tag}_ref_full",
                                      pairs=f"{tag}_pairs", id_col="reference_id"))
    if extend is None:
        return ref, f"{tag}_src_full"
    engine.create_table(src, sql_file("quality/capture_sources.sql", table=f"{tag}_src_full",
                                      det=f"{tag}_rdet", pairs=f"{tag}_pairs"))
    extend({"ref_full": f"{tag}_ref_full", "src_full": f"{tag}_src_full", "ref": ref,
            "src": src})
    return ref, src


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
        # the ids' rows looked up once per side, not once per variable
        rows = [id_positions(ids, table.index) for ids in (link_ids, cand_ids)]
        for var in table.columns:
            by_id = table[var]
            values = ordered_values(by_id.unique())
            at = np.where(by_id.isna().to_numpy(), -1,
                          pd.Index(values).get_indexer(by_id))  # -1: "unknown"
            lc, cc = (np.where(r >= 0, at[r] if len(at) else -1, -1) for r in rows)
            if (lc < 0).any() or (cc < 0).any():
                if "unknown" not in values:
                    values.append("unknown")
                unknown = values.index("unknown")
                lc[lc < 0], cc[cc < 0] = unknown, unknown
            bds.append(labelfree.Breakdown(var, values, lc.astype(int), cc.astype(int)))
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
    inp, n_shared, found_unseen = found_shared.without_shared(inp)
    inp, held = _held_back(engine, out, reference, inp)
    det = inp.links[deterministic(inp.links["method"])]
    n_res = inp.n_accepted - det["source_id"].nunique() - n_shared
    carried, cond, why = _carried_fit(inp, n_res)
    null, n_rules, d, sh = None, None, None, None
    if inp.model is not None and inp.prior and len(inp.pairs) and carried is not None:
        # the fit's sample, carried with it: the full tables for the shared units alone
        null = carried.null_sample(inp.prior)
        full_tables(engine, out, reference, inp.name, inp.std)
        if inp.carry is not None:
            inp.carry.keep_previous()
    elif inp.model is not None and inp.prior and len(inp.pairs):
        null = null_sample(engine, out, reference, inp.name, inp.model, inp.prior, det,
                           inp.one_to_one, inp.seed, n_res, extend=inp.extend,
                           household=inp.household, carry=inp.carry,
                           keyed_ref=inp.keyed_ref, std=inp.std)
        tag = f"__sl_q_{inp.name}"  # the sample's tables, read: not held through the estimate
        engine.release(*(f"{tag}_{t}" for t in ("null_src", "ref_pool", "blanks", "det")))
        # the probabilistic stage's keyed reference was the sample's pool: read no more
        engine.release(keyed_reference(inp.name))
        # the shared units read the sample's term frequencies; then its scoring tables go
        sh = _shared_units(engine, inp, null)
        engine.release(prefixes=(f"__sl_qn_{inp.name}_",))
        if rule_columns(inp.model):
            if null is None:  # no leave-partner-out sample: the full tables it would make
                full_tables(engine, out, reference, inp.name, inp.std)
            tag = f"__sl_q_{inp.name}"
            have = set(table_columns(engine, f"{tag}_ref_full")) & set(
                table_columns(engine, f"{tag}_src_full"))
            used = set(det["method"].astype(str))  # match keys that linked, on columns here
            keys = {m: k for m, k in inp.keys.items()
                    if m in used and all(a in have and b in have for a, b in k)}
            d = capture_design(inp.model, inp.capped, keys, inp.plain, inp.not_chao1)
        if d is not None:
            n_rules = rule_captures(engine, inp.name, inp.pairs, det, d, inp.extend)
            # the keys' counts on the whole reference served the captures' keys alone
            engine.release(prefixes=(f"{whole_reference(inp.name)}_blk",))
    data = labelfree.SourceData(inp.links, inp.pairs, n_res, null, n_rules, d)
    prep = labelfree.prepare(data)
    prep.held = held_person.draw(held, prep.cand_ref, prep.cand_src, prep.group, inp.held)
    prep.found_unseen = (inp.links["source_id"].astype(str).isin(found_unseen).to_numpy()
                         if found_unseen else None)
    if sh is not None:
        prep.survive = shared.point(sh, inp.links) if sh.units else None
        prep.survive_draw = sh.survive if sh.units else None
        prep.survive_alt = sh.survive_three if sh.units else None
    # the engine's last queries, on a thread while the estimate's fits run (`beside`)
    side = Beside(lambda: _engine_part(engine, out, reference, inp, prep))
    try:
        bds, codes = _breakdowns(inp, prep)
        if carried is not None:
            side.join()
            est = labelfree_carried.estimate_carried(prep, null, bds, carried)
            inp.fitcarry.keep(carried)
        else:
            est = labelfree.estimate(prep, null, bds, inp.n_boot, inp.seed, inp.calibration,
                                     ready=side.join)
            if cond is not None:
                inp.fitcarry.save(cond, est, n_res, len(inp.links), null, inp.prior)
    except BaseException:
        side.wait()
        raise
    tw = side.join()
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
    summ["twins"] = None if tw is None else tw.summary()
    summ["generation_apart"] = None if prep.generation is None else prep.generation.summary()
    summ["held_relatives"] = None if held is None else held.summary()
    summ["estimate"] = _estimate_basis(carried, why)
    if carried is not None:
        summ["blocking"]["how"] = ("carried: the fit's never-compared matches per subgroup "
                                   "value times their caught matches now over then; "
                                   "`between`: the fit's 95% range, scaled the same way")
    one_way = cov[~cov["variable"].isin([groups.cross_name(c) for c in inp.crosses])]
    checks = diagnostics.source_checks(summ, inp.n_boot) + diagnostics.group_checks(
        one_way.merge(rows, on=["variable", "value"], how="left"))
    summ["diagnostics"], summ["warnings"] = checks, diagnostics.warnings(checks)
    return Result(cov, rows, lab, bias, curve, summ)


def _held_back(engine: Engine, out: Path, reference: str, inp: Inputs):
    """The pairs held for review as relatives back among the candidates at the chance they
    are the unit's person (`held_person`), and that term (None: nothing held, or no model)."""
    if inp.held is None or inp.held.empty or inp.model is None:
        return inp, None
    tag, _ = nullcal.std_views(engine, out, reference, inp.name, inp.std)
    held = held_person.read(engine, f"{tag}_ref_std", f"{tag}_src_std", inp.links,
                            inp.held, tag)
    return replace(inp, pairs=held_person.back(inp.pairs, inp.held, held.chance)), held


def _shared_units(engine: Engine, inp: Inputs, null) -> shared.Shared | None:
    """The units more than one source record links to (`shared`), when there is a sample
    (then the model and the full tables are there, nullcal._prepare); scored with the
    term-frequency tables the sample's scoring made over the same whole tables."""
    if null is None:
        return None
    tag = f"__sl_q_{inp.name}"
    sh = shared.shared_units(engine, inp.model, inp.links, f"{tag}_ref_full",
                             f"{tag}_src_full", f"{tag}_sh", _sample_tf(engine, inp))
    engine.release(prefixes=(f"{tag}_sh_",))
    return found_shared.by_identifier(sh, inp.links)


def _sample_tf(engine: Engine, inp: Inputs) -> dict[str, str]:
    """The term-frequency tables the null sample's scoring made (`score_residual`, tag
    `__sl_qn_<source>`, over `__sl_q_<source>_ref_full` and `_src_full`), by column; none
    where it made none (its scores carried, `nullcarry`)."""
    from spinelink.probabilistic import tf_columns

    got = {c: f"__sl_qn_{inp.name}_tf_{c}" for c in tf_columns(inp.model)}
    return {c: t for c, t in got.items() if _has_table(engine, t)}


def _engine_part(engine: Engine, out: Path, reference: str, inp: Inputs,
                 prep: labelfree.Prepared):
    """What the bootstrap reads from the engine: the co-twin term (`twins`), the links a
    generation apart (`generation_apart`) and the candidates the relatives rule names apart
    (`named_apart`), set on `prep`; then the
    engine's tables let go. The co-twin term's result (None: no model)."""
    with engine_alone(engine):
        tw = None if inp.model is None else twins.take_off(
            engine, out, reference, inp.name, inp.std, inp.links, prep)
        if inp.model is not None:
            generation_apart.mark(engine, out, reference, inp.name, inp.std, inp.links, prep)
        if inp.model is not None and inp.hold_relatives:
            named_apart.mark(engine, out, reference, inp.name, inp.std, inp.links,
                             inp.pairs, prep)
        _release_engine_tables(engine, inp)
    return tw


def _release_engine_tables(engine: Engine, inp: Inputs) -> None:
    """What the source's estimate runs without: the tables the stage read from the engine
    (the linkage's keyed reference and key counts, the standardised tables, the sample's
    and the captures' views), held by an in-memory DuckDB until dropped: at a million
    records 1.3 GB through the estimate, the run's peak (benchmarks/RESULTS.md, session
    33 helper F). No later stage reads them from the engine (report and analysis read
    the files); the reference's table stays for a later source's quality."""
    whole = whole_reference(inp.name)
    engine.release(keyed_reference(inp.name), whole, f"__sl_lk_src_{inp.name}",
                   *((inp.std or {}).get(k) for k in ("src", *(("ref",) if inp.last else ()))
                     if (inp.std or {}).get(k)),
                   prefixes=(f"{whole}_blk", f"__sl_q_{inp.name}_"))


def _carried_fit(inp: Inputs, n_res: int):
    """The previous run's fit to carry (`fitcarry`), the conditions this run's fit depends
    on, and why nothing is carried (None, None, why: nothing to fit or keep)."""
    if inp.fitcarry is None or inp.model is None:
        if inp.fitcarry is not None:
            fitcarry.clear(inp.fitcarry.out, inp.name)
        return None, None, "no probabilistic model"
    variables = ["all", *inp.ref_groups.columns,
                 *([] if inp.src_groups is None else inp.src_groups.columns),
                 *(groups.cross_name(c) for c in inp.crosses)]
    cond = inp.fitcarry.conditions(inp.model, inp.calibration, inp.n_boot, inp.seed,
                                   [str(v) for v in variables], inp.one_to_one,
                                   inp.household)
    fitted, why = inp.fitcarry.carried(cond, n_res, len(inp.links), inp.carry_within)
    return fitted, cond, why


def _estimate_basis(carried, why: str) -> dict:
    """What summary.json says of how the never-compared matches and intervals were made."""
    if carried is None:
        return {"basis": "fitted in this run", "not_carried": why}
    return {"basis": "carried: the never-compared matches per subgroup value scaled from "
                     "the fit by their caught matches, the intervals' reach from the fit; "
                     "every other figure recomputed (quality.fitcarry)",
            "fitted_in": carried.meta.get("fitted_in")}


def _shared_summary(sh, links: pd.DataFrame) -> dict | None:
    """What summary.json says about units more than one source record links to."""
    if sh is None:
        return None
    det = deterministic(links["method"])
    return {"units": sh.units, "links": sh.links,
            "log2_prior_same_person": None if not sh.units else round(sh.prior, 2),
            "expected_false_links": round(sh.expected_false, 2),
            "expected_false_deterministic": round(float((1 - sh.survive[det]).sum()), 2),
            "expected_false_links_reference_rendering": round(sh.expected_false_three, 2),
            "expected_false_links_point": round(float((1 - shared.point(sh, links)).sum()), 2),
            "how": "source records on one reference unit scored against each other with "
                   "the trained model: if two are different persons at most one link is "
                   "right, the one whose fields agree better with the reference record"}


def _coverage(inp: Inputs, codes: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    linked_by = {side: pd.Index(inp.links[f"{side}_id"].astype(str).astype(object).unique())
                 for side in ("reference", "source")}
    cov, bias, masks = [], [], {}
    for var, (values, by_id, side) in codes.items():
        if var == "all":
            ids = inp.ref_groups.index
            by_id = pd.Series("all", index=ids)
            side = "reference"
        linked = linked_by[side]
        key = (side, id(by_id.index))  # a side's variables share one index: one mask
        if key not in masks:
            masks[key] = (by_id.index, coverage.linked_mask(by_id.index, linked))
        counts = coverage.coverage_counts(by_id, linked, var, values, masks[key][1])
        cov.append(counts)
        if var != "all" and side == "reference":
            bias.append(coverage.bias_counts(by_id, linked, var, values, counts))
    empty = pd.DataFrame(columns=["variable", "value", "n_linked", "n_unlinked"])
    return (pd.concat(cov, ignore_index=True),
            pd.concat(bias, ignore_index=True) if bias else empty)
