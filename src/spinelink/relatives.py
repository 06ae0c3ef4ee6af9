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

The first name cannot tell a father from the son named after him (or a Jr. from a Sr.):
a link whose first name is a form of the unit's but whose date of birth is more than a
year from the unit's (not one typo, nor day and month swapped) is held when another
record on the unit carries a form of the first name and the unit's date of birth. A date
of birth that a co-resident of the unit has (another reference record at its address)
is a copy from a household member, an error of the person's record: not held. On the
external pairs this held 8 of ua_missed_relatives' 23 false links and 11 and 7 of
pseudopeople social security's (benchmarks/RESULTS.md, session 25).

Measured on the generator at 100,000 persons (benefits, where 199 of 252 false links
were relatives of a person the census lacks): see benchmarks/RESULTS.md.
"""
from __future__ import annotations

import logging

import pandas as pd

from spinelink.backends import Engine
from spinelink.pair_keys import contains
from spinelink.sqlfiles import quote_ident, sql_file, sql_fragment

log = logging.getLogger("spinelink.link")

PREFIX = "relative:"


def hold(engine: Engine, ref_t: str, src_t: str, links_t: str,
         review_t: str) -> tuple[str, str, dict[str, int]]:
    """(links table, review table, links held per method): the links to hold of table
    `links_t` moved into the review band of table `review_t` (both in the links
    contract), as new tables when any is held."""
    shared = f"{links_t}_shared"
    engine.create_table(shared, sql_file("finalise/relatives_shared.sql", links=links_t))
    if engine.count(shared) == 0:
        return links_t, review_t, {}
    held = engine.df(sql_file("finalise/relatives.sql", links=shared, ref=ref_t, src=src_t,
                              forms=sql_fragment("finalise/first_name_forms.sql")))
    if held.empty:
        return links_t, review_t, {}
    engine.register("__sl_rel_held", held)
    counts = engine.df(f"SELECT l.method, count(*) AS n FROM {quote_ident(links_t)} l JOIN "
                       "__sl_rel_held h ON h.reference_id = l.reference_id AND "
                       "h.source_id = l.source_id GROUP BY l.method ORDER BY l.method")
    names = {"links": links_t, "review": review_t, "held": "__sl_rel_held"}
    engine.create_table(f"{review_t}_held", sql_file("finalise/relatives_moved.sql", **names))
    engine.create_table(f"{links_t}_held", sql_file("finalise/relatives_kept.sql", **names))
    log.info("%d links held for review as probably a relative of the person linked to "
             "the same unit", int(counts["n"].sum()))
    return f"{links_t}_held", f"{review_t}_held", {
        str(m): int(n) for m, n in counts.itertuples(index=False)}


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
