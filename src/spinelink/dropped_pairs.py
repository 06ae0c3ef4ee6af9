"""The link stage's side of the evidence-dropped term (`quality.evidence_dropped`): the
pairs `evidence.personal_evidence` dropped weighed by the record-level model, the
surname-at-home scale fitted again with them among the candidates, after the links are
chosen (nothing here moves a link)."""
from __future__ import annotations

import pandas as pd

from spinelink import home_scale
from spinelink.backends import Engine
from spinelink.quality import evidence_dropped
from spinelink.record_level import record_share
from spinelink.sqlfiles import sql_file


def pairs(df: pd.DataFrame, factors: pd.DataFrame, log_x) -> pd.DataFrame:
    """`quality.evidence_dropped.pairs` (the probabilistic stage's name for it)."""
    return evidence_dropped.pairs(df, factors, log_x)


def weigh(engine: Engine, dropped: pd.DataFrame | None, kept: pd.DataFrame,
          claim: tuple, rm, sizes: tuple[int, int], home: tuple, units: pd.Series | None,
          linked: tuple[str, pd.DataFrame]) -> pd.DataFrame | None:
    """The pairs the evidence rule dropped, each with the record-level model's
    probability that it is its record's match (`quality.evidence_dropped.weigh`).
    `kept`: the record model's pairs with their factors before the surname-at-home
    scale, which is fitted again with the dropped pairs among the candidates (the
    records whose match they are are then not counted as persons the reference lacks):
    the links keep the scale fitted without them."""
    if dropped is None or dropped.empty:
        return None
    (n_ref, n_src), (sh, kin) = sizes, home
    claimed, n_claimed, claimed_by, claimed_fn = claim
    whole = dropped  # every pair with its at-home term: the term's low reading
    if units is not None and not units.empty and not linked[1].empty:
        dropped = evidence_dropped.enumerated(dropped, linked[1], units,
                                              addresses(engine, linked[0], dropped, linked[1]))
    scale = 1.0
    if sh is not None and kin is not None and not kin.empty:
        both = pd.concat([kept, dropped[kept.columns]], ignore_index=True)
        scale = home_scale.fit(both["bf"].to_numpy(), both["home_log_x"].to_numpy(float),
                               both["source_id"], n_ref,
                               lambda b: record_share(b, both["source_id"], n_ref, n_src),
                               kin, sh.kin, units, both["reference_id"]).scale
    two = claimed is not None and 0 < n_claimed < n_ref
    d_claimed = claimed_fn(engine, claimed_by, dropped)[0] if two else None
    args = (dropped, kept, claimed if two else None, d_claimed,
            rm.shares if two else (rm.pi,),
            (n_ref - n_claimed, n_claimed) if two else (n_ref,))
    out = evidence_dropped.weigh(*args, scale, units)
    if out is not None:  # the term's two bounds (`quality.evidence_dropped.READINGS`)
        out["home_probability"] = evidence_dropped.weigh(
            whole, *args[1:], scale, units)["match_probability"].to_numpy(float)
        out["plain_probability"] = evidence_dropped.weigh(
            *args, 0.0, units)["match_probability"].to_numpy(float)
    return out


def addresses(engine: Engine, ref: str, *frames: pd.DataFrame) -> pd.Series:
    """The addresses of the reference records `frames` name (reference_id)."""
    ids = pd.unique(pd.concat([f["reference_id"].astype(str) for f in frames]))
    name = f"{ref}_dropped_refs"
    engine.register(name, pd.DataFrame({"r": ids}))
    try:
        got = engine.df(sql_file("probabilistic/reference_addresses.sql", ref=ref, ids=name))
    finally:
        engine.release(name)
    return pd.Series(got["address"].to_numpy(), index=got["r"].to_numpy())
