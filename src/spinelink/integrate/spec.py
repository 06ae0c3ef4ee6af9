"""The `integrate:` and `integrate_options:` sections of a job file, validated on load.

```yaml
integrate:
  ethnic_group: {priority: [census, survey, benefits], code_list: ethnic_group_2021}
  sex: {priority: [census, benefits, survey]}
  address: {rule: most_recent, date_column: {benefits: updated_on}}
integrate_options:
  flag_reference_duplicates: true
  select: {benefits: {rule: most_recent, date_column: updated_on}}
```

A source *carries* a variable when it maps it: a canonical field (sex, date_of_birth,
postcode, address) in `columns`, any other variable in `variables`. Only the reference and
linked sources supply values. `rule: priority` takes the first listed source with a value;
`rule: most_recent` takes the value of the latest-dated record among all sources carrying
the variable (`date_column` per source; a source without one is dated by its reference
period's end), ties broken by `priority` if given, then by the order of the sources.

Imported by spinelink.config: imports nothing from spinelink but spinelink.jobspec.problems.
The checks run when the job loads (spinelink.jobspec.checks); code lists through
spinelink.integrate.codes.
"""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from spinelink.jobspec.problems import did_you_mean

CANONICAL_VARIABLES = ("sex", "date_of_birth", "postcode", "address")
NAME_FIELDS = ("first_name", "middle_name", "last_name")
RESERVED = ("reference_id", "unit_status", "duplicate_of")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DateColumn(_Strict):
    """A column of the source's file holding a date, and its format (default: the
    source's `date_format`, else ISO `%Y-%m-%d`)."""
    column: str
    format: str | None = None


class Variable(_Strict):
    rule: Literal["priority", "most_recent"] = "priority"
    priority: list[str] = Field(default_factory=list)
    date_column: dict[str, str | DateColumn] = Field(default_factory=dict)
    code_list: str | None = None
    # the code list a source's values are in, when its reference period does not say
    source_code_lists: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _shape(self) -> Variable:
        if len(set(self.priority)) != len(self.priority):
            raise ValueError("priority lists a source more than once")
        if self.rule == "priority":
            if not self.priority:
                raise ValueError("expected priority: [sources, best first] or rule: most_recent")
            if self.date_column:
                raise ValueError("date_column is only used with rule: most_recent")
        if self.rule == "most_recent" and not self.date_column:
            raise ValueError("rule most_recent needs date_column: {source: column}")
        if self.source_code_lists and not self.code_list:
            raise ValueError("source_code_lists needs code_list (the target classification)")
        return self

    def date_of(self, source: str) -> DateColumn | None:
        d = self.date_column.get(source)
        return DateColumn(column=d) if isinstance(d, str) else d


class Select(_Strict):
    """Which of several records of one source linked to the same unit supplies values."""
    rule: Literal["most_recent", "priority"]
    date_column: str | None = None
    format: str | None = None
    column: str | None = None
    order: list[str] | None = None  # rule priority: values of `column`, best first

    @model_validator(mode="after")
    def _shape(self) -> Select:
        if self.rule == "most_recent" and (not self.date_column or self.column or self.order):
            raise ValueError("rule most_recent takes date_column (and optional format)")
        if self.rule == "priority" and (not self.column or self.date_column or self.format):
            raise ValueError("rule priority takes column (lowest value first, or the "
                             "values listed in order)")
        return self


class IntegrateOptions(_Strict):
    flag_reference_duplicates: StrictBool = False
    select: dict[str, Select] = Field(default_factory=dict)


def carries(source: Any, variable: str) -> bool:
    """Does the source (a config.Source) map this variable?"""
    if variable in CANONICAL_VARIABLES:
        return variable in source.columns
    return variable in source.variables


def period_of(job: Any, source: str) -> tuple[dt.date, dt.date] | None:
    """The source's reference period (start, end): its reference_period, else its
    reference_date, else the job's reference_date; None when none is declared.
    `job` is a config.Job (or a view of one being validated: `.sources`, `.reference_date`)."""
    src = job.sources[source]
    rp = getattr(src, "reference_period", None)
    if rp is not None:
        return (rp, rp) if isinstance(rp, dt.date) else (rp.start, rp.end)
    ref_date = getattr(src, "reference_date", None) or job.reference_date
    return (ref_date, ref_date) if ref_date else None


def suppliers(data: dict) -> list[str]:
    """Sources that can supply values: the reference, then the linked sources."""
    ref, known = data["reference"], data["sources"]
    return [ref, *[s for s in data.get("links", {}) if s in known and s != ref]]


def participants(name: str, var: Variable, data: dict) -> list[str]:
    """The sources whose values a variable's rule considers, in tie-break order."""
    if var.rule == "priority":
        return list(var.priority)
    order = [s for s in suppliers(data) if carries(data["sources"][s], name)
             or name in (data.get("coding") or {}).get(s, {})]  # or codes it (coding:)
    return [*[s for s in var.priority if s in order], *[s for s in order if s not in var.priority]]


def check_integrate(integrate: dict[str, Variable], data: dict) -> dict[str, list[str]]:
    """Cross-checks against the sources: the problems of each faulty variable ("<variable>.
    <key>: what is wrong"), every source it names that is unknown, not linked or without
    the variable, else the first other one. Code lists: spinelink.integrate.codes."""
    problems = {}
    for name, var in integrate.items():
        try:
            _check_name(name, data)
            named = _named_sources(name, var, data)
            if named:
                problems[name] = named
                continue
            _check_sources(name, var, data)
        except ValueError as e:
            problems[name] = [str(e)]
    return problems


def _named_sources(name: str, var: Variable, data: dict) -> list[str]:
    """A problem per source the variable's keys name that cannot supply it."""
    known, supply = list(data["sources"]), suppliers(data)
    keys = [("priority", s) for s in var.priority]
    keys += [("date_column", s) for s in var.date_column]
    keys += [("source_code_lists", s) for s in var.source_code_lists]
    out = []
    for key, s in keys:
        if s not in known:
            out.append(f"{name}.{key}: unknown source '{s}'; expected one of "
                       f"{known}{did_you_mean(s, known)}")
        elif s not in supply:
            out.append(f"{name}.{key}: source '{s}' is neither the reference nor linked "
                       "to it (no links entry)")
        elif not carries(data["sources"][s], name) and \
                name not in (data.get("coding") or {}).get(s, {}):  # a coded variable
            where = ("columns" if name in CANONICAL_VARIABLES else
                     f"variables, or code it from free text under coding.{s}")
            held = [*data["sources"][s].variables, *(data.get("coding") or {}).get(s, {})]
            out.append(f"{name}.{key}: source '{s}' does not carry '{name}' "
                       f"(declare it in sources.{s}.{where}){did_you_mean(name, held)}")
    return out


def _check_name(name: str, data: dict) -> None:
    if not name.isidentifier() or "__" in name or name in RESERVED:
        raise ValueError(f"{name}: a variable name must be letters, digits and single "
                         f"underscores, and not one of {list(RESERVED)}")
    if name in NAME_FIELDS:
        raise ValueError(f"{name}: names are linkage fields, not integrated variables")
    for s, src in data["sources"].items():
        if name in CANONICAL_VARIABLES and name in src.variables:
            raise ValueError(f"{name}: is a canonical field; sources.{s} maps it in columns, "
                             "not in variables")


def _check_sources(name: str, var: Variable, data: dict) -> None:
    """The variable's other checks, once every source it names can supply it."""
    used = participants(name, var, data)
    if not used:
        raise ValueError(f"{name}: no source carries this variable")
    if var.rule == "most_recent":
        for s in used:
            if s not in var.date_column and period_of(data_job(data), s) is None:
                raise ValueError(f"{name}.date_column: source '{s}' has no date column and "
                                 "no reference_period to date its records")


def check_options(options: IntegrateOptions, data: dict) -> list[str]:
    """Cross-checks of `integrate_options` against the sources, one problem per fault."""
    problems = []
    for s in options.select:
        if s not in data["sources"]:
            problems.append(f"select.{s}: unknown source; expected one of "
                            f"{list(data['sources'])}{did_you_mean(s, data['sources'])}")
        elif s not in data.get("links", {}):
            problems.append(f"select.{s}: only a linked source can have several records "
                            "per unit")
    return problems


def data_job(data: dict) -> SimpleNamespace:
    """The parts of a job being validated that period_of needs (before the Job exists)."""
    return SimpleNamespace(sources=data["sources"], reference_date=data.get("reference_date"))
