"""Edit rules between variables, per source, right after intake (`edit_rules:`).

A record fails rule R when R's `when` holds and its `require` is false (NULL, i.e. a value
missing, is not a failure: write `x IS NOT NULL` to require a value). Every rule is
evaluated on the intake table as intake accepted it, then the actions apply:
`flag` records the failure only; `set_missing` blanks the rule's `columns` (default: the
columns `require` names) in the intake table; `quarantine` moves the record to
`quarantine/<source>.parquet` (field `edit_rules`, reason `edit rule <id> failed`), so
record accounting still adds up. Every failure is in `edits/<source>.parquet` (`_row`,
`record_id`, `rule_id`, `action`); counts per rule go to intake/report.json and the run
manifest (`checks`).
"""
from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pyarrow as pa

from spinelink.backends import Engine
from spinelink.coding import expressions
from spinelink.config import LoadedJob
from spinelink.errors import JobError
from spinelink.sqlfiles import quote_ident, sql_file

log = logging.getLogger("spinelink")
FAIL_COLUMNS = ["_row", "record_id", "rule_id", "action"]


def check_columns(job_path, name: str, rules, present: set[str], where: str) -> None:
    """Every column a rule uses is in `present` (`where` names the table in the error)."""
    for i, rule in enumerate(rules):
        used = [*expressions.columns(rule.when), *expressions.columns(rule.require),
                *rule.columns]
        for col in dict.fromkeys(used):
            if col not in present:
                raise JobError(f"{job_path}: key 'edit_rules.{name}.{i}' (rule {rule.id}): "
                               f"column '{col}' is not {where}")


def evaluate(engine: Engine, sql: str, where: str) -> pd.DataFrame:
    """A rule's failures; a rule the database cannot evaluate on the data (a comparison
    of text with a date) stops the run in one line naming the rule (it was an internal
    error, exit 70)."""
    try:
        return engine.df(sql)
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception as e:  # the database's own error: the rule's SQL over one table
        raise JobError(expressions.unusable(where, e)) from None


def apply_edit_rules(engine: Engine, lj: LoadedJob, name: str, out: Path, result) -> dict:
    """Evaluate and apply the source's rules; updates `result` (an IntakeResult)."""
    rules = lj.job.edit_rules.get(name, [])
    if not rules:
        return {}
    intake = out / "intake" / f"{name}.parquet"
    engine.load_parquet("__sl_edit_intake", intake)
    present = set(engine.columns("__sl_edit_intake"))
    check_columns(lj.path, name, rules, present, f"a column of source {name}")
    frames = []
    for i, rule in enumerate(rules):
        sql = sql_file("coding/edit_failures.sql", intake="__sl_edit_intake",
                       when=expressions.to_sql(rule.when),
                       require=expressions.to_sql(rule.require))
        f = evaluate(engine, sql, f"{lj.path}: key 'edit_rules.{name}.{i}' (rule {rule.id})")
        frames.append(f.assign(rule_id=rule.id, action=rule.action))
    fails = pd.concat(frames, ignore_index=True)[FAIL_COLUMNS]
    fails = fails.astype({"_row": "int64", "record_id": str, "rule_id": str, "action": str})
    fails = fails.sort_values(["_row", "rule_id"]).reset_index(drop=True)
    engine.register("__sl_edit_fails", fails)
    engine.write_parquet("SELECT CAST(_row AS BIGINT) AS _row, CAST(record_id AS VARCHAR) "
                         "AS record_id, CAST(rule_id AS VARCHAR) AS rule_id, "
                         "CAST(action AS VARCHAR) AS action FROM __sl_edit_fails "
                         "ORDER BY _row, rule_id", out / "edits" / f"{name}.parquet")
    summary = {r.id: {"action": r.action, "failed": int((fails["rule_id"] == r.id).sum())}
               for r in rules}
    blank = _blanked(lj, name, rules, fails)
    quarantine = fails[fails["action"] == "quarantine"].drop_duplicates("_row", keep="first")
    if blank or len(quarantine):
        _rewrite(engine, lj, name, out, blank, quarantine, result)
    for rid, s in summary.items():
        log.info("edit rule %s on %s: %d record(s) failed (%s)", rid, name, s["failed"],
                 s["action"])
    return summary


def _blanked(lj: LoadedJob, name: str, rules, fails: pd.DataFrame) -> dict[str, list[int]]:
    """column -> the rows (`_row`) where a set_missing rule blanks it."""
    out: dict[str, set[int]] = {}
    dob = lj.job.sources[name].columns.get("date_of_birth")
    for rule in rules:
        if rule.action != "set_missing":
            continue
        rows = set(fails.loc[fails["rule_id"] == rule.id, "_row"].tolist())
        for col in rule.columns or expressions.columns(rule.require):
            out.setdefault(col, set()).update(rows)
            if col == dob:
                out.setdefault("_dob", set()).update(rows)
    return {c: sorted(r) for c, r in out.items() if r}


def _rewrite(engine: Engine, lj: LoadedJob, name: str, out: Path,
             blank: dict[str, list[int]], quarantine: pd.DataFrame, result) -> None:
    engine.register("__sl_edit_quarantined", pa.table(
        {"_row": pa.array([int(r) for r in quarantine["_row"]], pa.int64())}))
    pairs = [(c, int(r)) for c, rows in blank.items() for r in rows]
    engine.register("__sl_edit_blank", pa.table(
        {"col": pa.array([c for c, _ in pairs], pa.string()),
         "_row": pa.array([r for _, r in pairs], pa.int64())}))
    params: dict = {}
    flags, columns = ["0 AS _none"], []
    slot = {}
    for i, col in enumerate(blank):
        params[f"c{i}"] = col
        slot[col] = f"_b{i}"
        flags.append(f"max(CASE WHEN col = $c{i} THEN 1 ELSE 0 END) AS _b{i}")
    for col in engine.columns("__sl_edit_intake"):
        q = quote_ident(col)
        columns.append(f"CASE WHEN b.{slot[col]} = 1 THEN NULL ELSE i.{q} END AS {q}"
                       if col in slot else f"i.{q}")
    intake = out / "intake" / f"{name}.parquet"
    result.accepted = engine.write_parquet(
        sql_file("coding/edit_intake.sql", intake="__sl_edit_intake",
                 blank="__sl_edit_blank", quarantined="__sl_edit_quarantined",
                 flags=", ".join(flags), columns=", ".join(columns)),
        intake, params)
    if len(quarantine):
        qpath = out / "quarantine" / f"{name}.parquet"
        engine.load_parquet("__sl_edit_quarantine", qpath)
        add = pd.DataFrame({"_row": quarantine["_row"].astype("int64"),
                            "record_id": quarantine["record_id"].astype(str),
                            "field": "edit_rules",
                            "reason": [f"edit rule {r} failed" for r in quarantine["rule_id"]]})
        engine.register("__sl_edit_qadd", add)
        result.quarantined = engine.write_parquet(
            "SELECT * FROM __sl_edit_quarantine UNION ALL SELECT CAST(_row AS BIGINT), "
            "CAST(record_id AS VARCHAR), CAST(field AS VARCHAR), CAST(reason AS VARCHAR) "
            "FROM __sl_edit_qadd ORDER BY _row", qpath)
        for reason, n in add["reason"].value_counts().sort_index().items():
            result.reasons[reason] = result.reasons.get(reason, 0) + int(n)
