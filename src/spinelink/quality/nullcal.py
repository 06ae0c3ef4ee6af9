"""The leave-partner-out sample: what the model scores for records whose match is absent.

A source record with a deterministic link is, apart from its partner, exactly like a
source record whose person is not in the reference: every other reference record it is
compared with is a non-match. Scoring a sample of deterministically linked source records
against the reference pool the probabilistic stage used (with the trained model, its
blocking rules, term frequencies and the residual's prior) and dropping the partner pair
gives the distribution of non-match match weights per source record: the *null*. It
calibrates the model's probabilities (see `calibrate`), and the partner pairs check the
deterministic links (model probability, blocking recall).
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spinelink.backends import Engine
from spinelink.model_fields import is_linkage_column
from spinelink.pair_keys import contains
from spinelink.probabilistic import TIE, TIE_FROM
from spinelink.quality.groups import table_columns
from spinelink.quality.nullcarry import Carry, record_keys
from spinelink.sqlfiles import quote_ident, sql_file

log = logging.getLogger("spinelink.quality")
NULL_SAMPLE_MAX = 20000


@dataclass
class NullSample:
    n_records: int            # source records in the sample
    record: np.ndarray        # per null pair: index of its source record (0..n_records-1)
    weight: np.ndarray        # per null pair: match weight at the residual's prior
    partner_weight: np.ndarray  # per sampled record with its partner scored: that weight
    partner_scored: float     # share of sampled partners the blocking rules generated
    rival_above: int          # sampled records with a non-partner scored above the partner
    basis: dict | None = None  # how many records were scored now, how many carried

    def counts(self, edges: np.ndarray) -> np.ndarray:
        """Null pairs per record and weight bin: an (n_records, n_bins) array."""
        b = np.digitize(self.weight, edges[1:-1])
        nb = len(edges) - 1
        flat = np.bincount(self.record * nb + b, minlength=self.n_records * nb)
        return flat.reshape(self.n_records, nb)


@dataclass
class Tables:
    ref_full: str
    src_full: str
    ref_pool: str
    null_src: str


# the standardised columns that carry each identifying field (see ARCHITECTURE.md)
FIELD_COLUMNS = {
    "first_name": ["first_name", "first_name_canon", "first_initial", "first_name_mp",
                   "first_name_ny", "first_name_rom", "first_name_canon_rom",
                   "first_name_root1", "first_name_root2", "first_name_root3",
                   "first_name_cyrillic"],
    "middle_name": ["middle_name", "middle_name_initial"],
    "last_name": ["last_name", "last_name_p3", "last_name_mp", "last_name_ny",
                  "last_name_rom"],
    "dob": ["dob", "dob_iso", "dob_year", "dob_month", "dob_day", "dob_swapped"],
    "sex": ["sex"],
    "postcode": ["postcode", "postcode_sector", "postcode_district", "postcode_area"],
    "address": ["address"],
}


def _blanks(engine: Engine, t: Tables, links: str, ids: pd.Series, fields: list[str],
            seed: int) -> pd.DataFrame:
    """A missing-value pattern for each sampled record, drawn from the residual's: records
    deterministic linkage could not take are often those lacking a field (every match key
    needs the date of birth), and a record without a field gets other non-match weights."""
    flags = ", ".join(f"(t.{quote_ident(f)} IS NULL) AS {quote_ident(f)}" for f in fields)
    pat = engine.df(sql_file("quality/missing_patterns.sql", flags=flags, table=t.src_full,
                             links=links))
    out = pd.DataFrame({"record_id": ids.to_numpy()})
    if pat.empty:
        for f in fields:
            out[f] = False
        return out
    # each record's draw from a seeded hash of its id, not from its place in the sample:
    # a record keeps its pattern when others join the sample (an incremental run then
    # carries its scores, spinelink.quality.nullcarry)
    u = pd.util.hash_array(ids.astype(str).to_numpy(dtype=object),
                           hash_key=f"{seed % 10**16:016d}") / 2.0**64
    cum = np.cumsum(pat["n"].to_numpy(float))
    pick = np.minimum(np.searchsorted(cum / cum[-1], u, side="right"), len(pat) - 1)
    for f in fields:
        out[f] = pat[f].to_numpy(bool)[pick]
    return out


def _clean(engine: Engine, t: Tables, tag: str, blanks: pd.DataFrame,
           fields: list[str]) -> pd.Series:
    """Sampled records whose blanking removed nothing they had (for the partner checks)."""
    ids = blanks["record_id"]
    if not fields:
        return pd.Series(True, index=ids.to_numpy())
    flags = ", ".join(f"(t.{quote_ident(f)} IS NULL) AS {quote_ident(f)}" for f in fields)
    own = engine.df(sql_file("quality/missing_flags.sql", flags=flags, table=t.src_full,
                             sample=f"{tag}_blanks")).set_index("record_id").reindex(ids)
    removed = blanks[fields].to_numpy(bool) & ~own[fields].fillna(True).to_numpy(bool)
    return pd.Series(~removed.any(axis=1), index=ids.to_numpy())


def std_views(engine: Engine, out, reference: str, source: str,
              std: dict[str, str] | None = None) -> tuple[str, dict[str, str] | None]:
    """`__sl_q_<source>_ref_std` and `_src_std`: views of every standardised column, of the
    tables the run loaded (`std`) when the engine holds them, else of the files (a quality
    stage run alone, or resumed, reads the same). Returns the tag and `std` if used."""
    tag = f"__sl_q_{source}"
    std = std if std and all(_has_table(engine, v) for v in std.values()) else None
    for side, name in (("ref", reference), ("src", source)):
        if std:  # the standardised tables the run loaded (as the files hold them)
            engine.execute(f"CREATE OR REPLACE VIEW {quote_ident(f'{tag}_{side}_std')} AS "
                           f"SELECT * FROM {quote_ident(std[side])}")
        else:
            engine.view_parquet(f"{tag}_{side}_std",
                                out / "standardised" / f"{name}.parquet")
    return tag, std


def _full(engine: Engine, out, reference: str, source: str,
          std: dict[str, str] | None = None) -> tuple[str, list[str]]:
    """`__sl_q_<source>_ref_full` and `_src_full`: the standardised linkage columns both
    sides have (views of the standardised tables the run loaded, `std`, when it has them;
    else tables read from the files). Returns the tag and those columns."""
    tag, std = std_views(engine, out, reference, source, std)
    src_cols = set(table_columns(engine, f"{tag}_src_std"))
    cols = [c for c in table_columns(engine, f"{tag}_ref_std")
            if c in src_cols and is_linkage_column(c)]
    sel = ", ".join(f"t.{quote_ident(c)}" for c in cols)
    for side in ("ref", "src"):
        name = f"{tag}_{side}_full"
        query = f"SELECT {sel} FROM {quote_ident(f'{tag}_{side}_std')} t"
        if std:  # in memory already: a view, not another copy (0.5 s at 200,000)
            engine.execute(f"CREATE OR REPLACE VIEW {quote_ident(name)} AS {query}")
        else:
            engine.create_table(name, query)
    return tag, cols


def full_tables(engine: Engine, out, reference: str, source: str,
                std: dict[str, str] | None = None) -> None:
    """The full tables alone, for a source without a leave-partner-out sample: the blocking
    rules' captures are counted on them (per_source.rule_captures keys what it reads)."""
    _full(engine, out, reference, source, std)


def _prepare(engine: Engine, out, reference: str, source: str, det: pd.DataFrame,
             one_to_one: bool, seed: int, limit: int, extend=None,
             keyed_ref: str | None = None, std: dict[str, str] | None = None
             ) -> tuple[Tables, pd.Series]:
    tag, cols = _full(engine, out, reference, source, std)
    sel = ", ".join(f"t.{quote_ident(c)}" for c in cols)
    engine.register(f"{tag}_det", det[["reference_id", "source_id"]].astype(str))
    t = Tables(f"{tag}_ref_full", f"{tag}_src_full", f"{tag}_ref_pool", f"{tag}_null_src")
    ids = engine.df(sql_file("quality/null_records.sql", table=t.src_full, links=f"{tag}_det"),
                    {"seed": int(seed), "limit": int(limit)})["record_id"]
    fields = [f for f, c in FIELD_COLUMNS.items() if c[0] in cols]
    blanks = _blanks(engine, t, f"{tag}_det", ids, fields, seed)
    engine.register(f"{tag}_blanks", blanks)
    of = {c: f for f, cs in FIELD_COLUMNS.items() if f in fields for c in cs}
    blanked = ", ".join(
        f"CASE WHEN b.{quote_ident(of[c])} THEN NULL ELSE t.{quote_ident(c)} END "
        f"AS {quote_ident(c)}" if c in of else f"t.{quote_ident(c)}" for c in cols)
    engine.create_table(t.null_src, sql_file(
        "quality/null_blanked.sql", columns=blanked, table=t.src_full, blanks=f"{tag}_blanks"))
    pool = _keyed_pool(engine, keyed_ref, cols, extend) if not one_to_one else None
    if pool is None:
        engine.create_table(t.ref_pool, sql_file(
            "quality/reference_pool.sql", columns=sel, table=t.ref_full,
            links=f"{tag}_det", sample=t.null_src), {"exclude": bool(one_to_one)})
    else:  # every reference record, as the probabilistic stage keyed them: not again
        t.ref_pool = pool
    if extend is not None:  # columns the model's blocking rules need (e.g. capped keys)
        extend({"ref_full": t.ref_full, "src_full": t.src_full,
                **({"ref": t.ref_pool} if pool is None else {}), "src": t.null_src})
    return t, _clean(engine, t, tag, blanks, fields)


def _has_table(engine: Engine, name: str) -> bool:
    try:
        engine.columns(name)
    except Exception:  # noqa: BLE001 - any backend's "no such table"
        return False
    return True


def _keyed_pool(engine: Engine, keyed_ref: str | None, cols: list[str],
                extend) -> str | None:
    """The probabilistic stage's table of every reference record with its capped keys,
    when it is still in the engine with exactly the pool's columns and the keys `extend`
    adds (then it is the pool the quality stage would build: the same standardised rows,
    keys counted on the same reference); else None."""
    if keyed_ref is None:
        return None
    if not _has_table(engine, keyed_ref):  # a resumed run: build the pool
        return None
    have = engine.columns(keyed_ref)
    keys = list(getattr(extend, "columns", [])) if extend is not None else []
    return keyed_ref if have == [*cols, *keys] else None


def _floor(n_ref: int, n_src: int) -> float:
    """The Bayes factor (log2) below which the probabilistic stage dropped pairs."""
    from spinelink.probabilistic import PAIR_FLOOR

    lam0 = min(0.5, 1.0 / max(n_ref, n_src, 1))
    return math.log2(PAIR_FLOOR / (1 - PAIR_FLOOR)) - math.log2(lam0 / (1 - lam0))


def null_sample(engine: Engine, out, reference: str, source: str, model: dict, prior: float,
                det: pd.DataFrame, one_to_one: bool, seed: int, n_residual: int,
                limit: int = NULL_SAMPLE_MAX, extend=None, household: bool = False,
                carry: Carry | None = None, keyed_ref: str | None = None,
                std: dict[str, str] | None = None) -> NullSample | None:
    """Score the leave-partner-out sample; None when there are no deterministic links.
    `extend(tables)` adds derived columns the model needs, as the probabilistic stage
    did for its own tables (keys `ref_full`, `src_full`, `ref`, `src`)."""
    if det.empty or not prior or prior <= 0 or prior >= 1:
        return None
    ref_view = f"__sl_q_{source}_ref_std"
    engine.view_parquet(ref_view, out / "standardised" / f"{reference}.parquet")
    n_ref = int(engine.scalar(f"SELECT count(*) FROM {quote_ident(ref_view)}"))
    n_pool = n_ref - (det["reference_id"].nunique() if one_to_one else 0)
    limit = min(limit, max(n_pool, n_residual))  # the stage's pair floor then binds here too
    t, clean = _prepare(engine, out, reference, source, det, one_to_one, seed, limit, extend,
                        keyed_ref, std)
    ids = pd.Series(clean.index)
    if ids.empty:
        return None
    scored, basis = _scores(engine, model, t, source, det, household, carry, seed,
                            one_to_one)
    scored = scored[scored["bf"] >= _floor(n_pool, n_residual) - 1e-9]
    if one_to_one:  # drop pairs with other records' partners (not in the stage's pool)
        other = scored["reference_id"].astype(object).isin(
            det["reference_id"].astype(str).astype(object))
        scored = scored[~other.to_numpy() | _is_pair_of(scored, det)]
    null = _split(scored, ids, det, prior, clean.to_numpy(bool))
    null.basis = basis
    return null


def _scores(engine: Engine, model: dict, t: Tables, source: str, det: pd.DataFrame,
            household: bool, carry: Carry | None, seed: int, one_to_one: bool
            ) -> tuple[pd.DataFrame, dict]:
    """The sample's scored pairs (Bayes factors, before the pair floor) and how they were
    made: all scored now, or (spinelink.quality.nullcarry) those of records the previous
    run scored as they are now carried and only the others scored."""
    from spinelink.probabilistic import score_residual

    n_sample, n_pool = engine.count(t.null_src), engine.count(t.ref_pool)
    lam0 = min(0.5, 1.0 / max(n_sample, n_pool, 1))  # as score_residual sets it
    tag = f"__sl_qn_{source}"
    if carry is None or household:  # co-resident u-probabilities are not kept
        scored, _ = score_residual(engine, model, t.ref_full, t.src_full, t.ref_pool,
                                   t.null_src, tag, household)
        return scored, {"records": n_sample, "scored_now": n_sample, "carried": 0}
    cond = carry.conditions(model, seed, n_pool, lam0, one_to_one)
    keys = record_keys(engine, t.null_src, det)
    old, kept, why = carry.carried(cond, keys)
    todo = t.null_src
    if kept:
        todo = f"{t.null_src}_anew"
        engine.register(f"{tag}_kept", pd.DataFrame({"record_id": sorted(kept)}, dtype=str))
        engine.create_table(todo, f"SELECT * FROM {quote_ident(t.null_src)} WHERE "
                            f"CAST(record_id AS VARCHAR) NOT IN (SELECT record_id FROM "
                            f"{quote_ident(tag + '_kept')})")
    scored = pd.DataFrame(columns=["reference_id", "source_id", "bf"])
    if engine.count(todo):
        scored, _ = score_residual(engine, model, t.ref_full, t.src_full, t.ref_pool, todo,
                                   tag, household, lam0=lam0)
    if kept:
        scored = pd.concat([f for f in (scored, old) if len(f)] or [scored],
                           ignore_index=True).astype({"reference_id": str, "source_id": str,
                                                      "bf": float})
        scored = scored.sort_values(["source_id", "reference_id"], kind="mergesort",
                                    ignore_index=True)
    carry.save(engine, cond, keys, scored)
    basis = {"records": n_sample, "scored_now": n_sample - len(kept), "carried": len(kept)}
    if carry.previous is not None:
        basis["carried_from"] = str(carry.previous)
        if why:
            basis["not_carried"] = why
    return scored, basis


def _is_pair_of(pairs: pd.DataFrame, det: pd.DataFrame) -> np.ndarray:
    """Per row of `pairs`: is (reference_id, source_id) one of `det`'s links."""
    return contains(det, pairs)


def _split(scored: pd.DataFrame, ids: pd.Series, det: pd.DataFrame, prior: float,
           clean: np.ndarray) -> NullSample:
    """Separate partner pairs from null pairs; a null pair tying with its record's partner
    is a duplicate reference record of the same person and is dropped. The partner checks
    use the records left whole (`clean`: no field blanked)."""
    code = pd.Series(np.arange(len(ids)), index=ids.to_numpy())
    w = scored["bf"].to_numpy(float) + math.log2(prior / (1 - prior))
    rec = code.reindex(scored["source_id"].astype(str)).to_numpy()
    is_partner = _is_pair_of(scored, det)
    pw = np.full(len(ids), np.nan)
    pw[rec[is_partner].astype(int)] = w[is_partner]
    keep = ~is_partner & ~np.isnan(rec)
    tie = (np.abs(w - pw[np.nan_to_num(rec, nan=0).astype(int)]) < TIE) & (w > TIE_FROM)
    keep &= ~tie
    rec_null, w_null = rec[keep].astype(int), w[keep]
    best_null = np.full(len(ids), -np.inf)
    np.maximum.at(best_null, rec_null, w_null)
    has_p = ~np.isnan(pw) & clean
    rival = int(np.sum(best_null[has_p] > pw[has_p]))
    scored_share = float(has_p.sum() / clean.sum()) if clean.any() else float("nan")
    log.info("quality: null sample of %d records, %d non-match pairs", len(ids), len(w_null))
    return NullSample(len(ids), rec_null, w_null, pw[has_p], scored_share, rival)
