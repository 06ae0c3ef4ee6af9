"""Links that may be the co-twin of an absent person: a source record whose first name is
no form of the reference record's (`finalise/first_name_forms.sql`) while surname, date of
birth and postcode agree is either the reference record's person with another first name,
or a co-twin of that person whom the reference lacks. The model scores both alike (every
field but one agrees, often at p = 1.0), so its posterior cannot carry the second reading:
on the project's generator the false links of children are such twins (session 41 helper B).

Learnt without labels, as `evidence.middle_is_personal` learns from co-residents:
- `tau`: of the reference's records born in the link's decade, the share with a co-twin in
  the reference (the same surname, date of birth and postcode, a first name no form of
  theirs): twins live together as children and apart as adults;
- `omega`: of the source records born by the reference's latest date of birth whose
  household (surname and postcode) holds another linked record, the share not linked:
  how often the reference lacks a person whose household it holds;
- `m`: of the links whose records agree on surname, date of birth and postcode, the
  reference record born in the same decade, the share whose first names are no forms of
  one name (one person's records so written, and the
  twins among them: the share is an upper bound of the first).

A link of the kind whose reference record has no co-twin in the reference is then the
absent co-twin with chance tau * omega / (tau * omega + m): the co-twin's prior against the
person's own record written with another first name. The chance multiplies the link's
survival (`labelfree`: the point takes it off the expected right links, each bootstrap
replicate draws it). A reference without co-twins (tau = 0) or a source without a date of
birth or postcode gives no chance.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from spinelink.backends.base import Engine
from spinelink.quality import nullcal
from spinelink.sqlfiles import sql_file, sql_fragment

# the columns first_name_forms.sql reads, and the fields the kind agrees on
COLUMNS = ("record_id", "first_name", "middle_name", "last_name", "first_name_canon",
           "first_name_canon_rom", "first_name_mp", "first_name_root1",
           "first_name_root2", "first_name_root3", "first_initial", "last_name_rom",
           "dob_iso", "postcode")


@dataclass
class Twins:
    chance: np.ndarray   # per link (the links table's order): chance it is an absent co-twin
    links: int           # links of the kind
    tau: float           # over every cohort (the chances use each cohort's own)
    omega: float
    m: float             # over every cohort

    def summary(self) -> dict:
        return {"links": self.links, "reference_twin_share": round(self.tau, 5),
                "household_absent_share": round(self.omega, 4),
                "first_name_apart_share": round(self.m, 5),
                "expected_false_links": round(float(self.chance.sum()), 2),
                "how": "links whose records agree on surname, date of birth and postcode "
                       "but whose first names are no forms of one name, the reference "
                       "holding no co-twin of the reference record: the absent co-twin "
                       "with chance tau * omega / (tau * omega + m), tau and m per decade "
                       "of birth, all three learnt from the reference, the source and "
                       "the links"}


def twins(engine: Engine, ref: str | None, src: str | None,
          links: pd.DataFrame) -> Twins | None:
    """The chance of each link in `links` (reference_id, source_id, in their order) that
    its source record is the reference person's absent co-twin; None when the tables lack
    a field the test reads or nothing is of the kind."""
    from spinelink.household import MAX_RESIDENTS

    if not ref or not src or links.empty:
        return None
    if not set(COLUMNS) <= set(engine.columns(ref)) or \
            not set(COLUMNS) <= set(engine.columns(src)):
        return None
    name = "__sl_q_twin_links"
    lk = pd.DataFrame({"__i": np.arange(len(links)),
                       "reference_id": links["reference_id"].astype(str).to_numpy(),
                       "source_id": links["source_id"].astype(str).to_numpy()})
    engine.register(name, lk)
    forms = sql_fragment("finalise/first_name_forms.sql")
    try:
        per = engine.df(sql_file("quality/twin_links.sql", links=name, ref=ref, src=src,
                                 forms=forms))
        if not per["kind"].any():
            return None
        rates = engine.df(sql_file("quality/twin_rates.sql", ref=ref, forms=forms))
        home = engine.df(sql_file("quality/household_absent.sql", links=name, ref=ref,
                                  src=src), {"max_residents": MAX_RESIDENTS}).iloc[0]
    finally:
        engine.release(name)
    at_home, absent = (float(home[c] or 0) for c in ("at_home", "absent"))
    omega = absent / at_home if at_home else 0.0
    kind = per["kind"].to_numpy(bool)
    # per cohort: the co-twin share of the reference's records, the kind's share of the
    # agreeing links
    by = per.groupby("cohort", dropna=False)["kind"].agg(["sum", "size"])
    tau = rates.set_index("cohort")
    t = (tau["with_twin"] / tau["persons"]).reindex(by.index).fillna(0.0).to_numpy(float)
    m = (by["sum"] / by["size"]).to_numpy(float)
    prior = t * omega
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(prior > 0, prior / (prior + m), 0.0)
    q_of = pd.Series(q, index=by.index)
    chance = np.zeros(len(links))
    at = per["__i"].to_numpy(int)[kind]
    chance[at] = q_of.reindex(per["cohort"][kind]).fillna(0.0).to_numpy(float)
    tau_all = float(tau["with_twin"].sum() / max(tau["persons"].sum(), 1))
    return Twins(chance, int(kind.sum()), tau_all, omega, float(kind.sum() / len(per)))


def take_off(engine: Engine, out, reference: str, source: str, std: dict | None,
             links: pd.DataFrame, prep) -> Twins | None:
    """The chances of `twins` taken off every link's survival (`prep`, a
    `labelfree.Prepared`), both readings of the shared units'. Read from the standardised
    records the run loaded, or their files when the stage runs alone: the same figures."""
    tag, _ = nullcal.std_views(engine, out, reference, source, std)
    tw = twins(engine, f"{tag}_ref_std", f"{tag}_src_std", links)
    if tw is None or not tw.chance.any():
        return tw
    keep = 1.0 - tw.chance
    prep.survive = keep if prep.survive is None else prep.survive * keep
    prep.survive_alt = None if prep.survive_alt is None else prep.survive_alt * keep
    prep.survive_draw = None if prep.survive_draw is None else prep.survive_draw * keep
    return tw
