"""Candidates on a reference record another source record's link already holds.

The record model (`probabilistic.record_model`) gives every reference record of a class
the same prior share, whether or not the link stage then links another record of the
source to it: a probabilistic link takes nothing from the other records' candidates. For
an unlinked record, a candidate whose reference record holds another record's link is its
match only if the link is wrong, or if the person is in the source twice (a 1040 filer who
is also a dependant on a parent's return: 16% of tax1040_default's linkable persons). A
return's relatives at home are such candidates (they file returns of their own), so the
candidate term counted them at the model's odds: tax1040_default at seed 42, unlinked
records' candidates on a reference record another record's link holds 82.4 expected, 47
true; on the others 108.7, 110 (session 51 helper E).

Each such candidate's odds against "no match" are multiplied by

    f = (1 - q) + q * rho,    rho = min(1, m / t)

with q the chance the holding link is right (its probability; 1 for a deterministic
link) and rho the likelihood ratio of "another record's link holds it" between a match and
a non-match, read from the run's own links, no labels:

    m = linked records whose reference record holds another link / linked records
        (how often a person's record has a sibling record linked to the same person)
    t = the linked records' other candidates (not linked, surely non-matches for the most
        part) whose reference record holds a link of another record / those candidates
        (how often a non-match candidate is held)

A one-to-one source has m = 0: its candidates on a held record keep the chance the link
is wrong. The record's other candidates share the freed "no match" mass by the record's
own renormalisation (odds over one plus the record's odds). Only records the link stage
left unlinked move, and only the stage's record-level probabilities (`match_probability`):
the never-compared estimate keeps reading the model's own (`unit_home.OWN`).

Applied to sources that name their units (`persons_apart`), where it was measured. On
sources without units the held candidates are over-counted as well (ua_names_address:
51.8 expected, 15 true; weighed, 12.8), but there the candidates no link holds are
under-counted (82 against 152) and ss_raised's every band moves the same way: weighed
alone, the estimates moved away from the truth (ua_names_address's recall 0.0116 -> 0.0172
off; ss_raised's coverage 1.0 -> 0.83). Those sets wait for that term.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

OWN = "own_probability"  # unit_home.OWN
MIN_CANDIDATES = 30  # linked records' other candidates needed to say how often one is held
PRIOR_RECORDS = 20  # pseudo-records pulling a cell's rates to the pooled ones


def _held_by_other(ref: pd.Series, src: pd.Series, links: pd.DataFrame) -> np.ndarray:
    """Per row: its reference record holds a link of another source record than its own."""
    lk = links[["reference_id", "source_id"]].astype(str).drop_duplicates()
    n = lk.groupby("reference_id").size()
    q = pd.DataFrame({"r": ref.to_numpy(), "s": src.to_numpy()})
    mine = pd.MultiIndex.from_frame(q).isin(pd.MultiIndex.from_frame(lk))
    return (q["r"].map(n).fillna(0).to_numpy() - mine) > 0


def cell_codes(ref_groups: pd.DataFrame | None) -> pd.Series | None:
    """Per reference id its cell: the values of the reference's subgroup variables,
    crossed, one code per combination (None without variables)."""
    if ref_groups is None or ref_groups.empty or not len(ref_groups.columns):
        return None
    vals = ref_groups.fillna("unknown").astype(str)
    codes = pd.Series(pd.MultiIndex.from_frame(vals).factorize()[0],
                      index=ref_groups.index.astype(str))
    return codes[~codes.index.duplicated()]


def _cells(ref: pd.Series, codes: pd.Series | None) -> np.ndarray:
    """`cell_codes` of each reference id (-1: not in the reference; 0 without variables)."""
    if codes is None:
        return np.zeros(len(ref), np.int64)
    return ref.astype(str).map(codes).fillna(-1).to_numpy(np.int64)


def _shrunk(hit: np.ndarray, cell: np.ndarray, pooled: float) -> pd.Series:
    """Per cell the share of `hit`, pulled towards `pooled` by PRIOR_RECORDS."""
    g = pd.DataFrame({"c": cell, "h": hit.astype(float)}).groupby("c")["h"]
    return (g.sum() + PRIOR_RECORDS * pooled) / (g.size() + PRIOR_RECORDS)


def rates(pairs: pd.DataFrame, links: pd.DataFrame, codes: pd.Series | None = None
          ) -> tuple[pd.Series, pd.Series, float, float] | None:
    """(m, t) of the module doc per cell of the reference record's subgroups (a person in
    the source twice is mostly a child: a dependant on two returns), each pulled towards
    its pooled value, and the pooled values; None where the links or their other
    candidates are too few to say."""
    lk = links[["reference_id", "source_id"]].astype(str).drop_duplicates()
    if lk.empty:
        return None
    twice = (lk.groupby("reference_id")["source_id"].transform("size") >= 2).to_numpy()
    src, ref = pairs["source_id"].astype(str), pairs["reference_id"].astype(str)
    linked = src.isin(set(lk["source_id"])).to_numpy()
    own = pd.MultiIndex.from_arrays([ref, src]).isin(pd.MultiIndex.from_frame(lk))
    other = linked & ~own
    if other.sum() < MIN_CANDIDATES:
        return None
    held = _held_by_other(ref[other], src[other], links)
    m0, t0 = float(twice.mean()), float(held.mean())
    m = _shrunk(twice, _cells(lk["reference_id"], codes), m0)
    t = _shrunk(held, _cells(ref[other], codes), t0)
    return m, t, m0, t0


def discount(pairs: pd.DataFrame, links: pd.DataFrame,
             ref_groups: pd.DataFrame | None = None) -> tuple[pd.DataFrame, dict | None]:
    """`pairs` with the unlinked records' candidates on a reference record another
    record's link holds weighed down (module doc), and what was done (None: nothing)."""
    if pairs.empty or "match_probability" not in pairs or links.empty:
        return pairs, None
    codes = cell_codes(ref_groups)
    got = rates(pairs, links, codes)
    if got is None or got[3] <= 0:
        return pairs, None
    m, t, m0, t0 = got
    p = pairs.reset_index(drop=True)
    src, ref = p["source_id"].astype(str), p["reference_id"].astype(str)
    cell = pd.Series(_cells(ref, codes))
    rho = np.minimum(1.0, (cell.map(m).fillna(m0) / cell.map(t).fillna(t0)).to_numpy(float))
    free = ~src.isin(set(links["source_id"].astype(str))).to_numpy()
    held = _held_by_other(ref, src, links) & free
    if not held.any():
        return pairs, None
    lk = links.assign(q=links["match_probability"].astype(float).fillna(1.0)
                      if "match_probability" in links else 1.0)
    q = ref.map(lk.groupby(lk["reference_id"].astype(str))["q"].max()).fillna(0.0)
    f = np.where(held, 1.0 - q.to_numpy(float).clip(0.0, 1.0) * (1.0 - rho), 1.0)
    prob = p["match_probability"].to_numpy(float)
    # a person's records (tie groups) count once in the record's sums
    person = p["person_ref"].astype(str) if "person_ref" in p else ref
    one = ~pd.DataFrame({"s": src, "r": person}).duplicated().to_numpy()
    freed = pd.Series(np.where(one, (1.0 - f) * prob, 0.0)).groupby(src.to_numpy()).sum()
    kept = pd.Series(np.where(one, f * prob, 0.0)).groupby(src.to_numpy()).sum()
    # p_i f_i / (1 - sum_j p_j (1 - f_j)): the record's odds over one plus its odds; a
    # record whose mass the unit_home raise left above one keeps p_i f_i
    total = src.map(freed + kept).to_numpy(float)
    den = np.where(total <= 1.0, 1.0 - src.map(freed).to_numpy(float), 1.0)
    moves = src.map(pd.Series(held).groupby(src.to_numpy()).any()).to_numpy(bool)
    new = np.where(moves, f * prob / np.maximum(den, 1e-300), prob)
    out = p.copy()
    if OWN not in out:  # the never-compared estimate keeps reading the model's own
        out[OWN] = prob
    out["match_probability"] = np.clip(new, 0.0, 1.0)
    info = {"linked_held_twice": round(m0, 4), "held_among_other_candidates": round(t0, 4),
            "ratio": round(min(1.0, m0 / t0), 4), "candidates": int((held & one).sum()),
            "mass_moved": round(float((new - prob)[one].sum()), 2)}
    return out, info
