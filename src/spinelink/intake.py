"""Intake: read a source, check every row and value, keep every record that can be used.

A row is quarantined (`quarantine/<source>.parquet`) only when it cannot be used at all:
it cannot be read as a record, or its identifier is missing, unreadable or a duplicate.
A value that fails a check (a date that is not a date or is implausible, an unknown sex
code, a code outside its code list, an over-long value, a control character) is set to
missing for linkage and flagged in `quarantine/<source>_values.parquet` (`_row`,
`record_id`, `field`, `reason`, `value_kind`: the shape of the value, never the value,
`action`); the record stays. `invalid_values: quarantine` quarantines such rows instead.

`_row` everywhere (intake, quarantine, flagged values, unlinked) and every message that
names a row use one numbering (`readers`): a CSV record's line in the file, the header
being line 1; a Parquet file's 1-based row number.

Rows read = rows accepted + rows quarantined, always. A source that is unusable as a
whole (unreadable, required columns missing, row count outside `expect_rows`, no usable
row) stops the run with one line naming the file and what is wrong.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from spinelink import code_maps
from spinelink.backends import Engine
from spinelink.config import COMPOSITE_ID, LoadedJob, Source
from spinelink.errors import AccountingError, IntakeError
from spinelink.intake_dates import (
    DATE_FORMATS,  # noqa: F401 - re-exported
    SHORT_YEAR,
    DateSpec,
    ReferenceDate,
    date_spec,
    install_macros,
    parse_once,
    reference_date,
)
from spinelink.intake_report import failure_summary, reason_counts
from spinelink.jobspec import code_lists
from spinelink.jobspec.code_lists import (  # noqa: F401 - re-exported
    sex_code_key,
    sex_code_table,
    sex_codes,
)
from spinelink.jobspec.files import SEP_LINE_HINT, starts_with_sep_line
from spinelink.readers import ROW, ReadResult, read_source, with_record_id
from spinelink.sqlfiles import quote_ident, sql_file

log = logging.getLogger("spinelink")
MAX_LEN = 500
# quoted identifiers, string literals and comments: where a `$name` is not a parameter
_QUOTED = re.compile(r'"(?:[^"]|"")*"|\'(?:[^\']|\'\')*\'|--[^\n]*|/\*.*?\*/', re.S)
# finding priorities: below ROW_LEVEL a finding removes the row (missing, duplicate id);
# from FLAG_ONLY it only flags (an id that lost its leading zeros); from VALUE_PRIORITY it
# sets the value to missing. With invalid_values: quarantine every finding removes the row.
ROW_LEVEL = FLAG_ONLY = 3
VALUE_PRIORITY = 5
READER_PRIORITY = 5  # a value the reader could not use (bad bytes, control characters)
QUARANTINE_SCHEMA = pa.schema([("_row", pa.int64()), ("record_id", pa.string()),
                               ("field", pa.string()), ("reason", pa.string())])
CHECK_SCHEMA = pa.schema([("_row", pa.int64()), ("record_id", pa.string()),
                          ("field", pa.string()), ("reason", pa.string()),
                          ("value_kind", pa.string()), ("priority", pa.int32())])
TYPED_PREFIX = "__sl_typed_date_"


@dataclass
class IntakeResult:
    source: str
    rows_read: int
    accepted: int
    quarantined: int
    date_format: str | None
    date_format_inferred: bool
    notes: list[str] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)  # quarantined rows by reason
    values_set_missing: int = 0
    values_flagged: dict[str, int] = field(default_factory=dict)  # "field: reason" -> n
    invalid_shares: dict[str, dict] = field(default_factory=dict)  # per field with failures
    warnings: list[str] = field(default_factory=list)
    codes_mapped: dict[str, int] = field(default_factory=dict)
    reference_date: str | None = None
    reference_date_basis: str | None = None
    future_after: str | None = None  # a date of birth after this one is in the future
    checks: dict = field(default_factory=dict)  # edit rules, control totals (spinelink.coding)
    delivered: dict | None = None  # an added delivery's own counts (incremental.state)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def code_list(name: str) -> list[str]:
    """The codes of a list a source names in `code_lists:` (spinelink.jobspec.code_lists,
    the one loader; the job's names were checked when it loaded)."""
    try:
        return code_lists.codes(name)
    except ValueError as e:
        raise IntakeError(str(e)) from None


def run_reference_date(lj: LoadedJob, out: Path) -> str | None:
    """The reference date of a run (ISO): the job's, else the one intake derived for the
    reference source (intake/report.json); None when there is neither."""
    if lj.job.reference_date:
        return lj.job.reference_date.isoformat()
    try:
        report = json.loads((out / "intake" / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return (report.get(lj.job.reference) or {}).get("reference_date")


def _read(engine: Engine, lj: LoadedJob, name: str,
          raw: str) -> tuple[ReadResult, dict[str, str], dict[str, int]]:
    """Read, check the file as a whole, map codes, register as `raw`; the read result, the
    hidden typed-date columns (source column -> hidden column) and the codes mapped."""
    src, path = lj.job.sources[name], lj.source_path(name)
    read = read_source(path, encoding=src.encoding, delimiter=src.delimiter,
                       id_column=src.id_columns[0])
    origin = getattr(lj, "state_origin", {}).get(name)
    for problem, kind in (origin or {}).get("value_problems", []):
        # an added delivery's state (incremental.state.write_state): the values the reader
        # read as missing in the delivered file, which the state holds missing
        read.value_problems.append(problem)
        read.value_kinds.append(kind)
    _check_columns(path, src, read.table.column_names)
    _check_row_count(path, src, read.rows_read)
    read.table = with_record_id(read.table, src.id_columns, src.id_column)
    table, counts = code_maps.apply_codes(read.table, src)
    typed = {}
    for i, (col, arr) in enumerate(sorted(read.dates.items())):
        typed[col] = f"{TYPED_PREFIX}{i}"
        table = table.append_column(typed[col], arr)
    read.table = table
    engine.register(raw, table)
    return read, typed, counts


def _integer_postcode_note(path: Path, src: Source, read: ReadResult) -> None:
    """A postcode column held as integers (Parquet) has lost the leading zeros of its
    postcodes (01001 is held as 1001), which then agree with no postcode written as text:
    warned about (file and column; no value) and noted for the intake report, saying
    whether the job's postcode_digits pads them at standardisation."""
    col = src.columns.get("postcode")
    if col is None or col not in read.integer_columns:
        return
    if src.postcode_digits:
        what = (f"shorter values are padded with zeros to postcode_digits "
                f"({src.postcode_digits}) at standardisation")
    else:
        what = ("write the column as text, or set postcode_digits (the number of digits of "
                "the country's postcodes) in the job so that they are padded")
    note = (f"column '{col}' (postcode) is an integer column: postcodes with a leading "
            f"zero (01001) are held without it (1001); {what}")
    log.warning("%s: %s", path, note)
    read.notes.append(note)


def _printable(text: str | None) -> str | None:
    """Bytes the file's encoding could not decode (kept by the reader as surrogates) as
    \\xNN escapes: Parquet holds only valid UTF-8."""
    if text is None:
        return None
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def raw_table(name: str) -> str:
    """The engine table of source `name`'s file as read (an Arrow table the size of the
    file's text), held from intake's reading to its control totals."""
    return f"__sl_raw_{name}"


def intake_source(engine: Engine, lj: LoadedJob, name: str, out_dir: Path) -> IntakeResult:
    src = lj.job.sources[name]
    path = lj.source_path(name)
    install_macros(engine)  # code lists, code maps and date format: checked by load_job
    raw = raw_table(name)
    read, typed, mapped = _read(engine, lj, name, raw)
    _integer_postcode_note(path, src, read)
    spec = date_spec(engine, raw, path, src, typed, lj.job.reference_date)
    if spec and spec.note:
        read.notes.append(spec.note)
        log.info("%s: %s", name, spec.note)
    read.table, parsed_spec = parse_once(engine, read.table, spec, f"{raw}__dates", TYPED_PREFIX)
    if parsed_spec is not spec:
        engine.register(raw, read.table)
        spec = parsed_spec

    def read_reference():
        ref = lj.job.reference
        ref_raw = f"__sl_raw_refdates_{ref}"
        _, ref_typed, _ = _read(engine, lj, ref, ref_raw)
        return ref_raw, date_spec(engine, ref_raw, lj.source_path(ref), lj.job.sources[ref],
                                  ref_typed, lj.job.reference_date)

    ref = reference_date(engine, lj, name, raw, spec, read_reference)
    cand = f"__sl_checks_{name}"
    _run_checks(engine, lj, src, read, raw, cand, spec, ref)
    qname, vname = f"__sl_quarantine_{name}", f"__sl_values_{name}"
    set_missing = src.invalid_values == "set_missing"
    row_level = "priority < $row_level" if set_missing else "TRUE"
    first_sql = sql_file("intake/first_problem.sql", checks=cand, which=row_level)
    found = engine.arrow(first_sql, _used({"row_level": ROW_LEVEL}, first_sql))
    rejects = pa.Table.from_pylist(
        [{"_row": r.row, "record_id": _printable(r.record_id), "field": r.field,
          "reason": _printable(r.reason)} for r in read.rejects], schema=QUARANTINE_SCHEMA)
    engine.register(qname, pa.concat_tables([rejects, found.cast(QUARANTINE_SCHEMA)]))
    nq = engine.write_parquet(f"SELECT * FROM {quote_ident(qname)} ORDER BY _row",
                              out_dir / "quarantine" / f"{name}.parquet")
    flags = {"flag_priority": FLAG_ONLY if set_missing else 10**9,
             "value_priority": VALUE_PRIORITY}
    engine.create_table(vname, sql_file("intake/flagged_values.sql", checks=cand,
                                        quarantine=qname), flags, temp=True)
    engine.write_parquet(f"SELECT _row, record_id, field, reason, value_kind, action "
                         f"FROM {quote_ident(vname)} ORDER BY _row, field",
                         out_dir / "quarantine" / f"{name}_values.parquet")
    na = _write_accepted(engine, read, src, raw, qname, vname, spec,
                         out_dir / "intake" / f"{name}.parquet")
    result = IntakeResult(name, read.rows_read, na, nq, spec.fmt if spec else None,
                          bool(spec and spec.inferred), read.notes,
                          reason_counts(engine, qname))
    result.reference_date = ref.date.isoformat() if ref.date else None
    result.reference_date_basis = ref.basis
    result.future_after = ref.future_after.isoformat() if ref.future_after else None
    result.codes_mapped = mapped
    blanked: dict[str, int] = {}
    for p in read.value_problems:
        blanked[p.field] = blanked.get(p.field, 0) + 1
    failure_summary(engine, result, src, raw, cand, vname, spec, ref, lj.job.max_age, blanked,
                    where=(path, read.row_label))
    # the checks' tables are this source's intake only: freed, not held through the run
    # (the file as read, `raw_table`, once the control totals have counted it:
    # `coding.intake_checked`)
    engine.release(f"__sl_raw_refdates_{lj.job.reference}", cand, f"{cand}_reader", qname,
                   vname)
    if na + nq != read.rows_read:
        raise AccountingError(f"{path}: intake read {read.rows_read} rows but accepted {na} "
                              f"and quarantined {nq}")
    if na == 0:
        top = "; ".join(f"{r} ({n})" for r, n in list(result.reasons.items())[:3])
        raise IntakeError(f"{path}: no usable rows (all {nq} quarantined: {top}; see "
                          f"quarantine/{name}.parquet)")
    return result


def _run_checks(engine: Engine, lj: LoadedJob, src: Source, read: ReadResult, raw: str,
                cand: str, spec: DateSpec | None, ref: ReferenceDate) -> None:
    base = {"id_field": src.id_name, "row_label": read.row_label, "max_len": MAX_LEN,
            "max_age": lj.job.max_age,
            "dated": ref.date is not None, "ref_date": ref.date or pd.Timestamp(0).date(),
            "latest": ref.future_after or pd.Timestamp(0).date()}
    engine.execute(sql_file("intake/create_checks.sql", checks=cand))
    for sql, params in _checks(raw, src, spec, _long_columns(engine, raw, src)):
        engine.insert(cand, sql, _used({**base, **params}, sql))
    if read.value_problems:
        found = pa.Table.from_pylist(
            [{"_row": p.row, "record_id": p.record_id, "field": p.field, "reason": p.reason,
              "value_kind": k, "priority": READER_PRIORITY}
             for p, k in zip(read.value_problems, read.value_kinds, strict=True)],
            schema=CHECK_SCHEMA)
        engine.register(f"{cand}_reader", found)
        engine.insert(cand, f"SELECT * FROM {quote_ident(cand + '_reader')}")


def _write_accepted(engine: Engine, read: ReadResult, src: Source, raw: str, qname: str,
                    vname: str, spec: DateSpec | None, path: Path) -> int:
    data_cols = [c for c in read.table.column_names
                 if c not in (ROW, COMPOSITE_ID) and not c.startswith(TYPED_PREFIX)]
    cols = ", ".join(  # column names are compared as bound values, never pasted
        f"CASE WHEN list_contains(v.fields, $col{i}) THEN NULL ELSE r.{quote_ident(c)} END "
        f"AS {quote_ident(c)}" for i, c in enumerate(data_cols))
    params = {f"col{i}": c for i, c in enumerate(data_cols)}
    dob = ""
    if spec:
        dob = (f", CASE WHEN list_contains(v.fields, $dob_field) THEN NULL "
               f"ELSE {spec.parsed('r')} END AS _dob")
        params.update({"dob_field": spec.column, **spec.params})
    sql = sql_file("intake/accepted.sql", raw=raw, id=src.id_column, columns=cols, dob=dob,
                   quarantine=qname, values=vname)
    return engine.write_parquet(sql, path, params)


def _used(params: dict, sql: str) -> dict:
    """DuckDB rejects unused named parameters: pass only those the SQL names (outside quoted
    identifiers, literals and comments, so a column named `a $fmt` does not count)."""
    bare = _QUOTED.sub(" ", sql)
    return {k: v for k, v in params.items() if re.search(rf"\${re.escape(k)}\b", bare)}


def _check_columns(path: Path, src: Source, header: list[str]) -> None:
    missing = [c for c in [*src.all_columns(), *src.code_lists] if c not in header]
    if missing:
        hint = ""
        if starts_with_sep_line(header):
            hint = f" ({SEP_LINE_HINT})"
        elif len(header) <= 2:
            hint = f" (the header has only {len(header) - 1} column(s): is the delimiter right?)"
        raise IntakeError(f"{path}: required column '{missing[0]}' is missing{hint}")
    clash = [c for c in header if c.startswith((code_maps.RAW_PREFIX, TYPED_PREFIX))
             and (c.startswith(TYPED_PREFIX) or c.removeprefix(code_maps.RAW_PREFIX)
                  in code_maps.coded_columns(src).values())]
    if clash:
        raise IntakeError(f"{path}: column name '{clash[0]}' is reserved for intake")


def _check_row_count(path: Path, src: Source, n: int) -> None:
    if n == 0:
        raise IntakeError(f"{path}: has a header but no data rows")
    rng = src.expect_rows
    if rng and ((rng.min is not None and n < rng.min) or (rng.max is not None and n > rng.max)):
        raise IntakeError(f"{path}: {n} rows read, outside expect_rows "
                          f"[{rng.min}, {rng.max}]")


def _long_columns(engine: Engine, raw: str, src: Source) -> set[str]:
    """The identifying columns holding a value longer than MAX_LEN characters, found in one
    pass over the rows: check_length.sql then runs for those only (it ran for every
    column, a pass each, ~0.015 s a column at 1M, and nearly always found nothing)."""
    cols = _length_checked(src)
    if not cols:
        return set()
    flags = ", ".join(f"max(length({quote_ident(c)})) > $max_len AS c{i}"
                      for i, c in enumerate(cols))
    found = engine.arrow(sql_file("intake/long_columns.sql", raw=raw, flags=flags),
                         {"max_len": MAX_LEN}).to_pylist()[0]
    return {c for i, c in enumerate(cols) if found[f"c{i}"]}


def _length_checked(src: Source) -> list[str]:
    """The columns whose values may not be longer than MAX_LEN: every mapped one."""
    return list(dict.fromkeys([*src.columns.values(), *src.identifiers.values()]))


def _checks(raw: str, src: Source, spec: DateSpec | None,
            long: set[str]) -> list[tuple[str, dict]]:
    """Each check as (SQL, its own parameters); column names are quoted placeholders.
    `long`: the columns with a value over MAX_LEN characters (`_long_columns`)."""
    parts = {f"id_part_{i}": c for i, c in enumerate(src.id_columns)}
    missing = ", ".join(f"CASE WHEN {quote_ident(c)} IS NULL OR trim(CAST({quote_ident(c)} "
                        f"AS VARCHAR)) = '' THEN ${p} END" for p, c in parts.items())
    out = [(sql_file("intake/check_missing_id.sql", raw=raw, id=src.id_column,
                     missing_parts=missing), parts)]
    out += [(sql_file(f"intake/{f}.sql", raw=raw, id=src.id_column), {})
            for f in ("check_duplicate_id", "check_id_width")]
    if spec:
        out.append((sql_file("intake/check_date.sql", raw=raw, id=src.id_column,
                             col=spec.column,
                             parsed=spec.parsed("r")),
                    {**spec.params, "field": spec.column, "fmt": spec.fmt,
                     "four_digit": "%Y" in spec.fmt, "short_year": SHORT_YEAR}))
    if spec and spec.alt:  # values read as mistyped: flagged, kept
        out.append((sql_file("intake/check_date_repaired.sql", raw=raw, id=src.id_column,
                             col=spec.column, parsed=spec.parsed("r"),
                             as_written=spec.as_written("r")),
                    {**spec.params, "fmt": spec.fmt, "fmt_alt": spec.alt,
                     "field": spec.column, "priority": FLAG_ONLY}))
    sex = src.columns.get("sex")
    if sex:
        out.append((sql_file("intake/check_known_codes.sql", raw=raw, id=src.id_column, col=sex,
                             normalised=sex_code_key(quote_ident("v"))),
                    {"field": sex, "codes": sex_codes(), "reason": "not a known sex code",
                     "priority": 20}))
    for col, lst in src.code_lists.items():
        out.append((sql_file("intake/check_known_codes.sql", raw=raw, id=src.id_column, col=col,
                             normalised=f"trim({quote_ident('v')})"),
                    {"field": col, "codes": code_list(lst), "reason": f"not in code list {lst}",
                     "priority": 30}))
    for col in (c for c in _length_checked(src) if c in long):
        out.append((sql_file("intake/check_length.sql", raw=raw, id=src.id_column, col=col),
                    {"field": col}))
    return out
