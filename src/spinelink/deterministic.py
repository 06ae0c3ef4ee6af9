"""Deterministic linkage: shared identifiers, then an ordered cascade of match keys.

Every step accepts only keys that are unique on both sides among the records still in
the pool; linked records leave the pool; each link records the step that made it.
"""
from __future__ import annotations

from dataclasses import dataclass

from spinelink import progress
from spinelink.backends import Engine
from spinelink.jobspec.match_keys import (  # noqa: F401 - the schema, re-exported
    KEY_FIELDS,
    MatchKey,
    MatchKeys,
    load_match_keys,
)
from spinelink.model_fields import field_of
from spinelink.sqlfiles import quote_ident, sql_file, sql_fragment


@dataclass
class Step:
    method: str
    ref_fields: list[str]
    src_fields: list[str]
    not_disagree: tuple[str, ...] = ()


def steps_for(direct: list[str], keys: MatchKeys | None) -> list[Step]:
    steps = [Step(f"direct:{ident}", [f"id_{ident}"], [f"id_{ident}"]) for ident in direct]
    for k in keys.keys if keys else []:
        steps.append(Step(f"key:{k.name}", list(k.fields), list(k.source_fields or k.fields),
                          tuple(k.not_disagree)))
    return steps


# A key field whose commonest value covers more than this share of its populated records
# on either side is a placeholder (every ZIP code 00000, one region for all): a key on it
# is skipped. Sex is exempt: it has two common values by nature and keys only use it to
# keep apart records that disagree. A side with fewer than MIN_JUDGED populated values
# (a delivery of five records, three of one household's surname) is a placeholder only
# when the other side is too: a share of so few values says little, and a key matches on
# equal values, so a value common on one side alone links nothing by itself.
MAX_TOP_SHARE = 0.5
MIN_JUDGED = 50


def skipped_key_lines(skipped: dict[str, str]) -> list[str]:
    """What `drop_placeholder_keys` skipped, one line per cause naming its keys (a ZIP
    code that is one value for all skips every key on it: one line, not five)."""
    by_reason: dict[str, list[str]] = {}
    for method, why in skipped.items():
        by_reason.setdefault(why, []).append(method.removeprefix("key:"))
    return [f"match key{'s' if len(keys) > 1 else ''} {', '.join(keys)} skipped: {why}"
            for why, keys in by_reason.items()]


def drop_placeholder_keys(engine: Engine, ref_table: str, src_table: str,
                          steps: list[Step]) -> tuple[list[Step], dict[str, str]]:
    """The steps whose fields all tell records apart, and for each skipped step why."""
    def checked(cols: list[str]) -> list[str]:
        return [c for c in cols if not c.startswith("id_") and field_of(c) != "sex"]

    shares: dict[tuple[str, str], tuple[float, int]] = {}
    for table, side in ((ref_table, "ref_fields"), (src_table, "src_fields")):
        cols = list(dict.fromkeys(c for st in steps for c in checked(getattr(st, side))))
        if cols:  # every column's share in one query
            parts = [f"SELECT {i} AS i, top_share, populated FROM ("
                     + sql_file("deterministic/top_value_share.sql", table=table, column=c)
                     + "\n)" for i, c in enumerate(cols)]
            got = engine.df("\nUNION ALL\n".join(parts))
            for i, v, n in zip(got["i"], got["top_share"], got["populated"], strict=True):
                shares[table, cols[i]] = (float(v or 0.0), int(n))

    def placeholder(table: str, column: str, other_table: str, other: str | None) -> bool:
        """`column` of `table` is a placeholder (`other`: the same field on the other
        side, None when the step has none there)."""
        share, n = shares[table, column]
        if share <= MAX_TOP_SHARE:
            return False
        return n >= MIN_JUDGED or (other is not None and (other_table, other) in shares
                                   and shares[other_table, other][0] > MAX_TOP_SHARE)

    kept, skipped = [], {}
    for step in steps:
        pairs = list(zip(step.ref_fields, step.src_fields, strict=True))
        bad = [f"{c} ({shares[t, c][0]:.0%} one value on the {name} side)"
               for t, name, o_t, cols in ((ref_table, "reference", src_table, pairs),
                                          (src_table, "source", ref_table,
                                           [(s, r) for r, s in pairs]))
               for c, o in cols if checked([c]) and placeholder(t, c, o_t, o)]
        if bad:
            skipped[step.method] = "placeholder values: " + ", ".join(dict.fromkeys(bad))
        else:
            kept.append(step)
    return kept, skipped


def silent_identifiers(engine: Engine, ref_table: str, src_table: str, steps: list[Step],
                       counts: dict[str, int]) -> dict[str, str]:
    """For each shared identifier that both sides hold on at least MIN_JUDGED records
    but that linked none, why that is worth a look (counts only, no values)."""
    found = {}
    for step in steps:
        if not step.method.startswith("direct:") or counts.get(step.method, 0):
            continue
        col = step.ref_fields[0]
        got = engine.df(sql_file("deterministic/identifier_forms.sql", ref=ref_table,
                                 src=src_table, col=col)).iloc[0]
        if min(int(got["n_ref"]), int(got["n_src"])) < MIN_JUDGED:
            continue
        zeros = int(got["agree_without_zeros"])
        found[step.method] = (
            f"{col.removeprefix('id_')} is held by {int(got['n_ref'])} reference and "
            f"{int(got['n_src'])} source records but agreed on none; "
            + (f"{zeros} source values agree once leading zeros are dropped: a numeric "
               "column (a Parquet integer, a spreadsheet) has lost them, give the "
               "identifier as text" if zeros else
               "check that both sources hold it in one form"))
    return found


def _guard(fields: tuple[str, ...]) -> str:
    """Both records agree on each field, or one of them lacks it."""
    parts = [f"(rp.{q} IS NULL OR sp.{q} IS NULL OR rp.{q} = sp.{q})"
             for q in map(quote_ident, fields)]
    return " AND ".join(parts)


def _key_expr(fields: list[str]) -> tuple[str, str]:
    cols = [f"CAST({quote_ident(f)} AS VARCHAR)" for f in fields]
    key = cols[0] if len(cols) == 1 else "concat_ws('|', " + ", ".join(cols) + ")"
    present = " AND ".join(f"{quote_ident(f)} IS NOT NULL" for f in fields)
    return key, present


def pool_columns(steps: list[Step], side: str, available: list[str]) -> list[str]:
    """The columns of `available` (a side's standardised columns, in their order) that
    the cascade's steps read from a pool on `side` ("ref" / "src"): record_id, each
    step's key fields and its not-disagree fields. (A direct identifier's guard reads its
    records' other fields from the standardised tables, by record_id.)"""
    wanted = {"record_id"}
    for step in steps:
        wanted.update(step.ref_fields if side == "ref" else step.src_fields)
        wanted.update(step.not_disagree)
    return [c for c in available if c in wanted]


def link_deterministic(engine: Engine, ref_table: str, src_table: str, steps: list[Step],
                       links_table: str, one_to_one: bool) -> dict[str, int]:
    """Run the cascade; links go to `links_table`; returns links made per method."""
    names = {"ref": ref_table, "src": src_table, "ref_pool": f"{links_table}_refpool",
             "src_pool": f"{links_table}_srcpool", "src_all": f"{links_table}_srcall",
             "links": links_table}
    for side, table in (("ref", ref_table), ("src", src_table)):
        names[f"{side}_columns"] = ", ".join(
            map(quote_ident, pool_columns(steps, side, engine.columns(table))))
    # not one-to-one: the reference's pool never loses a record, a view of its columns
    names["ref_pool_kind"] = "TABLE" if one_to_one else "VIEW"
    for stmt in _statements(sql_file("deterministic/create_pools.sql", **names)):
        engine.execute(stmt)
    counts: dict[str, int] = {}
    for i, step in enumerate(progress.steps(steps, "deterministic keys")):
        # the first step reads every source record (a view); its pool is made after it,
        # of the records it left (create_pools.sql)
        src_pool = names["src_all"] if i == 0 else names["src_pool"]
        ref_key, ref_present = _key_expr(step.ref_fields)
        src_key, src_present = _key_expr(step.src_fields)
        sql = sql_file("deterministic/unique_key_links.sql", ref_pool=names["ref_pool"],
                       src_pool=src_pool, ref_key=ref_key, ref_present=ref_present,
                       src_key=src_key, src_present=src_present)
        if step.not_disagree:
            sql = sql_file("deterministic/guarded_links.sql", links=sql,
                           ref_pool=names["ref_pool"], src_pool=src_pool,
                           guard=_guard(step.not_disagree))
        if step.method.startswith("direct:"):  # no link between two different people
            # (the linked records' rows of the standardised tables: the pools hold the
            # keys' columns only, `pool_columns`)
            sql = sql_file("deterministic/identifier_guard.sql", links=sql,
                           ref_pool=ref_table, src_pool=src_table,
                           forms=sql_fragment("finalise/first_name_forms.sql"))
        before = engine.count(links_table)
        engine.insert(links_table, f"SELECT *, {i} AS step FROM ({sql}) s",
                      {"method": step.method})
        counts[step.method] = engine.count(links_table) - before
        for stmt in _statements(sql_file("deterministic/remove_linked.sql", **names)):
            if "$one_to_one" not in stmt:  # the source's pool
                engine.execute(sql_file("deterministic/first_pool.sql", **names) if i == 0
                               else stmt, {"step": i})
            elif one_to_one:  # (the reference's pool, a view otherwise: nothing leaves it)
                engine.execute(stmt, {"one_to_one": one_to_one, "step": i})
    return counts


def _statements(sql: str) -> list[str]:
    """Split a file of several statements (no semicolons inside strings in these files)."""
    body = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]
