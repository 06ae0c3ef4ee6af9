"""Label-free estimates of precision and recall, overall and by subgroup, with intervals.

For one linked source:
- deterministic and clerical links are counted correct (checked in `summary`: the model's
  probability of the partner pairs, and how often a non-partner scores above the partner);
- a probabilistic link is correct with its calibrated posterior (`calibrate`);
- either kind, on a reference unit other source records also link to, is further right
  only with the chance c_i that none of them is a different person taking the unit
  (`shared`; each bootstrap replicate draws it, half of them with the reference record
  also taken as a rendering of the person: the two readings of the same-person evidence);
- a source record is *linkable* when its person has a reference record; the residual's
  linkable records are found (their link is right), missed among candidates (their match
  is a candidate the stage did not link), or missed by blocking (no rule generated the
  pair: capture-recapture over the rules' column equalities, `recapture`).

Precision = 1 - E[false links] / links; recall = E[found] / (E[found] + E[missed]); per
subgroup by the reference record's value (links: the linked record; missed: the candidate
thought to be the match), or by the source record's own value for a variable only the
source carries. 95% intervals by a bootstrap that resamples the null records, redraws the
bin counts (calibration uncertainty), draws one calibration slope for the model's log-odds
(its own error, `slope`), then draws each record's true match from its posteriors so
tilted and the blocked-out matches from Poisson (outcome uncertainty).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from spinelink.pair_keys import first_positions
from spinelink.probabilistic import TIE, TIE_FROM
from spinelink.progress import steps
from spinelink.quality import keyed_poisson, recapture, recapture_design, recapture_rows, slope
from spinelink.quality.calibrate import Candidates, Fit, fit, key_weights
from spinelink.quality.labelfree_draws import (
    _choose,
    _less_found,
    _n_found,
    _prob_links,
    _runs,
    _wrong,
)
from spinelink.quality.nullcal import NullSample
from spinelink.quality.recapture_strata import Strata, poisson_to_total, to_total
from spinelink.quality.stats import percentile_interval


@dataclass
class SourceData:
    links: pd.DataFrame     # reference_id, source_id, method, match_probability
    pairs: pd.DataFrame     # residual pairs: reference_id, source_id, match_weight
    n_residual: int         # source records the probabilistic stage scored
    null: NullSample | None
    # rule_captures: (reference_id, source_id, agree, avail, caps; residual records no
    # rule can catch; residual records one can) and the rules' design (quality.recapture)
    captures: tuple | None = None
    design: recapture_design.Design | None = None


@dataclass
class Prepared:
    cands: Candidates
    cand_ref: np.ndarray    # reference_id of each candidate pair
    cand_src: np.ndarray    # source_id of each candidate pair
    group: np.ndarray       # per candidate: index of its tie group's first candidate
    link_group: np.ndarray  # per link: its candidate's tie group, -1 if not probabilistic
    rec_link: np.ndarray    # per residual record with candidates: linked tie group or -1
    survive: np.ndarray | None = None  # per link: c_i of `shared` (None: every link 1)
    det_link: np.ndarray | None = None  # per match-key link in the captures: its link
    # per link: c_i with the reference record also a rendering of the person (`shared`);
    # half the bootstrap replicates read the same-person evidence so
    survive_alt: np.ndarray | None = None
    # per link: the c_i the replicates draw as the first reading, where the point's
    # (`survive`) differs from it (`shared.point`; None: `survive`)
    survive_draw: np.ndarray | None = None
    # per link: its record was found by another route (`shared_identifiers`) and no rule
    # scored the linked pair, so it is one of the never-compared matches, no longer missed
    found_unseen: np.ndarray | None = None
    # the co-twin chance of the links of the kind (`twins.Draw`), which each bootstrap
    # replicate draws with its rates' uncertainty (None: no such links)
    twins: object | None = None
    # per candidate: the relatives rule names it apart from its unit's linked records
    # (`named_apart`): every bootstrap replicate is read also with it no match, the recall
    # intervals holding both readings (None: none is)
    apart: np.ndarray | None = None
    # the probabilistic links a generation apart, drawn wrong too (`generation_apart.Draw`)
    generation: object | None = None
    held: object | None = None  # the held pairs' chance, drawn (`held_person.Draw`)
    # the strata shrink's replicate weights' keys (`recapture_strata._reweightings`): per
    # source record with candidates (`cands.rec`) and per match-key link in the captures,
    # their source record's (`keyed_poisson.record_keys`; None: by position)
    shrink_keys: tuple | None = None


def _ties(p: pd.DataFrame) -> np.ndarray:
    """Index of each pair's tie group (its first pair): candidates standing for one person
    (`person_ref`, from the probabilistic stage; for older pairs files, equal weights
    above TIE_FROM)."""
    if p.empty:
        return np.zeros(0, int)
    if "person_ref" in p:  # the probabilistic stage's own grouping (it saw the records)
        second = p["person_ref"].astype(str)
    else:
        key = (p["match_weight"] / TIE).round().astype("int64")
        second = key.where(p["match_weight"] > TIE_FROM, -np.arange(1, len(p) + 1))
    # the pair (source id, second) as one code per distinct pair, numbered in order of
    # first appearance (a MultiIndex of them took 1 s at 190,000 pairs)
    a, _ = pd.factorize(p["source_id"].astype(str))
    b, nb = pd.factorize(second)
    group, _ = pd.factorize(a.astype(np.int64) * max(len(nb), 1) + b)
    _, first = np.unique(group, return_index=True)
    return first[group]


def _captures(d: SourceData, p: pd.DataFrame) -> recapture.Captures | None:
    if d.captures is None or d.design is None or not len(p):
        return None
    df, det, n_none, n_some = d.captures
    cols = ["agree", "avail", "caps"]
    # per pair its first capture row, 0 where none (a MultiIndex reindex took 1.7 s at a
    # million records)
    at = first_positions(df, p)
    got = np.where((at >= 0)[:, None], df[cols].to_numpy(np.int64)[np.maximum(at, 0)], 0) \
        if len(df) else np.zeros((len(p), len(cols)), np.int64)
    a = np.vstack([got, det[cols].to_numpy(np.int64)])
    return recapture.Captures(d.design, a[:, 0], a[:, 1], a[:, 2], n_none, n_some, len(det))


def prepare(d: SourceData) -> Prepared:
    cols = ["reference_id", "source_id", "match_weight"]
    has_prob = "match_probability" in d.pairs
    extra = [c for c in ("match_probability", "person_ref", "own_probability")
             if c in d.pairs]
    p = d.pairs[cols + extra].copy()
    p = p.astype({"reference_id": str, "source_id": str, "match_weight": float})
    p = p.sort_values(["source_id", "match_weight", "reference_id"]).reset_index(drop=True)
    group = _ties(p)
    rec, rec_ids = pd.factorize(p["source_id"])
    rec = rec.astype(int)
    cands = Candidates(rec, p["match_weight"].to_numpy(float), d.n_residual,
                       group == np.arange(len(p)), _captures(d, p),
                       p["match_probability"].to_numpy(float) if has_prob else None,
                       own=p["own_probability"].to_numpy(float)
                       if has_prob and "own_probability" in p else None)
    lk = d.links.astype({"reference_id": str, "source_id": str})
    is_prob = (lk["method"] == "probabilistic").to_numpy()
    at = first_positions(p, lk)
    link_group = np.full(len(lk), -1)
    hit = is_prob & (at >= 0)
    link_group[hit] = group[at[hit]]
    rec_link = np.full(cands.n_with, -1)
    ok = link_group >= 0
    rec_link[rec[link_group[ok]]] = link_group[ok]
    det_link = keys = None
    if cands.capture is not None:
        det = d.captures[1].astype({"reference_id": str, "source_id": str})
        det_link = first_positions(lk, det)
        keys = (keyed_poisson.record_keys(rec_ids),
                keyed_poisson.record_keys(det["source_id"]))
    return Prepared(cands, p["reference_id"].to_numpy(), p["source_id"].to_numpy(), group,
                    link_group, rec_link, None, det_link, shrink_keys=keys)


@dataclass
class Breakdown:
    """Group codes of one variable for links and candidate groups."""
    variable: str
    values: list[str]
    link_code: np.ndarray
    cand_code: np.ndarray


@dataclass
class _Split:
    """A breakdown's links split once: deterministic and clerical links are right unless
    another source record on their unit is a different person (`shared`); probabilistic
    ones are right with their posterior as well."""
    k: int
    fixed_code: np.ndarray   # value code of each link that is not probabilistic
    code: np.ndarray         # value code of each probabilistic link
    group: np.ndarray        # its candidate tie group
    n_links: np.ndarray      # per value: all links
    prob: np.ndarray         # per link: is it probabilistic


def _split(pr: Prepared, bd: Breakdown, cache: dict) -> _Split:
    if bd.variable not in cache:
        k, prob = len(bd.values), pr.link_group >= 0
        cache[bd.variable] = _Split(k, bd.link_code[~prob], bd.link_code[prob],
                                    pr.link_group[prob],
                                    np.bincount(bd.link_code, minlength=k), prob)
    return cache[bd.variable]


def _counts(pr: Prepared, bd: Breakdown, post: np.ndarray, chosen=None, blocked=None,
            cache: dict | None = None, survive=None):
    """false links, found, missed per value: expected (chosen None) or one draw.
    `survive`: per link, 1 if no other source record on its unit takes it (a draw), else
    the expected c_i (`pr.survive`)."""
    sp = _split(pr, bd, {} if cache is None else cache)
    k = sp.k
    sv = survive if survive is not None else pr.survive
    sv = np.ones(len(sp.prob)) if sv is None else np.asarray(sv, float)
    if not len(post):
        ok_link, missed = np.ones(len(sp.code)), np.zeros(k)
    elif chosen is None:
        ok_link = post[sp.group]
        linked = np.bincount(sp.group, minlength=len(post)) > 0  # tie groups linked
        miss_w = np.where(pr.cands.first & ~linked, post, 0.0)
        missed = np.bincount(bd.cand_code, weights=miss_w, minlength=k)
    else:
        ok_link = (chosen[pr.cands.rec[sp.group]] == sp.group) * 1.0
        rec_of = np.flatnonzero(chosen >= 0)
        c = chosen[rec_of]
        missed = np.bincount(bd.cand_code[c[c != pr.rec_link[rec_of]]], minlength=k) * 1.0
    ok_link = ok_link * sv[sp.prob]
    ok_fixed = sv[~sp.prob]
    false = np.bincount(sp.code, weights=1 - ok_link, minlength=k) + np.bincount(
        sp.fixed_code, weights=1 - ok_fixed, minlength=k)
    found = np.bincount(sp.fixed_code, weights=ok_fixed, minlength=k) + np.bincount(
        sp.code, weights=ok_link, minlength=k)
    if blocked is not None:
        missed = missed + blocked
    return false, found, missed


def _rates(pr, bd, post, chosen=None, blocked=None, cache=None, survive=None):
    false, found, missed = _counts(pr, bd, post, chosen, blocked, cache, survive)
    n_links = _split(pr, bd, {} if cache is None else cache).n_links
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(n_links > 0, 1 - false / np.maximum(n_links, 1), np.nan)
        recall = np.where(found + missed > 0, found / (found + missed), np.nan)
    return precision, recall, false, found + missed


def _draw_rates(pr: Prepared, bd: Breakdown, wrong: tuple, blocked, cache: dict):
    """`_rates` of one draw from `_wrong`: every weight is 0 or 1 there, so counting the
    wrong links gives the same (whole) numbers as summing weights, and found links are
    the links less the wrong ones."""
    bad, miss = wrong
    k = len(bd.values)
    n_links = _split(pr, bd, cache).n_links
    false = np.bincount(bd.link_code[bad], minlength=k) * 1.0
    found = n_links - false
    missed = np.bincount(bd.cand_code[miss], minlength=k) * 1.0 + blocked
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(n_links > 0, 1 - false / np.maximum(n_links, 1), np.nan)
        recall = np.where(found + missed > 0, found / (found + missed), np.nan)
    return precision, recall


def _strata(pr: Prepared, breakdowns: list[Breakdown], post: np.ndarray,
            pooled: np.ndarray | None = None, seed: int = 0) -> dict:
    """Per breakdown variable (not `all`): the never-compared estimate fitted within each
    of its values that has enough caught matches, shrunk toward `pooled` (per candidate,
    the pooled estimate's matches placed on it) by its noise (`recapture_strata.Strata`)."""
    cap = pr.cands.capture
    if cap is None or pr.det_link is None or not len(post):
        return {}
    out = {}
    for bd in breakdowns:
        if bd.variable == "all" or len(bd.values) < 2:
            continue
        ok = pr.det_link >= 0
        det_code = np.full(len(pr.det_link), len(bd.values))  # not a value: in no stratum
        det_code[ok] = bd.link_code[pr.det_link[ok].astype(int)]
        out[bd.variable] = Strata(cap, post, pr.cands.first, bd.cand_code,
                                  det_code, len(bd.values) + 1, pr.cands.rec, pooled, seed,
                                  pr.shrink_keys)
    return out


def _pattern_ratio(pr: Prepared, point: Fit, u: np.ndarray | None, f: Fit,
                   det_wt) -> float:
    """The replicate's overall never-compared figure over the point's, over what the
    caught matches' reweighting alone moves it by (`u`: their Horvitz-Thompson terms with
    the point's catch chances): how much refitting the patterns moves it."""
    if point.blocked <= 0 or u is None or f.rec_wt is None:
        return 1.0
    n = pr.cands.capture.n_det
    wt = np.r_[f.rec_wt[pr.cands.rec], np.ones(n) if det_wt is None else det_wt]
    lin = float(u @ wt) / float(u.sum()) if u.sum() > 0 else 1.0
    return f.blocked / point.blocked / lin if lin > 0 else 1.0


def _collapse(pr: Prepared, breakdowns: list[Breakdown]) -> None:
    """The captures' match-key links one row per kind (`recapture_rows`): the estimates
    as they were, their cost sized by the kinds of links, not their number."""
    cap = pr.cands.capture
    if cap is None or pr.det_link is None:
        return
    new, det_link = recapture_rows.collapse(cap, pr.det_link,
                                            [bd.link_code for bd in breakdowns])
    if new is not cap:
        pr.cands.capture, pr.det_link = new, det_link
        pr.cands.__dict__.pop("_estimator", None)  # built on the rows before


@dataclass
class Estimate:
    fit: Fit
    blocked: float
    rows: pd.DataFrame
    check: Fit | None = None  # the leave-partner-out calibration, when `fit` is the model's
    blocked_interval: tuple[float, float] = (0.0, 0.0)  # 95% of the never-compared draws
    blocked_by: dict | None = None  # per breakdown variable: never-compared per value
    # of `blocked`, the matches found since by another route (`Prepared.found_unseen`):
    # the rows count them found, not missed
    found_unseen: int = 0


def estimate(pr: Prepared, null: NullSample | None, breakdowns: list[Breakdown],
             n_boot: int, seed: int, method: str = "model",
             slope_sd: float = slope.SLOPE_SD, ready=None) -> Estimate:
    """`method`: `model` (the stage's record-level probabilities; the leave-partner-out
    calibration is kept as a check) or `null` (that calibration is the estimate).
    `slope_sd`: the spread of the model's calibration slope the intervals hold (`slope`;
    0: none, the outcome draw given the probabilities alone). `ready`: called before the
    bootstrap reads `pr`'s shared-unit, co-twin, named-apart and generation fields
    (`beside`)."""
    _collapse(pr, breakdowns)
    point = fit(pr.cands, null, method=method)
    check = fit(pr.cands, null, method="null") if method == "model" else None
    check = check if check is not None and check.method == "null" else None
    f0, share = point.blocked, point.blocked_share
    pooled = None if point.blocked_share is None or not len(point.blocked_share) else \
        f0 * np.asarray(point.blocked_share, float)
    strata = _strata(pr, breakdowns, pr.cands.caught(point), pooled, seed)
    # the least pooled: the variable whose own fits find the most never-compared matches
    # (pooling records that blocking misses for different reasons finds fewer) also gives
    # the overall figure and the unstratified breakdowns' placement
    lead = max(strata, key=lambda v: strata[v].unseen(f0, share).sum(), default=None)
    if lead is not None and strata[lead].unseen(f0, share).sum() > f0:
        mass = strata[lead].unseen(f0, share)
        f0, share = float(mass.sum()), mass / mass.sum()
    else:
        lead = None
    totals = []
    u_all = None if pr.cands.capture is None or not len(point.posterior) else \
        pr.cands.estimator(pr.cands.caught(point)).stands_for()
    rng = np.random.default_rng(seed)
    # the slopes on a stream of their own: every other draw of a replicate is the one it
    # was without them (the never-compared and outcome draws do not move with the slope)
    slope_rng = np.random.default_rng([seed, 1])
    # which reading of a shared unit's same-person evidence (`shared`), on its own stream
    reading_rng = np.random.default_rng([seed, 2])
    total_rng = np.random.default_rng([seed, 4])  # `poisson_to_total`'s
    # the co-twin chance's rates (`twins.Draw`), on a stream of their own
    twin_rng = np.random.default_rng([seed, 6])
    gen_rng = np.random.default_rng([seed, 8])  # `generation_apart.Draw`'s
    held_rng = np.random.default_rng([seed, 10])  # `held_person.Draw`'s (its STREAM)
    cache: dict = {}
    draws = {bd.variable: ([], [], []) for bd in breakdowns}
    tilt = slope.Tilt(pr.cands.rec, pr.cands.first)
    # what every replicate reads of the links, the records and the shared units, made once
    links, runs = _prob_links(pr), _runs(pr.cands.rec) if len(pr.cands.rec) else None
    if ready is not None:  # what the bootstrap reads, set on a thread (`beside`)
        ready()
    first = pr.survive if pr.survive_draw is None else pr.survive_draw
    survival = {id(s): slope.Survival(s) for s in (first, pr.survive_alt) if s is not None}
    tw_point = None if pr.twins is None else pr.twins.point()
    for _ in steps(range(n_boot), "quality bootstrap", total=n_boot):
        f = fit(pr.cands, null, rng, point.edges, method)
        # the replicate's overall figure, placed as the point estimate's
        sh0 = point.blocked_share if f.blocked_share is None else f.blocked_share
        f0b, shb = f.blocked, sh0
        # the values fitted on their own are not refitted: their point figures move with
        # their caught matches' reweighted sum and with what refitting the pooled patterns
        # moves the overall figure by (README, "what the intervals leave out")
        det_wt = key_weights(pr.cands, f.rec_wt)
        ratio = _pattern_ratio(pr, point, u_all, f, det_wt)
        if lead is not None:
            mass = strata[lead].scaled(f0b, shb, ratio, f.rec_wt, pr.cands.rec, det_wt,
                                       refit=True)
            f0b, shb = float(mass.sum()), mass / max(mass.sum(), 1e-12)
        # the model's own error: one calibration slope for the replicate (`slope`)
        b = slope.draw(slope_rng, slope_sd)
        post = tilt(f.posterior, b)
        post = post if pr.held is None else pr.held.apply(held_rng, post)
        at_choice = rng.bit_generator.state
        chosen = _choose(rng, pr.cands, post, runs)
        k = rng.poisson(f0b)
        totals.append(k)
        sv = first
        if reading_rng.random() < 0.5 and pr.survive_alt is not None:
            sv = pr.survive_alt
        u = None if sv is None else rng.random(len(sv))
        surv = None if sv is None else survival[id(sv)](u, b)
        if surv is not None and tw_point is not None and len(tw_point):
            # the links of the kind again, at the replicate's co-twin chance
            at = pr.twins.at
            keep = sv[at] * (1.0 - pr.twins(twin_rng)) / np.maximum(1.0 - tw_point, 1e-12)
            surv[at] = u[at] < slope.tilt_chance(np.clip(keep, 0.0, 1.0), b)
        if pr.generation is not None:  # the links a generation apart, also wrong by a share
            surv = pr.generation.apply(gen_rng, surv, len(pr.link_group))
        wrong = _wrong(pr, post, chosen, surv, links)
        wrong_apart = None
        if pr.apart is not None:  # the same draw with those candidates relatives
            post_apart = np.where(pr.apart, 0.0, post)
            again = np.random.default_rng()
            again.bit_generator.state = at_choice
            wrong_apart = _wrong(pr, post_apart, _choose(again, pr.cands, post_apart, runs),
                                 surv, links)
        for bd in breakdowns:
            if bd.variable in strata:  # drawn per value from its own fit
                lam = strata[bd.variable].scaled_by_value(
                    len(bd.values), f.blocked, sh0, ratio, f.rec_wt, pr.cands.rec,
                    det_wt, refit=bd.variable == lead)
                blk = poisson_to_total(total_rng, rng.poisson(lam), lam, f0b)
            else:
                w = np.bincount(bd.cand_code, weights=shb, minlength=len(bd.values)) \
                    if len(shb) else np.zeros(len(bd.values))
                blk = rng.multinomial(k, w / w.sum()) if k and w.sum() > 0 else \
                    np.zeros(len(w))
            p, r = _draw_rates(pr, bd, wrong, _less_found(pr, bd, blk), cache)
            draws[bd.variable][0].append(p)
            draws[bd.variable][1].append(r)
            if wrong_apart is not None:
                draws[bd.variable][2].append(
                    _draw_rates(pr, bd, wrong_apart, _less_found(pr, bd, blk), cache)[1])
    rows, blocked_by = [], {}
    for bd in breakdowns:
        if bd.variable in strata:
            blk = to_total(strata[bd.variable].by_value(len(bd.values), point.blocked,
                                                        point.blocked_share), f0)
        else:
            blk = np.bincount(bd.cand_code, weights=share * f0, minlength=len(bd.values)) \
                if len(share) else np.zeros(len(bd.values))
        blocked_by[bd.variable] = blk
        p, r, false, linkable = _rates(pr, bd, point.posterior, None,
                                       _less_found(pr, bd, blk), cache)
        plo, phi = percentile_interval(np.array(draws[bd.variable][0])) if n_boot else (p, p)
        rlo, rhi = percentile_interval(np.array(draws[bd.variable][1])) if n_boot else (r, r)
        if draws[bd.variable][2]:  # the interval holds both readings of `named_apart`
            alo, ahi = percentile_interval(np.array(draws[bd.variable][2]))
            rlo, rhi = np.fmin(rlo, alo), np.fmax(rhi, ahi)
        rows.append(_row(bd, p, r, false, linkable, plo, phi, rlo, rhi))
    lo, hi = np.percentile(totals, [2.5, 97.5]) if totals else (f0, f0)
    return Estimate(point, f0, pd.concat(rows, ignore_index=True), check,
                    (float(min(lo, f0)), float(max(hi, f0))), blocked_by, _n_found(pr))


def _row(bd: Breakdown, p, r, false, linkable, plo, phi, rlo, rhi) -> pd.DataFrame:
    return pd.DataFrame({
        "variable": bd.variable, "value": bd.values,
        "est_precision": p, "est_precision_low": np.minimum(plo, p),
        "est_precision_high": np.maximum(phi, p), "est_recall": r,
        "est_recall_low": np.minimum(rlo, r), "est_recall_high": np.maximum(rhi, r),
        "expected_false_links": false, "expected_linkable": linkable})
