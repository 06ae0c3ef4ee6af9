"""What intake tells: counts of quarantined rows and flagged values per field and reason
(intake/report.json and one console line each), and a loud warning when more than
`max_invalid_share` (default 20%) of a field's non-empty values fail, naming the source,
the field, the share, the most common failure and a likely fix. Never a value: reasons
and shapes (`99/99/9999`) only.

A high share warns and does not stop the run: the values are set to missing (or their
rows quarantined) and flagged either way, and a field that is mostly unusable may still
leave the others to link on; the warning says what to change in the job file.
"""
from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from spinelink.backends import Engine
from spinelink.config import Source
from spinelink.intake_dates import SHORT_YEAR, TYPED, DateSpec, ReferenceDate, suggest_format
from spinelink.sqlfiles import sql_file

log = logging.getLogger("spinelink")
FLAG_PRIORITY = 3  # findings counted in shares: every value-level and flag-only check
DATE_PRIORITY = 10


def reason_counts(engine: Engine, quarantine: str) -> dict[str, int]:
    df = engine.df(sql_file("intake/quarantine_reasons.sql", quarantine=quarantine))
    return {str(r): int(n) for r, n in zip(df["r"], df["n"], strict=True)}


def failure_summary(engine: Engine, result, src: Source, raw: str, checks: str, values: str,
                    spec: DateSpec | None, ref: ReferenceDate, max_age: int,
                    reader_blanked: dict[str, int],
                    where: tuple[Path, str] = (Path("?"), "row")) -> None:
    """Fill `result` (an IntakeResult) with flagged-value counts, shares and warnings, and
    log them. `where`: the source file and what its `_row` counts ("line" or "row")."""
    name = result.source
    flagged = engine.df(sql_file("intake/flagged_counts.sql", values=values))
    result.values_flagged = {f"{f}: {r}": int(n) for f, r, n in
                             zip(flagged["field"], flagged["reason"], flagged["n"], strict=True)}
    result.values_set_missing = int(flagged.loc[flagged["action"] == "set to missing",
                                                "n"].sum())
    if result.quarantined:
        log.warning("%s: %d row(s) quarantined in quarantine/%s.parquet (%s)", name,
                    result.quarantined, name, _top(result.reasons))
        hint = composite_id_hint(src, result.reasons.get(f"{src.id_name}: duplicate "
                                                         "identifier", 0), result.rows_read)
        if hint:
            log.warning("%s", hint)
            result.warnings.append(hint)
    if result.values_flagged:
        log.warning("%s: %d value(s) set to missing, %d flagged in all, in "
                    "quarantine/%s_values.parquet (%s)", name, result.values_set_missing,
                    sum(result.values_flagged.values()), name, _top(result.values_flagged))
    rows = engine.df(sql_file("intake/field_rows.sql", checks=checks),
                     {"flag_priority": FLAG_PRIORITY})
    detail = engine.df(sql_file("intake/field_failures.sql", checks=checks),
                       {"flag_priority": FLAG_PRIORITY})
    columns = set(engine.columns(raw))
    for fld, failed in zip(rows["field"], rows["n"].astype(int), strict=True):
        if fld not in columns:
            continue
        non_empty = int(engine.scalar(sql_file("intake/non_empty.sql", raw=raw, col=fld)))
        non_empty += reader_blanked.get(fld, 0)
        mine = detail[detail["field"] == fld]
        by_reason = mine.groupby("reason", sort=True)["n"].sum()
        top = max(by_reason.index, key=lambda r: (by_reason[r], r))
        kinds = mine[mine["reason"] == top].dropna(subset=["value_kind"])
        kind = (kinds.sort_values(["n", "value_kind"], ascending=[False, True])
                ["value_kind"].iloc[0] if len(kinds) else None)
        share = failed / non_empty if non_empty else 0.0
        result.invalid_shares[fld] = {"non_empty": non_empty, "failed": failed,
                                      "share": round(share, 4), "most_common": top,
                                      "most_common_shape": kind}
        short = (short_years(engine, checks, spec, ref, where, non_empty)
                 if spec is not None and fld == spec.column else None)
        if short:  # a year too short for the format: said whatever the share
            result.warnings.append(short)
            log.warning("%s", short)
            if top.endswith(SHORT_YEAR):
                continue
        if share > src.max_invalid_share:
            fix = likely_fix(engine, src, fld, top, kind, raw, checks, spec, ref, max_age,
                             failed, non_empty)
            msg = (f"source {name}, field {fld}: {share:.0%} of {non_empty} non-empty values "
                   f"failed (most common: {top}); {fix}")
            result.warnings.append(msg)
            log.warning("%s", msg)
    for fld, col in src.columns.items():  # mapped to a column with no value: said, not silent
        if (col in columns and not reader_blanked.get(col)
                and engine.scalar(sql_file("intake/all_empty.sql", raw=raw, col=col))):
            msg = (f"source {name}, field {fld}: column '{col}' is empty in every row; the "
                   "records link on their other fields (is it the right column?)")
            result.warnings.append(msg)
            log.warning("%s", msg)


def composite_id_hint(src: Source, duplicates: int, read: int) -> str | None:
    """When more than `max_invalid_share` of a source's rows repeat a single-column id, the
    id is likely not a record's own (a household register keyed by household, a person in
    several rows): what to declare, naming the column only. None otherwise."""
    if not duplicates or duplicates <= src.max_invalid_share * read or len(src.id_columns) > 1:
        return None
    return (f"{src.path}: {duplicates} of {read} rows repeat an identifier of column "
            f"'{src.id}' and were quarantined; if the column identifies a group (a household) "
            f"rather than a record, declare the columns that identify a record together, e.g. "
            f"id: [{src.id}, <person number column>], or give each record its own id")


def short_years(engine: Engine, checks: str, spec: DateSpec, ref: ReferenceDate,
                where: tuple[Path, str], non_empty: int) -> str | None:
    """One line when dates of the field have a year shorter than the format's four digits
    (03.04.85 under %d.%m.%Y): the file, the field, how many, the first by its row and
    record id, and the format that reads them (never a value)."""
    reason = f"not a valid date in format {spec.fmt}{SHORT_YEAR}"
    df = engine.df(sql_file("intake/short_years.sql", checks=checks),
                   {"field": spec.column, "reason": reason})
    if df.empty:
        return None
    n, row, rid = int(df["n"].iloc[0]), int(df["_row"].iloc[0]), df["record_id"].iloc[0]
    path, label = where
    fmt = spec.fmt.replace("%Y", "%y")
    how = "inferred" if spec.inferred else "declared"
    if n > 0.5 * non_empty:  # most of the values: the format is the wrong one
        need = "" if ref.basis == "job" else (" and declare reference_date (a two-digit "
                                              "year needs it to tell the century)")
        fix = f"set date_format: '{fmt}'{need}"
    else:
        fix = (f"the other {non_empty - n} values have four-digit years: write these with "
               f"four-digit years before intake (date_format takes one format; '{fmt}' "
               "would blank the others)")
    return (f"{path}: field '{spec.column}': {n} of {non_empty} values (the first: record "
            f"{rid}, {label} {row}) have a two-digit year ({pattern(fmt)}), which do not fit "
            f"the {how} date_format '{spec.fmt}'; they are set to missing; {fix}")


def pattern(fmt: str) -> str:
    """A strptime format as people write it: %d.%m.%y -> dd.mm.yy."""
    for code, text in (("%d", "dd"), ("%m", "mm"), ("%Y", "yyyy"), ("%y", "yy"),
                       ("%b", "mon"), ("%B", "month")):
        fmt = fmt.replace(code, text)
    return fmt


def _top(counts: dict[str, int], k: int = 5) -> str:
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    more = f"; {len(items) - k} more" if len(items) > k else ""
    return "; ".join(f"{r}: {n}" for r, n in items[:k]) + more


def likely_fix(engine: Engine, src: Source, fld: str, reason: str, kind: str | None,
               raw: str, checks: str, spec: DateSpec | None, ref: ReferenceDate,
               max_age: int, failed: int, non_empty: int | None = None) -> str:
    """One sentence: what probably went wrong and what to set in the job file."""
    if spec is not None and fld == spec.column and reason.startswith(
            ("not a valid date", "looks like a spreadsheet", "date of birth")):
        return _date_fix(engine, raw, checks, spec, ref, max_age, failed, reason, kind,
                         non_empty)
    if reason == "not a known sex code":
        return ("map the source's sex codes in the job file, e.g. codes: {sex: {<code>: M, "
                "<code>: F}} (README, 'Codes')")
    if reason.startswith("not in code list"):
        key = next((v for v, c in src.variables.items() if c == fld), None)
        where = f"codes: {{{key}: {{<code>: <listed code>}}}}" if key else "codes:"
        return ("check that the code list (and its version for the source's "
                f"reference_period) is the right one, or map the source's codes with {where}")
    if reason.startswith("value longer than"):
        return "check the file's delimiter and quoting: values this long are not names"
    if reason.startswith("bytes that are not valid"):
        return "check the declared encoding (e.g. encoding: cp1252 or cp1251)"
    if reason.startswith("control character"):
        return "clean the file: control characters are not text"
    if reason.startswith("identifier shorter"):
        return "export the identifiers as text: leading zeros were lost (e.g. by a spreadsheet)"
    return "check the values of this column"


def _date_fix(engine: Engine, raw: str, checks: str, spec: DateSpec, ref: ReferenceDate,
              max_age: int, failed: int, reason: str, kind: str | None,
              non_empty: int | None = None) -> str:
    if spec.fmt != TYPED:
        table = f"{raw}__failed_dates"
        engine.create_table(table, sql_file("intake/failed_values.sql", raw=raw,
                                            col=spec.column, checks=checks),
                            {"field": spec.column}, temp=True)
        window = None
        if ref.date is not None:
            window = (_years_before(ref.date, max_age), ref.date)
        best = suggest_format(engine, table, spec, failed, window)
        if best and non_empty and failed < 0.5 * non_empty:  # most values read as spec.fmt
            fmt, n = best
            return (f"{n} of them read as {fmt}, the other {non_empty - failed} values as "
                    f"{spec.fmt}: the column mixes formats, and date_format takes one; "
                    "convert one group to the other's format before intake (setting "
                    f"date_format: '{fmt}' would blank the rest)")
        if best:
            fmt, n = best
            shape = ("the values look like numbers YYYYMMDD; " if fmt == "%Y%m%d"
                     and kind and set(kind.replace(".", "")) == {"9"} else
                     f"{n / failed:.0%} of them read as {fmt}; ")
            return f"{shape}set date_format: '{fmt}'"
    if reason.startswith("not a valid date") and kind and kind == _shape(spec.fmt):
        return ("the values have the format's shape but are not dates (e.g. 31/02): check "
                "how they were entered or converted")
    if reason.startswith("looks like a spreadsheet"):
        return ("the values look like spreadsheet serial numbers: export the column from "
                "the spreadsheet as text dates")
    if reason.startswith("date of birth"):
        if ref.basis == "job":
            return f"check reference_date ({ref.date}) and max_age ({max_age}) in the job file"
        return (f"the reference date {ref.date} was derived from the data ({ref.basis}); "
                "declare reference_date in the job file")
    return (f"declare a date_format that matches the values (their most common shape is "
            f"{kind})" if kind else "declare a date_format that matches the values")


def _shape(fmt: str) -> str:
    """The value_kind shape of a date written in `fmt` with two-digit days and months."""
    for code, shape in (("%Y", "9999"), ("%y", "99"), ("%m", "99"), ("%d", "99"),
                        ("%b", "aaa")):
        fmt = fmt.replace(code, shape)
    return fmt


def _years_before(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)
