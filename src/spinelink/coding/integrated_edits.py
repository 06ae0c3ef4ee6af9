"""Edit rules on the integrated output (`edit_rules: {integrated: [...]}`), a stage right
after integration.

The rules see `integrated.parquet`'s columns: `reference_id`, `unit_status`, each
integrated variable, its `__source` and `__status`. A unit fails a rule as a record does
at intake (`when` holds, `require` is false). `flag` records the failure; `set_missing`
blanks the rule's `columns` (default: the integrated variables `require` names) and sets
their `__status` to `edit_rule`. `quarantine` is refused when the job loads (a unit is
not a record to set aside). Failures: `edits/integrated.parquet` (`reference_id`,
`rule_id`, `action`); counts per rule in the manifest (`stages.edits`).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

from spinelink.coding import expressions
from spinelink.coding.edits import check_columns, evaluate
from spinelink.sqlfiles import quote_ident, sql_file

INTEGRATED = "integrated"


def _targets(rule) -> list[str]:
    return rule.columns or expressions.columns(rule.require)


def run_stage(ctx) -> dict:
    rules = ctx.lj.job.edit_rules.get(INTEGRATED, [])
    if not rules:
        return {}
    engine, out = ctx.engine, Path(ctx.out)
    path = out / "integrated.parquet"
    engine.load_parquet("__sl_int_edit", path)
    present = set(engine.columns("__sl_int_edit"))
    check_columns(ctx.lj.path, INTEGRATED, rules, present, "in integrated.parquet")
    frames = []
    for i, rule in enumerate(rules):
        sql = sql_file("coding/integrated_failures.sql", integrated="__sl_int_edit",
                       when=expressions.to_sql(rule.when),
                       require=expressions.to_sql(rule.require))
        where = f"{ctx.lj.path}: key 'edit_rules.{INTEGRATED}.{i}' (rule {rule.id})"
        frames.append(evaluate(engine, sql, where).assign(rule_id=rule.id, action=rule.action))
    fails = pd.concat(frames, ignore_index=True)[["reference_id", "rule_id", "action"]]
    fails = fails.astype(str).sort_values(["reference_id", "rule_id"]).reset_index(drop=True)
    engine.register("__sl_int_fails", fails)
    engine.write_parquet("SELECT CAST(reference_id AS VARCHAR) AS reference_id, "
                         "CAST(rule_id AS VARCHAR) AS rule_id, CAST(action AS VARCHAR) AS "
                         "action FROM __sl_int_fails ORDER BY reference_id, rule_id",
                         out / "edits" / "integrated.parquet")
    blank: dict[str, set[str]] = {}
    for rule in rules:
        if rule.action == "set_missing":
            ids = set(fails.loc[fails["rule_id"] == rule.id, "reference_id"])
            for col in _targets(rule):
                blank.setdefault(col, set()).update(ids)
    blank = {c: ids for c, ids in sorted(blank.items()) if ids}
    if blank:
        pairs = [(c, i) for c, ids in blank.items() for i in sorted(ids)]
        engine.register("__sl_int_blank", pa.table(
            {"col": pa.array([c for c, _ in pairs], pa.string()),
             "reference_id": pa.array([i for _, i in pairs], pa.string())}))
        params, flags, slot = {}, [], {}
        for i, col in enumerate(blank):
            params[f"c{i}"] = col
            slot[col] = f"_b{i}"
            slot[f"{col}__status"] = f"_b{i}"
            flags.append(f"max(CASE WHEN col = $c{i} THEN 1 ELSE 0 END) AS _b{i}")
        columns = []
        for col in engine.columns("__sl_int_edit"):
            q = quote_ident(col)
            if col in blank:
                columns.append(f"CASE WHEN b.{slot[col]} = 1 THEN NULL ELSE i.{q} END AS {q}")
            elif col in slot:  # the status of a blanked variable
                columns.append(f"CASE WHEN b.{slot[col]} = 1 THEN 'edit_rule' ELSE i.{q} END "
                               f"AS {q}")
            else:
                columns.append(f"i.{q}")
        engine.write_parquet(sql_file("coding/integrated_edit.sql", integrated="__sl_int_edit",
                                      blank="__sl_int_blank", flags=", ".join(flags),
                                      columns=", ".join(columns)), path, params)
    return {r.id: {"action": r.action, "failed": int((fails["rule_id"] == r.id).sum())}
            for r in rules}
