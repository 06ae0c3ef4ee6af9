"""Reading a job file and validating it with every problem collected.

Pydantic reports every field error of one pass. An unknown key, or a bad value of an
optional scalar key, is then set aside and the job validated again, so that checks which
need the whole job (cross-references, the files it names) still run and a job with five
mistakes gets five problems, not one. What was set aside is reported, never used.
"""
from __future__ import annotations

import copy
import re
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError, create_model

from spinelink.errors import JobError
from spinelink.jobspec.problems import Problem, from_validation, is_scalar

ROUNDS = 5  # each round sets aside what the last one found
_MEANT = re.compile(r"did you mean '([^']+)'\? \(a required key, missing\)")


def read_job_file(path: Path) -> tuple[bytes, dict]:
    """The job file's bytes and its YAML mapping (JobError when it cannot be read)."""
    if not path.exists():
        raise JobError(f"{path}: job file does not exist")
    if path.is_dir():
        raise JobError(f"{path}: is a directory, expected a YAML job file")
    raw = path.read_bytes()
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except UnicodeDecodeError as e:  # Notepad's "ANSI" (cp1251, cp1252): named by line
        line = raw.count(b"\n", 0, e.start) + 1
        raise JobError(f"{path}: line {line}: job file is not valid UTF-8 (byte {e.start}); "
                       "save it as UTF-8") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "unknown line"
        tab = ("; the line has a tab: YAML indents with spaces"
               if "'\\t'" in str(getattr(e, "problem", "")) else "")
        raise JobError(f"{path}: not valid YAML at {where}{tab}") from None
    if not isinstance(data, dict):
        raise JobError(f"{path}: expected a mapping of keys at the top level")
    return raw, data


def validate(data: dict, model: type[BaseModel], file: str
             ) -> tuple[BaseModel | None, dict, list[Problem]]:
    """(the model, if the data validates once faults are set aside; the data with them set
    aside; every problem found)."""
    work = copy.deepcopy(data)
    problems: list[Problem] = []
    seen: set[str] = set()
    # keys set aside: a section they were in may then fail as a whole (a default that does
    # not fit the rest of it), which is not a second problem
    aside: set[str] = set()
    for _ in range(ROUNDS):
        try:
            return model.model_validate(work), work, problems
        except ValidationError as e:
            found = from_validation(e, file, model)
        progress = False
        earlier = set(seen)  # keys reported by an earlier round (and what is under them)
        for loc, problem, removable in found:
            key = problem.key or ""
            if key not in seen and not any(key.startswith(k + ".") for k in earlier) \
                    and not any(k.startswith(key + ".") for k in aside):
                problems.append(problem)  # one per key: a union's members fail together
            seen.add(key)
            seen |= _meant(problem)  # a misspelt required key: not also reported missing
            if removable and _remove(work, loc):
                progress = True
                aside.add(key)
        if not progress:
            break
    return None, work, problems


def _meant(problem: Problem) -> set[str]:
    """The required key an unknown key was reported as a misspelling of."""
    m = _MEANT.search(problem.message)
    if not m or not problem.key:
        return set()
    parent = problem.key.rpartition(".")[0]
    return {f"{parent}.{m.group(1)}" if parent else m.group(1)}


def _remove(data: Any, loc: tuple) -> bool:
    node = data
    for part in loc[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    if isinstance(node, dict) and loc and loc[-1] in node:
        del node[loc[-1]]
        return True
    return False


def sections(work: dict, model: type[BaseModel], key: str) -> dict[str, Any]:
    """Each entry of a `name -> model` section of the (set-aside) data that validates on
    its own: what the file checks can use when the job as a whole does not validate."""
    entries, aside = entry_parts(work, model, key)
    return {name: entry for name, entry in entries.items() if not aside[name]}


def entry_parts(work: dict, model: type[BaseModel], key: str
                ) -> tuple[dict[str, Any], dict[str, set[str]]]:
    """Each entry of a `name -> model` section that validates once its faulty scalar keys
    (a bad `role`, an `id` that is a list) are set aside, with the keys set aside (None
    in the entry); an entry with a fault anywhere else is left out."""
    raw = work.get(key)
    if not isinstance(raw, dict):
        return {}, {}
    ann = model.model_fields[key].annotation
    item = typing.get_args(ann)[-1]
    out, aside = {}, {}
    for name, value in raw.items():
        built = _entry(item, value)
        if built is not None:
            out[str(name)], aside[str(name)] = built
    return out, aside


def _entry(item: type[BaseModel], value: Any) -> tuple[BaseModel, set[str]] | None:
    try:
        return item.model_validate(value), set()
    except (ValidationError, TypeError, AttributeError) as e:
        errors = e.errors() if isinstance(e, ValidationError) else []
    if not errors or not isinstance(value, dict):
        return None
    bad = {err["loc"][0] if err["loc"] else None for err in errors}
    fields = item.model_fields
    if None in bad or not bad <= set(fields) or \
            not all(is_scalar(fields[f].annotation) for f in bad):
        return None  # a fault in a nested key or across keys: references to it are unsure
    lenient = create_model(item.__name__, __base__=item,
                           **{f: (Any, None) for f in bad})  # type: ignore[call-overload]
    try:
        return lenient.model_validate({k: v for k, v in value.items() if k not in bad}), bad
    except ValidationError:
        return None


def partial(work: dict, model: type[BaseModel], sectioned=("sources", "links"),
            dated=("reference_date", "integrate"), named=("coding",)) -> BaseModel | None:
    """The job as far as its keys validate one by one (a key that does not takes its
    default; `integrate` is left out when `reference_date` is bad, as its checks date
    records with it), for the cross-checks when the job as a whole does not validate.
    A source or link entry with a bad scalar key (a `role` not among the roles) takes
    part with that key set aside (None); None when an entry is invalid elsewhere (its
    columns, a nested section): checking references to it would report problems that
    are not there. A `named` section that does not validate keeps its source and variable
    names (the coded variables) for the cross-checks."""
    values: dict[str, Any] = {}
    bad: set[str] = set()
    unsure: set[str] = set()  # names of integrated variables that do not validate
    for key, field in model.model_fields.items():
        if key not in work:
            if field.is_required():
                bad.add(key)
            continue
        if key in sectioned:
            entries, _ = entry_parts(work, model, key)  # a bad role: references still check
            if not isinstance(work[key], dict) or len(entries) != len(work[key]):
                return None
            values[key] = entries
            continue
        try:
            values[key] = TypeAdapter(field.annotation).validate_python(work[key])
        except ValidationError:
            bad.add(key)
            raw = work[key]
            if key == dated[1] and isinstance(raw, dict):
                # the variables that validate alone are checked; one bad variable must
                # not make the others "not an integrated variable" to analysis:
                values[key], unsure = _valid_entries(field.annotation, raw)
            if key in named and isinstance(raw, dict) and \
                    all(isinstance(v, dict) for v in raw.values()):
                # only the names: the cross-checks ask which variables a source codes,
                # and one bad entry must not make every coded variable "not carried"
                values[key] = {s: dict.fromkeys(vs) for s, vs in raw.items()}
    if bad & {"reference", *sectioned}:
        return None
    if dated[0] in bad:
        values.pop(dated[1], None)
    if unsure and "analysis" in values:  # nor are they checked as names there
        a = values["analysis"]
        values["analysis"] = a.model_copy(update={"imputation": {
            v: imp for v, imp in a.imputation.items()
            if v not in unsure and imp.from_variable not in unsure}})
    return model.model_construct(**values)


def _valid_entries(ann, raw: dict) -> tuple[dict[str, Any], set[str]]:
    """The entries of a `name -> model` mapping that validate alone, and the names of the
    rest."""
    item = TypeAdapter(typing.get_args(ann)[-1])
    good, rest = {}, set()
    for name, value in raw.items():
        try:
            good[str(name)] = item.validate_python(value)
        except ValidationError:
            rest.add(str(name))
    return good, rest
