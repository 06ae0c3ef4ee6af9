"""What the analyst checks: conflicts, agreement between sources, the audit trail and the
values outside the code lists. Each reads the stage's long tables (see choose.Tables)."""
from __future__ import annotations

import logging
from itertools import combinations
from pathlib import Path

import pandas as pd

from spinelink.backends import Engine
from spinelink.code_maps import RAW_PREFIX, coded_columns
from spinelink.integrate.choose import Tables, value_fragments
from spinelink.sqlfiles import sql_file

log = logging.getLogger(__name__)


def write_conflicts(engine: Engine, t: Tables, sources: list[str], path: Path) -> int:
    frag, params = value_fragments(sources)
    sql = sql_file("integrate/conflicts.sql", candidates=t.candidates, decided=t.decided,
                   **frag)
    return engine.write_parquet(sql, path, params)


def write_audit(engine: Engine, t: Tables, job, plan: pd.DataFrame,
                path: Path) -> dict[str, int]:
    """audit.parquet; the number of rows by stage. A source's `codes:` map of an
    integrated variable adds its `codes` rows (the value as delivered, its `_raw_`
    intake column, to the code it was mapped to; audit_codes.sql)."""
    params = {"reference": job.reference}
    parts = []
    for i, (variable, source) in enumerate(plan[["variable", "source"]].drop_duplicates()
                                           .itertuples(index=False)):
        column = coded_columns(job.sources[source]).get(variable)
        if column is None:
            continue
        params[f"codes_source_{i}"], params[f"codes_variable_{i}"] = source, variable
        parts.append("\nUNION ALL\n" + sql_file(
            "integrate/audit_codes.sql", candidates=t.candidates, intake=t.intake(source),
            raw=RAW_PREFIX + column, column=column, source=f"$codes_source_{i}",
            variable=f"$codes_variable_{i}"))
    sql = sql_file("integrate/audit.sql", candidates=t.candidates, decided=t.decided,
                   plan=t.plan, coded="".join(parts))
    engine.write_parquet(sql, path, params)
    counts = engine.df(f"SELECT stage, count(*) AS n FROM ({sql}) GROUP BY stage ORDER BY stage",
                       params)
    return {r.stage: int(r.n) for r in counts.itertuples()}


def write_invalid_codes(engine: Engine, t: Tables, reference: str, path: Path) -> dict:
    sql = sql_file("integrate/invalid_codes.sql", mapped=t.mapped, plan=t.plan, links=t.links)
    n = engine.write_parquet(sql, path, {"reference": reference})
    counts = engine.df(f"SELECT source, variable, count(*) AS n FROM ({sql}) "
                       "GROUP BY ALL ORDER BY ALL", {"reference": reference})
    by: dict[str, dict[str, int]] = {}
    for r in counts.itertuples():
        by.setdefault(r.source, {})[r.variable] = int(r.n)
    return {"total": n, "by_source": by}


def warn_invalid_shares(engine: Engine, t: Tables, lj) -> list[str]:
    """One warning per source and coded variable when more than the source's
    `max_invalid_share` of its non-empty values are in none of the code lists that apply:
    they all become missing (status invalid_code), which would otherwise leave a variable
    empty with an INFO line's total. Names the file, the column, the share, the first
    record and the lists; never the values (they are in integrate/invalid_codes.parquet)."""
    df = engine.df(sql_file("integrate/invalid_shares.sql", mapped=t.mapped, plan=t.plan))
    out = []
    for r in df.itertuples():
        src = lj.job.sources[r.source]
        share = r.n_invalid / r.n_values if r.n_values else 0.0
        if share <= src.max_invalid_share:
            continue
        msg = (f"{lj.source_path(r.source)}: column '{r.column}' (variable {r.variable}): "
               f"{r.n_invalid} of {r.n_values} non-empty values ({share:.0%}; the first: record "
               f"{r.first_record}) are in no code list that applies ({r.lists}); they are "
               f"set to missing (integrate/invalid_codes.parquet); map them with the "
               f"source's codes: {{{r.variable}: {{...}}}} or check reference_period")
        log.warning("%s", msg)
        out.append(msg)
    return out


def agreement(engine: Engine, t: Tables, plan: pd.DataFrame) -> dict[str, dict]:
    """variable -> "a~b" -> {n_both, n_agree, rate} for every pair of its sources (in the
    order of the job's sources); rate is None where no unit has both values."""
    df = engine.df(sql_file("integrate/agreement.sql", candidates=t.candidates))
    found = {(r.variable, r.source_a, r.source_b): (int(r.n_both), int(r.n_agree))
             for r in df.itertuples()}
    out: dict[str, dict] = {}
    for variable, rows in plan.sort_values("source_order").groupby("variable", sort=False):
        pairs = {}
        for a, b in combinations(rows["source"].tolist(), 2):
            n_both, n_agree = found.get((variable, a, b), (0, 0))
            pairs[f"{a}~{b}"] = {"n_both": n_both, "n_agree": n_agree,
                                 "rate": round(n_agree / n_both, 4) if n_both else None}
        out[variable] = pairs
    return out


def variable_summary(plan: pd.DataFrame) -> dict[str, dict]:
    """Per variable: rule, sources in order and, for coded variables, the code lists that
    apply to each source."""
    out: dict[str, dict] = {}
    for variable, rows in plan.groupby("variable", sort=False):
        rows = rows.sort_values("prio")
        info = {"rule": rows["rule"].iat[0], "sources": rows["source"].tolist()}
        if rows["coded"].iat[0]:
            info["code_list"] = rows["target"].iat[0]
            info["source_code_lists"] = dict(zip(rows["source"], rows["lists"], strict=True))
        out[variable] = info
    return out


def undated(engine: Engine, t: Tables) -> dict[str, dict[str, int]]:
    """variable -> source -> values of most_recent variables without a usable date."""
    df = engine.df(sql_file("integrate/undated.sql", candidates=t.candidates))
    out: dict[str, dict[str, int]] = {}
    for r in df.itertuples():
        out.setdefault(r.variable, {})[r.source] = int(r.n)
    return out
