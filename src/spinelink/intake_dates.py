"""Dates of birth at intake: how a column is parsed (a typed date column as it is, else a
strptime format, declared or inferred from the data), and the reference date at which
ages are measured.

Format inference tries every format of DATE_FORMATS on up to 20,000 values (in file
order) and keeps the one that reads the most of them as dates with a four-digit year
(so `04/03/81` is not read as the year 81 by `%d/%m/%Y`); ties go to the earlier format.
Day first and month first are told apart by the data: a value whose first part is over
12 reads only month first (and one whose second part is over 12 only day first). When
neither occurs, the order cannot be told: day first is taken and the note says so.

The reference date, when the job declares none, is derived from the reference source's
dates of birth (reproducible: the same inputs give the same date): the day after the
latest date of birth in the main block of years. A year belongs to the block when it
holds at least 1% as many dates of birth as the busiest year, and the block is the run
of such years, with gaps of at most 10 years (or 3 times the median gap between such
years, for sparse data), that holds the median date of birth; so a lone mistyped 2091, or
a placeholder 9999-12-31 on many rows, does not move it (nor does a year before 1000: a
two-digit year a four-digit format misread). For a
population source (births up to the day it was taken) this is about the day the data
was taken; for a source of adults only it is earlier than that: declare reference_date
when ages matter (quality's age bands).
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from spinelink.backends import Engine
from spinelink.config import LoadedJob, Source
from spinelink.errors import IntakeError
from spinelink.sqlfiles import quote_ident, sql_file

log = logging.getLogger("spinelink")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%m-%d-%Y",
                "%Y%m%d", "%Y/%m/%d", "%d/%m/%y", "%m/%d/%y", "%d %b %Y", "%d-%b-%Y",
                "%d %B %Y", "%b %d %Y", "%Y.%m.%d", "%m%d%Y", "%d%m%Y", "%b %d, %Y",
                "%B %d, %Y", "%d.%m.%y")
SAMPLE = 20000
SAMPLE_SPAN = 4 * SAMPLE  # the rows a sample is looked for in first (`sample_dates`)
DENSE_SHARE = 0.01  # a year is in the main block with >= 1% of the busiest year's births
MAX_GAP_YEARS = 10  # ... and at most this many years (or 3 median gaps) from the next
LATER_GAP_YEARS = 2  # a linked source's births after the reference date: at most this many
# years apart, year on year from it (a source taken later has births in every year since)
TYPED = "date type"  # the date_format reported for a typed (Parquet DATE/TIMESTAMP) column
# the reason of a date that a four-digit-year format reads with a shorter year (the year
# 85 of 03.04.85 under %d.%m.%Y), after "not a valid date in format <fmt>"
SHORT_YEAR = ": the year has fewer than four digits"
_SWAPPED = {"%d/%m/%Y": "%m/%d/%Y", "%m/%d/%Y": "%d/%m/%Y", "%d-%m-%Y": "%m-%d-%Y",
            "%m-%d-%Y": "%d-%m-%Y", "%d/%m/%y": "%m/%d/%y", "%m/%d/%y": "%d/%m/%y",
            "%m%d%Y": "%d%m%Y", "%d%m%Y": "%m%d%Y"}


@dataclass(frozen=True)
class DateSpec:
    """How the date-of-birth column of a source is parsed."""
    column: str
    fmt: str  # strptime format, or TYPED
    inferred: bool = False
    typed_column: str | None = None  # the hidden DATE column of a typed source column
    note: str | None = None
    pivot: dt.date | None = None  # two-digit years: the century that puts a date on or before it
    # the format with day and month exchanged, when a value that does not parse in `fmt` is
    # read as mistyped (`repairs`): day and month swapped, or digits written as letters
    alt: str | None = None
    # the hidden DATE columns of the raw table holding `parsed` and `as_written`, each
    # value parsed once (parse_once); None until then
    parsed_column: str | None = None
    written_column: str | None = None

    def parsed(self, alias: str = "r") -> str:
        """SQL: the parsed date of a row of the raw table (aliased `alias`); the format is
        the bound parameter $fmt (and the pivot of two-digit years $pivot, the format with
        day and month exchanged $fmt_alt)."""
        if self.typed_column:
            return f"{alias}.{quote_ident(self.typed_column)}"
        if self.parsed_column:
            return f"{alias}.{quote_ident(self.parsed_column)}"
        return self.parse_expression(alias)

    def parse_expression(self, alias: str = "r") -> str:
        """SQL: the parse of a text column (`parsed` before `parse_once`)."""
        if self.pivot:
            return f"sl_intake_parse_date_pivot({alias}.{quote_ident(self.column)}, $fmt, $pivot)"
        if self.alt:
            return (f"sl_intake_parse_date_repaired({alias}.{quote_ident(self.column)}, $fmt, "
                    "$fmt_alt)")
        return self.as_written(alias)

    def as_written(self, alias: str = "r") -> str:
        """SQL: the date as its text reads in the format, without repairs (not typed)."""
        if self.written_column:
            return f"{alias}.{quote_ident(self.written_column)}"
        return f"sl_intake_parse_date({alias}.{quote_ident(self.column)}, $fmt)"

    @property
    def params(self) -> dict:
        """The parameters of `parsed` (none once the dates are columns)."""
        if self.typed_column or self.parsed_column:
            return {}
        return {"fmt": self.fmt, **({"pivot": self.pivot} if self.pivot else {}),
                **({"fmt_alt": self.alt} if self.alt else {})}


def parse_once(engine: Engine, table: pa.Table, spec: DateSpec | None, name: str,
               prefix: str) -> tuple[pa.Table, DateSpec | None]:
    """The raw table with its dates of birth parsed (and, with repairs, read as written)
    once per distinct value, as hidden DATE columns `prefix`parsed / `prefix`written, and
    the spec that reads them: the checks, the reference date and the accepted rows read
    the column, not the parse, which is a pure function of the value and the spec's
    parameters (the same dates as parsing every row). `name`: scratch table name.
    Only on an engine whose tables are local (`Engine.local_tables`, DuckDB): Spark would
    stage the whole raw table again to add the columns, and parses in parallel anyway."""
    if (spec is None or spec.typed_column or spec.parsed_column
            or not getattr(engine, "local_tables", False)):
        return table, spec
    values = table.column(spec.column).combine_chunks()
    try:
        distinct = pc.unique(values.drop_null())
    except pa.ArrowNotImplementedError:  # a type Arrow cannot hash: parsed row by row
        return table, spec
    engine.register(name, pa.table({spec.column: distinct}))
    out = engine.arrow(sql_file("intake/date_values.sql", values=name, col=spec.column,
                                parsed=spec.parsed("r"),
                                written=spec.as_written("r") if spec.alt
                                else "CAST(NULL AS DATE)"), spec.params)
    engine.release(name)
    at = pc.index_in(values, value_set=out.column("v").combine_chunks())
    parsed, write = f"{prefix}parsed", f"{prefix}written" if spec.alt else None
    table = table.append_column(parsed, pc.take(out.column("p").combine_chunks(), at))
    if write:
        table = table.append_column(write, pc.take(out.column("w").combine_chunks(), at))
    return table, replace(spec, parsed_column=parsed, written_column=write)


def install_macros(engine: Engine) -> None:
    engine.execute(sql_file("intake/macros.sql"))


def sample_dates(engine: Engine, raw: str, col: str) -> str:
    """The table of the first SAMPLE non-empty values of `col` in file order (by `_row`),
    date_sample.sql's, named after `raw`. Looked for first among the rows of the first
    SAMPLE_SPAN row numbers: the same values when they hold SAMPLE of them (a file's
    every other row comes after), else among every row."""
    sample = f"{raw}__date_sample"
    sql = sql_file("intake/date_sample.sql", sample=sample, raw=raw, col=col)
    engine.execute(sql, {"sample": SAMPLE, "span": SAMPLE_SPAN})
    if engine.count(sample) < SAMPLE:
        engine.execute(sql, {"sample": SAMPLE, "span": None})
    return sample


def format_counts(engine: Engine, raw: str, col: str, fmt: str, *, sample: int = SAMPLE,
                  window: tuple[dt.date, dt.date] | None = None) -> tuple[int, int, int]:
    """(values looked at, read as dates, of them inside `window`) for one format."""
    low, high = window or (None, None)
    row = engine.df(sql_file("intake/date_format_counts.sql", raw=raw, col=col),
                    {"fmt": fmt, "sample": sample, "low": low, "high": high}).iloc[0]
    return int(row["n"]), int(row["parsed"]), int(row["plausible"])


def date_spec(engine: Engine, raw: str, path: Path, src: Source, typed: dict[str, str],
              reference: dt.date | None = None) -> DateSpec | None:
    """The DateSpec of the source's date_of_birth column (None when it maps none).
    `typed`: source column -> hidden DATE column, for typed date columns. A format with a
    two-digit year needs `reference` (the job's reference_date) to tell the century."""
    spec = _date_spec(engine, raw, path, src, typed)
    if spec is None or "%y" not in spec.fmt:
        return repairs(engine, raw, src, spec)
    if reference is None:
        raise IntakeError(f"{path}: dates in column '{spec.column}' have two-digit years "
                          f"(format {spec.fmt}): declare reference_date in the job file, so "
                          "that the century can be told (a date after it is taken 100 years "
                          "earlier)")
    return replace(spec, pivot=reference)


def _date_spec(engine: Engine, raw: str, path: Path, src: Source,
               typed: dict[str, str]) -> DateSpec | None:
    col = src.columns.get("date_of_birth")
    if not col:
        return None
    if col in typed:
        note = f"date of birth column '{col}' is a date type: used as it is"
        if src.date_format:
            note += " (date_format is not used)"
        return DateSpec(col, TYPED, False, typed[col], note)
    if src.date_format:
        return DateSpec(col, src.date_format)
    sample = sample_dates(engine, raw, col)
    counts = {f: format_counts(engine, sample, "v", f)[:2] for f in DATE_FORMATS}
    total = max(n for n, _ in counts.values())
    best = max(DATE_FORMATS, key=lambda f: (counts[f][1], -DATE_FORMATS.index(f)))
    parsed = counts[best][1]
    failed = bool(total) and parsed < 0.5 * total
    serial = (engine.df(sql_file("intake/serial_day_share.sql", sample=sample))
              if failed else None)
    engine.release(sample)
    if failed:
        fix = ("declare date_format in the job file" if float(serial["share"].iloc[0] or 0)
               < 0.9 else "the values look like spreadsheet serial day numbers (days since "
               "1899-12-30), which no date_format reads: export the column from the "
               "spreadsheet as dates (e.g. YYYY-MM-DD text)")
        raise IntakeError(f"{path}: dates in column '{col}' match no known format (best "
                          f"{best}: {parsed} of {total} sampled values); {fix}")
    note = (f"date format {best} inferred for column '{col}': {parsed} of {total} sampled "
            "values read as dates")
    other = _SWAPPED.get(best)
    if other and parsed and counts[other][1] == parsed:
        note += (f"; day and month order cannot be told (no value has a part over 12): "
                 f"{best} taken, declare date_format if the data is {other}")
    return DateSpec(col, best, True, None, note)


def repairs(engine: Engine, raw: str, src: Source, spec: DateSpec | None) -> DateSpec | None:
    """`spec` reading a value that does not parse in its format as mistyped (`alt`), when
    the format is one of day, month and four-digit year in digits and at least
    1 - max_invalid_share of the column's sampled values parse in it: then the column is in
    that format and a value that is not is an error of entry (a day and month swapped, 21
    for the month; a scanned 0 read as O), not another format. Where more fail, the format
    itself is likely wrong: nothing is repaired, and intake warns and says what to set."""
    if (spec is None or spec.typed_column or spec.pivot or "%d" not in spec.fmt
            or "%m" not in spec.fmt or "%Y" not in spec.fmt or "%b" in spec.fmt
            or "%B" in spec.fmt):
        return spec
    sample = sample_dates(engine, raw, spec.column)
    n, parsed, _ = format_counts(engine, sample, "v", spec.fmt)
    engine.release(sample)
    if not n or parsed < (1 - src.max_invalid_share) * n:
        return spec
    alt = "%m".join(part.replace("%m", "%d") for part in spec.fmt.split("%d"))
    return replace(spec, alt=alt)


def derive_reference_date(years: list[tuple[int, int, dt.date]]) -> dt.date | None:
    """The day after the latest date of birth in the main block of years (see the module
    text). `years`: (year, dates of birth, latest date) for every year with one."""
    years = sorted(years)
    if not years:
        return None
    total = sum(n for _, n, _ in years)
    running, median = 0, years[-1][0]
    for y, n, _ in years:
        running += n
        if 2 * running >= total:
            median = y
            break
    busiest = max(n for _, n, _ in years)
    dense = [(y, last) for y, n, last in years if n >= DENSE_SHARE * busiest]
    gaps = sorted(b[0] - a[0] for a, b in zip(dense, dense[1:], strict=False))
    # sparse data (a few records over decades) has long gaps between its years: the gap
    # that ends a block is at least 3 times the median gap
    max_gap = max(MAX_GAP_YEARS, 3 * gaps[len(gaps) // 2]) if gaps else MAX_GAP_YEARS
    blocks: list[list[tuple[int, dt.date]]] = []
    for y, last in dense:
        if blocks and y - blocks[-1][-1][0] <= max_gap:
            blocks[-1].append((y, last))
        else:
            blocks.append([(y, last)])
    # the block holding the median year, else the one nearest to it
    block = min(blocks, key=lambda b: (0 if b[0][0] <= median <= b[-1][0] else
                                       min(abs(b[0][0] - median), abs(b[-1][0] - median)),
                                       b[0][0]))
    return block[-1][1] + dt.timedelta(days=1)


def year_counts(engine: Engine, raw: str, spec: DateSpec) -> list[tuple[int, int, dt.date]]:
    df = engine.df(sql_file("intake/dob_years.sql", raw=raw, parsed=spec.parsed("r")),
                   spec.params)
    return [(int(y), int(n), _as_date(last))
            for y, n, last in zip(df["y"], df["n"], df["last"], strict=True)]


def _as_date(v) -> dt.date:
    """A date from the engine: ISO text (any year 1-9999), a date or a timestamp."""
    if isinstance(v, str):
        return dt.date.fromisoformat(v[:10])
    return pd.Timestamp(v).date()


@dataclass(frozen=True)
class ReferenceDate:
    date: dt.date | None  # ages are measured at this date
    basis: str  # 'job', or how it was derived, or 'none'
    latest: dt.date | None = None  # a date of birth after this one is "in the future"
    # (year, dates of birth, latest date) of the source it was derived from
    births: tuple = field(default=(), compare=False, repr=False)

    @property
    def future_after(self) -> dt.date | None:
        return self.latest or self.date


def reference_date(engine: Engine, lj: LoadedJob, name: str, raw: str,
                   spec: DateSpec | None, read_reference) -> ReferenceDate:
    """The job's reference_date; else derived from the reference source's dates of birth
    (from this source's own when the reference maps none). `read_reference()` registers
    the reference source's raw table and returns (table name, DateSpec | None); it is only
    called when the reference is not the source being read and the date is not cached.

    A linked source's date of birth counts as in the future only after the later of the
    reference date (the job's or derived) and the one derived from its own dates (a source
    taken after the reference has later births: they are not errors, and blanked they
    would let an infant link to a namesake relative with nothing to tell them apart)."""
    cache = lj.__dict__.setdefault("_intake_reference_dates", {})
    ref = lj.job.reference
    if lj.job.reference_date:
        given = ReferenceDate(lj.job.reference_date, "job")
        if name == ref or spec is None:
            return given
        if name not in cache:
            cache[name] = _derived(engine, raw, spec, name)
        return ReferenceDate(given.date, "job", _later_births(given.date, cache[name]))
    if ref not in cache:
        if name == ref:
            cache[ref] = _derived(engine, raw, spec, ref)
        else:
            ref_raw, ref_spec = read_reference()
            cache[ref] = _derived(engine, ref_raw, ref_spec, ref)
    if name == ref or spec is None:
        return cache[ref]
    if name not in cache:
        cache[name] = _derived(engine, raw, spec, name)
    own, shared = cache[name], cache[ref]
    if shared.date is None:  # the reference has no dates of birth: this source's own
        return own
    if own.date is None:
        return shared
    return ReferenceDate(shared.date, shared.basis, _later_births(shared.date, own))


def _later_births(after: dt.date, own: ReferenceDate) -> dt.date | None:
    """The day after a linked source's last plausible date of birth, when its births run
    on after the reference date `after`: year on year from it (at most LATER_GAP_YEARS
    apart), as in a source taken after the reference, and no later than its own main
    block. A few dates years ahead (2026, 2030, 2035 in a file of 2021) chain into the
    main block of a small file, where every year is dense; they are typing errors, not a
    later census."""
    if own.date is None:
        return None
    last = {y: d for y, _, d in own.births}
    year, end = after.year, after
    while True:
        if year in last and last[year] >= end:
            end = last[year] + dt.timedelta(days=1)
        year = next((y for y in range(year + 1, year + LATER_GAP_YEARS + 1) if y in last),
                    None)
        if year is None:
            break
    return max(after, min(own.date, end))


def _derived(engine: Engine, raw: str, spec: DateSpec | None, source: str) -> ReferenceDate:
    if spec is None:
        return ReferenceDate(None, "none")
    years = year_counts(engine, raw, spec)
    date = derive_reference_date(years)
    if date is None:
        return ReferenceDate(None, "none")
    return ReferenceDate(date, f"derived: the day after the latest date of birth of source "
                               f"{source}'s main block of birth years", births=tuple(years))


def suggest_format(engine: Engine, table: str, spec: DateSpec, n: int,
                   window: tuple[dt.date, dt.date] | None) -> tuple[str, int] | None:
    """The format (other than the one used) that reads the most of the failed values of
    `table` (column v) as dates inside `window`, when it reads at least half of them."""
    best = None
    for f in DATE_FORMATS:
        if f == spec.fmt:
            continue
        got = format_counts(engine, table, "v", f, sample=max(n, 1), window=window)[2]
        if best is None or got > best[1]:
            best = (f, got)
    return best if best and n and best[1] >= 0.5 * n else None
