"""Model training for `model: auto`: u by random sampling over all records, m by EM
sessions planned from the fields both sides populate (spinelink.model_fields), on the
residual records when their sessions estimate at least what all records' would, otherwise
on all records. Every session planned, skipped (and why), run or failed is reported."""
from __future__ import annotations

import logging

from spinelink.backends import Engine
from spinelink.capped_keys import _concat_key
from spinelink.config import Probabilistic
from spinelink.model_fields import Fields, field_of
from spinelink.model_spec import ModelSpec, chosen_comparisons, identifier_rules, settings_for
from spinelink.probabilistic import REFIT_MIN_RECORDS, _clamp, _count, _register
from spinelink.sqlfiles import sql_file

log = logging.getLogger("spinelink.probabilistic")


def train_model(engine: Engine, spec: ModelSpec, tables: dict[str, str], fields: Fields,
                cfg: Probabilistic, seed: int, tag: str) -> tuple[dict, dict]:
    """u by random sampling over all records; m by EM over the residual records when there
    are enough of them (deterministic linkage took the records that agree exactly, so the
    matches left behind disagree more often than matches in the whole data), otherwise
    over all records. Returns the model and a training report for the manifest."""
    from spinelink import splink_compat
    from spinelink.splink_import import splink_ready

    splink_ready()
    from splink import Linker

    splink_compat.install()
    db_api = engine.splink_db_api()
    dialect = db_api.sql_dialect.sql_dialect_str
    splink_compat.forget_term_frequencies(db_api)
    full = Linker([_register(db_api, tables["ref_full"], f"{tag}_train_ref"),
                   _register(db_api, tables["src_full"], f"{tag}_train_src")],
                  settings_for(spec, fields), log_level=None,
                  # the whole tables do not carry the capped keys prediction's rules read
                  # (training blocks on its own rules): no log about them
                  validate_settings=False)
    full.training.estimate_u_using_random_sampling(max_pairs=cfg.max_pairs_u, seed=seed,
                                                   num_chunks=1)
    with_u = _clamp(full.misc.save_model_to_json())
    n_src = _count(engine, tables["src"])
    n_res = min(_count(engine, tables["ref"]), n_src)
    report: dict = {"fields": fields.summary()}
    # all records' sessions are planned (their pairs counted over every record) only when
    # they are run or the residual's might not estimate what they would
    everything = {c for c, _ in chosen_comparisons(spec, fields)}
    plan_all = None
    use_residual = False
    if n_res >= REFIT_MIN_RECORDS:
        plan_res = _plan_sessions(engine, spec, fields, tables["ref"], tables["src"])
        if _covers(plan_res) < everything:
            plan_all = _plan_sessions(engine, spec, fields, tables["ref_full"],
                                      tables["src_full"])
        use_residual = plan_all is None or _covers(plan_res) >= _covers(plan_all)
        if not use_residual:
            report["em_note"] = (
                "the residual's EM sessions would not estimate every comparison all records' "
                f"sessions do ({', '.join(sorted(_covers(plan_all) - _covers(plan_res)))})")
    else:
        report["em_note"] = f"residual of {n_res} records is below {REFIT_MIN_RECORDS}"
    model = full
    if use_residual:
        em = Linker([_register(db_api, tables["ref"], f"{tag}_em_ref"),
                     _register(db_api, tables["src"], f"{tag}_em_src")],
                    with_u, log_level=None)
        with engine.ordered_sums(), splink_compat.em_between_datasets(dialect):
            report.update(em_records="residual", sessions=_run_sessions(
                em, spec, plan_res, tag, n_src))
        used = {c for s in report["sessions"] if s["status"] == "used" for c in s["estimates"]}
        left = ", ".join(sorted(_covers(plan_res) - used))
        if used and not left:
            model = em
        elif used:
            # a session rejected (more matches than source records) or failed: its
            # comparisons would keep Splink's default m, all records' sessions estimate them
            log.warning("%s: an EM session on the %d residual records was rejected or "
                        "failed and left %s unestimated; m is estimated on all records "
                        "instead", tag.removeprefix("__sl_"), n_res, left)
            report["residual_sessions"] = report.pop("sessions")
            report["em_note"] = f"a residual EM session was rejected or failed: {left} " \
                                "unestimated"
        else:
            log.warning("%s: no EM session converged on the %d residual records; m is "
                        "estimated on all records instead", tag.removeprefix("__sl_"), n_res)
    if model is full:
        if plan_all is None:
            plan_all = _plan_sessions(engine, spec, fields, tables["ref_full"],
                                      tables["src_full"])
        with engine.ordered_sums(), splink_compat.em_between_datasets(dialect):
            report.update(em_records="all", sessions=_run_sessions(
                full, spec, plan_all, tag, _count(engine, tables["src_full"])))
    estimated = {c for s in report["sessions"] if s["status"] == "used" for c in s["estimates"]}
    report["not_estimated"] = [c for c, _ in chosen_comparisons(spec, fields)
                               if c not in estimated]
    if report["not_estimated"]:
        log.warning("%s: m of %s not estimated by EM (no usable session); Splink's default "
                    "m values are used", tag.removeprefix("__sl_"),
                    ", ".join(report["not_estimated"]))
    out = monotone_levels(floor_disagreement(_clamp(model.misc.save_model_to_json()),
                                             spec.training.min_m_disagree,
                                             matches_seen(report["sessions"]),
                                             report.setdefault("else_m", {})))
    out["linker_uid"] = f"spinelink_{tag}"
    splink_compat.release_tables(db_api)  # the model is all prediction needs of training
    log.info("trained %s: u by random sampling over all records, m by EM over %s records "
             "(%d sessions)", tag, report["em_records"],
             sum(s["status"] == "used" for s in report["sessions"]))
    return out, report


UNSEEN_BOUND = 3.0  # matches: the 95% upper bound of a count none of n showed is 3 / n


def matches_seen(sessions: list[dict]) -> dict[str, float]:
    """Per comparison, the matches its used EM sessions saw (each session's fitted share
    of matches times the pairs it read)."""
    seen: dict[str, float] = {}
    for s in sessions:
        if s.get("status") == "used" and s.get("matches"):
            for c in s["estimates"]:
                seen[c] = seen.get(c, 0.0) + s["matches"]
    return seen


def floor_disagreement(model: dict, floor: float, matches: dict[str, float] | None = None,
                       seen: dict | None = None) -> dict:
    """Raise the m of each comparison's last ("else") level to at least `floor`, or to
    `UNSEEN_BOUND / n` when EM estimated it from n matches (`matches`, by comparison) and
    that is higher: a share of matches EM saw none of among n is not measured below 3 / n
    (the 95% upper bound of a rate never seen), so a disagreement is not made surer
    evidence against a match than the matches seen can show, scaling
    its other levels' m down to keep their sum. In an EM session every pair agrees on
    the fields it blocks on, so a match that disagrees on a field is only seen when that
    field is estimated by another session, among few pairs; EM can then put almost no
    matches at the else level (m 1e-4 for a surname), and one changed surname or one
    made-up first name outweighs every other agreement. Real sources change names, make
    up first names and mistype dates for more than one match in a hundred."""
    for comp in model.get("comparisons", []):
        levels = [lv for lv in comp.get("comparison_levels", []) if not lv.get("is_null_level")]
        known = [lv for lv in levels[:-1] if isinstance(lv.get("m_probability"), float | int)]
        last = levels[-1].get("m_probability") if len(levels) > 1 else None
        n = (matches or {}).get(comp.get("output_column_name"), 0.0)
        # EM's m is taken as measured where it is at least `floor`
        least = max(floor, UNSEEN_BOUND / n) if n > UNSEEN_BOUND else floor
        if seen is not None and isinstance(last, float | int):
            seen[comp.get("output_column_name")] = {"em": float(f"{last:.6g}"), "matches": n,
                                                    "least": float(f"{least:.6g}")}
        if not isinstance(last, float | int) or last >= floor or not known:
            continue
        rest = sum(lv["m_probability"] for lv in known)
        scale = (rest + last - least) / rest
        for lv in known:
            lv["m_probability"] = float(f"{lv['m_probability'] * scale:.12g}")
        levels[-1]["m_probability"] = float(f"{least:.12g}")
    return model


COLLAPSED_M = 1e-6  # an m below this is EM's collapse, not a measurement (monotone_levels)


def monotone_levels(model: dict) -> dict:
    """No level that EM drove to nothing weighs less than its comparison's "else" level:
    a level whose m is below COLLAPSED_M and whose weight is below the else level's gets
    m = `u x m_else / u_else`, the other agreeing levels' m scaled down to keep the sum
    (the else level keeps its floor). Levels run from the closest agreement to none, so a
    closer one is never more evidence against a match than total disagreement; but a
    level EM rarely sees among matches in its sessions can get an m near zero (seen: a
    surname at Jaro-Winkler 0.8, one typo, at -24 bits against -6.6 for a different
    surname; the same postcode with another address at -31), and a typo then rules out a
    match that a changed name would not. A level with a real estimate below the else
    level (a placeholder postcode that every pair shares, at -2.7 against 0) is EM's
    finding and is kept: raising it would move most of the m to it."""
    for comp in model.get("comparisons", []):
        levels = [lv for lv in comp.get("comparison_levels", []) if not lv.get("is_null_level")]
        if len(levels) < 2 or not _known(levels[-1]):
            continue
        ratio = levels[-1]["m_probability"] / levels[-1]["u_probability"]
        raised = {i: lv["u_probability"] * ratio for i, lv in enumerate(levels[:-1])
                  if _known(lv) and lv["m_probability"] < COLLAPSED_M
                  and lv["m_probability"] < lv["u_probability"] * ratio}
        if not raised:
            continue
        added = sum(m - levels[i]["m_probability"] for i, m in raised.items())
        others = [lv for i, lv in enumerate(levels[:-1]) if i not in raised and _known(lv)]
        rest = sum(lv["m_probability"] for lv in others)
        if rest <= added:
            continue
        for lv in others:
            lv["m_probability"] = float(f"{lv['m_probability'] * (rest - added) / rest:.12g}")
        for i, m in raised.items():
            levels[i]["m_probability"] = float(f"{m:.12g}")
    return model


def _known(level: dict) -> bool:
    return all(isinstance(level.get(k), float | int) and not isinstance(level.get(k), bool)
               for k in ("m_probability", "u_probability"))


def _plan_sessions(engine: Engine, spec: ModelSpec, fields: Fields, ref: str,
                   src: str) -> list[dict]:
    """The spec's EM sessions (then one per shared identifier), in order, each marked
    `planned` when its fields are populated on both sides, it estimates a comparison no
    earlier planned session does, and it has between `min_pairs_em` and
    `max_session_pairs` pairs; otherwise `skipped` with the reason."""
    comps = chosen_comparisons(spec, fields)
    estimated: set[str] = set()
    plan = []
    for rule in [*spec.training.em_blocking, *identifier_rules(fields)]:
        entry: dict = {"rule": " & ".join(rule), "columns": rule, "estimates": []}
        plan.append(entry)
        if not fields.blockable(rule):
            entry["status"] = "skipped: a field is missing or mostly empty on one side"
            continue
        blocked = {field_of(c) for c in rule}
        gains = [c for c, fs in comps if not set(fs) & blocked]
        if not set(gains) - estimated:
            entry["status"] = "skipped: every comparison it would estimate is estimated"
            continue
        n_pairs = pair_count(engine, ref, src, rule)
        entry["pairs"] = n_pairs
        t = spec.training
        if not t.min_pairs_em <= n_pairs <= t.max_session_pairs:
            entry["status"] = (f"skipped: {n_pairs} pairs (fewer than {t.min_pairs_em})"
                               if n_pairs < t.min_pairs_em else
                               f"skipped: {n_pairs} pairs (more than {t.max_session_pairs})")
            continue
        entry.update(status="planned", estimates=gains)
        estimated |= set(gains)
    return plan


def _covers(plan: list[dict]) -> set[str]:
    return {c for s in plan if s["status"] in ("planned", "used") for c in s["estimates"]}


def _run_sessions(linker, spec: ModelSpec, plan: list[dict], tag: str,
                  records: int | None = None) -> list[dict]:
    """Run the planned sessions; one that does not converge is skipped, with a warning
    naming the source (`tag` without its `__sl_` prefix)."""
    from splink import block_on
    from splink.internals.exceptions import SplinkException

    from spinelink import splink_compat

    name = tag.removeprefix("__sl_")
    out = []
    for planned in plan:
        cols = planned["columns"]
        entry = {k: v for k, v in planned.items() if k != "columns"}
        out.append(entry)
        if entry["status"] != "planned":
            log.info("%s: EM session %s %s", name, entry["rule"], entry["status"])
            continue
        # a failed session would leave the model without the comparisons it blocks on
        restore = splink_compat.settings_restorer(linker)
        try:
            session = linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*cols), max_pairs=spec.training.max_pairs_em)
        except (SplinkException, ArithmeticError, ValueError) as e:
            # EM that drives the share of matches among the blocked pairs to 0 or 1 ends
            # in Splink's log2 of it: `math domain error` (or a division by zero)
            if isinstance(e, ValueError) and "math domain" not in str(e):
                raise
            restore()
            entry.update(status=f"failed: {type(e).__name__}", estimates=[])
            log.warning("%s: EM session %s did not converge (%s); skipped", name,
                        entry["rule"], type(e).__name__)
            continue
        share = session.core_model_settings.probability_two_random_records_match
        entry["matches"] = round(share * min(entry.get("pairs", 0), spec.training.max_pairs_em), 1)
        expected = share * entry.get("pairs", 0)
        if records is not None and expected > records:
            # more matches than source records: EM took a cluster of non-matches for the
            # matches (a household's members, who share a postcode and often a first name
            # but not a date of birth), and its m values describe that cluster
            restore()
            entry.update(status=f"rejected: {expected:.1f} matches among the pairs of "
                                f"{records} source records", estimates=[])
            log.warning("%s: EM session %s found more matches than source records; "
                        "skipped", name, entry["rule"])
            continue
        entry["status"] = "used"
    return out


def pair_count(engine: Engine, ref: str, src: str, columns: list[str]) -> int:
    """Pairs an equality rule on `columns` makes between two tables."""
    key, present = _concat_key(columns, "")
    return int(engine.scalar(sql_file("probabilistic/pair_count.sql", ref=ref, src=src,
                                      key=key, present=present)))
