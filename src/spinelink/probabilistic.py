"""Probabilistic linkage of the residual records with Splink 5 (Fellegi-Sunter).

Training (`model: auto`) is in spinelink.training. Prediction scores only the residual
records (those deterministic linkage left), over the model's blocking rules; pairs that
agree on no personal field, and pairs that two of first name, middle name and date of birth
tell apart, are dropped (spinelink.evidence), and pairs at one address
are weighed with co-resident u-probabilities (spinelink.household). The record-level model
(`record_model`, spinelink.record_level) then fits, by EM with m and u held fixed, the
share of residual source records that have their match among the reference records (its
posterior mode under a Beta(2, 2) prior; for a source that is not one-to-one, apart for the
reference records its match keys took and the others), and gives each pair the
probability that it is its source record's match. Thresholds (spinelink.thresholds) and
the one-link rules (`select_links`) turn those into links and the review band.
"""
from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from spinelink import chunks, home_scale, household, persons_apart, thresholds
from spinelink.backends import Engine
from spinelink.chunks import (
    PAIR_FLOOR,  # noqa: F401 (the quality stage's null model)
    REF_SIDE,
    SRC_SIDE,
)
from spinelink.config import Probabilistic
from spinelink.errors import LinkageError
from spinelink.evidence import (
    household_only,
    middle_is_personal,
    named_apart,
    personal_evidence,
)
from spinelink.record_level import (  # noqa: F401
    TIE,
    TIE_FROM,
    RecordModel,
    record_model,
    record_share,
)
from spinelink.record_persons import tied_persons
from spinelink.sqlfiles import quote_ident, sql_file

log = logging.getLogger("spinelink.probabilistic")
REFIT_MIN_RECORDS = 300  # residuals smaller than this keep the m trained on all records


@dataclass
class ProbResult:
    pairs: pd.DataFrame   # reference_id, source_id, match_weight, match_probability (all scored)
    links: pd.DataFrame   # accepted links after the one-link rules
    review: pd.DataFrame  # clerical band for source records without a link
    prior: float
    model: dict
    thresholds: dict  # {"thresholds": accept/review and their estimates, "household": ...}
    # pairs of a source record born after the reference date and an undated reference
    # record (`born_apart`: no candidates): reference_id, source_id, match_weight
    born_apart: pd.DataFrame | None = None


def _register(db_api, table: str, alias: str, display: str | None = None):
    return db_api.register(table, table_name=alias, dataset_display_name=display)


def _count(engine: Engine, table: str) -> int:
    return int(engine.scalar(f"SELECT count(*) FROM {quote_ident(table)}"))


M_U_FLOOR = 1e-12


def _clamp(model: dict) -> dict:
    """EM can drive a level's m or u to ~1e-313, which Splink refuses to load back:
    floor numeric m and u at 1e-12 (a weight of about -40, i.e. "never").
    Values are rounded to 12 significant digits: EM's sums run in parallel, so their last
    bits depend on the thread count; rounded, the model (and all that it scores) does not."""
    for comp in model.get("comparisons", []):
        for lvl in comp.get("comparison_levels", []):
            for key in ("m_probability", "u_probability"):
                v = lvl.get(key)
                if isinstance(v, float | int) and not isinstance(v, bool):
                    lvl[key] = float(f"{min(1.0, max(float(v), M_U_FLOOR)):.12g}")
    return model


def load_model(path: Path) -> dict:
    try:
        model = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LinkageError(f"{path}: model file does not exist") from None
    except json.JSONDecodeError as e:
        raise LinkageError(f"{path}: not valid JSON (line {e.lineno})") from None
    if not isinstance(model, dict) or "comparisons" not in model:
        raise LinkageError(f"{path}: not a Splink model (no 'comparisons' key)")
    return _clamp(model)


def tf_columns(model: dict) -> list[str]:
    """The columns a Splink model adjusts for term frequency, in model order."""
    cols: list[str] = []
    for comp in model["comparisons"]:
        for lvl in comp["comparison_levels"]:
            c = lvl.get("tf_adjustment_column")
            if c and c not in cols:
                cols.append(c)
    return cols


def score_residual(engine: Engine, model: dict, ref_full: str, src_full: str, ref: str,
                   src: str, tag: str, household_u: bool = False,
                   lam0: float | None = None,
                   unborn: tuple[str, str] | None = None,
                   flag_household_only: bool = False,
                   home: bool = False, known_pairs: dict[str, float] | None = None,
                   ref_keys: str | None = None) -> tuple[pd.DataFrame, float]:
    """Score residual pairs; returns pairs with Bayes factors (log2) and the prior used
    (`lam0`, by default 1 / the larger side: the quality stage scores part of its sample
    at the whole sample's prior). `flag_household_only`: a column `household_only`, per
    pair whether no personal field agrees (`evidence.household_only`). `home`: a column
    `home_log_x` and attrs["surname_at_home"] (`home_scale`; without `household_u`).
    `known_pairs`: rules' pairs counted already (`chunks.blocked_pairs`' `known`).
    `ref_keys`: the table of `ref`'s capped keys when `ref` does not carry them
    (`capped_keys.add_capped_keys(apart=True)`): the capped rules block on it."""
    from spinelink.splink_import import splink_ready

    splink_ready()
    from splink import Linker

    n_ref, n_src = _count(engine, ref), _count(engine, src)
    # no pairs (every residual record without a candidate): typed, so the arithmetic and
    # rounding downstream hold
    empty = pd.DataFrame({"reference_id": pd.Series(dtype=str),
                          "source_id": pd.Series(dtype=str), "bf": pd.Series(dtype=float)})
    if n_src == 0 or (n_ref == 0 and not lam0):
        return empty, 0.0
    if n_ref == 0:  # a part of the reference no rule pairs with (incremental.pool)
        empty.attrs["without_evidence"] = 0
        return empty, lam0
    lam0 = lam0 or min(0.5, 1.0 / max(n_ref, n_src))
    model = {**model, "probability_two_random_records_match": lam0,
             "linker_uid": f"{model.get('linker_uid', 'm')}_p",
             "retain_intermediate_calculation_columns": True}  # gamma_* for the evidence rule
    db_api = engine.splink_db_api()
    own = chunks.blocked_id_pairs_sql(model, ref, src, (1, 1)) is not None
    if ref_keys and not own:  # Splink blocks itself: on the reference with its keys
        keys = [c for c in engine.columns(ref_keys) if c != "record_id"]
        engine.execute(f"CREATE OR REPLACE VIEW {quote_ident(tag + '_ref_keyed')} AS "
                       + sql_file("probabilistic/reference_with_keys.sql", ref=ref,
                                  keyed=ref_keys,
                                  keys=", ".join(f"k.{quote_ident(c)}" for c in keys)))
        ref = f"{tag}_ref_keyed"
    # with the blocked pairs made here, Splink reads only the columns it scores on (its
    # scoring joins every pair to both records' columns: at a million records the blocking
    # keys it does not compare set the run's peak memory)
    sides = {REF_SIDE: ref, SRC_SIDE: src}
    names = {REF_SIDE: f"{tag}_pred_ref", SRC_SIDE: f"{tag}_pred_src"}
    scored = {n: _scoring_view(engine, model, t, f"{names[n]}_cols") if own else t
              for n, t in sides.items()}
    sref = _register(db_api, scored[REF_SIDE], names[REF_SIDE], REF_SIDE)
    ssrc = _register(db_api, scored[SRC_SIDE], names[SRC_SIDE], SRC_SIDE)
    # validate_settings only builds log lines about missing columns (log_level None: never
    # shown); 0.3 s a call
    linker = Linker([sref, ssrc], model, log_level=None, validate_settings=False)
    for col in tf_columns(model):
        tf_table = f"{tag}_tf_{col}"
        engine.create_table(tf_table, sql_file("probabilistic/tf_lookup.sql", col=col,
                                               tf_col=f"tf_{col}", ref=ref_full,
                                               src=src_full))
        linker.table_management.register_term_frequency_lookup(
            _register(db_api, tf_table, f"{tf_table}_sdf"), col)
    # every pair of the two sides fits one chunk: no count needed
    per_chunk = chunks.pairs_per_chunk(engine.memory_bytes())
    pairs = (float(n_ref * n_src) if n_ref * n_src <= per_chunk
             else chunks.blocked_pairs(engine, model, ref, src, known_pairs))
    n_chunks = chunks.prediction_chunks(pairs, n_ref, n_src, per_chunk)
    log.info("%s: %s blocked pairs at most, scored in %d chunk(s)", tag.removeprefix("__sl_"),
             "uncounted" if pairs is None else f"{pairs:.0f}", n_chunks)
    # the blocked pairs made by spinelink (chunks.blocked_id_pairs_sql: a query DuckDB
    # plans in a fraction of the time of Splink's), where the rules are equalities
    df = chunks.predict_in_chunks(linker, n_chunks, tag,
                                  blocking=(engine, model, sides, {REF_SIDE: ref_keys}
                                            if ref_keys else None) if own else None)
    without_evidence, middle_personal = 0, None
    if not df.empty:
        src_col = np.where(df["source_dataset_l"] == REF_SIDE, df["record_id_r"],
                           df["record_id_l"])
        middle = _middle_counts(engine, df, ref_full, src_col, unborn)
        middle_personal = middle is not False
        keep = personal_evidence(df, model, middle) & \
            ~named_apart(engine, ref, src, df, model, tag)
        apart = born_apart(engine, df, tag, *unborn) if unborn is not None else \
            np.zeros(len(df), dtype=bool)
        # sets, not np.setdiff1d: on object arrays numpy compares element by element
        # (quadratic: 4 s per call at 50k records); a record whose candidates are all
        # born apart had personal evidence: not counted here
        kept = set(pd.unique(src_col[keep]))
        without_evidence = sum(1 for r in pd.unique(src_col[~keep]) if r not in kept)
        apart_df, df = df[keep & apart], df[keep & ~apart]
    else:
        apart_df = df
    hh = household.co_resident_u(engine, model, ref_full, _count(engine, src_full), tag) \
        if household_u and not (df.empty and apart_df.empty) else None
    # the pairs born apart, scored as the others, for the quality stage (`born_apart`)
    born = _bayes_factors(apart_df, tag, lam0, hh) if not apart_df.empty else None
    if df.empty:
        empty.attrs["without_evidence"] = without_evidence
        empty.attrs["middle_personal"] = middle_personal
        if born is not None:  # taken off at once by link_probabilistic
            empty.attrs["born_apart"] = born
        return empty, lam0
    out = _bayes_factors(df, tag, lam0, hh)
    if flag_household_only:
        out["household_only"] = household_only(df, model)
    if home and hh is None:  # `household` weighs the surname at home already
        sh = home_scale.surname_at_home(engine, model, ref, _count(engine, ref_full)
                                         + _count(engine, src_full))
        out["home_log_x"] = home_scale.log_x(df, model, sh)
        out.attrs["surname_at_home"] = sh
    out.attrs["household"] = hh.summary() if hh else None
    # records whose every candidate shared only household fields (surname, address): not
    # scored, and counted by quality as a bound on the matches the linkage cannot see
    out.attrs["without_evidence"] = without_evidence
    out.attrs["middle_personal"] = middle_personal
    # the engine returns pairs in an order that depends on its threads: sorted, every sum
    # over them (the prior's EM) is the same to the last bit
    out = out.sort_values(["source_id", "reference_id"], kind="mergesort", ignore_index=True)
    if born is not None:  # taken off at once by link_probabilistic
        out.attrs["born_apart"] = born
    return out, lam0


def _bayes_factors(df: pd.DataFrame, tag: str, lam0: float, hh) -> pd.DataFrame:
    """Splink's scored pairs as reference_id, source_id and the log2 Bayes factor (the
    prediction's match weight less its prior, with the household adjustment)."""
    ref_is_left = df["source_dataset_l"] == REF_SIDE
    return pd.DataFrame({
        "reference_id": np.where(ref_is_left, df["record_id_l"], df["record_id_r"]).astype(str),
        "source_id": np.where(ref_is_left, df["record_id_r"], df["record_id_l"]).astype(str),
        "bf": df["match_weight"].astype(float) - math.log2(lam0 / (1 - lam0))
        + household.adjust(df, hh),
    })


def _middle_counts(engine: Engine, df: pd.DataFrame, ref_full: str, src_ids: np.ndarray,
                   unborn: tuple[str, str] | None) -> bool | np.ndarray:
    """Per pair, whether an agreeing middle name counts as personal evidence
    (`evidence.personal_evidence`): where the reference's middle names are the persons'
    own (`evidence.middle_is_personal`), and not for a source record born after the
    reference date, whose person the reference is not expected to hold (a baby beside an
    elder sibling of the same initial)."""
    if "mw_middle_name" not in df or not middle_is_personal(engine, ref_full):
        return False
    if unborn is None:
        return True
    born = _ids(engine, unborn[0])
    return ~pd.Series(src_ids).astype(str).isin(born).to_numpy()


def _ids(engine: Engine, table: str) -> set[str]:
    return set(engine.df(f"SELECT CAST(record_id AS VARCHAR) AS r FROM {quote_ident(table)}")
               ["r"])


def born_apart(engine: Engine, df: pd.DataFrame, tag: str, born: str,
               undated: str) -> np.ndarray:
    """The scored pairs of a source record born after the reference date (table `born`,
    record_id) with a reference record without a date of birth (table `undated`): the
    person was not yet born on census day, and with no date to compare nothing else tells
    a baby from an undated sibling of the same name and address. A dated reference record
    is compared as usual: its date disagrees, which the model weighs (a mistyped year in
    the source can still be the person)."""
    ref_is_left = (df["source_dataset_l"] == REF_SIDE).to_numpy()
    src_ids = np.where(ref_is_left, df["record_id_r"], df["record_id_l"]).astype(str)
    ref_ids = np.where(ref_is_left, df["record_id_l"], df["record_id_r"]).astype(str)
    b = _ids(engine, born)
    if not b:
        return np.zeros(len(df), dtype=bool)
    u = _ids(engine, undated)
    return pd.Series(src_ids).isin(b).to_numpy() & pd.Series(ref_ids).isin(u).to_numpy()


def _scoring_view(engine: Engine, model: dict, table: str, name: str) -> str:
    """A view of `table` with the columns the model's comparisons read (their levels'
    `<column>_l` / `_r`, term-frequency columns) and the record id."""
    text = json.dumps(model["comparisons"])
    uid = model.get("unique_id_column_name", "unique_id")
    keep = [c for c in engine.columns(table) if c == uid or c in tf_columns(model)
            or re.search(rf"(?<![\w]){re.escape(c)}_[lr](?![\w])", text)]
    engine.execute(sql_file("probabilistic/scoring_view.sql", name=name, table=table,
                            columns=", ".join(map(quote_ident, keep))))
    return name


def select_links(pairs: pd.DataFrame, accept: float, review: float, one_to_one: bool,
                 held: np.ndarray | None = None) -> tuple:
    """Accepted links (at most one reference unit per source record; with one_to_one, also
    at most one source record per reference unit, chosen greedily by probability) and the
    review band for source records that got no link. `held`: per pair, never accepted
    (in review when its probability is at least `accept`, whatever `review`)."""
    cols = ["reference_id", "source_id", "match_probability", "match_weight"]
    p = pairs["match_probability"]
    hold = np.zeros(len(pairs), dtype=bool) if held is None else np.asarray(held, bool)
    in_band = (p >= review).to_numpy()
    order = ["match_probability", "reference_id", "source_id"]
    cand = pairs[in_band].sort_values(order, ascending=[False, True, True], kind="mergesort")
    acc = pairs[(p >= accept).to_numpy() & ~hold].sort_values(
        order, ascending=[False, True, True], kind="mergesort")
    if one_to_one:
        used_r, used_s, keep = set(), set(), []
        for i, r, s in zip(acc.index, acc["reference_id"], acc["source_id"], strict=True):
            if r not in used_r and s not in used_s:
                used_r.add(r)
                used_s.add(s)
                keep.append(i)
        links = acc.loc[keep]
    else:
        # a record's candidates of one probability are one person held twice
        # (`record_model`): the link goes to the one its fields agree with most (equal
        # weights, as `TIE` counts them: the first reference id)
        links = acc.assign(_w=(acc["match_weight"] / TIE).round()).sort_values(
            ["source_id", "match_probability", "_w", "reference_id"],
            ascending=[True, False, False, True], kind="mergesort").drop_duplicates(
            "source_id", keep="first")
    review = cand[~cand["source_id"].isin(set(links["source_id"]))]
    if one_to_one:
        review = review[~review["reference_id"].isin(set(links["reference_id"]))]
    order = ["source_id", "reference_id"]
    return (links[cols].sort_values(order).reset_index(drop=True),
            review[cols].sort_values(order).reset_index(drop=True))


def link_probabilistic(engine: Engine, model: dict, tables: dict[str, str], cfg: Probabilistic,
                       one_to_one: bool, tag: str, n_ref: int | None = None,
                       unborn: tuple[str, str] | None = None,
                       units: pd.Series | None = None,
                       claimed_by: str | None = None,
                       known_pairs: dict[str, float] | None = None,
                       fixed_as: str = "fixed") -> ProbResult:
    """`units`: source record id -> the unit whose records are different persons
    (`spinelink.persons_apart`), or None. `claimed_by`: the source's deterministic links
    (a table), whose reference records are a class of their own in the record-level model
    when the reference keeps them (not one-to-one; `record_level`). `n_ref`: the residual
    reference records when `tables["ref"]` holds only those its rules can pair
    (spinelink.incremental.pool): the prior is the whole residual's.
    `unborn` (source ids, reference ids tables): pairs of a source record born after the
    reference date with an undated reference record are no candidates (`born_apart`).
    `known_pairs`: rules' pairs counted already (`capped_keys.among_pairs`). `fixed_as`:
    the mode of thresholds the job does not leave to `auto` (`thresholds.choose`)."""
    n_src = _count(engine, tables["src"])
    part = n_ref is not None
    n_ref = _count(engine, tables["ref"]) if n_ref is None else n_ref
    scored, lam0 = score_residual(engine, model, tables["ref_full"], tables["src_full"],
                                  tables["ref"], tables["src"], tag, cfg.household,
                                  lam0=min(0.5, 1.0 / max(n_ref, n_src, 1)) if part else None,
                                  unborn=unborn,
                                  flag_household_only=cfg.household_only == "review",
                                  home=True, known_pairs=known_pairs,
                                  ref_keys=tables.get("ref_keys"))
    apart = scored.attrs.pop("born_apart", None)
    if scored.attrs.get("middle_personal"):
        log.info("%s: co-residents share a middle initial about as often as strangers: one "
                 "that agrees counts for a pair whose first name is missing",
                 tag.removeprefix("__sl_"))
    sh, home = scored.attrs.pop("surname_at_home", None), None
    lx = scored.pop("home_log_x").to_numpy(float) if "home_log_x" in scored else None
    if sh is not None and lx is not None and np.isfinite(lx).any():
        home = home_scale.fit(scored["bf"].to_numpy(), lx, scored["source_id"], n_ref,
                              lambda b: record_share(b, scored["source_id"], n_ref, n_src),
                              home_scale.home_counts(engine, tables["ref"], tables["src"]),
                              sh.kin, units, scored["reference_id"])
        scored = scored.assign(bf=home.bf)
    person, complete = tied_persons(engine, tables["ref"], scored)
    claimed, n_claimed = (None, 0) if one_to_one else _claimed(engine, claimed_by, scored)
    rm = record_model(scored["bf"].to_numpy(), scored["source_id"], n_ref, n_src,
                      person=person, complete=complete, claimed=claimed, n_claimed=n_claimed)
    lam = rm.prior or lam0
    if apart is not None:  # at the prior of the others: the quality stage weighs them
        apart = apart.assign(match_weight=(apart["bf"] + (math.log2(lam / (1 - lam))
                                                          if lam else 0.0)).round(10))
        apart = apart.drop(columns="bf").sort_values(["source_id", "reference_id"])
    pairs = scored.assign(
        match_weight=(scored["bf"] + (math.log2(lam / (1 - lam)) if lam else 0.0)).round(10),
        match_probability=rm.posterior.round(12),
        # the candidate that stands for this one's person (itself unless the reference
        # holds that person more than once): quality counts each person once
        person_ref=scored["reference_id"].to_numpy()[rm.tie_first])
    # in score_residual's order (source_id, reference_id: one row a pair)
    pairs = pairs.drop(columns="bf")
    held = (pairs["household_only"].to_numpy(bool)
            if cfg.household_only == "review" and "household_only" in pairs
            else np.zeros(len(pairs), dtype=bool))
    pairs = pairs.drop(columns="household_only", errors="ignore")
    if units is not None:  # records of one unit are different persons
        pairs, shared = persons_apart.adjust(pairs, units)
        log.info("%s: %d reference persons shared by records of one unit, read together",
                 tag.removeprefix("__sl_"), shared)
    # links held for review are not accepted: the threshold is chosen, and the precision
    # estimated, over the rest
    th = thresholds.choose(pairs[~held], rm.linkable, cfg.accept, cfg.review,
                           cfg.target_precision, cfg.review_yield, cfg.review_capacity,
                           n_src, fixed_as)
    links, review = select_links(pairs, th.accept, th.review, one_to_one, held)
    log.info("probabilistic %s: %d pairs scored, prior %.3g, %d links, %d in review",
             tag, len(pairs), lam, len(links), review["source_id"].nunique())
    log.info("%s: %s; estimated precision of the probabilistic links %s, expected false "
             "links %.1f", tag.removeprefix("__sl_"), thresholds.described(th.as_dict()),
             "n/a" if th.est_precision is None else f"{th.est_precision:.4f}",
             th.expected_false_links)
    return ProbResult(pairs, links, review, lam, model,
                      {"thresholds": th.as_dict(), "household": scored.attrs.get("household"),
                       "surname_at_home": None if sh is None or home is None
                       else sh.summary(home.scale),
                       "records_without_personal_evidence":
                           scored.attrs.get("without_evidence", 0),
                       # whether an agreeing middle name counted as personal evidence
                       # (None: no pairs scored)
                       "middle_name_personal": scored.attrs.get("middle_personal"),
                       # the share of residual records with a match (`record_model`)
                       "linkable_share": float(rm.pi),
                       **({"claimed_share": round(rm.shares[1], 6),
                           "claimed_references": n_claimed} if n_claimed else {})},
                      None if apart is None else apart.reset_index(drop=True))


def _claimed(engine: Engine, links: str | None, scored: pd.DataFrame
             ) -> tuple[np.ndarray | None, int]:
    """Per scored pair, whether the source's deterministic links (table `links`) took its
    reference record, and how many reference records they took."""
    if links is None or scored.empty:
        return None, 0
    # only the scored pairs' reference records are looked up (all 800,000 the links took,
    # as a set in Python, were 0.9 s of CPU at 1M)
    name = f"{links}_scored_refs"
    engine.register(name, pd.DataFrame({"r": pd.unique(scored["reference_id"].astype(str))}))
    try:
        got = engine.df(sql_file("probabilistic/claimed_references.sql", links=links,
                                 scored=name))
    finally:
        engine.release(name)
    return (scored["reference_id"].isin(set(got["r"].dropna())).to_numpy(),
            int(got["n"].max()))
