"""Intake: read a source, check every row, quarantine failures with a reason.

Rows read = rows accepted + rows quarantined, always. A source that is unusable as a
whole (unreadable, required columns missing, row count outside `expect_rows`) stops the
run with one line naming the file and what is wrong.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from spinelink.backends import Engine
from spinelink.config import MODELS_DIR, LoadedJob, Source
from spinelink.errors import IntakeError, JobError
from spinelink.readers import ROW, read_source
from spinelink.sqlfiles import quote_ident, sql_file

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y%m%d", "%Y/%m/%d",
                "%m/%d/%Y", "%d/%m/%y", "%d %b %Y", "%d-%b-%Y")
MAX_LEN = 500
_LIST_NAME = re.compile(r"[A-Za-z0-9_-]+")
_DIRECTIVE = re.compile(r"%(-?[aAwdbhBmyYHIpMSgfnzZjUWcxX]|%)")  # the engines' strptime codes
# quoted identifiers, string literals and comments: where a `$name` is not a parameter
_QUOTED = re.compile(r'"(?:[^"]|"")*"|\'(?:[^\']|\'\')*\'|--[^\n]*|/\*.*?\*/', re.S)
VALUE_PRIORITY = 5  # checks from this priority on are about one value, not the whole row
QUARANTINE_SCHEMA = pa.schema([("_row", pa.int64()), ("record_id", pa.string()),
                               ("field", pa.string()), ("reason", pa.string())])


@dataclass
class IntakeResult:
    source: str
    rows_read: int
    accepted: int
    quarantined: int
    date_format: str | None
    date_format_inferred: bool
    notes: list[str] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)
    values_set_missing: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def sex_codes() -> list[str]:
    return pd.read_csv(MODELS_DIR / "code_lists" / "sex_input_codes.csv", dtype=str,
                       keep_default_na=False)["code"].tolist()


def code_list(name: str) -> list[str]:
    if not _LIST_NAME.fullmatch(name):
        raise IntakeError(f"code list name '{name}' must be letters, digits, '_' or '-'")
    path = MODELS_DIR / "code_lists" / f"{name}.csv"
    if not path.exists():
        raise IntakeError(f"code list '{name}' not found at linkage_models/code_lists/{name}.csv")
    return pd.read_csv(path, dtype=str, keep_default_na=False)["code"].tolist()


def intake_source(engine: Engine, lj: LoadedJob, name: str, out_dir: Path) -> IntakeResult:
    src = lj.job.sources[name]
    path = lj.source_path(name)
    _check_job_settings(lj, name)
    read = read_source(path, encoding=src.encoding, delimiter=src.delimiter, id_column=src.id)
    _check_columns(path, src, read.table.column_names)
    _check_row_count(path, src, read.rows_read)
    raw = f"__sl_raw_{name}"
    engine.register(raw, read.table)
    ref_date = lj.job.reference_date or dt.date.today()
    fmt, inferred = _date_format(engine, raw, path, src, read.typed_dates)
    base = {"id_field": src.id, "ref_date": ref_date, "max_age": lj.job.max_age,
            "max_len": MAX_LEN, "fmt": fmt or "%Y-%m-%d"}
    cand = f"__sl_checks_{name}"
    engine.execute(sql_file("intake/create_checks.sql", checks=cand))
    for sql, params in _checks(raw, src):
        engine.execute(f"INSERT INTO {quote_ident(cand)} {sql}", _used({**base, **params}, sql))
    qname, vname = f"__sl_quarantine_{name}", f"__sl_values_{name}"
    row_level = "priority < $value_priority" if src.invalid_values == "set_missing" else "TRUE"
    vp = {"value_priority": VALUE_PRIORITY}
    first_sql = sql_file("intake/first_problem.sql", checks=cand, which=row_level)
    found = engine.arrow(first_sql, _used(vp, first_sql))
    rejects = pa.Table.from_pylist([r.__dict__ for r in read.rejects], schema=pa.schema(
        [("row", pa.int64()), ("field", pa.string()), ("reason", pa.string()),
         ("record_id", pa.string())])).rename_columns(["_row", "field", "reason", "record_id"])
    quarantine = pa.concat_tables([rejects.select(QUARANTINE_SCHEMA.names).cast(QUARANTINE_SCHEMA),
                                   found.cast(QUARANTINE_SCHEMA)])
    engine.register(qname, quarantine)
    nq = engine.write_parquet(f"SELECT * FROM {quote_ident(qname)} ORDER BY _row",
                              out_dir / "quarantine" / f"{name}.parquet")
    # values set to missing (invalid_values: set_missing): the row stays, the value goes
    engine.execute(f"CREATE OR REPLACE TEMP TABLE {quote_ident(vname)} AS "
                   + sql_file("intake/set_missing_values.sql", checks=cand, quarantine=qname),
                   vp if src.invalid_values == "set_missing" else {"value_priority": 10**9})
    engine.write_parquet(f"SELECT _row, record_id, field, reason, 'set to missing' AS action "
                         f"FROM {quote_ident(vname)} ORDER BY _row, field",
                         out_dir / "quarantine" / f"{name}_values.parquet")
    data_cols = [c for c in read.table.column_names if c != ROW]
    cols = ", ".join(  # column names are compared as bound values, never pasted
        f"CASE WHEN list_contains(v.fields, $col{i}) THEN NULL ELSE r.{quote_ident(c)} END "
        f"AS {quote_ident(c)}" for i, c in enumerate(data_cols))
    acc_params = {f"col{i}": c for i, c in enumerate(data_cols)}
    dob_col = src.columns.get("date_of_birth")
    dob = (f", CAST(try_strptime(trim({quote_ident(dob_col)}), $fmt) AS DATE) AS _dob"
           if dob_col else "")
    acc_sql = sql_file("intake/accepted.sql", raw=raw, id=src.id, columns=cols, dob=dob,
                       quarantine=qname, values=vname)
    if dob_col:
        acc_params["fmt"] = base["fmt"]
    na = engine.write_parquet(acc_sql, out_dir / "intake" / f"{name}.parquet", acc_params)
    nv = int(engine.scalar(f"SELECT count(*) FROM {quote_ident(vname)}"))
    reasons = engine.df(f"SELECT field || ': ' || reason AS r, count(*) AS n FROM "
                        f"{quote_ident(qname)} GROUP BY 1 ORDER BY 2 DESC, 1")
    result = IntakeResult(name, read.rows_read, na, nq, fmt, inferred, read.notes,
                          dict(zip(reasons["r"], reasons["n"].astype(int), strict=True)), nv)
    if na + nq != read.rows_read:
        from spinelink.errors import AccountingError

        raise AccountingError(f"{path}: intake read {read.rows_read} rows but accepted {na} "
                              f"and quarantined {nq}")
    if na == 0:
        raise IntakeError(f"{path}: no usable rows (all {nq} quarantined; see "
                          f"quarantine/{name}.parquet)")
    return result


def _used(params: dict, sql: str) -> dict:
    """DuckDB rejects unused named parameters: pass only those the SQL names (outside quoted
    identifiers, literals and comments, so a column named `a $fmt` does not count)."""
    bare = _QUOTED.sub(" ", sql)
    return {k: v for k, v in params.items() if re.search(rf"\${re.escape(k)}\b", bare)}


def _check_job_settings(lj: LoadedJob, name: str) -> None:
    """Code lists and the date format: a job-file fault (exit 2) naming the key, found
    before the source is read."""
    src = lj.job.sources[name]
    for col, lst in src.code_lists.items():
        try:
            code_list(lst)
        except IntakeError as e:
            raise JobError(f"{lj.path}: key 'sources.{name}.code_lists.{col}': {e}") from None
    fmt = src.date_format
    if fmt is not None and (not _DIRECTIVE.search(fmt) or "%" in _DIRECTIVE.sub("", fmt)):
        raise JobError(f"{lj.path}: key 'sources.{name}.date_format': not a date format "
                       "(use strptime codes, e.g. %d/%m/%Y)")


def _check_columns(path: Path, src: Source, header: list[str]) -> None:
    missing = [c for c in [*src.all_columns(), *src.code_lists] if c not in header]
    if missing:
        hint = ""
        if len(header) <= 2:
            hint = f" (the header has only {len(header) - 1} column(s): is the delimiter right?)"
        raise IntakeError(f"{path}: required column '{missing[0]}' is missing{hint}")


def _check_row_count(path: Path, src: Source, n: int) -> None:
    if n == 0:
        raise IntakeError(f"{path}: has a header but no data rows")
    rng = src.expect_rows
    if rng and ((rng.min is not None and n < rng.min) or (rng.max is not None and n > rng.max)):
        raise IntakeError(f"{path}: {n} rows read, outside expect_rows "
                          f"[{rng.min}, {rng.max}]")


def _date_format(engine: Engine, raw: str, path: Path, src: Source,
                 typed: set[str]) -> tuple[str | None, bool]:
    col = src.columns.get("date_of_birth")
    if not col:
        return None, False
    if col in typed:
        return "%Y-%m-%d", False
    if src.date_format:
        return src.date_format, False
    q = quote_ident(col)
    sample = f"(SELECT trim({q}) AS v FROM {quote_ident(raw)} WHERE {q} IS NOT NULL LIMIT 20000)"
    counts = [engine.scalar(f"SELECT count(try_strptime(v, $f)) FROM {sample} s", {"f": f})
              for f in DATE_FORMATS]
    total = engine.scalar(f"SELECT count(*) FROM {sample} s")
    best = max(range(len(DATE_FORMATS)), key=lambda i: (counts[i], -i))
    if total and counts[best] < 0.5 * total:
        raise IntakeError(f"{path}: dates in column '{col}' match no known format; "
                          "declare date_format in the job file")
    return DATE_FORMATS[best], True


def _checks(raw: str, src: Source) -> list[tuple[str, dict]]:
    """Each row check as (SQL, its own parameters); column names are quoted placeholders."""
    out = [(sql_file(f"intake/{f}.sql", raw=raw, id=src.id), {})
           for f in ("check_missing_id", "check_duplicate_id", "check_id_width")]
    dob = src.columns.get("date_of_birth")
    if dob:
        out.append((sql_file("intake/check_date.sql", raw=raw, id=src.id, col=dob),
                    {"field": dob}))
    sex = src.columns.get("sex")
    if sex:
        out.append((sql_file("intake/check_known_codes.sql", raw=raw, id=src.id, col=sex,
                             normalised=f"lower(trim({quote_ident(sex)}))"),
                    {"field": sex, "codes": sex_codes(), "reason": "unknown sex code",
                     "priority": 20}))
    for col, lst in src.code_lists.items():
        out.append((sql_file("intake/check_known_codes.sql", raw=raw, id=src.id, col=col,
                             normalised=f"trim({quote_ident(col)})"),
                    {"field": col, "codes": code_list(lst), "reason": f"not in code list {lst}",
                     "priority": 30}))
    for col in dict.fromkeys([*src.columns.values(), *src.identifiers.values()]):
        out.append((sql_file("intake/check_length.sql", raw=raw, id=src.id, col=col),
                    {"field": col}))
    return out
