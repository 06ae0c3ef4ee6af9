"""Links held for clerical review as probably joining a relative of the person.

When a source may hold several records of one person (`one_to_one: false`), every source
record takes its best reference unit, so a person's twin, sibling or parent whom the
reference lacks takes the unit of the person: they share surname and address, twins the
date of birth too, and a mistyped or shared identifier links anyone. What tells them
apart is the first name. A link is held (moved from the links to the review band, its
method prefixed `relative:`) when its source record's first name is no form of the
unit's while another record linked to the same unit carries one (`sql/finalise/
relatives.sql` says which forms count: the agreeing levels of the model's first-name
comparison). A record alone on its unit is never held, nor one without a first name.
On a unit without a first name its strongest link with one stands in for the unit's
(highest match probability, deterministic links counting as 1): a record whose first
name is no form of that one's is held (two persons, at most one of them the unit's).

Measured on the generator at 100,000 persons (benefits, where 199 of 252 false links
were relatives of a person the census lacks): see benchmarks/RESULTS.md.
"""
from __future__ import annotations

import logging

import pandas as pd

from spinelink.backends import Engine
from spinelink.pair_keys import contains
from spinelink.sqlfiles import sql_file, sql_fragment

log = logging.getLogger("spinelink.link")

PREFIX = "relative:"


def hold(engine: Engine, ref_t: str, src_t: str, links: pd.DataFrame,
         review: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """(links, review, held per method): the links to hold moved into the review band."""
    shared = links["reference_id"].duplicated(keep=False)
    if not shared.any():
        return links, review, {}
    # deterministic links (no probability) are the strongest of a unit's links
    engine.register("__sl_rel_links", links.loc[shared, ["reference_id", "source_id"]].assign(
        match_probability=links.loc[shared, "match_probability"].astype(float).fillna(1.0)))
    held = engine.df(sql_file("finalise/relatives.sql", links="__sl_rel_links",
                              ref=ref_t, src=src_t,
                              forms=sql_fragment("finalise/first_name_forms.sql")))
    if held.empty:
        return links, review, {}
    out = _in(links, held)
    moved = links[out].assign(method=PREFIX + links.loc[out, "method"])
    counts = links.loc[out, "method"].value_counts().sort_index()
    log.info("%d links held for review as probably a relative of the person linked to "
             "the same unit", int(out.sum()))
    review = pd.concat([review, moved], ignore_index=True) if not review.empty else moved
    return (links[~out].reset_index(drop=True), review.reset_index(drop=True),
            {k: int(v) for k, v in counts.items()})


def held_pairs(review: pd.DataFrame) -> pd.DataFrame:
    """The rows of a review band that are links held as probable relatives."""
    return review[review["method"].astype(str).str.startswith(PREFIX)]


def without(pairs: pd.DataFrame, held: pd.DataFrame) -> pd.DataFrame:
    """`pairs` without the (reference_id, source_id) pairs of `held`."""
    if pairs.empty or held.empty:
        return pairs
    return pairs[~_in(pairs, held)].reset_index(drop=True)


def _in(frame: pd.DataFrame, pairs: pd.DataFrame):
    """Per row of frame: is its (reference_id, source_id) among pairs'."""
    return contains(pairs, frame)
