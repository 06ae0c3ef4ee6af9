"""Standardisation: the canonical and derived identifying fields of each accepted record.

Reads `intake/<source>.parquet` and writes `standardised/<source>.parquet` with the
columns of the contract in ARCHITECTURE.md. The cleaning rules are SQL macros in
`sql/standardise/macros.sql`; the other files there build the table:

* `source.sql`    the intake columns under fixed names (typed NULL where not mapped),
* `names.sql`     distinct raw names with their comparison form (cleaned once each),
* `nicknames.sql` the nickname table in comparison form (ambiguous nicknames dropped),
* `canonical.sql` the output table.

Phonetic codes (Metaphone, NYSIIS) are not SQL functions in the engines, so they are
computed here with jellyfish over the distinct cleaned names only, registered as a
small table and joined in SQL. Codes are upper case (as jellyfish returns them); a name
of several words gets the codes of its words joined by one space.

Names: Cyrillic is transliterated with the Ukrainian national system (KMU 2010), with
the word-initial forms of є ї й ю я; Russian-only letters are handled (ы y, э e, ё e,
ъ dropped). Every Cyrillic name is read as Ukrainian (Russian Иван gives yvan).
A combining breve typed separately (и + U+0306 rather than й) is read as и.
The macro takes a cheaper path for ASCII text and for text without Cyrillic; the tests
check that those paths give the full path's result.

Middle names: when the source maps first_name but not middle_name, the first word of the
cleaned first name stays first_name and the other words become middle_name (so a
hyphenated Jean-Paul gives jean / paul).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import jellyfish
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from spinelink import addresses, config
from spinelink.backends import Engine
from spinelink.config import CANONICAL_FIELDS, Source
from spinelink.errors import IntakeError, JobError, SpinelinkError
from spinelink.sqlfiles import load_sql, quote_ident, sql_file

# Working objects on the engine (trusted names, replaced on each call).
_INTAKE = "__sl_standardise_intake"
_SOURCE = "__sl_standardise_source"
_NAMES = "__sl_standardise_names"
_PHONETIC = "__sl_standardise_phonetic"
_ADDRESSES = "__sl_standardise_addresses"
_NICK_RAW = "__sl_standardise_nicknames_raw"
_NICKNAMES = "__sl_standardise_nicknames"
_VALUES = "__sl_standardise_values"

# Output columns of the contract, in order (id_*, subgroups and var_* follow).
CONTRACT_COLUMNS = (
    "record_id",
    "first_name", "middle_name", "last_name",
    "raw_first_name", "raw_middle_name", "raw_last_name", "raw_date_of_birth",
    "raw_sex", "raw_postcode", "raw_address",
    "first_name_canon", "first_initial", "last_name_p3",
    "first_name_mp", "last_name_mp", "first_name_ny", "last_name_ny",
    "dob", "dob_iso", "dob_year", "dob_month", "dob_day", "dob_swapped",
    "sex",
    "postcode", "postcode_sector", "postcode_district", "postcode_area",
    "address", "address_full",
)


def nicknames_file() -> Path:
    return config.MODELS_DIR / "nicknames.csv"


def install_macros(engine: Engine) -> None:
    """Define the cleaning macros (idempotent)."""
    engine.execute(load_sql("standardise/macros.sql"))


def standardise(engine: Engine, intake_path: Path, source: Source, out_path: Path, *,
                nicknames_path: Path | None = None) -> int:
    """Write the standardised table of one source; return the number of rows written."""
    intake_path, out_path = Path(intake_path), Path(out_path)
    install_macros(engine)
    engine.view_parquet(_INTAKE, intake_path)
    present = set(engine.df(f"SELECT * FROM {quote_ident(_INTAKE)} LIMIT 0").columns)
    _require_columns(intake_path, source, present)
    extras = _extra_columns(source)

    fields = {f"raw_{f}": _raw_field(source, f) for f in CANONICAL_FIELDS}
    dob = "CAST(i._dob AS DATE)" if "date_of_birth" in source.columns else "CAST(NULL AS DATE)"
    engine.execute(sql_file(
        "standardise/source.sql", view=_SOURCE, intake=_INTAKE, dob=dob,
        extras="".join(f",\n    {expr} AS _x{k}" for k, (_, expr) in enumerate(extras)),
        **fields,
    ))

    names = engine.arrow(sql_file("standardise/names.sql", source=_SOURCE))
    engine.register(_NAMES, names)
    engine.register(_PHONETIC, phonetic_table(_distinct(names, ("clean", "head"))))
    engine.register(_NICK_RAW, _read_nicknames(nicknames_path or nicknames_file()))
    engine.execute(sql_file("standardise/nicknames.sql", view=_NICKNAMES, raw=_NICK_RAW))
    clean_addresses = engine.arrow(sql_file("standardise/addresses.sql", source=_SOURCE))
    engine.register(_ADDRESSES, addresses.expansion_table(
        (a for a in clean_addresses.column("clean").to_pylist() if a),
        addresses.read_street_types()))

    split = "first_name" in source.columns and "middle_name" not in source.columns
    sql = sql_file(
        "standardise/canonical.sql", source=_SOURCE, names=_NAMES, nicknames=_NICKNAMES,
        phonetic=_PHONETIC, addresses=_ADDRESSES,
        extras="".join(f",\n    n._x{k} AS {quote_ident(out)}"
                       for k, (out, _) in enumerate(extras)),
    )
    return engine.write_parquet(sql, out_path, {"split_first_name": split})


def clean_names(engine: Engine, values: Sequence[str | None]) -> list[str | None]:
    """Run the name-cleaning macro of this stage over `values` (for tests and tools)."""
    install_macros(engine)
    engine.register(_VALUES, pa.table({"i": pa.array(range(len(values)), pa.int64()),
                                       "v": pa.array(list(values), pa.string())}))
    out = engine.arrow(sql_file("standardise/clean_values.sql", values=_VALUES))
    return out.column("clean").to_pylist()


def _code(encode: Callable[[str], str], name: str) -> str | None:
    if " " not in name:
        return encode(name) or None
    return " ".join(c for c in map(encode, name.split()) if c) or None


def phonetic_codes(name: str) -> tuple[str | None, str | None]:
    """(Metaphone, NYSIIS) of a cleaned name: per word, joined by a space; None if empty."""
    return _code(jellyfish.metaphone, name), _code(jellyfish.nysiis, name)


def phonetic_table(values: Iterable[str]) -> pa.Table:
    """name, mp, ny for each (distinct, cleaned) name."""
    names = list(values)
    return pa.table({
        "name": pa.array(names, pa.string()),
        "mp": pa.array([_code(jellyfish.metaphone, v) for v in names], pa.string()),
        "ny": pa.array([_code(jellyfish.nysiis, v) for v in names], pa.string()),
    })


def _distinct(table: pa.Table, columns: Sequence[str]) -> list[str]:
    parts = [pc.unique(table.column(c).combine_chunks()) for c in columns]
    if not parts:
        return []
    merged = pc.unique(pa.concat_arrays([p.cast(pa.string()) for p in parts]))
    return [v for v in merged.to_pylist() if v is not None]


def _raw_field(source: Source, field: str) -> str:
    col = source.columns.get(field)
    return f"CAST(i.{quote_ident(col)} AS VARCHAR)" if col else "CAST(NULL AS VARCHAR)"


def _require_columns(path: Path, source: Source, present: set[str]) -> None:
    needed = ["_row", "record_id", *source.columns.values(), *source.identifiers.values(),
              *source.subgroups, *source.variables.values()]
    if "date_of_birth" in source.columns:
        needed.append("_dob")
    for col in dict.fromkeys(needed):
        if col not in present:
            raise IntakeError(f"{path}: column '{col}' is missing from the intake table")


def _extra_columns(source: Source) -> list[tuple[str, str]]:
    """(output name, SQL over the intake row `i`) for identifiers, subgroups, variables.

    A subgroup named like a contract column is allowed only when it is the very column
    mapped to that canonical field (e.g. subgroup `sex` with columns.sex: sex): the
    standardised value then stands for it. Any other clash of output names is an error.
    """
    taken = {c.lower(): c for c in CONTRACT_COLUMNS}
    out: list[tuple[str, str]] = []

    def add(name: str, expr: str, what: str) -> None:
        if name.lower() in taken:
            raise JobError(f"{what} '{name}' would be written as column '{name}', which the "
                           "standardised table already has; rename it")
        taken[name.lower()] = name
        out.append((name, expr))

    for name, col in source.identifiers.items():
        add(f"id_{name}", f"sl_identifier(CAST(i.{quote_ident(col)} AS VARCHAR))", "identifier")
    for col in dict.fromkeys(source.subgroups):
        if col.lower() in CONTRACT_COLUMNS and source.columns.get(col.lower()) == col:
            continue
        add(col, f"i.{quote_ident(col)}", "subgroup")
    for name, col in source.variables.items():
        add(f"var_{name}", f"i.{quote_ident(col)}", "variable")
    return out


def _read_nicknames(path: Path) -> pa.Table:
    empty = pa.table({"nickname": pa.array([], pa.string()),
                      "canonical": pa.array([], pa.string())})
    if not path.exists():
        return empty
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        raise SpinelinkError(f"{path}: nickname table is not a readable UTF-8 CSV") from None
    if not {"nickname", "canonical"} <= set(df.columns):
        raise SpinelinkError(f"{path}: nickname table needs the columns nickname,canonical")
    return pa.table({"nickname": pa.array(df["nickname"].tolist(), pa.string()),
                     "canonical": pa.array(df["canonical"].tolist(), pa.string())})
