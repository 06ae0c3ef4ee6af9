"""The job file's `coding:`, `edit_rules:` and `control_totals:` sections (pydantic models)
and their checks against the sources, run when the job loads.

```yaml
coding:
  survey:
    birthplace: {text: place_of_birth, classification: territory}
    activity: {text: employer_activity, classification: activity, derive_from: occupation}
edit_rules:
  survey:
    - {id: E1, when: "employment_status = 'self_employed'",
       require: "workplace_type <> 'enterprise'", action: flag}
control_totals:
  survey: {path: inventory.csv, by: batch}     # columns: <by>, expected
```
Errors name the key (rule id, variable) and never echo a value.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

CLASSIFICATIONS = ("territory", "language", "occupation", "activity")
# standardised columns derived from identifying fields start so (spinelink.model_fields)
LINKAGE_PREFIXES = ("first_name", "first_initial", "middle_name", "last_name", "dob", "sex",
                    "postcode", "address", "raw_", "record_id")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CodingVariable(_Strict):
    text: str                                   # the source column holding the answer
    classification: Literal["territory", "language", "occupation", "activity"]
    derive_from: str | None = None              # activity from occupation (lookup table)
    threshold: float = Field(default=0.93, ge=0.5, le=1)  # fuzzy: lowest Jaro-Winkler
    margin: float = Field(default=0.03, ge=0, le=0.5)     # fuzzy: lead over the next code


class EditRule(_Strict):
    id: str
    when: str = "TRUE"
    require: str
    action: Literal["flag", "set_missing", "quarantine"] = "flag"
    # set_missing: the columns to blank (default: the columns `require` names)
    columns: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not v.replace("_", "").replace("-", "").isalnum():
            raise ValueError("a rule id is letters, digits, '-' and '_'")
        return v

    @field_validator("when", "require")
    @classmethod
    def _expression(cls, v: str, info) -> str:
        from spinelink.coding.expressions import check_expression

        check_expression(v)  # raises ValueError with the reason
        return v


class CodingOptions(_Strict):
    """Verification of automatic coding by sample (spinelink.coding.verify)."""
    verify_share: float = Field(default=0.25, ge=0, le=1)
    batch_size: int = Field(default=50, ge=1)
    error_threshold: float = Field(default=0.01, gt=0, le=1)
    decisions: str | None = None  # CSV: source, record_id, variable, code (verified)
    clerical: str | None = None   # CSV: source, record_id, variable, code (clerical coding)


class ControlTotals(_Strict):
    path: str                                   # CSV: <by>, expected
    by: str | None = None                       # a column of the source; none: one total


def check_coding(coding: dict[str, dict[str, CodingVariable]], data: dict) -> None:
    sources = data.get("sources")
    if sources is None:
        return
    for s, variables in coding.items():
        if s not in sources:
            raise ValueError(f"{s}: no source of that name")
        src = sources[s]
        taken = {*src.variables, *src.identifiers, *src.subgroups}
        for name, var in variables.items():
            if not name.isidentifier() or name.startswith(("var_", "id_", "_")):
                raise ValueError(f"{s}.{name}: a coded variable name is letters, digits and "
                                 "underscores, not starting with var_, id_ or _")
            if name.startswith(LINKAGE_PREFIXES):
                raise ValueError(f"{s}.{name}: a coded variable name must not start like a "
                                 f"linkage column ({', '.join(LINKAGE_PREFIXES)})")
            if name in taken or name in src.columns:
                raise ValueError(f"{s}.{name}: already a variable, identifier, subgroup or "
                                 "canonical field of this source; choose another name")
            if var.derive_from is not None:
                other = variables.get(var.derive_from)
                if other is None:
                    raise ValueError(f"{s}.{name}.derive_from: '{var.derive_from}' is not a "
                                     "coded variable of this source")
                if (var.classification, other.classification) != ("activity", "occupation"):
                    raise ValueError(f"{s}.{name}.derive_from: only an activity can be "
                                     "derived, from an occupation")


def check_section(section: str, mapping: dict, data: dict) -> None:
    """Cross-checks of one section against the sources (raises ValueError naming the key)."""
    sources = data.get("sources")
    if sources is None:
        return
    if section == "coding":
        check_coding(mapping, data)
        return
    for s in mapping:
        if s not in sources and not (section == "edit_rules" and s == "integrated"):
            raise ValueError(f"{s}: no source of that name")
    if section == "edit_rules":
        _check_integrated(mapping.get("integrated", []), data)
        for s, rules in mapping.items():
            ids = [r.id for r in rules]
            dup = sorted({i for i in ids if ids.count(i) > 1})
            if dup:
                raise ValueError(f"{s}: rule id(s) {dup} used more than once")


def _check_integrated(rules: list, data: dict) -> None:
    """Rules on the integrated output: flag or set_missing, over its columns."""
    if not rules:
        return
    known = {"reference_id", "unit_status", "duplicate_of"}
    for v in data.get("integrate") or {}:
        known |= {v, f"{v}__source", f"{v}__status"}
    ref = data.get("reference")
    for s in data.get("links") or {}:
        if s != ref:
            known |= {f"{s}__{x}" for x in ("id", "method", "n_records", "selected_by")}
    from spinelink.coding.expressions import columns

    for i, rule in enumerate(rules):
        if rule.action == "quarantine":
            raise ValueError(f"integrated.{i} (rule {rule.id}): the integrated output has "
                             "units, not records to quarantine: use flag or set_missing")
        for col in [*columns(rule.when), *columns(rule.require), *rule.columns]:
            if col not in known:
                raise ValueError(f"integrated.{i} (rule {rule.id}): column '{col}' is not a "
                                 "column of integrated.parquet (reference_id, unit_status, "
                                 "the integrated variables with __source and __status)")


def input_problems(job_file: str, job, base_dir) -> list:
    """With the sources' headers (`load_job(..., inputs=True)`): every column the coding,
    edit rules and control totals name is in its source file. One Problem per column,
    naming the key (and the rule id); a header that cannot be read is reported by the
    source checks, not here."""
    from pathlib import Path

    from spinelink.coding.expressions import columns
    from spinelink.errors import IntakeError
    from spinelink.jobspec.files import read_header
    from spinelink.jobspec.problems import Problem, did_you_mean

    out = []
    names = {*job.coding, *job.edit_rules, *job.control_totals}
    for name in sorted(n for n in names if n in job.sources):
        src = job.sources[name]
        p = Path(src.path)
        try:
            header = read_header(p if p.is_absolute() else Path(base_dir) / p, src)
        except IntakeError:
            continue
        if not header:
            continue
        wanted = [(v.text, f"coding.{name}.{var}.text", "")
                  for var, v in job.coding.get(name, {}).items()]
        for i, rule in enumerate(job.edit_rules.get(name, [])):
            used = [*columns(rule.when), *columns(rule.require), *rule.columns]
            wanted += [(c, f"edit_rules.{name}.{i}", f"rule {rule.id}: ")
                       for c in dict.fromkeys(used)]
        ct = job.control_totals.get(name)
        if ct is not None and ct.by:
            wanted.append((ct.by, f"control_totals.{name}.by", ""))
        for col, key, what in wanted:
            if col not in header:
                out.append(Problem(job_file, key, f"{what}column '{col}' is not in source "
                                   f"{name}'s file{did_you_mean(col, header)}"))
    return out


def classification_problems(job) -> list:
    """The files of every classification the job's coding uses (and, when an activity
    is derived, occupation_to_activity.csv) checked when the job loads: a duplicate code,
    a bad row or a code the index names but the code file lacks is a problem naming the
    file, line and field (exit 4), before any data is read."""
    from spinelink.coding import classification as cls
    from spinelink.errors import SpinelinkError
    from spinelink.jobspec.problems import MODEL, Problem

    used = {v.classification for vs in job.coding.values() for v in vs.values()}
    out = []
    for name in sorted(used):
        out += cls.classification_problems(name, str(cls.DIR))
    if any(v.derive_from for vs in job.coding.values() for v in vs.values()):
        try:
            cls.derivations(str(cls.DIR))
        except SpinelinkError as e:
            out += getattr(e, "problems", [Problem(str(cls.DIR), None, str(e), MODEL)])
    return out


def decisions_problems(job_file: str, job, base_dir) -> list:
    """The job's coding decision files (`coding_options.clerical`, `.decisions`) read and
    checked as the coding stage reads them (spinelink.coding.decisions, with
    spinelink.filled_in), when the job loads: a missing or unreadable file, or bad rows,
    are job problems naming the file (a file that cannot be read: under its key), row
    and field (never a value), before any linkage work. At most filled_in.SHOWN rows per
    file are listed, then how many more."""
    from pathlib import Path

    from spinelink import filled_in
    from spinelink.coding import decisions as dec
    from spinelink.errors import JobError
    from spinelink.jobspec.problems import Problem

    known = {s: {v: x.classification for v, x in vs.items()} for s, vs in job.coding.items()}
    out = []
    for key, kind in (("clerical", "clerical"), ("decisions", "verify")):
        given = getattr(job.coding_options, key)
        if not given:
            continue
        path = (Path(given) if Path(given).is_absolute() else Path(base_dir) / given).resolve()

        def problem(text: str, path=path) -> Problem:  # the file's own line, as the stage's
            return Problem(str(path), None, text.removeprefix(f"{path}: "))

        try:
            _, problems = dec.checked_csv(path, kind, "job", known)
        except JobError as e:  # missing, unreadable, no CSV, a column missing
            out.append(Problem(job_file, f"coding_options.{key}", str(e)))
            continue
        more = len(problems) - filled_in.SHOWN
        out += [problem(p) for p in problems[:filled_in.SHOWN]]
        if more > 0:
            out.append(Problem(str(path), None, f"... and {more} more problems"))
    return out
