"""The standardisation stage's name macros applied to a list of values, outside a run:
the comparison form and romanisation key of each value, for tests and benchmark tools
(`benchmarks/romanisation.py`, `benchmarks/russian_forms.py`). The same SQL macros and
files as the stage (`spinelink.standardise`), so the figures are the running code's."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa

from spinelink.backends import Engine
from spinelink.sqlfiles import sql_file
from spinelink.standardise import (
    _suffixes_pattern,
    _titles_pattern,
    install_macros,
    read_suffixes,
    read_titles,
)

_VALUES = "__sl_standardise_values"
_VALUES_CLEAN = "__sl_standardise_values_clean"


def clean_names(engine: Engine, values: Sequence[str | None]) -> list[str | None]:
    """Run the name-cleaning macro of this stage over `values` (for tests and tools)."""
    return [c for c, _ in name_keys(engine, values)]


def name_keys(engine: Engine, values: Sequence[str | None], *,
              romanisation_path: Path | None = None,
              scope: str | None = None) -> list[tuple[str | None, str | None]]:
    """(comparison form, romanisation key) of each of `values`, by this stage's macros;
    `scope` (`address`, `middle_name`) adds the rules of that scope (the key of one word
    of `address_rom`, or `middle_name_rom`)."""
    install_macros(engine, romanisation_path)
    engine.register(_VALUES, pa.table({"i": pa.array(range(len(values)), pa.int64()),
                                       "v": pa.array(list(values), pa.string())}))
    engine.register(_VALUES_CLEAN, engine.arrow(sql_file(
        "standardise/clean_values.sql", values=_VALUES,
        titles=_titles_pattern(read_titles()),
        suffixes=_suffixes_pattern(read_suffixes()))))
    out = engine.arrow(sql_file("standardise/rom_values.sql", values=_VALUES_CLEAN))
    rom = {None: "rom", "address": "rom_address", "middle_name": "rom_middle"}[scope]
    return list(zip(out.column("clean").to_pylist(), out.column(rom).to_pylist(),
                    strict=True))
