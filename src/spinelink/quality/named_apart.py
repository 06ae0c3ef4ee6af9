"""Candidates the stage did not link that the relatives rule names apart from their unit's
linked records: a reading the intervals draw (`labelfree.estimate`), the point keeping the
model's probabilities.

An unlinked record's candidate on a reference unit another source record is linked to is
either a second record of the unit's person or a relative the reference lacks (a twin, a
sibling or a parent sharing surname, address and sometimes the first name or the date of
birth). The record-level model gives the two one prior, its claimed class's share
(`record_level`), which the relatives among the candidates raise, so it cannot tell them
apart. The linkage holds a *link* whose first name is no form of the unit's while another
record linked to the unit carries one, or whose date of birth is years from theirs
(`sql/finalise/relatives.sql`); read on the candidates the stage did not link, the same
rule names such a candidate a relative. Every bootstrap replicate is read both ways from
the same uniforms (the candidate no match, and as the model), each recall interval spanning
the two readings' 2.5% and 97.5% points: what the intervals would otherwise leave out, the
claimed class's share taken as right for the relatives (ua_missed_relatives: 6.5 of the
unlinked records' 8.5 expected missed matches on units already linked, none true; on the
harness's sets 4 true of about 1,450 such pairs, session 35 helper C, who measured it as a
point change: `benchmarks/tried/s35_hC_named_apart.patch`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from spinelink.backends.base import Engine
from spinelink.pair_keys import contains
from spinelink.quality import nullcal
from spinelink.sqlfiles import sql_file, sql_fragment


def apart(engine: Engine, links: pd.DataFrame, pairs: pd.DataFrame, ref_std: str,
          src_std: str, tag: str) -> pd.DataFrame:
    """The (reference_id, source_id) pairs of `pairs` whose record no link holds, on a
    unit a link holds, that the relatives rule names apart from the unit's linked records
    (`relatives.sql`, read with the unit's links and those candidates)."""
    key = ["reference_id", "source_id"]
    none = pd.DataFrame(columns=key)
    if pairs.empty or links.empty:
        return none
    lk = links[[*key, "match_probability"]].astype({"reference_id": str, "source_id": str})
    p = pairs[[*key, "match_probability"]].astype({"reference_id": str, "source_id": str})
    cand = p[~p["source_id"].isin(lk["source_id"]).to_numpy()
             & p["reference_id"].isin(lk["reference_id"]).to_numpy()].drop_duplicates(key)
    if cand.empty:
        return none
    rows = pd.concat([lk[lk["reference_id"].isin(cand["reference_id"]).to_numpy()], cand],
                     ignore_index=True)
    engine.register(f"{tag}_rows", rows)
    try:
        engine.create_table(f"{tag}_shared", sql_file("finalise/relatives_shared.sql",
                                                      links=f"{tag}_rows"))
        held = engine.df(sql_file("finalise/relatives.sql", links=f"{tag}_shared",
                                  ref=ref_std, src=src_std,
                                  forms=sql_fragment("finalise/first_name_forms.sql")))
    finally:
        engine.release(f"{tag}_rows", f"{tag}_shared")
    if held.empty:
        return none
    out = held.astype({"reference_id": str, "source_id": str}).merge(cand[key], on=key)
    return out[key].drop_duplicates().reset_index(drop=True)


def mark(engine: Engine, out, reference: str, source: str, std: dict | None,
         links: pd.DataFrame, pairs: pd.DataFrame, prep) -> int:
    """`prep.apart` (a `labelfree.Prepared`): per candidate, whether the relatives rule
    names it apart (`apart`); the number of such candidates. Read from the standardised
    records the run loaded, or their files when the stage runs alone."""
    tag, _ = nullcal.std_views(engine, out, reference, source, std)
    got = apart(engine, links, pairs, f"{tag}_ref_std", f"{tag}_src_std", f"{tag}_apart")
    if got.empty:
        return 0
    cand = pd.DataFrame({"reference_id": prep.cand_ref, "source_id": prep.cand_src})
    mask = np.asarray(contains(got, cand), bool)
    prep.apart = mask if mask.any() else None
    return int(mask.sum())
