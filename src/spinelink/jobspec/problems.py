"""Problems found in a job and the files it refers to, reported all at once.

A problem names the file, the key (a dotted path) and what was expected; an unknown key
gets a "did you mean" when a known key is close. Messages never echo a value from a data
file (it may be personal data); a value of the job file's own keys is named only where it
is itself a name (a source, a column, a code list).
"""
from __future__ import annotations

import difflib
import re
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Tag, ValidationError

from spinelink.errors import IntakeError, JobError, LinkageError, SpinelinkError

JOB, INPUT, MODEL = 2, 3, 4  # exit codes: job file, unusable source, linkage model


@dataclass(frozen=True)
class Problem:
    file: str
    key: str | None
    message: str
    exit_code: int = JOB

    def line(self) -> str:
        key = f"key '{self.key}': " if self.key else ""
        return f"{self.file}: {key}{self.message}"


class _Problems:
    problems: list[Problem]


class JobProblems(_Problems, JobError):
    """Problems in the job file (or in several kinds of file at once): exit 2."""


class InputProblems(_Problems, IntakeError):
    """Only source files are at fault (missing, unreadable header, missing columns): exit 3."""


class ModelProblems(_Problems, LinkageError):
    """Only linkage model files are at fault: exit 4."""


def error_for(problems: list[Problem]) -> SpinelinkError:
    """One error listing every problem, one per line (a count first when there are
    several); its exit code is the problems' own when they all share one, else 2."""
    problems = list(dict.fromkeys(problems))
    codes = {p.exit_code for p in problems}
    cls = {INPUT: InputProblems, MODEL: ModelProblems}.get(codes.pop(), JobProblems) \
        if len(codes) == 1 else JobProblems
    lines = [p.line() for p in problems]
    if len(lines) > 1:
        files = list(dict.fromkeys(p.file for p in problems))
        lines.insert(0, f"{files[0]}: {len(lines)} problems"
                        + (f" (in {len(files)} files)" if len(files) > 1 else ""))
    err = cls("\n".join(lines))
    err.problems = problems
    return err


def raise_problems(problems: list[Problem]) -> None:
    if problems:
        raise error_for(problems) from None


def did_you_mean(word: str, known, prefix: str = "; ") -> str:
    """A close known name: one equal but for case first (a header in capitals: "ID" for
    "id", which difflib alone does not find close), else difflib's closest."""
    folded = [str(k) for k in known if str(k).casefold() == str(word).casefold()]
    close = folded or difflib.get_close_matches(str(word), [str(k) for k in known], n=1,
                                                cutoff=0.6)
    return f"{prefix}did you mean '{close[0]}'?{_look_alike(str(word), close[0])}" \
        if close else ""


# Latin letters and the Cyrillic letters drawn alike (a job typed on another keyboard
# layout than the file's header: Iндекс with a Latin I for Індекс)
_LATIN, _CYRILLIC = "aceiopxyABCEHIKMOPTXY", "асеіорхуАВСЕНІКМОРТХУ"
_AS_LATIN = str.maketrans(_CYRILLIC, _LATIN)


def same_name(word: str, known) -> bool:
    """Is `word` one of `known` but for letter case or letters drawn alike from two scripts
    (the name meant beyond doubt, where a merely close name may not be)."""
    return any(str(k).casefold() == str(word).casefold()
               or (len(str(k)) == len(str(word))
                   and str(k).translate(_AS_LATIN) == str(word).translate(_AS_LATIN))
               for k in known)


def _look_alike(word: str, close: str) -> str:
    """Where `word` and `close` look the same (letters drawn alike from two scripts), which
    letter differs: a "did you mean" naming a name that looks identical says nothing."""
    if word == close or len(word) != len(close) or \
            word.translate(_AS_LATIN) != close.translate(_AS_LATIN):
        return ""
    i = next(i for i, (a, b) in enumerate(zip(word, close, strict=True)) if a != b)
    script = {True: "Latin", False: "Cyrillic"}
    return (f" (they look alike: letter {i + 1} is a {script[word[i].isascii()]} "
            f"'{word[i]}' in the job, a {script[close[i].isascii()]} '{close[i]}' in the "
            "name meant)")


def one_of(known, limit: int = 30, keep_order: bool = False) -> str:
    names = [str(k) for k in known] if keep_order else sorted(str(k) for k in known)
    more = f", ... ({len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


# ---- pydantic errors -------------------------------------------------------------------

_TAG = re.compile(r"^(function-\w+\[.*\]|[a-z_]+\[.*\]|int|float|str|bool|date|datetime|"
                  r"list|dict|none|null)$")


def _members(ann) -> list:
    """The types a (possibly Annotated, Optional or union) annotation allows."""
    return [a for a, _ in _tagged(ann)]


def _tagged(ann) -> list[tuple[Any, str | None]]:
    """(type, the name pydantic puts in an error's loc for it) of each union member."""
    if typing.get_origin(ann) is typing.Annotated:
        inner, *meta = typing.get_args(ann)
        tag = next((m.tag for m in meta if isinstance(m, Tag)), None)
        return [(a, tag or t) for a, t in _tagged(inner)]
    if typing.get_origin(ann) in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(ann) if a is not type(None) for m in _tagged(a)]
    return [(ann, getattr(ann, "__name__", None))]


def _as_model(ann) -> type[BaseModel] | None:
    for a in _members(ann):
        if isinstance(a, type) and issubclass(a, BaseModel):
            return a
    return None


def _strip(loc: tuple, root: type[BaseModel]) -> tuple[tuple, type[BaseModel] | None]:
    """The loc without pydantic's union tags, and the model holding its last element."""
    ann: Any = root
    out: list = []
    holder: type[BaseModel] | None = root
    for part in loc:
        members = _members(ann)
        tagged = [a for a, tag in _tagged(ann) if tag == part]
        if tagged and len(members) > 1:
            ann = tagged[0]
            continue
        if isinstance(part, str) and (part.startswith("function-")
                                      or (len(members) > 1 and _TAG.match(part))):
            continue
        out.append(part)
        model = _as_model(ann)
        if model is not None and isinstance(part, str):
            holder = model
            field = model.model_fields.get(part)
            ann = field.annotation if field else None
            continue
        holder = None
        container = next((a for a in members if typing.get_origin(a) in (dict, list)), None)
        ann = typing.get_args(container)[-1] if container is not None else None
    return tuple(out), holder


def _dotted(loc: tuple) -> str:
    return ".".join(str(x) for x in loc)


def from_validation(e: ValidationError, file: str, root: type[BaseModel],
                    prefix: tuple = ()) -> list[tuple[tuple, Problem, bool]]:
    """Each error of `e` as (its key path, the problem, whether the key can be set aside
    and the rest still checked: an unknown key, or a bad scalar with a default)."""
    out = []
    meant: set[tuple] = set()  # required keys an unknown key is a misspelling of
    errors = e.errors()
    missing = {_strip(tuple(x["loc"]), root)[0] for x in errors if x["type"] == "missing"}
    for err in errors:
        loc, holder = _strip(tuple(err["loc"]), root)
        msg = err["msg"].removeprefix("Value error, ")
        kind = err["type"]
        removable = False
        if kind == "extra_forbidden":
            known = _model_fields(root, tuple(err["loc"])[:-1])
            close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
            msg = "unknown key" + did_you_mean(loc[-1], known)
            if close and (*loc[:-1], close[0]) in missing:
                meant.add((*loc[:-1], close[0]))
                msg += " (a required key, missing)"
            elif not close and known:
                msg += f"; expected one of: {one_of(known)}"
            removable = True  # an unknown key means nothing: the rest is checked without it
        elif kind == "missing":
            msg = "required key is missing"
        elif holder is not None and loc and isinstance(loc[-1], str):
            field = holder.model_fields.get(loc[-1])
            removable = bool(field and not field.is_required() and is_scalar(field.annotation))
        if kind.startswith(("date_", "datetime_")):  # pydantic's reading of a non-date
            msg = "expected a date written YYYY-MM-DD (e.g. 2021-03-21)"
        elif kind in ("bool_type", "bool_parsing"):  # StrictBool: a YAML boolean only
            msg = ("expected true or false, unquoted: a quoted word ('yes', 'no', 'true') or "
                   "a number is not a boolean")
        elif kind == "model_type":  # not the class name: a job file has no classes
            msg = re.sub(r" or instance of \w+$", " (key: value lines)", msg)
        elif kind == "string_type" and len(loc) == 4 and loc[::2] == ("sources", "columns") \
                and isinstance(err.get("input"), list):  # an address in parts, as delivered
            msg = ("one column a field (a list is not read: join the parts, e.g. street "
                   "number and name, into one column of the file first)")
        out.append((loc, Problem(file, _dotted(prefix + loc) or "(top level)", msg), removable))
    return [o for o in out if o[0] not in meant or not o[1].message.startswith("required")]


def _model_fields(root: type[BaseModel], loc: tuple) -> list[str]:
    """The keys the model at `loc` accepts (empty when `loc` is not a model)."""
    stripped, _ = _strip(loc, root)
    ann: Any = root
    for part in stripped:
        model = _as_model(ann)
        if model is not None and isinstance(part, str) and part in model.model_fields:
            ann = model.model_fields[part].annotation
            continue
        container = next((a for a in _members(ann) if typing.get_origin(a) in (dict, list)),
                         None)
        if container is None:
            return []
        ann = typing.get_args(container)[-1]
    model = _as_model(ann)
    return list(model.model_fields) if model else []


def is_scalar(ann) -> bool:
    return all(typing.get_origin(a) not in (dict, list) and _as_model(a) is None
               for a in _members(ann))

