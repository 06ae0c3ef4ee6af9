"""Subgroup values of records: the variables quality estimates are broken down by.

`sex` and `age_band` come from the standardised canonical fields (age in whole years at
the job's reference_date, banded by `quality.age_bands`); any other variable is a column
of the standardised table (a source's declared `subgroups`). Missing values become
`unknown`, so every record is in exactly one group of each variable.

>>> band_labels([0, 18, 30])
['0-17', '18-29', '30+']
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from spinelink.backends import Engine
from spinelink.sqlfiles import quote_ident, sql_file

log = logging.getLogger("spinelink.quality")
UNKNOWN = "unknown"
AGE_BAND = "age_band"


def band_labels(bands: list[int]) -> list[str]:
    out = [f"{a}-{b - 1}" for a, b in zip(bands, bands[1:], strict=False)]
    return out + [f"{bands[-1]}+"]


def ordered_values(values) -> list[str]:
    """Natural order: numbers by value (age bands by their lower bound), text
    alphabetically, `unknown` last.

    >>> ordered_values(["65+", "5-17", "unknown", "18-29", "0-4"])
    ['0-4', '5-17', '18-29', '65+', 'unknown']
    """
    def key(v: str):
        head = v.split("-")[0].rstrip("+")
        return (v == UNKNOWN, 0 if head.isdigit() else 1, int(head) if head.isdigit() else 0, v)

    return sorted({str(v) for v in values}, key=key)


def age_band(age: pd.Series, bands: list[int]) -> pd.Series:
    labels = np.array(band_labels(bands) + [UNKNOWN], dtype=object)
    a = pd.to_numeric(age, errors="coerce").to_numpy(dtype=float)
    idx = np.digitize(np.nan_to_num(a, nan=-1.0), bands) - 1
    idx = np.where(np.isnan(a) | (idx < 0), len(bands), idx)
    return pd.Series(labels[idx], index=age.index, dtype=object)


@dataclass
class Variables:
    """Which variables are broken down on which side."""
    reference: list[str] = field(default_factory=list)
    source: dict[str, list[str]] = field(default_factory=dict)  # source -> its own variables
    skipped: list[str] = field(default_factory=list)


CROSS_SEP = "\x1f"  # joins a cross's values inside the quality stage; never written


def cross_name(variables: list[str]) -> str:
    """The composite variable of an intersectional table.

    >>> cross_name(["ethnic_group", "age_band"])
    'ethnic_group x age_band'
    """
    return " x ".join(variables)


def cross_values(values: pd.DataFrame, variables: list[str]) -> pd.Series:
    """Each record's combination of the variables' values (by record id)."""
    return values[variables].astype(str).agg(CROSS_SEP.join, axis=1)


def cross_sorted(combos, variables: list[str], values: pd.DataFrame) -> list[str]:
    """Combinations in order: each part in its variable's natural order."""
    rank = {v: {x: i for i, x in enumerate(ordered_values(values[v].unique()))}
            for v in variables}
    return sorted(combos, key=lambda c: tuple(
        rank[v].get(p, -1) for v, p in zip(variables, c.split(CROSS_SEP), strict=True)))


def split_cross(df: pd.DataFrame, variables: list[str]) -> pd.DataFrame:
    """Rows of a cross's composite variable as one column per variable (wide)."""
    parts = df["value"].astype(str).str.split(CROSS_SEP, expand=True)
    out = df.drop(columns=["variable", "value"]).copy()
    for i, v in enumerate(variables):
        out.insert(i, v, parts[i].to_numpy())
    return out


def table_columns(engine: Engine, table: str) -> list[str]:
    return engine.columns(table)


def choose_variables(wanted: list[str], ref_cols: list[str],
                     src_cols: dict[str, list[str]]) -> Variables:
    """Reference side where the reference has the variable, else each source that has it."""
    v = Variables()
    for name in wanted:
        if name == AGE_BAND:
            ok_ref = "dob" in ref_cols
        else:
            ok_ref = name in ref_cols
        if ok_ref:
            v.reference.append(name)
            continue
        holders = [s for s, cols in src_cols.items() if name in cols]
        for s in holders:
            v.source.setdefault(s, []).append(name)
        if not holders:
            v.skipped.append(name)
            log.warning("quality: subgroup %s is in no standardised table; skipped", name)
    return v


def default_subgroups(declared: list[str], mapped=("sex", "date_of_birth")) -> list[str]:
    """The job's declared subgroups (reference first, then the linked sources'), sex and
    age band, each once; sex and age band only where the reference maps the field
    (`mapped`: its canonical fields): a reference without one had every record in the
    group `unknown` and a warning that 100% of records have no sex (FEBRL4)."""
    extra = [v for v, f in (("sex", "sex"), (AGE_BAND, "date_of_birth")) if f in mapped]
    return list(dict.fromkeys([*declared, *extra]))


def group_values(engine: Engine, table: str, variables: list[str], bands: list[int],
                 reference_date: dt.date) -> pd.DataFrame:
    """record_id plus one text column per variable (`unknown` where missing or blank;
    a value without the spaces around it: ' white ' is in the group 'white')."""
    plain = [v for v in variables if v != AGE_BAND]
    # told `unknown` by the engine (in pandas, a million values' strip took 0.3 s each
    # variable); blank as str.strip() has it: every character Python calls whitespace
    cols = ", ".join([f"CASE WHEN trim(CAST(t.{quote_ident(c)} AS VARCHAR), $blank) <> '' "
                      f"THEN trim(CAST(t.{quote_ident(c)} AS VARCHAR), $blank) "
                      "ELSE $unknown END "
                      f"AS {quote_ident(c)}" for c in plain] or ["NULL AS _none"])
    # (the two text parameters only where a plain variable reads them: DuckDB refuses
    # parameters a statement does not use, as with age band the only variable)
    df = engine.df(sql_file("quality/subgroup_values.sql", table=table, columns=cols),
                   {"reference_date": reference_date,
                    **({"blank": _WHITESPACE, "unknown": UNKNOWN} if plain else {})})
    out = pd.DataFrame({"record_id": df["record_id"].astype(str)})
    for v in variables:
        out[v] = (age_band(df["_age"], bands) if v == AGE_BAND else df[v]).to_numpy(object)
    return out.set_index("record_id")


# every character Python's str.isspace() calls whitespace, as str.strip() strips them
# (written out: building it from all of Unicode took 0.06 s at every import)
_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003"
               "\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
