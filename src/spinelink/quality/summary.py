"""What summary.json says about one source: calibration, deterministic-link checks,
blocking, overall estimates; and the precision/recall trade-off against the threshold."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from spinelink.quality import labelfree

THRESHOLDS = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99,
              0.995, 0.999]


def _p(w):
    return 1.0 / (1.0 + np.exp2(-np.asarray(w, float)))


def _f(x, nd: int = 4):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), nd)


def calibration(prep: labelfree.Prepared, est: labelfree.Estimate) -> dict:
    """The model's expected false links beside the leave-partner-out calibration's (the
    check when the estimates use the model's probabilities, the estimate itself when they
    use the calibration), per weight bin, and a verdict."""
    fit = est.check or est.fit
    lg = prep.link_group[prep.link_group >= 0]
    model_p = prep.cands.prob if prep.cands.prob is not None else _p(prep.cands.weight)
    out = {
        "method": ("the probabilistic stage's record-level probabilities, checked against "
                   "the leave-partner-out null from deterministic links"
                   if est.check is not None else
                   "leave-partner-out null from deterministic links" if fit.method == "null"
                   else "model probabilities (too few deterministic links to check)"),
        "estimates_use": est.fit.method,
        "residual_records_linkable": _f(fit.linkable, 1),
        "residual_share_unlinkable": _f(fit.pi0),
        "model_expected_false_links": _f(float((1 - model_p[lg]).sum()), 2),
        "calibrated_expected_false_links": _f(float((1 - fit.posterior[lg]).sum()), 2),
        "bins": [{"weight_from": _f(lo, 2) if np.isfinite(lo) else None,
                  "weight_to": _f(hi, 2) if np.isfinite(hi) else None,
                  "candidates": int(o), "expected_non_matches": _f(e, 2),
                  "model_probability": _f(float(model_p[sel].mean()) if sel.any() else None),
                  "calibrated_probability": _f(float(fit.posterior[sel].mean())
                                               if sel.any() else None)}
                 for lo, hi, o, e, sel in _bins(prep, fit)],
    }
    m, c = out["model_expected_false_links"] or 0, out["calibrated_expected_false_links"] or 0
    out["verdict"] = ("consistent" if fit.method != "null" or abs(c - m) <= 2 * math.sqrt(
        max(m, 1)) else "model over-confident" if c > m else "model under-confident")
    return out


def _bins(prep, fit):
    b = np.digitize(prep.cands.weight, fit.edges[1:-1])
    for i in range(len(fit.edges) - 1):
        yield (fit.edges[i], fit.edges[i + 1], fit.observed[i],
               fit.expected_null[i] if fit.method == "null" else float("nan"), b == i)


def deterministic_check(null, det: pd.DataFrame) -> dict:
    out = {"links": int(len(det)), "precision_assumed": 1.0,
           "how": "deterministic links are counted correct; checked by scoring a sample of "
                  "them with the trained model"}
    if null is not None:
        pw = null.partner_weight
        out.update({"sample": int(null.n_records),
                    "partner_scored_by_blocking": _f(null.partner_scored),
                    "partner_mean_model_probability": _f(float(_p(pw).mean()) if len(pw)
                                                         else None),
                    "partner_below_review_share": _f(float((_p(pw) < 0.5).mean()) if len(pw)
                                                     else None),
                    "rival_scored_above_partner": int(null.rival_above)})
    return out


def deterministic(methods: pd.Series) -> np.ndarray:
    """Per link: made by the deterministic cascade (its method `direct:` or `key:`). By
    the few distinct methods (a million links' startswith took 0.35 s)."""
    m = methods.astype(str)
    return m.isin([x for x in pd.unique(m) if x.startswith(("direct:", "key:"))]).to_numpy()


def source_summary(inp, det, n_res: int, null, prep, est: labelfree.Estimate) -> dict:
    rows = est.rows
    overall = rows[rows["variable"] == "all"].iloc[0]
    methods = inp.links["method"].astype(str)
    kinds = {"deterministic": int(deterministic(methods).sum()),
             "probabilistic": int((methods == "probabilistic").sum()),
             "clerical": int((methods == "clerical").sum())}
    return {
        "links": int(len(inp.links)), "links_by_kind": kinds, "residual_records": int(n_res),
        "residual_with_candidates": int(prep.cands.n_with),
        "candidate_pairs": int(len(inp.pairs)),
        "overall": {k: _f(overall[k]) for k in (
            "est_precision", "est_precision_low", "est_precision_high", "est_recall",
            "est_recall_low", "est_recall_high")}
        | {"expected_false_links": _f(overall["expected_false_links"], 2),
           "expected_linkable": _f(overall["expected_linkable"], 1),
           "est_recall_floor": _recall_floor(overall, inp.without_evidence)},
        "records_without_personal_evidence": int(inp.without_evidence),
        "calibration": calibration(prep, est) if len(prep.cands.weight) else None,
        "deterministic": deterministic_check(null, det),
        "null_sample": null_basis(null),
        "blocking": {
            "expected_matches_never_compared": _f(est.blocked, 2),
            "between": [_f(x, 2) for x in est.blocked_interval],
            "of_them_found_through_a_shared_identifier": est.found_unseen,
            "how": "capture-recapture over the fields the prediction rules read: each field "
                   "group's agreement pattern among matches learnt from the likely matches "
                   "a rule not reading it caught (field groups independent, as in "
                   "Fellegi-Sunter); a caught match of catch-chance P stands for (1 - P) / P "
                   "never compared (quality.recapture); where every rule that can catch a "
                   "record reads one field group, between that and Chao1 on its profile's "
                   "likely matches where higher (quality.recapture_fallback); `between`: the 95% "
                   "bootstrap range"
                   if prep.cands.capture is not None else
                   "not estimated (taken as 0): the prediction rules are not all "
                   "conjunctions of column equalities"},
    }


def null_basis(null) -> dict | None:
    """How the leave-partner-out sample was scored, in numbers and words (an incremental
    run carries the scores of records the previous run scored as they are now)."""
    b = dict(null.basis or {}) if null is not None else None
    if not b:
        return None
    if b.get("with_fit"):
        b["basis"] = ("the sample of the run that made the carried fit (same model and "
                      "reference), nothing scored in this run: the null check and the "
                      "partner checks are that run's sample's, at this run's prior; every "
                      "other figure is computed from this run's links and candidate pairs")
    elif b.get("carried"):  # words only: the counts beside them are disclosure-controlled
        b["basis"] = ("part of the sampled records keep the scores the previous run gave "
                      "them (same model, reference and record; term frequencies as then), "
                      "the others (new or changed records) were scored now; every other "
                      "figure is computed from this run's links and candidate pairs")
    else:
        b["basis"] = "every sampled record scored in this run" + (
            f" (nothing carried from the previous run: {b['not_carried']})"
            if b.get("not_carried") else "")
    return b


def _recall_floor(overall, without_evidence: int):
    """Recall if every record whose candidates shared only household fields (surname,
    address, postcode, sex) with it were a match the linkage missed (a nickname or a typo
    in the first name and no date of birth): the lower end the data cannot rule out."""
    linkable, recall = overall["expected_linkable"], overall["est_recall"]
    if not linkable or recall is None or (isinstance(recall, float) and math.isnan(recall)):
        return None
    return _f(recall * linkable / (linkable + without_evidence))


def threshold_curve(prep: labelfree.Prepared, est: labelfree.Estimate,
                    links: pd.DataFrame) -> pd.DataFrame:
    """Links, estimated precision and recall if the accept threshold were t (each residual
    record linked to its best candidate at or above t), with the model's own precision."""
    fixed = int((links["method"] != "probabilistic").sum())
    overall = est.rows[est.rows["variable"] == "all"].iloc[0]
    linkable = float(overall["expected_linkable"])
    rec, w, post = prep.cands.rec, prep.cands.weight, est.fit.posterior
    rows = []
    if len(w):
        order = np.lexsort((-w, rec))
        first = np.r_[True, np.diff(rec[order]) != 0]
        top = order[first]
        top_p, top_post = _p(w[top]), post[top]
    else:
        top_p = top_post = np.zeros(0)
    for t in THRESHOLDS:
        sel = top_p >= t
        n = fixed + int(sel.sum())
        true = fixed + float(top_post[sel].sum())
        rows.append({"threshold": t, "links": n,
                     "est_precision": true / n if n else np.nan,
                     "est_recall": true / linkable if linkable > 0 else np.nan,
                     "model_precision": (fixed + float(top_p[sel].sum())) / n if n else np.nan})
    return pd.DataFrame(rows)


METHOD = {
    "precision": "1 - expected false links / links. A probabilistic link is correct with "
                 "its calibrated posterior probability; deterministic and clerical links "
                 "count as correct (see each source's `deterministic` check) unless another "
                 "source record links to the same reference unit: the source records on "
                 "such a unit are scored against each other with the trained model on "
                 "the personal fields (the Bayes factor of one person, identifiers left "
                 "out, at the source's prior odds of a same-person pair); if two are "
                 "different persons at most one link is "
                 "right, the one the reference record's fields favour (each source's "
                 "`shared_units`). Every link's probability of being right is multiplied "
                 "by the chance that no other record on its unit takes the unit, and "
                 "by the chance that it is not an absent person's co-twin (a link whose "
                 "first names are no forms of one name while surname, date of birth and "
                 "postcode agree; each source's `twins`).",
    "recall": "expected found / expected linkable source records (a source record is "
              "linkable when its person has a reference record): found = deterministic and "
              "clerical links plus the posteriors of probabilistic links; linkable among "
              "the residual records = those without a reference record subtracted, their "
              "number from the records without a single candidate pair (over the share of "
              "such records in the leave-partner-out sample); missed = linkable - found, "
              "placed in subgroups by the posteriors of candidates not linked and, for "
              "matches blocking never compared, by the likely matches they stand for.",
    "calibration": "By default (quality.calibration: model) the posteriors are the "
                   "probabilistic stage's record-level match probabilities (each source "
                   "record has at most one match; the share that has one fitted by EM), "
                   "which held best against the truth on data spinelink did not generate "
                   "(benchmarks/quality_eval.py). They are checked, and with "
                   "quality.calibration: null replaced, as follows. "
                   "The model's probabilities assume its comparisons are independent; "
                   "household members agree on surname, address and postcode together. A "
                   "sample of deterministically linked source records, given the missing-"
                   "field patterns of the residual records, is scored against the reference "
                   "without their partner (leave-partner-out): the non-match weights a "
                   "record gets when its person is absent. Expected non-matches over "
                   "observed candidates around each weight is the local false-discovery "
                   "rate (kernel-smoothed, fitted non-increasing); each record's candidates "
                   "then compete with 'no match', scaled so the posteriors add up to the "
                   "linkable records whose match is among their candidates. Candidates with "
                   "equal high weights count once (duplicate reference records).",
    "intervals": "95% percentile bootstrap (quality.bootstrap replicates): residual and "
                 "null records reweighted (Poisson), which refits the calibration and "
                 "the overall never-compared total (calibration uncertainty; the model "
                 "itself is not retrained). Subgroup values fitted on their own: those of "
                 "the variable that gives the overall figure have their totals refitted; "
                 "the others keep their point figure times their caught matches' "
                 "reweighted Horvitz-Thompson sum and the pooled patterns' refit ratio; "
                 "the never-compared matches keep the point estimate's placement. The "
                 "model's own error: each replicate multiplies every candidate's log-odds "
                 "against 'no match' (and each shared unit's survival log-odds) by one "
                 "calibration slope, log-normal with the model right within a factor of 2 "
                 "either way at 95% (fields that are wrong or agree together, such as "
                 "relatives at one address, make it over- or under-confident; no "
                 "label-free figure tells which way). A shared unit's same-person evidence "
                 "is read with one of the unit's source records as the person's clean "
                 "rendering (the point estimate's reading of a probabilistic link) or, in "
                 "half the replicates, with the reference record also one (two noisy rows "
                 "of one person agree less with each other than with it; the point's "
                 "reading of a match-key link, whose key shows the reference record renders "
                 "the person). Then each record's true match drawn "
                 "from its posteriors so tilted and the never-compared matches from "
                 "Poisson (outcome uncertainty: the Poisson-binomial variance). Point "
                 "estimates keep the model's probabilities. Link rates and label-based "
                 "rates: Wilson.",
    "incremental": "A run --since that linked a source with the previous run's model "
                   "(same reference, settings and code) and whose residual records and "
                   "links are within quality.carry_within (default 25%) of those of the "
                   "run that last fitted it "
                   "carries that fit (each source's `estimate`; quality.fitcarry): the "
                   "never-compared matches of each subgroup value are the fit's times its "
                   "caught matches now over then, and each interval reaches as far below "
                   "and above the point estimate as the fit's, and the leave-partner-out "
                   "sample (null and partner checks) is the fit's, at this run's prior; "
                   "every other figure (links, posteriors, expected false links, missed "
                   "matches among candidates, coverage) is recomputed. Otherwise the stage "
                   "refits and says why.",
    "subgroups": "By the reference record's value (links: the linked record; missed "
                 "links: the candidate thought to be the match). A variable only a source "
                 "carries is broken down by the source record's value; its n_reference and "
                 "n_linked then count source records. Age in whole years at reference_date.",
    "diagnostics": "Each source's `diagnostics` list the checks of what the estimates "
                   "assume (the model's calibration against the leave-partner-out check; "
                   "deterministic links the model scores low; residual records without "
                   "candidates; records whose candidates share only household fields, "
                   "which give `est_recall_floor`, the recall if every one of them were a "
                   "missed match; the 95% range of the never-compared matches; subgroups with "
                   "many unknown values; wide intervals; bootstrap replicates); `warnings` "
                   "says in words which failed and which way the estimate may be wrong. "
                   "What the intervals leave out: the model's own error beyond a "
                   "calibration slope of 1/2 to 2 (its m and u probabilities and prior "
                   "are not refitted; where it is wrong about relatives who share "
                   "surname, address and date of birth, or about people who moved, "
                   "married or spell their names another way, by more than that, the "
                   "intervals do not show it: the `calibration` check is the warning; "
                   "with `null` the leave-partner-out calibration is redrawn too), a "
                   "shared unit's same-person score beyond the same slope and those two "
                   "readings (relatives who resemble the unit's person: neither sees "
                   "them; the co-twin chance's rates are drawn from their counts, tau "
                   "in half the replicates from the larger of the reference's and the "
                   "source's co-twin shares; an unlinked candidate the relatives rule "
                   "names apart from its unit's linked records is read both as the "
                   "model says and as a relative, the recall intervals holding both), "
                   "errors among "
                   "deterministic links alone on "
                   "their unit (counted correct), matches a blocking rule caught but the "
                   "model scored below the pair floor (not in the pairs file), the "
                   "never-compared estimate's assumption that field groups (names, date "
                   "of birth, postcode, address) are wrong independently of each other, "
                   "how much the never-compared matches' placement moves in a resample, "
                   "and, for subgroup variables other than the one that gives the overall "
                   "figure, how much a value's own pattern fit moves beyond the pooled "
                   "one (not refitted per replicate).",
    "flags": "A group is flagged when the upper end of its 95% interval for the link "
             "rate or the estimated recall is below the source's overall estimate.",
}


def safe_counts(d, min_cell: int, rounding: int | None):
    """Counts in a summary: 1..min_cell-1 as 'suppressed' (the threshold is not
    published), others rounded if asked."""
    if isinstance(d, dict):
        return {k: safe_counts(v, min_cell, rounding) for k, v in d.items()}
    if isinstance(d, list):
        return [safe_counts(v, min_cell, rounding) for v in d]
    if isinstance(d, bool) or not isinstance(d, int | np.integer):
        return d
    if 0 < d < min_cell:
        return "suppressed"
    return int(round(d / rounding) * rounding) if rounding else int(d)
