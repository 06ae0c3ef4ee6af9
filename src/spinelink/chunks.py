"""Prediction in chunks sized by the pairs the blocking rules make (issue 16): each rule's
pairs are counted in SQL before Splink blocks, so a chunk holds at most PAIRS_PER_CHUNK
blocked pairs whatever the sizes of the two sides."""
from __future__ import annotations

import math
import re

import pandas as pd

from spinelink.backends import Engine
from spinelink.sqlfiles import quote_ident, sql_file

PAIR_FLOOR = 0.001  # pairs scored below this probability (at the prior's upper bound) are dropped
PAIRS_PER_CHUNK = 2e7  # blocked pairs (before the floor) one prediction chunk holds
PRODUCT_PER_CHUNK = 2e10  # without a count: product of the two sides' sizes per chunk
_EQUALITY = re.compile(r'^\(?\s*l\.("?)(\w+)\1\s*=\s*r\.("?)(\w+)\3\s*\)?$')


def blocked_pairs(engine: Engine, model: dict, ref: str, src: str) -> float | None:
    """An upper bound on the pairs the model's blocking rules make between `ref` and
    `src`: each rule's pairs, summed (a pair two rules make counts twice). None when a
    rule is not a conjunction of column equalities (no count without running it)."""
    total = 0.0
    for rule in model.get("blocking_rules_to_generate_predictions", []):
        sql = rule["blocking_rule"] if isinstance(rule, dict) else str(rule)
        parts = equality_columns(sql)
        if not parts:
            return None
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


def prediction_chunks(pairs: float | None, n_ref: int, n_src: int) -> int:
    """Chunks for prediction: by the blocked pairs when counted (each chunk holds at most
    PAIRS_PER_CHUNK of them), else by the product of the two sides' sizes."""
    if pairs is None:
        return max(1, math.ceil(n_ref * n_src / PRODUCT_PER_CHUNK))
    return max(1, math.ceil(pairs / PAIRS_PER_CHUNK))


def predict_in_chunks(linker, n: int, tag: str) -> pd.DataFrame:
    """Score the blocked pairs in `n` chunks (bounded memory, visible progress)."""
    from spinelink.progress import steps

    frames = []
    for i in steps(range(1, n + 1), f"scoring pairs ({tag.removeprefix('__sl_')})", n):
        chunk = linker.inference.predict_chunk(left_chunk=(i, n), right_chunk=(1, 1),
                                               threshold_match_probability=PAIR_FLOOR,
                                               warning_mode="never")
        frames.append(chunk.as_pandas_dataframe())
        chunk.drop_table_from_database_and_remove_from_cache()
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
