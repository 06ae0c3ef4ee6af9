"""Code maps of the job file (`codes:` per source), applied at intake.

    codes: {sex: {Ч: M, Ж: F, Н: null}, ethnic_group: {"1": D1, "2": D2}}

A key names a canonical field of `columns` or a declared variable. Each value of that
column is trimmed and looked up among the codes: exactly first, then ignoring case; a hit
is replaced by its target (null or "" makes it missing), anything else is left as it is
for intake's checks (a sex code it does not know, a code outside the column's code list, is then
set to missing and flagged like any invalid value). The intake table holds the mapped
value under the column's name (what standardisation, linkage and integration see) and the
value as read in `_raw_<column>`.

Sex targets must be codes intake accepts for sex (linkage_models/code_lists/
sex_input_codes.csv: M, F, male, female, 1, 2, u, unknown, ...).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:  # checked while the job loads: no import of spinelink.config here
    from spinelink.config import Source

RAW_PREFIX = "_raw_"


def coded_columns(src: Source) -> dict[str, str]:
    """field or variable name -> the source column its codes apply to."""
    return {k: src.columns.get(k) or src.variables[k] for k in src.codes}


def check_codes(src: Source, sex_codes: list[str]) -> str | None:
    """What is wrong with the source's `codes` (the key and the problem), or None."""
    seen: dict[str, str] = {}
    for key, col in coded_columns(src).items():
        if col in seen:
            return f"codes.{key}: column '{col}' is already mapped by codes.{seen[col]}"
        if col in src.id_columns:
            return f"codes.{key}: the identifier column cannot be mapped"
        seen[col] = key
        if key == "sex" and "sex" in src.columns:
            bad = [t for t in src.codes[key].values()
                   if t not in (None, "") and t.strip().lower() not in sex_codes]
            if bad:
                return ("codes.sex: a target is not a sex code intake accepts (M, F, or one "
                        "of linkage_models/code_lists/sex_input_codes.csv)")
    return None


def apply_codes(table: pa.Table, src: Source) -> tuple[pa.Table, dict[str, int]]:
    """The table with every coded column mapped and its value as read kept in
    `_raw_<column>`; and per key how many values were mapped."""
    counts: dict[str, int] = {}
    for key, col in coded_columns(src).items():
        raw = table.column(col)
        mapped, n = map_codes(raw, src.codes[key])
        counts[key] = n
        table = table.set_column(table.column_names.index(col), col, mapped)
        table = table.append_column(RAW_PREFIX + col, raw)
    return table, counts


def map_codes(values: pa.ChunkedArray | pa.Array,
              mapping: dict[str, str | None]) -> tuple[pa.ChunkedArray, int]:
    """`values` with each code of `mapping` replaced (exact match of the trimmed value
    first, then ignoring case); the number of values replaced."""
    codes = list(mapping)
    targets = pa.array([mapping[c] if mapping[c] != "" else None for c in codes], pa.string())
    lowered: dict[str, str | None] = {}
    for c in codes:  # the first code of each lower-case form wins
        lowered.setdefault(c.strip().lower(), mapping[c] if mapping[c] != "" else None)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    trimmed = pc.utf8_trim_whitespace(values)
    exact = pc.index_in(trimmed, value_set=pa.array([c.strip() for c in codes], pa.string()))
    folded = pc.index_in(pc.utf8_lower(trimmed),
                         value_set=pa.array(list(lowered), pa.string()))
    by_exact = pc.take(targets, exact)
    by_folded = pc.take(pa.array(list(lowered.values()), pa.string()), folded)
    hit_exact, hit_folded = pc.is_valid(exact), pc.is_valid(folded)
    out = pc.if_else(hit_exact, by_exact, pc.if_else(hit_folded, by_folded, values))
    n = int(pc.sum(pc.or_(hit_exact, hit_folded)).as_py() or 0)
    return pa.chunked_array([out], pa.string()), n
