"""Records a source declares to be different persons: the members of one unit.

A tax return lists its filer, spouse and dependants; a household register its members.
A source that names such a column (`persons_apart: return_id`) says that its records
sharing a value of it are different persons, so at most one of them is any one
reference person. The record-level model (`probabilistic.record_model`)
gives each source record's candidates their probabilities on their own; this reads them
together: for a reference person that several records of one unit have as a candidate,
the configurations in which two of them are that person are ruled out. With `p_i` the
probability that record `i` of the unit is the person, record `i` is the person with
probability

    p_i * prod_{j != i} (1 - p_j) / Z,    Z = prod_j (1 - p_j) + sum_i p_i prod_{j != i} (1 - p_j)

and its other candidates gain what it lost, in proportion (its probability of being
someone else given that it is not this person is unchanged). On a return whose child the
census lacks, the child's record, with only the surname and address to go on, would take
the father's census record that the father's own record (first name agreeing) holds: it
now loses it. Each shared person is read on its own (a unit whose records share two
persons is adjusted for each in turn).
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def adjust(pairs: pd.DataFrame, units: pd.Series) -> tuple[pd.DataFrame, int]:
    """`pairs` (source_id, person_ref, match_probability, ...) with the probabilities of
    the candidates that records of one unit share read together (module doc); and how
    many (unit, person) conflicts were read. `units`: source record id -> its unit
    (missing: a record of no unit)."""
    if pairs.empty or units.empty:
        return pairs, 0
    p = pairs["match_probability"].to_numpy(dtype=float).copy()
    unit = pairs["source_id"].astype(str).map(units).to_numpy(dtype=object)
    key = pd.DataFrame({"unit": unit, "person": pairs["person_ref"].astype(str).to_numpy()})
    has_unit = pd.notna(unit)
    shared = has_unit & key.duplicated(["unit", "person"], keep=False).to_numpy()
    if not shared.any():
        return pairs, 0
    src = pairs["source_id"].astype(str).to_numpy()
    # a record may reach one person through several tied reference records: one entry
    # per (unit, person, record), its probability their sum
    idx = np.flatnonzero(shared)
    groups = pd.DataFrame({"unit": key["unit"].to_numpy()[idx],
                           "person": key["person"].to_numpy()[idx], "src": src[idx], "i": idx})
    rows_of = pd.Series(np.arange(len(p))).groupby(src).apply(np.asarray)
    mult = np.ones(len(p))
    n = 0
    for _, g in groups.groupby(["unit", "person"], sort=True):
        recs = g.groupby("src", sort=True)["i"].apply(np.asarray)
        if len(recs) < 2:
            continue
        q = np.array([min(p[ix].sum(), 1.0) for ix in recs], dtype=float)
        rest = 1.0 - q
        others = np.array([np.prod(np.delete(rest, i)) for i in range(len(q))])
        z = float(np.prod(rest) + (q * others).sum())
        if z <= 0:
            continue
        n += 1
        new_q = q * others / z
        for (s_id, ix), old, new in zip(recs.items(), q, new_q, strict=True):
            if old > 0:
                mult[ix] *= new / old
            rest_ix = np.setdiff1d(rows_of[s_id], ix)
            if old < 1 and len(rest_ix):
                # its other candidates: P(not this person) went from 1 - old to 1 - new
                mult[rest_ix] *= (1.0 - new) / (1.0 - old)
    p = p * mult
    return pairs.assign(match_probability=np.clip(p, 0.0, 1.0)), n
