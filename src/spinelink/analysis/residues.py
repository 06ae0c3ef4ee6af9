"""The source records linked to no reference unit, as persons: one person a source holds
twice (`source_repeats`), and one person two sources hold (`residue_matches`), by person
keys read from the standardised tables (`person_keys`)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from spinelink.sqlfiles import quote_ident, sql_file

NAMES_DOB = ("first_name", "last_name", "dob_iso")
# across sources the spellings differ more than within one: romanised and canonical
# forms, one name with the date of birth and postcode, both names with the postcode
ACROSS = (("first_name_canon_rom", "last_name_rom", "dob_iso"),
          ("first_name_canon_rom", "last_name_rom", "postcode"),
          ("last_name_rom", "dob_iso", "postcode"),
          ("first_name_canon_rom", "dob_iso", "postcode"))


def person_keys(cols, ids, groups) -> list[str]:
    """SQL expressions over alias `s`, one per key: `id:<col>:<value>` for each identifier
    column in ids, and for each group of columns (all in cols) their values joined, NULL
    where one is missing."""
    keys = [f"'id:{c}:' || CAST(s.{quote_ident(c)} AS VARCHAR)" for c in sorted(ids)]
    for i, group in enumerate(groups):
        if all(c in cols for c in group):
            parts = [f"CAST(s.{quote_ident(c)} AS VARCHAR)" for c in group]
            known = " AND ".join(f"{x} IS NOT NULL" for x in parts)
            joined = " || '|' || ".join(parts)
            keys.append(f"CASE WHEN {known} THEN 'k{i}:' || {joined} END")
    return keys


def _view(ctx, source: str) -> tuple[str, list[str]]:
    view = f"__sl_an_std_{source}"
    ctx.engine.view_parquet(view, Path(ctx.out) / "standardised" / f"{source}.parquet")
    return view, ctx.engine.columns(view)


def source_repeats(ctx, source: str, links: pd.DataFrame) -> pd.Index:
    """Ids of the source's records linked to none that repeat an earlier such record of
    the same person (sql/analysis/source_repeats.sql): a person the source holds twice
    and the reference lacks is counted once by the dual-system estimates, as a linked
    person is (once per unit)."""
    view, cols = _view(ctx, source)
    keys = person_keys(cols, [c for c in cols if c.startswith("id_")], [NAMES_DOB])
    if not keys:
        return pd.Index([])
    ctx.engine.register("__sl_an_links", links[["source_id"]].astype(str))
    got = ctx.engine.df(sql_file("analysis/source_repeats.sql", standardised=view,
                                 links="__sl_an_links", person=f"coalesce({', '.join(keys)})"))
    return pd.Index(got["record_id"].astype(str))


def residue_matches(ctx, a: str, links_a: pd.DataFrame, b: str, links_b: pd.DataFrame
                    ) -> pd.DataFrame:
    """(a_id, b_id): records of sources a and b, each linked to no reference unit, that
    share a person key (sql/analysis/residue_matches.sql)."""
    (va, ca), (vb, cb) = _view(ctx, a), _view(ctx, b)
    shared = set(ca) & set(cb)
    keys = person_keys(shared, [c for c in shared if c.startswith("id_")],
                       [NAMES_DOB, *ACROSS])
    if not keys:
        return pd.DataFrame(columns=["a_id", "b_id"])

    def persons(rel: str) -> str:
        return " UNION ALL ".join(
            f"SELECT CAST(s.record_id AS VARCHAR) AS record_id, {k} AS person "
            f"FROM {rel} AS s" for k in keys)

    ctx.engine.register("__sl_an_links_a", links_a[["source_id"]].astype(str))
    ctx.engine.register("__sl_an_links_b", links_b[["source_id"]].astype(str))
    return ctx.engine.df(sql_file(
        "analysis/residue_matches.sql", standardised_a=va, standardised_b=vb,
        links_a="__sl_an_links_a", links_b="__sl_an_links_b",
        persons_a=persons("ra"), persons_b=persons("rb")))
