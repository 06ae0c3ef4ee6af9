"""Surname and address together, for pairs on which nothing personal agrees.

The Fellegi-Sunter model takes comparisons as independent given match status: a
non-matching pair agrees on surname and on the exact address with probability u_s * u_L,
about 2^-20 against a census of 10,000. But two people of one household are a
non-matching pair too, and they agree on both as a match does: with `h` the chance that
two records are co-residents and `share` the chance that co-residents share a surname
(both counted on the reference, `sql/probabilistic/co_resident_surname.sql`),

    u(surname, L) = c * h * share * m_L + u_s * u_L

so the pair's Bayes factor is the model's divided by 1 + c * x, x = h * share *
2^(w_s + w_L) / m_s (w: the surname's and the address comparison's weights with their
term-frequency adjustments). Surname and address together are worth at most about
log2(m_s / (c * h * share)) bits: a source record whose person the reference lacks, with
a relative the reference holds at home, no longer gets the 20 bits of two independent
agreements (benchmarks/RESULTS.md, session 34).

`c` is the source's own co-residence scale: the persons a source holds and the reference
lacks need not live with the reference's households as its own persons do (a household
the census missed is missed whole; a dependant on a tax return may live elsewhere). It
is fitted without labels beside the record-level model (`fit`): the relatives at home
(reference records of the surname at the address, `sql/probabilistic/home_counts.sql`) of
the source records expected to have no match, over what a reference record has.

Only pairs on which no personal field agrees (`evidence.household_only`; a first name
alike in spelling only does not agree when no date of birth is compared, as
`evidence.names_apart` reads it) are weighed so: on them surname and address are the
whole case. Where a first name, a middle initial or a date of birth agrees, that
agreement says which of the household the record is; there the record-level prior's
under-confidence for records with candidates (session 15) offsets the household's, and
weighing those pairs too (the middle initial's) cost recall (session 34).
"""
from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spinelink import persons_apart
from spinelink.backends import Engine
from spinelink.evidence import NAMES, _at_spelling_level
from spinelink.evidence import _levels as _evidence_levels
from spinelink.household import ADDRESS_COMPARISONS, MAX_RESIDENTS, _key, _levels
from spinelink.sqlfiles import quote_ident, sql_file

log = logging.getLogger("spinelink.probabilistic")
SURNAME = "last_name"
SCALE_RANGE = (1e-3, 4.0)
_SAME_ADDRESS = re.compile(r'"?address_l"?\s*=\s*"?address_r"?')
_SAME_SURNAME = re.compile(r'^\s*"?last_name_l"?\s*=\s*"?last_name_r"?\s*$')


@dataclass(frozen=True)
class SurnameAtHome:
    address: str          # the address comparison's output name
    surname_level: float  # the weight key of the surname's exact level
    m_surname: float      # m of that level
    exact_address: float | None  # the weight key of an exact-address level
    kin: float            # same-surname co-residents of a reference record, on average
    log2_rate: float      # log2(h * share / m_s)
    max_tf: float         # address term frequency of a household-sized address

    def summary(self, scale: float | None = None) -> dict:
        out = {"same_surname_co_residents": round(self.kin, 4),
               "cap_bits": round(-self.log2_rate, 3)}
        if scale is not None:
            out["source_scale"] = round(scale, 4)
        return out


def _exact_levels(model: dict) -> tuple[str, float | None, float, dict] | None:
    house = exact = surname = None
    for comp in model["comparisons"]:
        name = comp.get("output_column_name")
        if name in ADDRESS_COMPARISONS and house is None:
            house = name
            exact = next((w for w, lv in _levels(comp)
                          if _SAME_ADDRESS.search(lv["sql_condition"])), None)
        for w, lv in _levels(comp) if name == SURNAME else ():
            if surname is None and _SAME_SURNAME.match(lv["sql_condition"]):
                surname = (w, lv)
    if house is None or surname is None:
        return None
    return house, exact, surname[0], surname[1]


def surname_at_home(engine: Engine, model: dict, ref: str, n_all: int
                    ) -> SurnameAtHome | None:
    """Count the reference's same-surname co-residents. None when the model has no exact
    surname level or no address comparison, or the reference no such pair.
    `n_all`: records of both sides (an address's term frequency above 2 * MAX_RESIDENTS /
    n_all is an institution's)."""
    found = _exact_levels(model)
    cols = set(engine.columns(ref))
    if found is None or not {"address", "last_name", "first_name"} <= cols:
        return None
    house, exact, s_key, level = found
    person = [f"CAST({quote_ident(c)} AS VARCHAR)" for c in ("first_name", "dob_iso")
              if c in cols]
    row = engine.df(sql_file("probabilistic/co_resident_surname.sql", ref=ref,
                             person=f"concat_ws('|', {', '.join(person)})"),
                    {"max_residents": MAX_RESIDENTS}).iloc[0]
    n, same = int(row["n"] or 0), int(row["same_surname"] or 0)
    if n < 2 or same <= 0:
        return None
    m = float(level["m_probability"])
    rate = 2.0 * same / (n * (n - 1.0))  # h * share
    return SurnameAtHome(house, s_key, m, exact, 2.0 * same / n, math.log2(rate / m),
                         2 * MAX_RESIDENTS / max(n_all, 1))


def log_x(df: pd.DataFrame, model: dict, sh: SurnameAtHome | None) -> np.ndarray:
    """Per predicted pair (Splink's frame, with its mw_ columns), log2 x for a pair on
    which nothing personal agrees, whose surname agrees exactly and whose address is
    compared (any level but the null one), not at an institution's exact address; -inf
    elsewhere."""
    out = np.full(len(df), -np.inf)
    if sh is None or f"mw_{sh.address}" not in df or f"mw_{SURNAME}" not in df:
        return out
    w_a = df[f"mw_{sh.address}"].astype(float)
    apply = (w_a != 0.0).to_numpy(copy=True)  # Splink weighs the null level 0 (writable: pandas 3)
    apply &= _keys(df[f"mw_{SURNAME}"]) == sh.surname_level
    if "tf_address_l" in df:
        tf = df[["tf_address_l", "tf_address_r"]].astype(float).min(axis=1).fillna(0.0)
        apply &= ~((_keys(w_a) == sh.exact_address) & (tf > sh.max_tf).to_numpy())
    if not apply.any():
        return out
    apply &= _nothing_personal(df, model)

    def weight(name: str) -> np.ndarray:
        tf = f"mw_tf_adj_{name}"
        adj = df[tf].astype(float).fillna(0.0).to_numpy() if tf in df else 0.0
        return df[f"mw_{name}"].astype(float).to_numpy() + adj

    return np.where(apply, sh.log2_rate + weight(SURNAME) + weight(sh.address), -np.inf)


def _keys(w: pd.Series) -> np.ndarray:
    """`household._key` of each weight, worked out once per distinct weight (a
    comparison's few levels; per pair it was a Python call on each of 175,000 pairs)."""
    uniq, at = np.unique(w.to_numpy(dtype=float), return_inverse=True)
    return np.array([_key(x) for x in uniq], float)[at.reshape(-1)]


def _nothing_personal(df: pd.DataFrame, model: dict) -> np.ndarray:
    """Per pair: no personal field agrees (`evidence.household_only`), a first name alike
    in spelling only (Jaro-Winkler, Metaphone, an initial) counted as not agreeing when
    no date of birth is compared, as `evidence.names_apart` counts it (Paul / Pamela,
    Levi / Leslie: relatives at home)."""
    at_lowest, missing, found = _evidence_levels(df, model, NAMES, True)
    if not found:
        return np.zeros(len(df), dtype=bool)
    agrees = ~at_lowest & ~missing
    if "first_name" in found:
        no_dob = (df["mw_date_of_birth"].to_numpy(dtype=float) == 0.0
                  if "date_of_birth" in found else np.ones(len(df), dtype=bool))
        agrees[:, found.index("first_name")] &= ~(no_dob & _at_spelling_level(df, model))
    return ~agrees.any(axis=1)


def home_counts(engine: Engine, ref: str, src: str) -> pd.Series:
    """Per source record with a surname and an address: the reference records of its
    surname at its (household-sized) address."""
    d = engine.df(sql_file("probabilistic/home_counts.sql", ref=ref, src=src),
                  {"max_residents": MAX_RESIDENTS})
    return pd.Series(d["k"].to_numpy(float), index=d["source_id"].astype(str))


@dataclass(frozen=True)
class HomeScale:
    scale: float       # c
    bf: np.ndarray     # the pairs' log2 Bayes factors at that scale
    iterations: int


def fit(bf: np.ndarray, lx: np.ndarray, source_ids: pd.Series, n_ref: int,
        share: Callable[[np.ndarray], float], kin: pd.Series, per_record: float,
        units: pd.Series | None = None, reference_ids: pd.Series | None = None,
        iterations: int = 50) -> HomeScale:
    """Fit c by EM: E step, each source record's probability of having no match among
    its candidates (the record-level model at the current c; records without candidates
    have none); M step, c = the relatives at home (`kin`, per source record with a
    surname and an address) of the records without a match over what as many reference
    records have (`per_record` each). `bf`: log2 Bayes factors without the correction;
    `lx`: log2 x per pair (-inf where it does not apply); `share`: the record-level
    model's share of residual source records with a match, given the pairs' factors
    (`probabilistic.record_model`'s pi). `units` (with the pairs'
    `reference_ids`): the source's records declared different persons
    (`spinelink.persons_apart`), read together in the E step as the links will be."""
    bf = np.asarray(bf, float)
    applies = np.isfinite(lx)
    if not applies.any() or per_record <= 0 or n_ref == 0 or kin.empty:
        return HomeScale(1.0, bf, 0)
    codes, uniq = pd.factorize(source_ids)
    at = pd.Index(uniq).get_indexer(kin.index)  # -1: no candidate, no match
    k = kin.to_numpy(float)
    c, it = 1.0, 0
    for it in range(1, iterations + 1):  # noqa: B007
        b = bf - np.logaddexp2(0.0, lx + math.log2(c))
        pi = share(b)
        # each candidate's own probability (record_model's, without its tie groups)
        ln_a, ln_bf = math.log(pi / n_ref), b * math.log(2)
        top = np.full(len(uniq), -np.inf)
        np.maximum.at(top, codes, ln_bf)
        ln_sum = top + np.log(np.bincount(codes, weights=np.exp(ln_bf - top[codes]),
                                          minlength=len(uniq)))
        post = np.exp(ln_a + ln_bf - np.logaddexp(math.log1p(-pi), ln_a + ln_sum)[codes])
        if units is not None and reference_ids is not None:
            post = persons_apart.adjust(pd.DataFrame({
                "source_id": np.asarray(source_ids), "person_ref": np.asarray(reference_ids),
                "match_probability": post}), units)[0]["match_probability"].to_numpy()
        linked = np.minimum(np.bincount(codes, weights=post, minlength=len(uniq)), 1.0)
        none = np.where(at >= 0, 1.0 - linked[np.maximum(at, 0)], 1.0)
        new = float(np.clip((none * k).sum() / max(none.sum() * per_record, 1e-300),
                            *SCALE_RANGE))
        done = abs(math.log2(new) - math.log2(c)) < 1e-4
        c = new
        if done:
            break
    log.info("surname at home: the source's co-residence scale %.3f of the reference's "
             "(%d iterations)", c, it)
    return HomeScale(c, bf - np.logaddexp2(0.0, lx + math.log2(c)), it)
