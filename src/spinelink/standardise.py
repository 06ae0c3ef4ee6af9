"""Standardisation: the canonical and derived identifying fields of each accepted record.

Reads `intake/<source>.parquet` and writes `standardised/<source>.parquet` with the
columns of the contract in ARCHITECTURE.md. The cleaning rules are SQL macros in
`sql/standardise/macros.sql`; the other files there build the table:

* `source.sql`    the intake columns under fixed names (typed NULL where not mapped),
* `nickname_pairs.sql`, `nicknames.sql` the nickname tables in comparison form, keyed
                  (ambiguous nicknames dropped), `nickname_roots_clean.sql`,
                  `nickname_roots.sql` the roots table in comparison form (built once for
                  the same files and kept across runs: spinelink.nickname_tables),
* `names_raw.sql` the distinct raw names (the cleaning macro chosen over them:
                  `_cleaner`), `names.sql` their comparison form (cleaned once each),
  `names_rom.sql` their romanisation keys (a second query over the registered table, so
                  that no expression nests cleaning and keying: Spark's analyser gives up
                  on expressions that deep),
  `names_canon.sql` their nickname-resolved forms (per distinct name, not per record),
* `address_raw.sql` the distinct raw addresses, `addresses.sql` their comparison form
  (cleaned once each),
  the input of the street-type expansion and address keys (`spinelink.addresses`, in
  Arrow over each distinct comparison form once; `word_rom.sql` keys their distinct
  words, `romanisation.rom_by_word`): one table (`address_table`), one join per record,
* `postcodes.sql` distinct raw postcodes with their record counts and compact form,
  `postcode_format.sql` counts from them for inferring a source's postcode format,
  `postcode_parts.sql` each one's output columns once the format is known,
* `canonical.sql` the output table.

Romanisation keys (`first_name_rom`, `last_name_rom`, `first_name_canon_rom`): the
comparison form folded by the rules of `linkage_models/romanisation.csv` (see
`spinelink.romanisation`), so that Halyna / Galina / Галина or Yuliia / Iuliia / Julia
share one key. A blocking and comparison aid: some different names share a key too.

Nicknames: `first_name_canon` resolves the general table (`linkage_models/nicknames.csv`,
built from the `nicknames` package by `linkage_models/build_nicknames.py`) by comparison
form, and the Ukrainian / Russian table (`linkage_models/nicknames_uk_ru.csv`) by
romanisation key; the latter first.

Postcodes: `postcode_format` of the source (`uk` or `other`), or inferred from the data
when the job does not say: `uk` when at least 80% of the non-empty values have the shape
of a UK postcode (full or outward code), else `other`. UK postcodes are formatted with a
space before the inward code and split into sector, district and area; other postcodes
are kept as upper-case letters and digits, and their leading 4 / 3 / 2 characters stand
for sector / district / area (US ZIP: the 3-digit sectional centre; Ukraine: 2-digit
oblast).

Phonetic codes (Metaphone, NYSIIS) are not SQL functions in the engines, so they are
computed here with jellyfish over the distinct cleaned names only, and put on the
distinct names' table (`with_phonetic`), which canonical.sql joins once per name field.
Codes are upper case (as jellyfish returns them); a name of several words gets the codes
of its words joined by one space.

Script: `first_name_cyrillic` says whether the first name was delivered in Cyrillic
(`with_cyrillic`), so that a comparison level can be for names of Cyrillic origin only:
a Russian form with a typo against the Ukrainian spelling (Vradimir / Володимир) is a
typo apart on the romanisation keys, as English names folded by the same keys are
(regina / rehina); see linkage_models/person_auto.yaml.

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

import logging
import re
import weakref
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from spinelink import addresses, config, nickname_tables, raw_values, romanisation
from spinelink.backends import Engine
from spinelink.config import CANONICAL_FIELDS, Source
from spinelink.errors import IntakeError, JobError
from spinelink.intake import sex_code_key, sex_code_table
from spinelink.phonetic import phonetic_table
from spinelink.sqlfiles import quote_ident, sql_file

log = logging.getLogger("spinelink")

# Working objects on the engine (trusted names, replaced on each call).
_INTAKE = "__sl_standardise_intake"
_SOURCE = "__sl_standardise_source"
_NAMES = "__sl_standardise_names"
_NAMES_RAW = "__sl_standardise_names_raw"
_ADDRESS_RAW = "__sl_standardise_address_raw"
_NAMES_CLEAN = "__sl_standardise_names_clean"
_NAMES_ROM = "__sl_standardise_names_rom"
_ADDRESSES = "__sl_standardise_addresses"
_ADDRESS_WORDS = "__sl_standardise_address_words"
_POSTCODES_RAW = "__sl_standardise_postcodes_raw"
_POSTCODES = "__sl_standardise_postcodes"

# Share of non-empty postcodes with a UK shape from which a source's format is `uk`.
UK_POSTCODE_SHARE = 0.8

# Output columns of the contract, in order (id_*, subgroups and var_* follow). The
# originals (raw_*) stay in the intake table (spinelink.raw_values), their names reserved.
CONTRACT_COLUMNS = (
    "record_id",
    "first_name", "middle_name", "last_name",
    "first_name_canon", "first_name_rom", "last_name_rom", "first_name_canon_rom",
    "middle_name_rom",
    "first_name_root1", "first_name_root2", "first_name_root3", "first_name_cyrillic",
    "first_initial", "middle_name_initial", "last_name_p3",
    "first_name_mp", "last_name_mp", "first_name_ny", "last_name_ny",
    "dob", "dob_iso", "dob_year", "dob_month", "dob_day", "dob_swapped",
    "sex",
    "postcode", "postcode_sector", "postcode_district", "postcode_area",
    "address", "address_full", "address_rom",
)


_PLACEHOLDERS = "__sl_standardise_placeholders"

# Per engine: the macro statements last installed.
_MACROS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def placeholders_file() -> Path:
    return config.MODELS_DIR / "placeholder_names.csv"


def read_placeholders(path: Path | None = None) -> pa.Table:
    """Names that stand for no name (`linkage_models/placeholder_names.csv`: field
    `any` / `first` / `last`, value in comparison form); a bad row names the file and line."""
    path = path or placeholders_file()
    fields, values = [], []
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = [(i, ln) for i, ln in enumerate(lines, 1) if ln.strip() and not ln.startswith("#")]
    for i, line in rows[1:]:  # the first row is the header
        parts = line.split(",")
        if len(parts) != 2 or parts[0] not in ("any", "first", "last") or not parts[1].strip():
            raise JobError(f"{path}: line {i}: expected 'field,value' with field any, first "
                           "or last")
        fields.append(parts[0])
        values.append(parts[1].strip())
    return pa.table({"field": pa.array(fields, pa.string()),
                     "value": pa.array(values, pa.string())})


def titles_file() -> Path:
    return config.MODELS_DIR / "name_titles.csv"


def suffixes_file() -> Path:
    return config.MODELS_DIR / "name_suffixes.csv"


def read_titles(path: Path | None = None) -> list[str]:
    """Titles dropped from the front of a name (`linkage_models/name_titles.csv`: one
    word of letters a-z per line, after the header `value`); a bad line names the file and
    line."""
    return _read_words(path or titles_file(), "titles")


def read_suffixes(path: Path | None = None) -> list[str]:
    """Suffixes dropped from the end of a name (`linkage_models/name_suffixes.csv`, the
    format of the titles' file)."""
    return _read_words(path or suffixes_file(), "suffixes")


def _read_words(path: Path, what: str) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = [(i, ln.strip()) for i, ln in enumerate(lines, 1)
            if ln.strip() and not ln.startswith("#")]
    if not rows or rows[0][1] != "value":
        raise JobError(f"{path}: expected the header 'value' before the {what}")
    words = []
    for i, word in rows[1:]:
        if not re.fullmatch(r"[a-z]+", word):
            raise JobError(f"{path}: line {i}: expected one word of letters a-z")
        words.append(word)
    return words


def _titles_pattern(titles: Sequence[str]) -> str:
    """A SQL string literal: the regular expression of one or more leading titles, each
    followed by a space (the words are checked to be [a-z]+, so the literal is safe)."""
    if not titles:
        return "'^ '"  # matches nothing: a comparison form never starts with a space
    return "'^(?:(?:" + "|".join(sorted(set(titles))) + ") )+'"


def _suffixes_pattern(suffixes: Sequence[str]) -> str:
    """A SQL string literal: the regular expression of one or more trailing suffixes,
    each after a space (so a suffix alone, with no word before it, does not match)."""
    if not suffixes:
        return "' $'"  # matches nothing: a comparison form never ends with a space
    return "'(?: (?:" + "|".join(sorted(set(suffixes))) + "))+$'"


def nicknames_file() -> Path:
    return config.MODELS_DIR / "nicknames.csv"


def diminutives_file() -> Path:
    return config.MODELS_DIR / "nicknames_uk_ru.csv"


def install_macros(engine: Engine, romanisation_path: Path | None = None) -> tuple[str, str]:
    """Define the cleaning macros and the romanisation-key macro (idempotent); return the
    two statements run (what the macros compute depends on them only)."""
    codes = sex_code_table()
    macros = sql_file("standardise/macros.sql", sex_key=sex_code_key("s"), **{
        f"{name}_codes": ", ".join("'" + c.lower().replace("'", "''") + "'"
                                   for c in codes.loc[codes["sex"] == v, "code"])
        for name, v in (("male", "M"), ("female", "F"))})
    rom = romanisation.install_sql(romanisation_path)
    if _MACROS.get(engine) != (macros, rom):
        engine.execute(macros)
        engine.execute(rom)
        _MACROS[engine] = (macros, rom)
    return macros, rom


def standardise(engine: Engine, intake_path: Path, source: Source, out_path: Path, *,
                nicknames_path: Path | None = None, diminutives_path: Path | None = None,
                romanisation_path: Path | None = None,
                nickname_roots_path: Path | None = None) -> int:
    """Write the standardised table of one source; return the number of rows written."""
    return standardise_source(engine, intake_path, source, out_path,
                              nicknames_path=nicknames_path,
                              diminutives_path=diminutives_path,
                              romanisation_path=romanisation_path,
                              nickname_roots_path=nickname_roots_path)["rows"]


def standardise_source(engine: Engine, intake_path: Path, source: Source, out_path: Path, *,
                       nicknames_path: Path | None = None,
                       diminutives_path: Path | None = None,
                       romanisation_path: Path | None = None,
                       nickname_roots_path: Path | None = None,
                       nickname_store: nickname_tables.Store | None = None) -> dict:
    """Write the standardised table of one source; return the stage summary: `rows`,
    `postcode_format` (`uk` / `other`), `postcode_format_inferred` (true when the job
    did not set it), `postcode_uk_share` (share of non-empty postcodes with a UK shape;
    None without postcodes) and `raw_columns` (the intake columns of the originals:
    raw_values.mapped). Counts and column names only: no record values."""
    intake_path, out_path = Path(intake_path), Path(out_path)
    extras = source_view(engine, intake_path, source, romanisation_path)
    nickname_tables.register(engine, install_macros(engine, romanisation_path),
                             nicknames_path or nicknames_file(),
                             diminutives_path or diminutives_file(),
                             nickname_roots_path or nickname_roots_file(), nickname_store)
    # distinct names: comparison form, then keys, then nicknames (each query over the
    # registered result of the one before)
    raw_names = engine.arrow(sql_file("standardise/names_raw.sql", source=_SOURCE))
    engine.register(_NAMES_RAW, raw_names)
    engine.register(_NAMES_CLEAN, engine.arrow(sql_file(
        "standardise/names.sql", raw_names=_NAMES_RAW, clean=_cleaner(raw_names),
        titles=_titles_pattern(read_titles()),
        suffixes=_suffixes_pattern(read_suffixes()))))
    engine.register(_NAMES_ROM, engine.arrow(sql_file("standardise/names_rom.sql",
                                                      names=_NAMES_CLEAN, source=_SOURCE)))
    names = engine.arrow(sql_file("standardise/names_canon.sql", names=_NAMES_ROM,
                                  nicknames=nickname_tables.NICKNAMES,
                                  roots=nickname_tables.ROOTS))
    engine.register(_NAMES, with_cyrillic(with_phonetic(names)))
    raw_addresses = engine.arrow(sql_file("standardise/address_raw.sql", source=_SOURCE))
    engine.register(_ADDRESS_RAW, raw_addresses)
    engine.register(_ADDRESSES, address_table(engine, engine.arrow(sql_file(
        "standardise/addresses.sql", raw=_ADDRESS_RAW, clean=_cleaner(raw_addresses)))))

    split = "first_name" in source.columns and "middle_name" not in source.columns
    postcode = postcode_format(engine, source)
    uk = postcode["postcode_format"] == "uk"
    engine.register(_POSTCODES, engine.arrow(sql_file("standardise/postcode_parts.sql",
                                                      postcodes=_POSTCODES_RAW),
                                             {"postcode_uk": uk}))
    engine.register(_PLACEHOLDERS, read_placeholders())
    # the lookups' inputs are read: not held through the statement, whose sort is the
    # stage's peak (5M persons: ~6.9 GB, the run's; benchmarks/RESULTS.md, session 51 hC)
    engine.release(_NAMES_RAW, _NAMES_CLEAN, _NAMES_ROM, _ADDRESS_RAW, _ADDRESS_WORDS,
                   _POSTCODES_RAW)
    del raw_names, raw_addresses, names
    sql = sql_file(
        "standardise/canonical.sql", source=_SOURCE, names=_NAMES, addresses=_ADDRESSES,
        postcodes=_POSTCODES, placeholders=_PLACEHOLDERS,
        extras="".join(f",\n    n._x{k} AS {quote_ident(out)}"
                       for k, (out, _) in enumerate(extras)),
    )
    rows = engine.write_parquet(sql, out_path, {"split_first_name": split})
    # the distinct names', addresses' and postcodes' tables are this source's only
    engine.release(_NAMES, _ADDRESSES, _POSTCODES, _PLACEHOLDERS)
    if postcode["postcode_uk_share"] is not None or not postcode["postcode_format_inferred"]:
        log.info("%s: postcode format %s (%s)", intake_path.stem, postcode["postcode_format"],
                 "inferred" if postcode["postcode_format_inferred"] else "set in the job")
    return {"rows": rows, **postcode, "raw_columns": raw_values.mapped(source.columns)}


def source_view(engine: Engine, intake_path: Path, source: Source,
                romanisation_path: Path | None = None) -> list[tuple[str, str]]:
    """The intake columns under fixed names (view `_SOURCE`); returns the extra columns
    carried (output name, expression)."""
    install_macros(engine, romanisation_path)
    engine.view_parquet(_INTAKE, Path(intake_path))
    present = set(engine.columns(_INTAKE))
    _require_columns(Path(intake_path), source, present)
    extras = _extra_columns(source)
    fields = {f"raw_{f}": _raw_field(source, f) for f in CANONICAL_FIELDS}
    dob = "CAST(i._dob AS DATE)" if "date_of_birth" in source.columns else "CAST(NULL AS DATE)"
    engine.execute(sql_file(
        "standardise/source.sql", view=_SOURCE, intake=_INTAKE, dob=dob,
        extras="".join(f",\n    {expr} AS _x{k}" for k, (_, expr) in enumerate(extras)),
        **fields,
    ))
    return extras


def address_table(engine: Engine, clean_addresses: pa.Table) -> pa.Table:
    """raw, clean, expanded (street types written out: `address_full`) and rom (the
    address key: `address_rom`) of each distinct raw address (`addresses.sql`'s raw,
    clean), each worked out once per distinct comparison form; NULL where clean is."""
    clean = clean_addresses.column("clean").combine_chunks()
    # one hash pass: the distinct forms (in order), each row's position among them; words split once
    encoded = pc.dictionary_encode(clean)
    distinct, at = encoded.dictionary, encoded.indices
    words = pc.split_pattern(distinct, " ")
    keys = addresses.key_table(distinct, addresses.read_key_words(), words,
                                 addresses.read_place_names())
    rom = romanisation.rom_by_word(engine, keys.column("keyed").combine_chunks(),
                                   _ADDRESS_WORDS)
    return pa.table({
        "raw": clean_addresses.column("raw"),
        "clean": clean,
        "expanded": pc.take(addresses.expand_all(distinct, addresses.read_street_types(),
                                                 words), at),
        "rom": pc.take(rom, at)})


def with_phonetic(names: pa.Table) -> pa.Table:
    """The distinct names' table with the phonetic codes (phonetic_table) of their
    comparison form (mp, ny) and of its first word (mp_head, ny_head), each distinct
    string coded once: canonical.sql takes them with the name, not by joins of its own."""
    codes = phonetic_table(_distinct(names, ("clean", "head")))
    value_set = codes.column("name").combine_chunks()
    for col, suffix in (("clean", ""), ("head", "_head")):
        at = pc.index_in(names.column(col), value_set=value_set)
        for code in ("mp", "ny"):
            names = names.append_column(code + suffix,
                                        pc.take(codes.column(code).combine_chunks(), at))
    return names


# a letter of Unicode's Cyrillic block (Ukrainian, Russian, Belarusian, ...)
_CYRILLIC = r"[\x{0400}-\x{04FF}]"


def with_cyrillic(names: pa.Table) -> pa.Table:
    """The distinct names' table with `cyrillic`: whether the name as delivered (raw) has a
    Cyrillic letter (first_name_cyrillic). Worked out in Arrow, so every engine gives the
    same value."""
    return names.append_column(
        "cyrillic", pc.match_substring_regex(names.column("raw"), _CYRILLIC))


def postcode_format(engine: Engine, source: Source) -> dict:
    """The source's postcode format (from the job, else inferred from the distinct
    postcodes of the source view, registered as `_POSTCODES_RAW` for the stage)."""
    engine.register(_POSTCODES_RAW, engine.arrow(sql_file("standardise/postcodes.sql",
                                                          source=_SOURCE),
                                                 {"digits": source.postcode_digits or 0}))
    counts = engine.df(sql_file("standardise/postcode_format.sql", postcodes=_POSTCODES_RAW))
    non_empty, uk_like = int(counts["non_empty"].iloc[0]), int(counts["uk_like"].iloc[0])
    share = round(uk_like / non_empty, 4) if non_empty else None
    fmt = source.postcode_format
    if fmt is None:
        fmt = "uk" if share is None or share >= UK_POSTCODE_SHARE else "other"
    return {"postcode_format": fmt, "postcode_format_inferred": source.postcode_format is None,
            "postcode_uk_share": share}


def _cleaner(raw: pa.Table) -> str:
    """The cleaning macro for these distinct raw values (column `raw`, no NULLs):
    `sl_clean_text`, or its ASCII path alone when none has a character outside ASCII (the
    same forms; the other paths cost ~35 ms to bind in every query that names them).
    Worked out in Arrow over the distinct values, not by another pass over the records."""
    ascii_only = pc.all(pc.string_is_ascii(raw.column("raw"))).as_py()
    return "sl_clean_text_ascii" if ascii_only in (True, None) else "sl_clean_text"


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
              *source.subgroups, *source.variables.values(),
              *([source.persons_apart] if source.persons_apart else [])]
    if "date_of_birth" in source.columns:
        needed.append("_dob")
    for col in dict.fromkeys(needed):
        if col not in present:
            raise IntakeError(f"{path}: column '{col}' is missing from the intake table")


APART = "persons_apart"  # the standardised column of `persons_apart` (spinelink.persons_apart)


def _extra_columns(source: Source) -> list[tuple[str, str]]:
    """(output name, SQL over the intake row `i`) for identifiers, subgroups, variables.

    A subgroup named like a contract column is allowed only when it is the very column
    mapped to that canonical field (e.g. subgroup `sex` with columns.sex: sex): the
    standardised value then stands for it. Any other clash of output names is an error.
    """
    taken = {c.lower(): c for c in (*CONTRACT_COLUMNS, *raw_values.RAW_COLUMNS)}
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
    if source.persons_apart:
        add(APART, f"CAST(i.{quote_ident(source.persons_apart)} AS VARCHAR)", "persons_apart")
    return out


def nickname_roots_file() -> Path:
    return config.MODELS_DIR / "nickname_roots.csv"
