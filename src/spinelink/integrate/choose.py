"""Which record and which value: the plan of an integration and the SQL that applies it.

The plan has one row per (variable, participating source): its priority, rule, where its
values are in the standardised table, and whether its codes are mapped to a code list.
The working tables are filled source by source (`sql/integrate/insert_*.sql`), then
`chosen.sql` picks each source's record per unit, `candidates.sql` and `decide.sql` the
value per unit and variable. The integrated table is a pivot of those long tables; the
pivot's column lists are composed here from quoted names and bound parameters.

    >>> frag, params = variable_fragments(["sex"])
    >>> frag["variable_pivot"].split(",")[1].strip()
    'max(value) FILTER (WHERE variable = $var_0) AS "sex"'
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from spinelink.backends import Engine
from spinelink.coding.classification import NOT_STATED
from spinelink.config import Job
from spinelink.integrate import codes
from spinelink.integrate.spec import CANONICAL_VARIABLES, participants, period_of
from spinelink.sqlfiles import quote_ident, sql_file

STD_COLUMN = {"sex": "sex", "date_of_birth": "dob_iso", "postcode": "postcode",
              "address": "address_full"}
PLAN_COLUMNS = ["variable", "source", "prio", "source_order", "rule", "coded", "target",
                "lists", "column", "raw_col", "std_col", "trim", "free_text"]
PLAN_TYPES = {"prio": "int64", "source_order": "int64", "coded": bool, "trim": bool,
              "free_text": bool}


@dataclass(frozen=True)
class Tables:
    """Names of the stage's working tables on the engine (trusted, fixed)."""
    plan: str = "__sl_int_plan"
    codes: str = "__sl_int_codes"
    values: str = "__sl_int_values"
    mapped: str = "__sl_int_mapped"
    dates: str = "__sl_int_dates"
    links: str = "__sl_int_links"
    keys: str = "__sl_int_keys"
    select_rules: str = "__sl_int_select_rules"
    chosen: str = "__sl_int_chosen"
    candidates: str = "__sl_int_candidates"
    decided: str = "__sl_int_decided"
    duplicates: str = "__sl_int_duplicates"
    spine: str = "__sl_int_spine"

    def std(self, source: str) -> str:
        return f"__sl_int_std_{source}"

    def intake(self, source: str) -> str:
        return f"__sl_int_intake_{source}"


def build_plan(job: Job) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(plan, code table): one plan row per variable and participating source."""
    order = {s: i for i, s in enumerate(job.sources)}
    data = {"sources": job.sources, "reference": job.reference, "links": job.links,
            "coding": job.coding}
    rows, tables = [], []
    for name, var in job.integrate.items():
        for prio, s in enumerate(participants(name, var, data)):
            src, lists = job.sources[s], ""
            if var.code_list:
                names, table = codes.plan_for(var.code_list, period_of(job, s),
                                              var.source_code_lists.get(s))
                lists = ", ".join(names)
                tables.append(table.assign(variable=name, source=s))
            canonical = name in CANONICAL_VARIABLES
            # a variable the coding stage codes: its code column in the standardised table
            coded = not canonical and name not in src.variables
            rows.append({
                "variable": name, "source": s, "prio": prio, "source_order": order[s],
                "rule": var.rule, "coded": bool(var.code_list), "target": var.code_list,
                "lists": lists,
                "column": (src.columns[name] if canonical else
                           job.coding[s][name].text if coded else src.variables[name]),
                "raw_col": f"raw_{name}" if canonical else name if coded else f"var_{name}",
                "std_col": STD_COLUMN[name] if canonical else name if coded else f"var_{name}",
                "trim": not canonical,
                # coded free text: its not-stated code NS is no value (the next source's)
                "free_text": coded,
            })
    code_cols = ["variable", "source", "code", "code_list", "value"]
    code_table = (pd.concat(tables, ignore_index=True)[code_cols] if tables
                  else pd.DataFrame(columns=code_cols, dtype=str))
    # typed even when empty (a job without `integrate:`): engines read the table's types
    plan = pd.DataFrame(rows, columns=PLAN_COLUMNS).astype(PLAN_TYPES)
    return plan, code_table


def fill_values(engine: Engine, t: Tables, plan: pd.DataFrame) -> None:
    for row in plan.itertuples():
        std = t.std(row.source)
        if row.raw_col.startswith("raw_") and row.raw_col not in engine.columns(std):
            # a canonical field's original: the intake column (spinelink.raw_values)
            std = f"__sl_int_stdraw_{row.source}"
            engine.execute(sql_file("integrate/with_original.sql", view=std,
                                    standardised=t.std(row.source),
                                    intake=t.intake(row.source),
                                    column=row.column, raw=row.raw_col))
        engine.execute(sql_file("integrate/insert_values.sql", values=t.values,
                                standardised=std, raw=row.raw_col,
                                std=row.std_col),
                       {"source": row.source, "variable": row.variable, "trim": row.trim,
                        "not_stated": NOT_STATED if row.free_text else None})


def fill_dates(engine: Engine, t: Tables, job: Job, plan: pd.DataFrame) -> None:
    """Dates of the records of each source of a most_recent variable."""
    for row in plan[plan["rule"] == "most_recent"].itertuples():
        dc = job.integrate[row.variable].date_of(row.source)
        period = period_of(job, row.source)
        fmt = (dc.format if dc and dc.format else job.sources[row.source].date_format)
        engine.execute(  # without a date column the period's end dates every record
            sql_file("integrate/insert_dates.sql", dates=t.dates, intake=t.intake(row.source),
                     column=dc.column if dc else "record_id"),
            {"variable": row.variable, "source": row.source, "from_period": dc is None,
             "period_end": period[1] if period else None, "fmt": fmt or "%Y-%m-%d"})


def fill_links(engine: Engine, t: Tables, job: Job, link_views: dict[str, str]) -> None:
    for source, view in link_views.items():
        engine.execute(sql_file("integrate/insert_links.sql", links=t.links, source_links=view),
                       {"source": source})
    rules = pd.DataFrame([(s, sel.rule) for s, sel in job.integrate_options.select.items()],
                         columns=["source", "rule"], dtype=str)
    engine.register(t.select_rules, rules)
    for source, sel in job.integrate_options.select.items():
        column = sel.date_column if sel.rule == "most_recent" else sel.column
        fmt = sel.format or job.sources[source].date_format or "%Y-%m-%d"
        engine.execute(sql_file("integrate/insert_select_keys.sql", keys=t.keys,
                                intake=t.intake(source), column=column),
                       {"source": source, "rule": sel.rule, "fmt": fmt,
                        "order": list(sel.order or [])})


def decide(engine: Engine, t: Tables, reference: str) -> None:
    engine.execute(sql_file("integrate/mapped.sql", mapped=t.mapped, values=t.values,
                            plan=t.plan, codes=t.codes))
    engine.execute(sql_file("integrate/chosen.sql", chosen=t.chosen, links=t.links, keys=t.keys,
                            select_rules=t.select_rules, spine=t.spine),
                   {"reference": reference})
    engine.execute(sql_file("integrate/candidates.sql", candidates=t.candidates,
                            chosen=t.chosen, plan=t.plan, mapped=t.mapped, dates=t.dates))
    engine.execute(sql_file("integrate/decide.sql", decided=t.decided, candidates=t.candidates))


def _filter(agg: str, key: str, param: str, alias: str) -> str:
    return f"max({agg}) FILTER (WHERE {key} = ${param}) AS {quote_ident(alias)}"


def source_fragments(sources: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Pivot and select lists for each linked source's chosen record."""
    pivot, cols, params = [], [], {}
    for i, s in enumerate(sources):
        params[f"src_{i}"] = s
        for col, suffix in (("record_id", "id"), ("method", "method"),
                            ("n_records", "n_records"), ("selected_by", "selected_by"),
                            ("match_probability", "match_probability")):
            alias = f"{s}__{suffix}"
            pivot.append(_filter(col, "source", f"src_{i}", alias))
            q = quote_ident(alias)
            cols.append(f"coalesce(s.{q}, 0) AS {q}" if suffix == "n_records" else f"s.{q}")
    return {"source_pivot": "".join(f",\n        {p}" for p in pivot),
            "source_columns": "".join(f",\n    {c}" for c in cols)}, params


def variable_fragments(variables: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Pivot and select lists for each variable's value, source and status."""
    pivot, cols, params = [], [], {}
    for i, v in enumerate(variables):
        params[f"var_{i}"] = v
        for col, alias in (("value", v), ("source", f"{v}__source"),
                           ("status", f"{v}__status")):
            pivot.append(_filter(col, "variable", f"var_{i}", alias))
            q = quote_ident(alias)
            cols.append(f"coalesce(v.{q}, 'missing') AS {q}" if col == "status" else f"v.{q}")
    return {"variable_pivot": "".join(f",\n        {p}" for p in pivot),
            "variable_columns": "".join(f",\n    {c}" for c in cols)}, params


def value_fragments(sources: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """One `<source>__value` column per source for the conflicts table."""
    params = {f"src_{i}": s for i, s in enumerate(sources)}
    frag = "".join(f",\n    {_filter('c.value', 'c.source', f'src_{i}', f'{s}__value')}"
                   for i, s in enumerate(sources))
    return {"value_pivot": frag}, params
