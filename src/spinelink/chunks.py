"""Prediction in chunks sized by the pairs the blocking rules make (issue 16): each rule's
pairs are counted in SQL before Splink blocks, so a chunk holds at most `pairs_per_chunk`
blocked pairs whatever the sizes of the two sides: the engine's memory limit over
PAIR_BYTES (PAIRS_PER_CHUNK where the engine has no known limit)."""
from __future__ import annotations

import math
import re

import pandas as pd

from spinelink.backends import Engine
from spinelink.sqlfiles import quote_ident, sql_file

PAIR_FLOOR = 0.001  # pairs scored below this probability (at the prior's upper bound) are dropped
PAIRS_PER_CHUNK = 2e7  # blocked pairs (before the floor) a chunk holds: no known limit
# the engine memory a blocked pair may take in a chunk (its table's join keys and rule
# number, and its scoring's share): at 5M persons under the default limit there (~6 GB) one
# chunk of 34M pairs (~180 bytes a pair) scored the links of two chunks 7-10 s faster at the
# same peak; under 3 GB (~88 bytes a pair) it still finished, with the same links, but
# spilling (benchmarks/RESULTS.md, sessions 48 and 49 lead)
PAIR_BYTES = 150
MIN_PAIRS_PER_CHUNK = 1e6  # a tiny limit still scores a useful chunk (DuckDB spills)
PRODUCT_PER_CHUNK = 2e10  # without a count: product of the two sides' sizes per chunk
# the two datasets' names in prediction (Splink's `source_dataset`; the reference's sorts
# first: the left side): one letter, as the join keys "<name>-__-<record id>" of every
# blocked pair carry them through the blocked pairs' table, Splink's pruned inputs and its
# scoring join (the tables are registered under unique names of their own)
REF_SIDE, SRC_SIDE = "r", "s"
_CAPPED = re.compile(r"blk_capped_\d+")  # model_spec.capped_column's
_EQUALITY = re.compile(r'^\(?\s*l\.("?)(\w+)\1\s*=\s*r\.("?)(\w+)\3\s*\)?$')


def blocked_pairs(engine: Engine, model: dict, ref: str, src: str,
                  known: dict[str, float] | None = None) -> float | None:
    """An upper bound on the pairs the model's blocking rules make between `ref` and
    `src`: each rule's pairs, summed (a pair two rules make counts twice). None when a
    rule is not a conjunction of column equalities (no count without running it).
    `known`: the pairs of the rules `l.c = r.c` on a column c it names, counted already
    (`capped_keys.among_pairs`: no pass over the reference for them)."""
    total = 0.0
    for rule in model.get("blocking_rules_to_generate_predictions", []):
        sql = rule["blocking_rule"] if isinstance(rule, dict) else str(rule)
        parts = equality_columns(sql)
        if not parts:
            return None
        if known and len(parts) == 1 and parts[0][0] == parts[0][1] and parts[0][0] in known:
            total += known[parts[0][0]]
            continue
        ref_cols = [quote_ident(a) for a, _ in parts]
        src_cols = [quote_ident(b) for _, b in parts]
        total += float(engine.scalar(sql_file(
            "probabilistic/blocked_pairs.sql", ref=ref, src=src,
            src_keys=", ".join(f"{c} AS k{i}" for i, c in enumerate(src_cols)),
            src_present=" AND ".join(f"{c} IS NOT NULL" for c in src_cols),
            on=" AND ".join(f"r.{c} = s.k{i}" for i, c in enumerate(ref_cols)))))
    return total


def equality_columns(rule: str) -> list[tuple[str, str]] | None:
    """A blocking rule's (l column, r column) pairs when it is a conjunction of column
    equalities (`l.a = r.b AND ...`), else None."""
    parts = [_EQUALITY.match(p.strip()) for p in re.split(r"\s+AND\s+", rule.strip(),
                                                           flags=re.IGNORECASE)]
    if not parts or not all(parts):
        return None
    return [(m.group(2), m.group(4)) for m in parts]


def pairs_per_chunk(memory_bytes: int | None) -> float:
    """The blocked pairs one prediction chunk may hold under the engine's memory limit
    (`Engine.memory_bytes`): PAIRS_PER_CHUNK when it is not known. Fewer chunks score
    the same pairs with less work: each chunk reads both sides whole (5M persons: one
    chunk 7-10 s cheaper than two, the same peak)."""
    if not memory_bytes:
        return PAIRS_PER_CHUNK
    return max(MIN_PAIRS_PER_CHUNK, memory_bytes / PAIR_BYTES)


def prediction_chunks(pairs: float | None, n_ref: int, n_src: int,
                      per_chunk: float = PAIRS_PER_CHUNK) -> int:
    """Chunks for prediction: by the blocked pairs when counted (each chunk holds at most
    `per_chunk` of them), else by the product of the two sides' sizes."""
    if pairs is None:
        return max(1, math.ceil(n_ref * n_src / PRODUCT_PER_CHUNK))
    return max(1, math.ceil(pairs / per_chunk))


def blocked_id_pairs_sql(model: dict, left: str, right: str, chunk: tuple[int, int],
                         left_keys: str | None = None) -> str | None:
    """The query making the pairs the model's blocking rules make between the engine
    tables `left` and `right` (Splink's blocked-pairs table, sql/probabilistic/
    blocked_id_pairs.sql; $left, $right: their datasets' names), for the chunk (i, n) of
    the left table's records. None when a rule is not a conjunction of column equalities
    (Splink blocks those itself). `left_keys`: the table of the left side's capped keys
    (`capped_keys.add_capped_keys(apart=True)`), which a rule on capped keys joins."""
    uid = model.get("unique_id_column_name", "unique_id")
    where = "" if chunk[1] == 1 else \
        f"WHERE hash(l.{quote_ident(uid)}) % {int(chunk[1])} = {int(chunk[0]) - 1}"
    rules = []
    for k, rule in enumerate(model.get("blocking_rules_to_generate_predictions", [])):
        parts = equality_columns(rule["blocking_rule"] if isinstance(rule, dict) else
                                 str(rule))
        if not parts:
            return None
        keyed = left_keys is not None and all(_CAPPED.fullmatch(a) for a, _ in parts)
        rules.append(sql_file(
            "probabilistic/blocked_rule_pairs.sql", k=str(k), uid=uid,
            left=left_keys if keyed else left,
            right=right, chunk=where,
            on=" AND ".join(f"l.{quote_ident(a)} = r.{quote_ident(b)}" for a, b in parts)))
    if not rules:
        return None
    return sql_file("probabilistic/blocked_id_pairs.sql", rules="\nUNION ALL\n".join(rules))


def predict_in_chunks(linker, n: int, tag: str, blocking=None) -> pd.DataFrame:
    """Score the blocked pairs in `n` chunks (bounded memory, visible progress).
    `blocking` (engine, model, {dataset name: engine table}): the pairs made by
    `blocked_id_pairs_sql` and given to Splink to score, where the model's rules allow."""
    from spinelink.progress import steps

    frames = []
    for i in steps(range(1, n + 1), f"scoring pairs ({tag.removeprefix('__sl_')})", n):
        pairs = _blocked_id_pairs(linker, blocking, (i, n), tag)
        if pairs is None:
            chunk = linker.inference.predict_chunk(
                left_chunk=(i, n), right_chunk=(1, 1),
                threshold_match_probability=PAIR_FLOOR, warning_mode="never")
        else:  # the pairs' records read from the two sides whole (splink_compat)
            from spinelink import splink_compat  # Splink's own import: only when scoring

            with splink_compat.sides_as_inputs():
                chunk = linker.inference.predict(threshold_match_probability=PAIR_FLOOR,
                                                 warning_mode="never")
        frames.append(chunk.as_pandas_dataframe())
        chunk.drop_table_from_database_and_remove_from_cache()
        if pairs is not None:
            pairs.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _blocked_id_pairs(linker, blocking, chunk: tuple[int, int], tag: str):
    """The chunk's blocked pairs registered for Splink's prediction, or None (Splink
    blocks: no `blocking`, or a rule that is not a conjunction of equalities)."""
    if blocking is None:
        return None
    engine, model, tables, keys = (*blocking, None)[:4]
    left, right = sorted(tables)  # Splink's left dataset: the smaller name
    sql = blocked_id_pairs_sql(model, tables[left], tables[right], chunk,
                               (keys or {}).get(left))
    if sql is None:
        return None
    name = f"{tag}_blocked_pairs"
    engine.create_table(name, sql, {"left": left, "right": right})
    # registered under a name Splink makes (one name is registered once a connection)
    pairs = linker.table_management.register_blocked_pairs_for_predict(
        engine.splink_db_api().register(name))
    from spinelink.splink_compat import SIDES

    pairs.metadata[SIDES] = {"l": left, "r": right}
    return pairs
