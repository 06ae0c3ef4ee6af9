"""Which candidates of one source record may be one person the reference holds twice: the
reference records' personal fields (`probabilistic.record_model` groups strong candidates
that agree on them)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from spinelink.backends import Engine
from spinelink.sqlfiles import quote_ident, sql_file

PERSON_FIELDS = ("first_name", "dob_iso")  # two reference records of one person agree on


def tied_persons(engine: Engine, ref: str, scored: pd.DataFrame
                 ) -> tuple[pd.Series | None, np.ndarray | None]:
    """Per scored pair, its reference record's personal fields as one key (None when the
    reference has none of them), and whether the record has all of `PERSON_FIELDS` (None
    when the reference lacks one of the columns); looked up only for candidates of source
    records with more than one (the rest never share a hypothesis)."""
    cols = [c for c in PERSON_FIELDS if c in engine.columns(ref)]
    if not cols or scored.empty:
        return None, None
    tied = scored["source_id"].duplicated(keep=False).to_numpy()
    person = pd.Series("", index=scored.index, dtype=object)
    complete = np.zeros(len(scored), dtype=bool)
    whole = len(cols) == len(PERSON_FIELDS)
    if not tied.any():
        return person, complete if whole else None
    ids = pd.DataFrame({"record_id": scored.loc[tied, "reference_id"].unique()})
    engine.register("__sl_tied_ids", ids)
    found = engine.df(sql_file(
        "probabilistic/tied_persons.sql", ref=ref,
        fields=", ".join(f"coalesce(CAST({quote_ident(c)} AS VARCHAR), '')" for c in cols),
        present=" AND ".join(f"{quote_ident(c)} IS NOT NULL" for c in cols))).set_index(
        "record_id")
    refs = scored.loc[tied, "reference_id"]
    person[tied] = refs.map(found["person"]).fillna("").to_numpy()
    complete[tied] = refs.map(found["complete"]).fillna(False).to_numpy(bool)
    return person, complete if whole else None
