"""Links onto a reference unit another source record also links to (many-to-one).

A match probability judges a link on its own; it never asks whether the other source
records on the same reference unit are the same person. If two of them are not, at most
one link is right (Blakely and Salmond's duplicate reasoning). For every unit with more
than one link, the trained model scores the unit's source records against each other
(same person?) and each against the unit's reference record (how strong is each link,
deterministic ones included). Whether two source records are one person is judged on the
personal fields only: identifiers (`id_*`) are left out of that score, a reused or
mistyped one being how two persons reach one unit. For source records i and j on unit u,
with B_i the Bayes factor of link i, B_ij that of i and j on the personal fields, P_i
that of link i on them and pi the prior odds that two source records are one person
(`same_prior`), the three hypotheses "i, j and u are one person", "i is u's person and
j is not" and "j is, i is not" weigh pi * T_ij, B_i and B_j, so link i survives j with
chance c_i = (pi * T_ij + B_i) / (pi * T_ij + B_i + B_j) (the product over the unit's
others), and `labelfree` multiplies each link's probability of being right by it. T_ij
is the three records' Bayes factor of being one person, read in the Fellegi-Sunter model
with one record as the person's clean rendering and the others as independent copies of
it: with i or j as the rendering, T_ij = B_ij (B_i + B_j) (the point estimate of a
probabilistic link; the same as q_ij + (1 - q_ij) B_i / (B_i + B_j), q_ij the pair's
same-person posterior); with the reference record also a rendering, T_ij gains P_i P_j
(`survival`'s `ref_p`; the point estimate of a match-key link, `point`). Two noisy
rows of one person agree less with each other than each with the reference record, so
the second reading finds fewer false links (ss_raised's shared units: 9.4 expected
against 13.8, true 7); relatives who resemble the unit's person (wic_raised: 0.2 against
3.1, true 5) the first does not see either, but its over-counted true rows offset them.
No label-free figure tells which reading holds, so half the bootstrap replicates take
each (session 28 in `benchmarks/RESULTS.md`).
(Also weighing the weaker link's own Bayes factor, against the leave-partner-out sample's
partner and non-partner densities, found more of the false links but took records that
miss fields for false: the partners are scored with every field.) The model's
u-probabilities are those of random pairs; two records that both resemble one
reference record agree more often than that by chance, so q_ij is too high for different
persons and the false links are under-counted (at 20,000 generated persons: 22 of 50).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spinelink.backends import Engine
from spinelink.sqlfiles import sql_file

log = logging.getLogger("spinelink.quality")
SEP = "\x1f"  # between side, unit and record id in `__uid` (sql/quality/shared_units.sql)


@dataclass
class Shared:
    survive: np.ndarray     # per link (the links table's order): c_i, 1 on a unit of its own
    units: int              # reference units with more than one link
    links: int              # links on them
    prior: float            # log2 prior odds that two source records are one person
    expected_false: float   # sum of 1 - c_i
    # c_i with the reference record also taken as the person's rendering (`survival`'s
    # `ref_p`): the other reading of the same-person evidence, drawn in the intervals
    survive_three: np.ndarray | None = None
    expected_false_three: float = 0.0


def same_prior(w: np.ndarray, n_src: int, iters: int = 200) -> float:
    """log2 prior odds that two records of the source, drawn at random, are one person:
    D / (n choose 2), D the expected same-person pairs among the shared units' pairs
    (duplicates of a linked person land on one unit), fitted as a fixed point of
    D = sum of the pairs' posteriors (no labels).

    >>> round(same_prior(np.array([60.0, 60.0, 0.0]), 1000), 1)
    -17.9
    """
    pairs = max(n_src * (n_src - 1) / 2, 1.0)
    d = float(max(len(w), 1))
    for _ in range(iters):
        off = float(np.log2(max(d, 0.5) / pairs))
        new = float(np.sum(1.0 / (1.0 + np.exp2(-np.clip(w + off, -60, 60)))))
        if abs(new - d) < 1e-6:
            break
        d = new
    return float(np.log2(max(d, 0.5) / pairs))


def survival(links: pd.DataFrame, src_pairs: pd.DataFrame, ref_w: pd.Series,
             prior: float, ref_p: pd.Series | None = None) -> np.ndarray:
    """c_i per link. `src_pairs`: unit, a, b, w (log2 Bayes factor of a and b being one
    person); `ref_w`: log2 Bayes factor of each (unit, source id) link; `ref_p`: the same
    on the personal fields (None: no reference-as-rendering term); `prior`: log2 prior
    odds of one person (`same_prior`).

    >>> lk = pd.DataFrame({"reference_id": ["u", "u", "v"], "source_id": ["a", "b", "c"]})
    >>> sp = pd.DataFrame({"unit": ["u"], "a": ["a"], "b": ["b"], "w": [-40.0]})
    >>> rw = pd.Series([30.0, 10.0], index=pd.MultiIndex.from_tuples([("u", "a"), ("u", "b")]))
    >>> survival(lk, sp, rw, 0.0).round(4).tolist()
    [1.0, 0.0, 1.0]

    Two noisy rows of one person, each 30 bits from the reference record and 12 from each
    other, at a prior of -20 bits: taken for two persons without the reference record as
    the rendering, one person with it.

    >>> sp2 = sp.assign(w=12.0)
    >>> rw2 = pd.Series([30.0, 30.0], index=rw.index)
    >>> survival(lk, sp2, rw2, -20.0).round(3).tolist()
    [0.502, 0.502, 1.0]
    >>> survival(lk, sp2, rw2, -20.0, rw2).round(3).tolist()
    [0.999, 0.999, 1.0]
    """
    c = np.ones(len(links))
    if src_pairs.empty:
        return c
    # only links on the pairs' units can be below 1: indexed alone (not every link)
    on = links["reference_id"].astype(str).isin(pd.unique(src_pairs["unit"])).to_numpy()
    sub = links[on]
    key = pd.MultiIndex.from_arrays([sub["reference_id"].astype(str),
                                     sub["source_id"].astype(str)])
    pos = pd.Series(np.flatnonzero(on), index=key)
    wij = src_pairs["w"].to_numpy(float)
    for side, other in (("a", "b"), ("b", "a")):
        me = pd.MultiIndex.from_arrays([src_pairs["unit"], src_pairs[side]])
        them = pd.MultiIndex.from_arrays([src_pairs["unit"], src_pairs[other]])
        wi = ref_w.reindex(me).fillna(0.0).to_numpy(float)
        wj = ref_w.reindex(them).fillna(0.0).to_numpy(float)
        # log2 of pi * T_ij: one person, with i, j or (on the personal fields) u as the
        # clean rendering
        one = prior + wij + np.logaddexp2(wi, wj)
        if ref_p is not None:
            pi_ = ref_p.reindex(me).fillna(0.0).to_numpy(float)
            pj_ = ref_p.reindex(them).fillna(0.0).to_numpy(float)
            one = np.logaddexp2(one, prior + pi_ + pj_)
        # (pi T + B_i) / (pi T + B_i + B_j), in logs
        keep = np.logaddexp2(one, wi)
        surv = 1.0 / (1.0 + np.exp2(np.clip(wj - keep, -60, 60)))
        at = pos.reindex(me).to_numpy()
        ok = ~np.isnan(at)
        np.multiply.at(c, at[ok].astype(int), surv[ok])
    return c


def shared_units(engine: Engine, model: dict, links: pd.DataFrame, ref_full: str,
                 src_full: str, tag: str, tf_tables: dict[str, str] | None = None
                 ) -> Shared:
    """Score the units with more than one link (see the module docstring). `tf_tables`:
    term-frequency tables made already over `ref_full` and `src_full`
    (`probabilistic/tf_lookup.sql`), by column; the others are made here."""
    from spinelink.probabilistic import tf_columns
    from spinelink.splink_import import splink_ready

    splink_ready()
    from splink import Linker

    lk = links.astype({"reference_id": str, "source_id": str})
    # units with more than one source record: distinct pairs counted among the links on a
    # unit with more than one (groupby's nunique took 0.2 s at 200,000 links, distinct
    # pairs over every link 0.45 s at 800,000)
    multi = lk[lk["reference_id"].duplicated(keep=False).to_numpy()]
    pairs = multi[["reference_id", "source_id"]].drop_duplicates()
    shared = pairs["reference_id"][pairs["reference_id"].duplicated()]
    multi = multi[multi["reference_id"].isin(pd.unique(shared)).to_numpy()]
    none = Shared(np.ones(len(lk)), 0, 0, float("nan"), 0.0)
    if multi.empty:
        return none
    engine.register(f"{tag}_multi", multi[["reference_id", "source_id"]].drop_duplicates())
    engine.create_table(f"{tag}_units", sql_file(
        "quality/shared_units.sql", src=src_full, ref=ref_full, links=f"{tag}_multi"))
    m = {**model, "link_type": "dedupe_only", "unique_id_column_name": "__uid",
         "retain_intermediate_calculation_columns": True,
         "probability_two_random_records_match": 0.5, "linker_uid": f"{tag}_shared",
         "blocking_rules_to_generate_predictions": [
             {"blocking_rule": "l.__unit = r.__unit", "sql_dialect": "duckdb"}]}
    m.pop("source_dataset_column_name", None)
    db_api = engine.splink_db_api()
    # validate_settings only builds log lines (log_level None: never shown); 0.3 s
    linker = Linker(db_api.register(f"{tag}_units", table_name=f"{tag}_units_sdf"), m,
                    log_level=None, validate_settings=False)
    for col in tf_columns(model):
        tf = (tf_tables or {}).get(col)
        if tf is None:
            tf = f"{tag}_tf_{col}"
            engine.create_table(tf, sql_file("probabilistic/tf_lookup.sql", col=col,
                                             tf_col=f"tf_{col}", ref=ref_full,
                                             src=src_full))
        linker.table_management.register_term_frequency_lookup(
            db_api.register(tf, table_name=f"{tag}_tf_{col}_sdf"), col)
    df = linker.inference.predict().as_pandas_dataframe()
    side_l = df["__uid_l"].str.startswith("src" + SEP)
    side_r = df["__uid_r"].str.startswith("src" + SEP)
    unit = df["__uid_l"].str.split(SEP, n=2).str[1]
    rid = {s: df[f"__uid_{s}"].str.split(SEP, n=2).str[-1] for s in ("l", "r")}
    ss = side_l & side_r
    # same person? on the personal fields only: a shared or mistyped identifier is how two
    # persons reach one unit (deterministic links by it included)
    ids = [c for c in df.columns if c.startswith(("mw_id_", "mw_tf_adj_id_"))]
    personal = df["match_weight"].astype(float) - sum(
        (df[c].astype(float).fillna(0.0) for c in ids), 0.0)
    a, b = rid["l"][ss].to_numpy(), rid["r"][ss].to_numpy()
    src_pairs = pd.DataFrame({"unit": unit[ss].to_numpy(), "a": np.minimum(a, b),
                              "b": np.maximum(a, b),
                              "w": personal[ss].to_numpy()})
    # Splink's row order is not fixed: sorted, the sums and products below are
    src_pairs = src_pairs.sort_values(["unit", "a", "b"], ignore_index=True)
    rs = side_l ^ side_r
    src_id = np.where(side_l[rs], rid["l"][rs], rid["r"][rs])
    at = pd.MultiIndex.from_arrays([unit[rs].to_numpy(), src_id])
    ref_w = pd.Series(df["match_weight"][rs].astype(float).to_numpy(), index=at).sort_index()
    ref_p = pd.Series(personal[rs].to_numpy(float), index=at).sort_index()
    prior = same_prior(src_pairs["w"].to_numpy(float), engine.count(src_full))
    c = survival(lk, src_pairs, ref_w, prior)
    c3 = survival(lk, src_pairs, ref_w, prior, ref_p)
    log.info("quality: %d units with more than one link, %d links, %.1f expected false "
             "(%.1f with the reference record as a rendering)",
             multi["reference_id"].nunique(), len(multi), float((1 - c).sum()),
             float((1 - c3).sum()))
    return Shared(c, int(multi["reference_id"].nunique()), int(len(multi)), prior,
                  float((1 - c).sum()), c3, float((1 - c3).sum()))


def point(sh: Shared, links: pd.DataFrame) -> np.ndarray:
    """c_i per link as the point estimate reads them (`labelfree.Prepared.survive`). A
    match-key link (`key:` / `direct:`, the deterministic cascade) agrees exactly with its
    reference record on the key's fields (names and date of birth at the least): the
    reference record is shown to render that source record's person, the premise of the
    second reading, so its c_i is the second reading's (`survive_three`). A probabilistic
    link keeps the first, whose doubt of a weaker link beside a stronger one on the unit
    is what finds a relative's claim (a junior's on his father's record; the second
    reading as every link's point lost that: session 37). Over the quality harness's
    shared units the first reading expected 11.4 false match-key links where 1 was false
    (ua_register: 2.28 of its 2.43 expected false links on shared units, none false;
    session 42 helper A). The bootstrap replicates draw the two readings as before."""
    if sh.survive_three is None:
        return sh.survive
    from spinelink.quality.summary import deterministic

    return np.where(deterministic(links["method"]), sh.survive_three, sh.survive)
