"""Records of a unit whose other members are linked at an address: the household was
enumerated there, so the record is likely there too.

A source that names its units (`persons_apart: return_id`: a tax return's filer, spouse
and dependants; a household register's members) lists persons who live together. When
another record of a record's unit is linked to a reference record at an address, the
reference enumerated that household; whether this record's person is among the reference
records at that address is then the household's coverage, not the record model's prior.
The record model cannot see it: a record with little personal evidence (a dependant with
no middle initial or date of birth) has candidates at the address that agree on surname
and address as relatives do, and its probabilities stay low although its person is
usually there (session 39 helper A, tax1040_raised: 219 unlinked records with such
candidates, record-level mass 108, 184 of them with their match among the candidates).

The household's coverage is learnt from the source itself, without labels: of the records
that have a candidate (or their link) at an address where another record of their unit is
linked, the share linked there (`theta`). An unlinked record with candidates at such an
address is given `theta` (less its probability elsewhere) as the prior that its person is
among its candidates there, spread in the model's proportions; each candidate's odds are
then moved by how likely the candidate's subgroups (age band, sex) are for a record of the
source record's completeness profile (which delivered fields are empty), learnt from the
links at unit-mates' addresses against the free residents there: a return's dependant has
no middle name, such records are linked to children, so a dependant's raise goes to the
children at home, not to adults the return does not list (session 40 helper A; session 39's
proportional raise put a third of it on adults). A candidate keeps the larger of its model
probability and this one; other candidates and records with no such candidate are left
as they are. Only records the probabilistic stage left unlinked move; a source without
units is untouched. The never-compared estimate (`recapture`) reads the model's own
probabilities (`OWN`): a raised record stands for no more missed matches than before
(session 40 helper C: reading the raised ones put 417 never compared on tax1040_raised
against a true 340, and pulled every adult band's recall down).
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from spinelink import raw_values

APART = "persons_apart"  # standardise.APART
MIN_RECORDS = 30  # records at a unit-mate's address needed to learn theta
OWN = "own_probability"  # per pair the model's probability before the raise
PRIOR_RECORDS = 20  # pseudo-records pulling a profile's subgroup shares to the pooled ones


def _homes(out: Path, reference: str, name: str, raw_columns: Mapping[str, str]):
    """Per source record id its unit and its completeness profile (which of its fields
    are empty: the originals, `raw_columns` of its intake table, and its identifiers),
    the reference's (postcode, address) key per record id; None when the source names no
    units."""
    src_path = out / "standardised" / f"{name}.parquet"
    ref_path = out / "standardised" / f"{reference}.parquet"
    if not src_path.exists() or not ref_path.exists() or \
            APART not in pq.read_schema(src_path).names:
        return None
    ref_cols = [c for c in ("record_id", "postcode", "address")
                if c in pq.read_schema(ref_path).names]
    if "address" not in ref_cols:
        return None
    # the fields the source delivered (raw_*, identifiers), empty or not
    ids = [c for c in pq.read_schema(src_path).names if c.startswith("id_")]
    src = pd.read_parquet(src_path, columns=["record_id", APART, *ids])
    if raw_columns:
        raw = raw_values.read(out / "intake" / f"{name}.parquet", raw_columns).to_pandas()
        src = src.merge(raw, on="record_id", how="left")
    else:  # no identifying field mapped: every original is missing
        src = src.assign(**{c: None for c in raw_values.RAW_COLUMNS})
    given = [*raw_values.RAW_COLUMNS, *ids]
    src = src.dropna(subset=[APART])
    src.index = src["record_id"].astype(str).to_numpy()
    units = src[APART].astype(str)
    profile = pd.Series(0, index=src.index, dtype=np.int64)
    for i, c in enumerate(given):
        empty = src[c].isna() | (src[c].astype(str).str.strip() == "")
        profile = profile | (empty.to_numpy(np.int64) << i)
    ref = pd.read_parquet(ref_path, columns=ref_cols).dropna(subset=["address"])
    key = ref["address"].astype(str)
    if "postcode" in ref:
        key = ref["postcode"].fillna("").astype(str) + "|" + key
    home = pd.Series(key.to_numpy(), index=ref["record_id"].astype(str).to_numpy())
    home = home[~home.index.duplicated()]
    return units, profile, home


def _others_linked(unit: pd.Series, key: pd.Series, src: pd.Series,
                   lk: pd.DataFrame) -> np.ndarray:
    """Whether another record of `unit` than `src` is linked at `key`, row by row."""
    n = lk.groupby(["unit", "key"]).size().rename("n").reset_index()
    own = lk[["unit", "key", "src"]].drop_duplicates().assign(own=1)
    q = pd.DataFrame({"unit": unit.to_numpy(), "key": key.to_numpy(), "src": src.to_numpy()})
    q = q.merge(n, on=["unit", "key"], how="left").merge(own, on=["unit", "key", "src"],
                                                          how="left")
    return (q["n"].fillna(0) - q["own"].fillna(0)).to_numpy() > 0


def _band_odds(ref_groups: pd.DataFrame | None, lk: pd.DataFrame, profile: pd.Series,
               home: pd.Series, held: set, src: pd.Series, ref: pd.Series) -> np.ndarray:
    """Per candidate row, the likelihood ratio of its reference record's subgroups for a
    record of the source's completeness profile: their share among the reference records
    such records are linked to at a unit-mate's address (`lk`; a profile without a middle
    name or an identifier is mostly a dependant's, linked to children) over their share
    among the reference records at those addresses that no link holds (the candidates
    an unlinked record can have there). Variables
    multiply; 1.0 where nothing is known. No labels: links and the reference only."""
    ratio = np.ones(len(src))
    if ref_groups is None or ref_groups.empty or lk.empty:
        return ratio
    # the candidates an unlinked record can have there: the residents no link holds
    residents = home.index[home.isin(set(lk["key"])) & ~home.index.isin(held)]
    lk_prof = lk["src"].map(profile).to_numpy()
    row_prof = src.map(profile).to_numpy()
    for v in ref_groups.columns:
        vals = lk["ref"].map(ref_groups[v]).fillna("unknown").to_numpy()
        pooled = pd.Series(vals).value_counts(normalize=True)
        there = pd.Series(ref_groups[v].reindex(residents).fillna("unknown").to_numpy()
                          ).value_counts(normalize=True)
        tab = pd.crosstab(lk_prof, vals)
        cond = tab.add(PRIOR_RECORDS * pooled.reindex(tab.columns).fillna(0), axis=1)
        cond = cond.div(cond.sum(axis=1), axis=0) / there.reindex(cond.columns)
        long = cond.stack()
        row_val = ref.map(ref_groups[v]).fillna("unknown").to_numpy()
        got = long.reindex(pd.MultiIndex.from_arrays([row_prof, row_val])).to_numpy(float)
        ratio *= np.where(np.isfinite(got), got, 1.0)
    return ratio


def adjust(out: Path, reference: str, name: str, pairs: pd.DataFrame,
           links: pd.DataFrame, ref_groups: pd.DataFrame | None = None,
           raw_columns: Mapping[str, str] | None = None
           ) -> tuple[pd.DataFrame, dict | None]:
    """`pairs` with the unlinked records' probabilities at a unit-mate's address raised to
    the household's coverage (module doc), and what was done (None: nothing to do).
    `raw_columns`: the source's intake columns of its identifying fields
    (raw_values.mapped)."""
    if pairs.empty or "match_probability" not in pairs or links.empty:
        return pairs, None
    got = _homes(out, reference, name, raw_columns or {})
    if got is None:
        return pairs, None
    units, profile, home = got
    lk = pd.DataFrame({"src": links["source_id"].astype(str).to_numpy(),
                       "ref": links["reference_id"].astype(str).to_numpy()})
    lk["unit"], lk["key"] = lk["src"].map(units), lk["ref"].map(home)
    lk = lk.dropna().reset_index(drop=True)
    p = pairs.reset_index(drop=True)
    src, ref = p["source_id"].astype(str), p["reference_id"].astype(str)
    at_home = _others_linked(src.map(units), ref.map(home), src, lk) & \
        src.map(units).notna().to_numpy() & ref.map(home).notna().to_numpy()
    lk_home = _others_linked(lk["unit"], lk["key"], lk["src"], lk)
    linked = set(lk["src"])
    home_recs = set(src[at_home]) | set(lk.loc[lk_home, "src"])
    linked_home = set(lk.loc[lk_home, "src"])
    if len(home_recs) < MIN_RECORDS:
        return pairs, None
    theta = len(linked_home) / len(home_recs)
    # per unlinked record: its probability at home and elsewhere (one per person)
    person = p["person_ref"].astype(str) if "person_ref" in p else ref
    one = ~pd.DataFrame({"s": src, "r": person}).duplicated().to_numpy()
    free = ~src.isin(linked).to_numpy()
    prob = p["match_probability"].to_numpy(float)
    hm = pd.Series(np.where(one & at_home, prob, 0.0)).groupby(src.to_numpy()).sum()
    tot = pd.Series(np.where(one, prob, 0.0)).groupby(src.to_numpy()).sum()
    # at home with the household's coverage (less what the record has elsewhere), spread
    # over its candidates there in the model's proportions, then each candidate's odds
    # moved by how likely its subgroups are for a record of this completeness profile
    target = (theta - (tot - hm)).clip(lower=0.0, upper=1.0 - 1e-9)
    mine = np.where(one & at_home & free, prob, 0.0)
    share = np.where(mine > 0, mine / src.map(hm).to_numpy(float).clip(min=1e-300), 0.0)
    t = src.map(target).to_numpy(float)
    lr = _band_odds(ref_groups, lk[lk_home], profile, home, set(lk["ref"]), src, ref)
    odds = t / (1.0 - t) * share * lr
    odds = np.where(mine > 0, odds, 0.0)
    post = odds / (1.0 + src.map(pd.Series(odds).groupby(src.to_numpy()).sum()).to_numpy(float))
    add = np.where(mine > 0, np.maximum(post - prob, 0.0), 0.0)
    # a person's other reference records (duplicates) carry the same probability
    add = pd.Series(add).groupby([src.to_numpy(), person.to_numpy()]).transform("max")
    add = np.where(at_home & free, add.to_numpy(float), 0.0)
    new = np.minimum(prob + add, 1.0)
    moved = float(((new - prob) * one).sum())
    p["match_probability"] = new
    p[OWN] = prob  # the model's own: what the never-compared estimate reads (calibrate)
    info = {"records_at_home": len(home_recs), "linked_there": len(linked_home),
            "theta": round(theta, 4),
            "unlinked_raised": int(src[new > prob].nunique()),
            "mass_added": round(moved, 2)}
    return p, info
