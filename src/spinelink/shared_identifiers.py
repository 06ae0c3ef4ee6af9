"""Records of one person that a source holds several times, linked through their shared
identifier.

A source may hold several records of one person (`one_to_one: false`: a W-2 or 1099 per
job), each with the person's identifier (an SSN) that the reference does not carry (an
identifier both sides carry links directly, under the cascade's guard). Each
record is linked on its own, so a record whose first name is noised beyond every level
of the model (a placeholder, a heavy typo) has no personal evidence against a reference
without a date of birth to compare (`spinelink.evidence`) and stays unlinked, while the
person's other records are linked. Such a record is linked to the reference record its
identifier's linked records all have (method `shared:<identifier>`), when its middle
initial agrees with the unit's and with one of those records' (both present): an
identifier copied from a household member or mistyped into another person's joins two
persons, whom a middle initial most often tells apart, and a real first name (one the
nickname lists know) that is no form of the unit's nor of those records' (a spouse filing
with the other's SSN). A record without a middle initial (a 1040 dependant's row on a
second return: the form gives dependants none) joins when its first name is a form of the
unit's and of one of those records', and every link of the identifier is at least the
run's target precision: it has nothing of its own to tell an identifier error apart. A
record already linked is never moved. Measured on the external benchmark:
benchmarks/RESULTS.md, sessions 33, 36 (helper H) and 37 (helper A).
"""
from __future__ import annotations

import logging

from spinelink import nickname_tables
from spinelink.backends import Engine
from spinelink.sqlfiles import sql_file, sql_fragment

log = logging.getLogger("spinelink.link")

PREFIX = "shared:"


def link(engine: Engine, ref_t: str, src_t: str, links_t: str, review_t: str,
         identifiers: list[str], confident: float = 1.0) -> tuple[str, str, dict[str, int]]:
    """(links table, review table, links added per method): the records of `src_t` without
    a link in `links_t` linked through each identifier in turn, taken out of `review_t`;
    new tables when any is linked. `confident`: a record without a middle initial joins only
    units whose links of the identifier are all at least this probable (the run's target
    precision): it has nothing of its own to tell an identifier error apart, so its link is
    only as right as theirs."""
    cols = set(engine.columns(src_t))
    added: dict[str, int] = {}
    for ident in identifiers:
        col = f"id_{ident}"
        if col not in cols or "middle_name" not in cols:
            continue
        found = engine.df(sql_file(
            "finalise/shared_identifier.sql", ident=col, links=links_t, src=src_t,
            ref=ref_t, nicknames=nickname_tables.NICKNAMES, roots=nickname_tables.ROOTS,
            forms=sql_fragment("finalise/first_name_forms.sql")),
            {"confident": float(confident)})
        if found.empty:
            continue
        method = f"{PREFIX}{ident}"
        shared = f"{links_t}_sh_{ident}"
        engine.register(f"{shared}_found", found.assign(method=method))
        engine.create_table(f"{shared}_links", sql_file(
            "finalise/shared_identifier_links.sql", links=links_t, shared=f"{shared}_found"))
        engine.create_table(f"{shared}_review", sql_file(
            "finalise/shared_identifier_review.sql", review=review_t,
            shared=f"{shared}_found"))
        links_t, review_t = f"{shared}_links", f"{shared}_review"
        added[method] = len(found)
        log.info("%d records linked through identifier %s shared with linked records of "
                 "the same source", len(found), ident)
    return links_t, review_t, added
