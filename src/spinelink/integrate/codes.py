"""Code lists with versions, and the mapping of a source's codes to a target list.

`linkage_models/code_lists/versions.yaml` names each list, its classification (family),
its file and its validity (inclusive dates). For a source and a target list, the lists
that apply are those of the target's family valid at any time in the source's reference
period (a period spanning a change of version gets both: a value then tells its version
by the list it is in, so lists valid together must not share a code unless they mean the
same target code). A job can name a source's list outright (`source_code_lists`), which
is how a source-specific coding (e.g. disability 1/2) is used. Each list other than the
target needs a mapping to it (`mappings`), complete for its codes.

    >>> [c.name for c in applicable("ethnic_group_2021", (dt.date(2015, 1, 1),) * 2)]
    ['ethnic_group_2011']
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from spinelink.integrate.spec import data_job, participants, period_of
from spinelink.jobspec.code_lists import (  # the one code-list loader
    CodeList,
    code_lists_dir,
    get_list,
    read_csv,
    versions,
)

__all__ = ["CodeList", "applicable", "check_variable", "code_lists_dir", "code_table",
           "get_list", "mapping", "plan_for"]


def mapping(from_list: str, to_list: str, folder: Path | None = None) -> dict[str, str]:
    """from code -> to code; raises ValueError when there is no (complete) mapping."""
    folder = folder or code_lists_dir()
    for m in versions(folder).mappings:
        if m.from_ == from_list and m.to == to_list:
            df = read_csv(folder / m.file, ("from_code", "to_code"))
            out = dict(zip(df["from_code"].str.strip(), df["to_code"].str.strip(), strict=True))
            unmapped = [c for c in get_list(from_list, folder).codes if c not in out]
            bad = sorted(set(out.values()) - set(get_list(to_list, folder).codes))
            if unmapped or bad:
                raise ValueError(f"mapping {from_list} -> {to_list} ({m.file}) is incomplete "
                                 f"or maps to codes outside {to_list}")
            return out
    raise ValueError(f"no mapping from code list {from_list} to {to_list} in "
                     "code_lists/versions.yaml")


def applicable(target: str, period: tuple[dt.date, dt.date] | None,
               explicit: str | None = None, folder: Path | None = None) -> list[CodeList]:
    """The lists a source's values may be in (oldest first); raises ValueError if none."""
    tgt = get_list(target, folder)
    if explicit:
        lst = get_list(explicit, folder)
        if lst.family != tgt.family:
            raise ValueError(f"code list {explicit} is not a version of {tgt.family}")
        return [lst]
    if period is None:
        raise ValueError("no reference_period (or reference_date) to choose the version of "
                         f"{tgt.family}")
    start, end = period
    listed = versions(folder or code_lists_dir()).lists
    out = [get_list(n, folder) for n, e in listed.items()
           if e.family == tgt.family and not e.source_specific]
    out = [c for c in out if c.valid_during(start, end)]
    if not out:
        raise ValueError(f"no version of {tgt.family} is valid in the reference period "
                         f"{start}..{end}")
    return sorted(out, key=lambda c: (c.valid_from or dt.date.min, c.name))


def code_table(target: str, lists: list[CodeList], folder: Path | None = None) -> pd.DataFrame:
    """code, code_list, value (the target code) for every code of the applicable lists.
    Raises ValueError when lists valid together give one code two meanings."""
    rows: dict[str, tuple[str, str]] = {}
    for lst in lists:
        table = ({c: c for c in lst.codes} if lst.name == target
                 else mapping(lst.name, target, folder))
        for code in lst.codes:
            if code in rows and rows[code][1] != table[code]:
                raise ValueError(f"code lists {rows[code][0]} and {lst.name} give code "
                                 f"'{code}' different meanings; name the source's list in "
                                 "source_code_lists")
            rows.setdefault(code, (lst.name, table[code]))
    return pd.DataFrame([(c, n, v) for c, (n, v) in rows.items()],
                        columns=["code", "code_list", "value"], dtype=str)


def plan_for(target: str, period, explicit: str | None = None,
             folder: Path | None = None) -> tuple[list[str], pd.DataFrame]:
    """(names of the applicable lists, their code table) for one source and variable."""
    lists = applicable(target, period, explicit, folder)
    return [c.name for c in lists], code_table(target, lists, folder)


def check_variable(name: str, var, data: dict) -> None:
    """Job-load check of a coded variable (raises ValueError naming the key)."""
    job = data_job(data)
    try:
        get_list(var.code_list)
    except ValueError as e:
        raise ValueError(f"{name}.code_list: {e}") from None
    for s in participants(name, var, data):
        try:
            plan_for(var.code_list, period_of(job, s), var.source_code_lists.get(s))
        except ValueError as e:
            raise ValueError(f"{name}.code_list: source '{s}': {e}") from None
