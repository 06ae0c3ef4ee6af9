"""The capped blocking keys of `model: auto` (issue 16): a rule's key kept only where at
most `max_block` reference records share it, counted on the whole reference; the engine
tables the probabilistic stage keys (and the quality stage reuses)."""
from __future__ import annotations

from spinelink.backends import Engine
from spinelink.model_fields import Fields
from spinelink.model_spec import ModelSpec
from spinelink.sqlfiles import quote_ident, sql_file


def keyed_reference(source: str) -> str:
    """The engine table of the reference records the probabilistic stage blocked `source`
    against, with its capped keys (the quality stage reuses it when it holds every
    reference record: links not one-to-one)."""
    return f"__sl_res_ref_{source}"


def whole_reference(source: str) -> str:
    """The engine table (or view) of every reference record the probabilistic stage
    counted `source`'s capped keys on (`key_counts(whole_reference(source), i)`)."""
    return f"__sl_lk_ref_{source}"


def key_counts(ref_full: str, i: int) -> str:
    """The engine table of capped rule i's key counts on `ref_full`."""
    return f"{ref_full}_blk{i}"


def capped_columns(spec: ModelSpec, fields: Fields | None = None,
                   used: set[str] | None = None) -> list[str]:
    """The capped blocking-key columns `add_capped_keys` adds, in its order (`used`: only
    these, e.g. those a saved model's prediction rules read)."""
    from spinelink.model_spec import CappedBlock, capped_column

    return [capped_column(i) for i, rule in enumerate(spec.blocking)
            if isinstance(rule, CappedBlock)
            and (fields is None or fields.blockable(rule.columns))
            and (used is None or capped_column(i) in used)]


def add_capped_keys(engine: Engine, spec: ModelSpec, tables: dict[str, str],
                    fields: Fields | None = None, blocked_only: bool = False,
                    counted: bool = False, among: str | None = None,
                    source: tuple[str, dict] | None = None,
                    used: set[str] | None = None, apart: bool = False) -> None:
    """Give every table the capped blocking-key columns the spec asks for; key frequencies
    are counted on the whole reference (`ref_full`). `blocked_only`: only the tables
    prediction blocks (`ref`, `src`); `ref_full` and `src_full` then serve only term
    frequencies (score_residual), and training, which blocks them too, does not run.
    `counted`: an earlier call counted the keys of this `ref_full` (unchanged since).
    `among`: count only the keys the table `among` holds (an incremental run's residual,
    the only source records prediction pairs: a pair needs its key on both sides, so the
    pairs are the same, and the whole reference's keys are not all counted for a few);
    other keys get no key column. Such counts have their own tables (`key_counts` holds
    every key's, which the quality stage takes). `source` (query, its parameters): the
    rows of `ref` (a residual's query: the table written once, with its keys, not
    written and then rewritten). `used`: only these key columns (`capped_columns`).
    `apart` (with `source`): `ref` holds only the record id and the keys, of the records
    with a key (`sql/probabilistic/reference_keys.sql`)."""
    from spinelink.model_spec import CappedBlock, capped_column

    columns, joins, caps, held = [], [], {}, []
    for i, rule in enumerate(spec.blocking):
        if not isinstance(rule, CappedBlock):
            continue
        if fields is not None and not fields.blockable(rule.columns):
            continue
        if used is not None and capped_column(i) not in used:
            continue
        counts = key_counts(tables["ref_full"], i) + ("_among" if among else "")
        key, present = _concat_key(rule.columns, "")
        key_t, _ = _concat_key(rule.columns, "t.")
        if among is not None:  # the key's columns joined: its string made only where counted
            cols = [quote_ident(c) for c in rule.columns]
            if not counted:
                engine.create_table(counts, sql_file(
                    "probabilistic/capped_key_counts_among.sql", ref=tables["ref_full"],
                    among=among, cols=", ".join(cols),
                    r_cols=", ".join(f"r.{c}" for c in cols), present=present,
                    on=" AND ".join(f"r.{c} = a.{c}" for c in cols)))
            columns.append(f"CASE WHEN c{i}.n <= $cap_{i} THEN {key_t} END AS "
                           f"{quote_ident(capped_column(i))}")
            held.append(f"c{i}.n <= $cap_{i}")
            joins.append(f"LEFT JOIN {quote_ident(counts)} c{i} ON "
                         + " AND ".join(f"c{i}.{c} = t.{c}" for c in cols))
            caps[f"cap_{i}"] = rule.max_block
            continue
        if not counted:
            engine.create_table(counts, sql_file(
                "probabilistic/capped_key_counts.sql", ref=tables["ref_full"], key=key,
                present=present))
        columns.append(f"CASE WHEN c{i}.n <= $cap_{i} THEN c{i}.k END AS "
                       f"{quote_ident(capped_column(i))}")
        joins.append(f"LEFT JOIN {quote_ident(counts)} c{i} ON c{i}.k = {key_t}")
        caps[f"cap_{i}"] = rule.max_block
    if source is not None and not columns:
        engine.create_table(tables["ref"], *source)
    if not columns:
        return
    targets = ([tables[k] for k in ("ref", "src") if k in tables] if blocked_only
               else tables.values())
    # every table in one pass (a pass per rule rewrote each table ten times: 9 s at 50k)
    for t in dict.fromkeys(targets):
        rows, params = quote_ident(t), caps
        if source is not None and t == tables["ref"]:
            rows, params = f"({source[0]}\n)", {**caps, **source[1]}
            if apart and held:
                engine.create_table(t, sql_file(
                    "probabilistic/reference_keys.sql", rows=rows,
                    columns=", ".join(columns), joins="\n".join(joins),
                    held=" OR ".join(held)), params)
                continue
        engine.create_table(t, sql_file("probabilistic/add_capped_key.sql", rows=rows,
                                        columns=", ".join(columns), joins="\n".join(joins)),
                            params)


def among_pairs(engine: Engine, spec: ModelSpec, tables: dict[str, str],
                fields: Fields | None = None) -> dict[str, float]:
    """Per capped key column that `add_capped_keys(..., among=tables["src"])` gave both
    blocked tables: the pairs its rule makes between them (`chunks.blocked_pairs`' count),
    from the residual's keyed records and the keys' counts, without a pass over the
    reference. Exact only when `tables["ref"]` holds every record of `ref_full` (the
    counts' records): links not one-to-one. The key strings are joined as the rule joins
    them (two columns' values holding `|` can make one string)."""
    from spinelink.model_spec import CappedBlock, capped_column

    pairs = {}
    for i, rule in enumerate(spec.blocking):
        column = capped_column(i)
        if not isinstance(rule, CappedBlock) or (
                fields is not None and not fields.blockable(rule.columns)):
            continue
        key, _ = _concat_key(rule.columns, "c.")
        pairs[column] = float(engine.scalar(sql_file(
            "probabilistic/capped_key_pairs.sql", src=tables["src"], key=key,
            column=column, counts=key_counts(tables["ref_full"], i) + "_among"),
            {"cap": rule.max_block}))
    return pairs


def _concat_key(columns: list[str], prefix: str) -> tuple[str, str]:
    cols = [f"{prefix}{quote_ident(c)}" for c in columns]
    key = "concat_ws('|', " + ", ".join(f"CAST({c} AS VARCHAR)" for c in cols) + ")"
    return key, " AND ".join(f"{c} IS NOT NULL" for c in cols)
