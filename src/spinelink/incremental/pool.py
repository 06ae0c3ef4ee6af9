"""The reference records an incremental run's residual can be paired with.

An incremental run links a few thousand records against the whole reference; giving every
reference record its capped blocking keys (a copy of the reference with a key column per
capped rule: 2.7 s at a million records) is most of its probabilistic stage. A pair is
made only where a prediction rule's columns are equal on both sides, so the reference
records no rule can pair with any residual record never reach a pair: prediction runs on
the others alone, with the prior of the whole residual reference (`count`), and scores
exactly the pairs it scores on every record. A rule that is not a conjunction of column
equalities, or an unknown derived column, keeps the whole reference (None).

The table is not the keyed reference (`capped_keys.keyed_reference`): the quality stage
builds its own pool when it needs one.
"""
from __future__ import annotations

import logging

from spinelink.backends import Engine
from spinelink.chunks import equality_columns
from spinelink.model_spec import ModelSpec, capped_column
from spinelink.sqlfiles import quote_ident, sql_file

log = logging.getLogger("spinelink")


def part_name(source: str) -> str:
    return f"__sl_res_refpart_{source}"


def reference_part(engine: Engine, model: dict, spec: ModelSpec | None, ref_t: str,
                   links_t: str, one_to_one: bool, src: str, columns: list[str],
                   source: str) -> tuple[str, int] | None:
    """(table of the residual reference records some rule pairs with a record of `src`,
    count of the whole residual reference); None when a rule cannot be read."""
    raw = _capped_keys(spec)
    src_cols = set(engine.columns(src))
    ref_cols = set(engine.columns(ref_t))
    parts, seen = [], []
    for rule in model.get("blocking_rules_to_generate_predictions", []):
        sql = rule["blocking_rule"] if isinstance(rule, dict) else str(rule)
        pairs = equality_columns(sql)
        if not pairs:
            return None
        for side in (pairs, [(b, a) for a, b in pairs]):  # either side may be the reference
            if sorted(side) in seen:  # (a rule on the same columns both sides: one part)
                continue
            seen.append(sorted(side))
            ref_keys = [_ref_key(c, raw, ref_cols) for c, _ in side]
            if None in ref_keys or any(s not in src_cols for _, s in side):
                return None
            keys = ", ".join(f"{quote_ident(s)} AS k{i}" for i, (_, s) in enumerate(side))
            present = " AND ".join(f"{quote_ident(s)} IS NOT NULL" for _, s in side)
            on = " AND ".join(f"{k} = s.k{i}" for i, k in enumerate(ref_keys))
            parts.append(f"SELECT r.record_id FROM {quote_ident(ref_t)} r JOIN "
                         f"(SELECT DISTINCT {keys} FROM {quote_ident(src)} WHERE {present}) s "
                         f"ON {on}")  # each record once per part: the keys are distinct
    whole = sql_file("deterministic/residual.sql", table=ref_t, links=links_t,
                     id_col="reference_id", columns="t.record_id")
    count = int(engine.scalar(f"SELECT count(*) FROM ({whole})", {"exclude": one_to_one}))
    ids = f"{part_name(source)}_ids"
    engine.create_table(ids, " UNION ".join(parts) if parts else
                        f"SELECT record_id FROM {quote_ident(ref_t)} WHERE false")
    view = f"{part_name(source)}_in"
    engine.execute(f"CREATE OR REPLACE VIEW {quote_ident(view)} AS SELECT * FROM "
                   f"{quote_ident(ref_t)} WHERE record_id IN (SELECT record_id FROM "
                   f"{quote_ident(ids)})")
    cols = ", ".join(f"t.{quote_ident(c)}" for c in columns)
    engine.create_table(part_name(source), sql_file(
        "deterministic/residual.sql", table=view, links=links_t, id_col="reference_id",
        columns=cols), {"exclude": one_to_one})
    log.info("%s: prediction on %d of the %d residual reference records (those a rule "
             "pairs with a residual record)", source, engine.count(part_name(source)), count)
    return part_name(source), count


def _capped_keys(spec: ModelSpec | None) -> dict[str, list[str]]:
    """capped column -> the columns its key joins (`capped_keys.add_capped_keys`)."""
    from spinelink.model_spec import CappedBlock

    if spec is None:
        return {}
    return {capped_column(i): list(rule.columns) for i, rule in enumerate(spec.blocking)
            if isinstance(rule, CappedBlock)}


def _ref_key(column: str, raw: dict[str, list[str]], ref_cols: set[str]) -> str | None:
    """The reference-side expression of a rule's column: the column, or for a capped key
    (not yet on the reference) the key it caps, as `add_capped_keys` joins it."""
    if column in ref_cols:
        return f"r.{quote_ident(column)}"
    if column in raw and all(c in ref_cols for c in raw[column]):
        return "concat_ws('|', " + ", ".join(
            f"CAST(r.{quote_ident(c)} AS VARCHAR)" for c in raw[column]) + ")"
    return None
