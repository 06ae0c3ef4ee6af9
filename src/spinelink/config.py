"""The job file: a typed model, validated once when it loads.

Errors name the file, the key (as a dotted path) and what was expected, and never
echo the offending value (it may be personal data pasted by mistake).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from spinelink.errors import JobError

CANONICAL_FIELDS = (
    "first_name",
    "middle_name",
    "last_name",
    "date_of_birth",
    "sex",
    "postcode",
    "address",
)
ENCODINGS = ("utf-8", "utf-8-sig", "cp1251", "cp1250", "latin-1", "cp1252", "iso-8859-2")
MODELS_DIR = Path(__file__).resolve().parents[2] / "linkage_models"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RowRange(_Strict):
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> RowRange:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


class Source(_Strict):
    role: Literal["census", "survey", "admin"]
    path: str
    id: str
    encoding: str = "utf-8"
    delimiter: str = ","
    columns: dict[str, str] = Field(default_factory=dict)
    date_format: str | None = None
    identifiers: dict[str, str] = Field(default_factory=dict)
    subgroups: list[str] = Field(default_factory=list)
    variables: dict[str, str] = Field(default_factory=dict)
    code_lists: dict[str, str] = Field(default_factory=dict)
    reference_date: dt.date | None = None
    expect_rows: RowRange | None = None
    # a row whose date of birth, sex or coded value is invalid: quarantine the row, or
    # keep it with that value set to missing (recorded in quarantine/<source>_values)
    invalid_values: Literal["quarantine", "set_missing"] = "quarantine"

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v: str) -> str:
        if v.lower() not in ENCODINGS:
            raise ValueError(f"one of {', '.join(ENCODINGS)}")
        return v.lower()

    @field_validator("delimiter")
    @classmethod
    def _one_char(cls, v: str) -> str:
        if len(v) != 1 or v in "\"\r\n":
            raise ValueError("a single character other than a quote or newline")
        return v

    @field_validator("columns")
    @classmethod
    def _canonical_keys(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(v) - set(CANONICAL_FIELDS))
        if unknown:
            raise ValueError(
                f"unknown canonical field(s) {unknown}; expected keys among {list(CANONICAL_FIELDS)}"
            )
        return v

    @field_validator("identifiers", "variables")
    @classmethod
    def _simple_names(cls, v: dict[str, str]) -> dict[str, str]:
        for k in v:
            if not k.isidentifier():
                raise ValueError(f"name {k!r} must be letters, digits and underscores")
        return v

    def all_columns(self) -> list[str]:
        """Every column of the input file the job relies on (id first)."""
        cols = [self.id, *self.columns.values(), *self.identifiers.values()]
        cols += [*self.subgroups, *self.variables.values()]
        return list(dict.fromkeys(cols))


class Deterministic(_Strict):
    direct: list[str] = Field(default_factory=list)
    match_keys: str | None = "default"


class Probabilistic(_Strict):
    model: str = "auto"
    accept: float = Field(default=0.95, gt=0, le=1)
    review: float = Field(default=0.5, gt=0, le=1)
    max_pairs_u: float = Field(default=1e6, gt=0)

    @model_validator(mode="after")
    def _bands(self) -> Probabilistic:
        if self.review > self.accept:
            raise ValueError("review must be at most accept")
        return self


class Link(_Strict):
    deterministic: Deterministic = Field(default_factory=Deterministic)
    probabilistic: Probabilistic | None = Field(default_factory=Probabilistic)
    one_to_one: bool = False


class Resources(_Strict):
    memory_limit: str | None = None
    threads: int | None = Field(default=None, ge=1)
    temp_dir: str | None = None


class Job(_Strict):
    schema_version: Literal[1]
    name: str
    output_dir: str = "out"
    seed: int = 42
    backend: Literal["duckdb", "spark"] = "duckdb"
    reference_date: dt.date | None = None
    max_age: int = Field(default=120, ge=1, le=150)
    reference: str
    sources: dict[str, Source]
    links: dict[str, Link] = Field(default_factory=dict)
    integrate: dict[str, dict] = Field(default_factory=dict)
    quality: dict = Field(default_factory=dict)
    resources: Resources = Field(default_factory=Resources)

    @field_validator("sources")
    @classmethod
    def _source_names(cls, v: dict[str, Source]) -> dict[str, Source]:
        for name in v:
            if not name.isidentifier() or name.lower() in ("left", "right"):
                raise ValueError(
                    f"source name {name!r} must be letters, digits and underscores "
                    "(and not 'left' or 'right')"
                )
        return v

    @model_validator(mode="after")
    def _cross_refs(self) -> Job:
        if self.reference not in self.sources:
            raise ValueError(f"reference {self.reference!r} is not among the sources")
        for name, link in self.links.items():
            if name not in self.sources:
                raise ValueError(f"links.{name}: no source of that name")
            if name == self.reference:
                raise ValueError(f"links.{name}: the reference is not linked to itself")
            src, ref = self.sources[name], self.sources[self.reference]
            for ident in link.deterministic.direct:
                for side, s in (("source", src), ("reference", ref)):
                    if ident not in s.identifiers:
                        raise ValueError(
                            f"links.{name}.deterministic.direct: identifier {ident!r} "
                            f"is not declared in the {side}'s identifiers"
                        )
        return self


class LoadedJob:
    """A validated job plus where it came from (paths resolve against its folder)."""

    def __init__(self, job: Job, path: Path, raw_text: bytes):
        self.job = job
        self.path = path
        self.raw_text = raw_text
        self.base_dir = path.parent

    def resolve(self, p: str) -> Path:
        q = Path(p)
        return q if q.is_absolute() else (self.base_dir / q).resolve()

    def output_dir(self, override: str | None = None) -> Path:
        return Path(override).resolve() if override else self.resolve(self.job.output_dir)

    def source_path(self, name: str) -> Path:
        return self.resolve(self.job.sources[name].path)

    def model_path(self, p: str) -> Path:
        """A model or match-key path: absolute, relative to the job, or under linkage_models/."""
        q = Path(p)
        if q.is_absolute():
            return q
        near = self.resolve(p)
        return near if near.exists() else MODELS_DIR / p


def _loc(err: dict) -> str:
    return ".".join(str(x) for x in err["loc"] if not str(x).startswith("function-after"))


def load_job(path: str | Path) -> LoadedJob:
    path = Path(path)
    if not path.exists():
        raise JobError(f"{path}: job file does not exist")
    if path.is_dir():
        raise JobError(f"{path}: is a directory, expected a YAML job file")
    raw = path.read_bytes()
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise JobError(f"{path}: job file is not valid UTF-8 (byte {e.start})") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "unknown line"
        raise JobError(f"{path}: not valid YAML at {where}") from None
    if not isinstance(data, dict):
        raise JobError(f"{path}: expected a mapping of keys at the top level")
    try:
        job = Job.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        key = _loc(first) or "(top level)"
        msg = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            msg = "unknown key"
        elif first["type"] == "missing":
            msg = "required key is missing"
        more = f" (and {len(e.errors()) - 1} more problem(s))" if len(e.errors()) > 1 else ""
        raise JobError(f"{path}: key '{key}': {msg}{more}") from None
    return LoadedJob(job, path.resolve(), raw)
