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
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from spinelink.errors import JobError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ListEntry(_Strict):
    family: str
    file: str
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    source_specific: bool = False


class MappingEntry(_Strict):
    from_: str = Field(alias="from")
    to: str
    file: str


class VersionsFile(_Strict):
    schema_version: int
    lists: dict[str, ListEntry]
    mappings: list[MappingEntry] = Field(default_factory=list)


@dataclass(frozen=True)
class CodeList:
    name: str
    family: str
    codes: tuple[str, ...]
    valid_from: dt.date | None
    valid_to: dt.date | None
    source_specific: bool

    def valid_during(self, start: dt.date, end: dt.date) -> bool:
        return ((self.valid_from is None or self.valid_from <= end)
                and (self.valid_to is None or self.valid_to >= start))


def code_lists_dir() -> Path:
    from spinelink.config import MODELS_DIR

    return MODELS_DIR / "code_lists"


@lru_cache(maxsize=8)
def _versions(folder: Path) -> VersionsFile:
    path = folder / "versions.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return VersionsFile.model_validate(data)
    except FileNotFoundError:
        raise JobError(f"{path}: code-list versions file does not exist") from None
    except (yaml.YAMLError, ValidationError) as e:
        where = ""
        if isinstance(e, ValidationError):
            where = " at key '" + ".".join(str(x) for x in e.errors()[0]["loc"]) + "'"
        raise JobError(f"{path}: not a valid versions file{where}") from None


@lru_cache(maxsize=64)
def _read_csv(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        raise JobError(f"{path}: code list is not a readable UTF-8 CSV") from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise JobError(f"{path}: expected column '{missing[0]}'")
    return df


def get_list(name: str, folder: Path | None = None) -> CodeList:
    folder = folder or code_lists_dir()
    entry = _versions(folder).lists.get(name)
    if entry is None:
        raise ValueError(f"unknown code list '{name}'; expected one of "
                         f"{sorted(_versions(folder).lists)} (code_lists/versions.yaml)")
    df = _read_csv(folder / entry.file, ("code",))
    return CodeList(name, entry.family, tuple(c.strip() for c in df["code"]), entry.valid_from,
                    entry.valid_to, entry.source_specific)


def mapping(from_list: str, to_list: str, folder: Path | None = None) -> dict[str, str]:
    """from code -> to code; raises ValueError when there is no (complete) mapping."""
    folder = folder or code_lists_dir()
    for m in _versions(folder).mappings:
        if m.from_ == from_list and m.to == to_list:
            df = _read_csv(folder / m.file, ("from_code", "to_code"))
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
    versions = _versions(folder or code_lists_dir())
    out = [get_list(n, folder) for n, e in versions.lists.items()
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
    from spinelink.integrate.spec import data_job, participants, period_of

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
