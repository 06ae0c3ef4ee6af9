"""The one code-list loader: `linkage_models/code_lists/`.

`versions.yaml` names each list, its classification (family), its file and its validity;
a list it does not name is read from `<name>.csv` in the same folder. Every list is a
UTF-8 CSV with a `code` column. Intake (a source's `code_lists:`), integration
(`spinelink.integrate.codes`: versions and mappings) and the job-load checks all read
lists through here. Imports nothing that imports `spinelink.config`.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from spinelink.errors import JobError
from spinelink.jobspec.problems import did_you_mean
from spinelink.resources import data_dir

if TYPE_CHECKING:
    import pandas as pd

_NAME = re.compile(r"[A-Za-z0-9_-]+")


def code_lists_dir() -> Path:
    return data_dir("linkage_models") / "code_lists"


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


@lru_cache(maxsize=8)
def versions(folder: Path) -> VersionsFile:
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
def read_csv(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """A code-list or mapping CSV as strings, with the given columns (JobError otherwise)."""
    import pandas as pd  # only when a list is read: loading a job stays light

    if not path.is_file():
        raise JobError(f"{path}: code list file does not exist")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        raise JobError(f"{path}: code list is not a readable UTF-8 CSV") from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise JobError(f"{path}: expected column '{missing[0]}'")
    return df


def known_lists(folder: Path | None = None) -> list[str]:
    """Every list name: those in versions.yaml and every other `<name>.csv`."""
    folder = folder or code_lists_dir()
    named = set(versions(folder).lists)
    files = {p.stem for p in folder.glob("*.csv") if "_to_" not in p.stem}
    return sorted(named | files)


def get_list(name: str, folder: Path | None = None) -> CodeList:
    """A list of versions.yaml (ValueError naming the known lists when there is none)."""
    folder = folder or code_lists_dir()
    entry = versions(folder).lists.get(name)
    if entry is None:
        raise ValueError(f"unknown code list '{name}'; expected one of "
                         f"{sorted(versions(folder).lists)} (code_lists/versions.yaml)")
    df = read_csv(folder / entry.file, ("code",))
    return CodeList(name, entry.family, tuple(c.strip() for c in df["code"]), entry.valid_from,
                    entry.valid_to, entry.source_specific)


def codes(name: str, folder: Path | None = None) -> list[str]:
    """The codes of a list a source names in `code_lists:` (ValueError saying what is
    wrong: a name that is not a plain name, or no such list)."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"code list name '{name}' must be letters, digits, '_' or '-'")
    folder = code_lists_dir()
    entry = versions(folder).lists.get(name)
    path = folder / (entry.file if entry else f"{name}.csv")
    if not path.is_file():
        raise ValueError(f"code list '{name}' not found at linkage_models/code_lists/"
                         f"{name}.csv{did_you_mean(name, known_lists(folder))}")
    return [c.strip() for c in read_csv(path, ("code",))["code"]]


SEX_CODES = "sex_input_codes.csv"


def sex_code_table() -> pd.DataFrame:
    """The sex codes intake accepts (column `code`, lower case) and what each means (`sex`:
    M, F, or empty for "not stated"); standardisation maps them with the same table."""
    from spinelink.model_tables import read_table  # pandas

    return read_table(code_lists_dir() / SEX_CODES, "sex code list", {"code", "sex"})


def sex_code_key(expr: str) -> str:
    """SQL: the form of a sex value looked up in sex_input_codes.csv: trimmed, lower case,
    a final full stop dropped (forms abbreviate "чол.", "жін.", "M."); the same in intake's
    check and standardisation's sl_sex (sql/standardise/macros.sql)."""
    return f"trim(regexp_replace(lower(trim({expr})), '[.]$', '', 'g'))"


def sex_codes() -> list[str]:
    return sex_code_table()["code"].tolist()
