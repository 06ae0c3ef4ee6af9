"""The job file: a typed model, validated once when it loads.

Errors name the file, the key (as a dotted path) and what was expected, and never
echo the offending value (it may be personal data pasted by mistake).
"""
from __future__ import annotations

import codecs
import datetime as dt
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, StrictBool, field_validator, model_validator

from spinelink.catalogue.spec import Catalogue
from spinelink.coding.spec import (
    CodingOptions,
    CodingVariable,
    ControlTotals,
    EditRule,
    check_section,
    classification_problems,
)
from spinelink.coding.spec import decisions_problems as coding_decisions_problems
from spinelink.coding.spec import input_problems as coding_input_problems
from spinelink.integrate.spec import IntegrateOptions
from spinelink.integrate.spec import Variable as IntegrateVariable
from spinelink.jobspec import files as _files
from spinelink.jobspec.analysis import Analysis
from spinelink.jobspec.checks import (
    STANDARD_SUBGROUPS,  # noqa: F401 - re-exported
    cross_problems,
    name_problems,
)
from spinelink.jobspec.load import entry_parts, partial, read_job_file, sections, validate
from spinelink.jobspec.problems import did_you_mean, raise_problems
from spinelink.jobspec.run_settings import Privacy, Resources, Spark  # noqa: F401 - re-exported
from spinelink.jobspec.run_settings import Strict as _Strict
from spinelink.jobspec.stage_settings import (  # noqa: F401 - re-exported
    Deterministic,
    Link,
    Probabilistic,
    Quality,
)
from spinelink.resources import data_dir

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
# each encoding under Python's name for its codec: another name of one of them
# (windows-1251, utf8, latin1, iso8859_2) is that one
_ENCODING_BY_CODEC = {codecs.lookup(e).name: e for e in ENCODINGS}
_DIRECTIVE = re.compile(r"%(-?[aAwdbhBmyYHIpMSgfnzZjUWcxX]|%)")  # the engines' strptime codes
# a date format's codes for one part of the date: two of them read no date
_DATE_PARTS = (("year", "yY"), ("month", "mbBh"), ("day", "dj"))
MODELS_DIR = data_dir("linkage_models")  # the wheel's copy or the repository's


class RowRange(_Strict):
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> RowRange:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


# the column a composite id's parts are joined into when a source is read
COMPOSITE_ID = "__sl_record_id"


class Period(_Strict):
    """A reference period (inclusive): chooses the code-list versions of a source."""
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.start > self.end:
            raise ValueError("start must not be after end")
        return self


class Source(_Strict):
    role: Literal["census", "survey", "admin"]
    path: str
    # the column identifying a record, or the columns that do together (a household
    # register: [household_id, person_no]; the record id joins them: H015/1)
    id: str | list[str]
    encoding: str = "utf-8"
    delimiter: str = ","
    columns: dict[str, str] = Field(default_factory=dict)
    date_format: str | None = None
    identifiers: dict[str, str] = Field(default_factory=dict)
    subgroups: list[str] = Field(default_factory=list)
    variables: dict[str, str] = Field(default_factory=dict)
    code_lists: dict[str, str] = Field(default_factory=dict)
    reference_date: dt.date | None = None
    reference_period: Period | dt.date | None = None  # a period, or a single date
    expect_rows: RowRange | None = None
    # postcodes: uk (sector/district/area parsed) or other (US ZIP, Ukrainian, ...: kept
    # as letters and digits, leading 4/3/2 characters); absent: inferred from the data
    postcode_format: Literal["uk", "other"] | None = None
    # the number of digits of the source's all-digit postcodes (5: Ukraine, the US,
    # France, Germany; 4: Austria, Denmark, Switzerland): a shorter all-digit value lost
    # its leading zeros (an integer column, a spreadsheet) and is padded (1001 -> 01001)
    postcode_digits: int | None = Field(default=None, ge=3, le=10)
    # a value that fails a check (date of birth, sex or coded value, control character,
    # over-long value): keep the row with that value set to missing, flagged in
    # quarantine/<source>_values (default), or quarantine the whole row
    invalid_values: Literal["quarantine", "set_missing"] = "set_missing"
    # a warning names the field when more than this share of its non-empty values fail
    max_invalid_share: float = Field(default=0.2, ge=0, le=1)
    # code maps applied at intake, per canonical field or declared variable:
    # {sex: {Ч: M, Ж: F}}; a code mapped to null (or "") becomes missing
    codes: dict[str, dict[str, str | None]] = Field(default_factory=dict)
    # a column whose records are different persons when they share its value (one tax
    # return's filer, spouse and dependants; one household's members): at most one of
    # them is any one reference person (spinelink.persons_apart)
    persons_apart: str | None = None

    @field_validator("codes", mode="before")
    @classmethod
    def _code_keys(cls, v):
        if not isinstance(v, dict):
            return v
        out = {}
        for fld, mapping in v.items():
            if not isinstance(mapping, dict):
                out[fld] = mapping
                continue
            fixed = {}
            for code, target in mapping.items():
                for x in (code, target):
                    if isinstance(x, bool | float):
                        raise ValueError(f"codes.{fld}: quote every code (YAML reads yes, no, "
                                         "true, on, off and numbers with a point as "
                                         "booleans or numbers)")
                if code is None:
                    raise ValueError(f"codes.{fld}: a code to map must not be null")
                fixed[str(code)] = str(target) if isinstance(target, int) else target
            out[fld] = fixed
        return out

    @model_validator(mode="after")
    def _code_fields(self) -> Source:
        for fld in self.codes:
            if fld not in self.columns and fld not in self.variables:
                raise ValueError(f"codes.{fld}: not a canonical field in columns nor a "
                                 "declared variable of this source")
        return self

    @field_validator("id")
    @classmethod
    def _id_columns(cls, v: str | list[str]) -> str | list[str]:
        if isinstance(v, list):
            if len(v) < 2 or len(set(v)) != len(v) or not all(c.strip() for c in v):
                raise ValueError("one column, or a list of two or more different columns "
                                 "that together identify a record")
        elif not v.strip():
            raise ValueError("the column identifying a record must be named")
        return v

    @property
    def id_columns(self) -> list[str]:
        """The file's columns that identify a record (one, or those of a composite id)."""
        return [self.id] if isinstance(self.id, str) else list(self.id)

    @property
    def id_name(self) -> str:
        """The identifier as messages name it: its column, or its columns joined by +."""
        return "+".join(self.id_columns)

    @property
    def id_column(self) -> str:
        """The column of the table as read that holds the record id: the file's own id
        column, or the one `readers.with_record_id` joins from a composite id's columns."""
        return self.id if isinstance(self.id, str) else COMPOSITE_ID

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v: str) -> str:
        try:
            return _ENCODING_BY_CODEC[codecs.lookup(v.strip()).name]
        except (LookupError, KeyError):
            raise ValueError(f"one of {', '.join(ENCODINGS)} (or another name of one, "
                             "e.g. windows-1251)") from None

    @field_validator("date_format")
    @classmethod
    def _date_format(cls, v: str | None) -> str | None:
        if v is not None and (not _DIRECTIVE.search(v) or "%" in _DIRECTIVE.sub("", v)):
            raise ValueError("not a date format (use strptime codes, e.g. %d/%m/%Y)")
        for part, codes in _DATE_PARTS:  # '%d.%m.%y%Y' read every date as missing
            found = [m.group(0) for m in _DIRECTIVE.finditer(v or "")
                     if m.group(1).lstrip("-") in codes]
            if len(found) > 1:
                raise ValueError(f"the {part} appears twice ({' and '.join(found)}); "
                                 "one code for it, e.g. %d/%m/%Y")
        return v

    @field_validator("delimiter")
    @classmethod
    def _one_char(cls, v: str) -> str:
        # a tab as YAML reads it single-quoted or plain ('\t', \t) or by its name
        v = "\t" if v in ("\\t", "tab", "TAB", "Tab") else v
        if len(v) != 1 or v in "\"\r\n":
            raise ValueError("a single character other than a quote or newline (a tab: "
                             "\"\\t\" or tab)")
        return v

    @field_validator("columns")
    @classmethod
    def _canonical_keys(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(v) - set(CANONICAL_FIELDS))
        if unknown:
            hints = "".join(did_you_mean(k, CANONICAL_FIELDS, f"; {k!r}: ") for k in unknown)
            raise ValueError(f"unknown canonical field(s) {unknown}{hints}; "
                             f"expected keys among {list(CANONICAL_FIELDS)}")
        seen: dict[str, str] = {}
        for k, col in v.items():  # a copied line: last_name the first name's column
            if col in seen:
                raise ValueError(f"{seen[col]} and {k} both map column '{col}': a column "
                                 "holds one field")
            seen[col] = k
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
        cols = [*self.id_columns, *self.columns.values(), *self.identifiers.values()]
        cols += [*self.subgroups, *self.variables.values()]
        cols += [self.persons_apart] if self.persons_apart else []
        return list(dict.fromkeys(cols))


class Job(_Strict):
    schema_version: Literal[1]
    name: str
    output_dir: str = "out"
    seed: int = 42
    backend: Literal["duckdb", "spark"] = "duckdb"
    # ages and date plausibility are measured at this date; when unset, a date derived
    # from the reference source's dates of birth (spinelink.intake_dates.derive_reference_date)
    reference_date: dt.date | None = None
    max_age: int = Field(default=120, ge=1, le=150)
    reference: str
    sources: dict[str, Source]
    links: dict[str, Link] = Field(default_factory=dict)
    integrate: dict[str, IntegrateVariable] = Field(default_factory=dict)
    integrate_options: IntegrateOptions = Field(default_factory=IntegrateOptions)
    quality: Quality = Field(default_factory=Quality)
    resources: Resources = Field(default_factory=Resources)
    spark: Spark = Field(default_factory=Spark)
    privacy: Privacy = Field(default_factory=Privacy)
    # free-text coding, edit rules, control totals per source (spinelink.coding.spec)
    coding: dict[str, dict[str, CodingVariable]] = Field(default_factory=dict)
    coding_options: CodingOptions = Field(default_factory=CodingOptions)
    edit_rules: dict[str, list[EditRule]] = Field(default_factory=dict)
    control_totals: dict[str, ControlTotals] = Field(default_factory=dict)
    catalogue: Catalogue | None = None  # sources and deliveries (spinelink.catalogue)
    extend_spine: StrictBool = False  # unlinked records become spine units (incremental.spine)
    analysis: Analysis | None = None  # weights, coverage, imputation (spinelink.analysis)

    @field_validator("coding", "edit_rules", "control_totals")
    @classmethod
    def _coding_sources(cls, v: dict, info):
        check_section(info.field_name, v, info.data)
        return v

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


class LoadedJob:
    """A validated job plus where it came from (paths resolve against its folder)."""

    def __init__(self, job: Job, path: Path, raw_text: bytes):
        self.job = job
        self.path = path
        self.raw_text = raw_text
        self.base_dir = path.parent
        self.overrides: dict[str, str] = {}  # command-line overrides, for the manifest

    def resolve(self, p: str) -> Path:
        q = Path(p)
        return q if q.is_absolute() else (self.base_dir / q).resolve()

    def output_dir(self, override: str | None = None) -> Path:
        return Path(override).resolve() if override else self.resolve(self.job.output_dir)

    def source_path(self, name: str) -> Path:
        return self.resolve(self.job.sources[name].path)

    def model_path(self, p: str) -> Path:
        """A model or match-key path: absolute, relative to the job, or under linkage_models/."""
        return _files.model_path(self.base_dir, p)


def load_job(path: str | Path, inputs: bool = False) -> LoadedJob:
    """The validated job. Every problem in it and in the files it names (match keys, models,
    code lists; with `inputs`, each source file's header and columns) is found first and
    reported at once: one error, a line per problem (spinelink.jobspec)."""
    path = Path(path)
    raw, data = read_job_file(path)
    job, work, problems = validate(data, Job, str(path))
    checked = job or partial(work, Job)  # as much of the job as validates
    if checked is not None:
        problems += cross_problems(checked, str(path))
    else:  # an entry too faulty to build: only the names it is known by are checked
        problems += name_problems(work, str(path))
    # the files of every entry that validates, or whose only fault is its role (no file
    # check reads it); an entry with a bad path, id or column map is not read
    parts, aside = entry_parts(work, Job, "sources")
    sources = job.sources if job else {n: s for n, s in parts.items() if aside[n] <= {"role"}}
    links = job.links if job else sections(work, Job, "links")
    base = path.resolve().parent
    for name, src in sources.items():
        problems += _files.source_problems(str(path), name, src)
    problems += _files.link_problems(str(path), base, links)
    if job is not None:  # the classifications the job codes to (linkage_models/)
        problems += classification_problems(job)
    if inputs:
        # a source whose encoding or delimiter is at fault is not read with the default
        # instead (its header would be misread: a second, wrong problem)
        unread = {p.key for p in problems if p.key}
        for name, src in sources.items():
            if {f"sources.{name}.encoding", f"sources.{name}.delimiter"} & unread:
                continue
            q = Path(src.path)
            problems += _files.input_problems(name, src, q if q.is_absolute() else base / q)
        if job is not None:  # columns named by coding, edit rules, control totals
            problems += coding_input_problems(str(path), job, base)
            problems += coding_decisions_problems(str(path), job, base)
    raise_problems(problems)
    assert job is not None
    return LoadedJob(job, path.resolve(), raw)
