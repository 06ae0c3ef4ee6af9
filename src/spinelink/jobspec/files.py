"""The files a job names, checked when it loads: match-key cascades, model files, code
lists and code maps; and, when asked, each source file's header (it exists, it can be
read, it has every column the job maps). Only the header is read, never a data row; a
missing column is reported with the columns the file has (and the closest of them).
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from spinelink.errors import IntakeError, SpinelinkError
from spinelink.jobspec import code_lists
from spinelink.jobspec.autospec import model_spec_problems
from spinelink.jobspec.match_keys import match_key_problems
from spinelink.jobspec.problems import INPUT, MODEL, Problem, did_you_mean, one_of, same_name
from spinelink.jobspec.splink_model import splink_model_problems
from spinelink.resources import data_dir

if TYPE_CHECKING:
    from spinelink.config import Link, Source

AUTO_SPEC = "person_auto.yaml"
HEADER_BYTES = 1 << 20  # a header longer than this is read by intake as usual
SEP_LINE_HINT = ("the first line is a spreadsheet's delimiter hint (sep=), not the header: "
                 "delete that line")


def starts_with_sep_line(header: list[str]) -> bool:
    """The file's first line is Excel's delimiter hint (`sep=;`, a line before the header),
    read as a header of one name and at most two blank (or intake's own) columns."""
    return bool(header) and re.fullmatch(r"sep=.?", header[0]) is not None and len(header) <= 3


def model_path(base_dir: Path, p: str) -> Path:
    """A model or match-key path: absolute, relative to the job, or under linkage_models/."""
    q = Path(p)
    if q.is_absolute():
        return q
    near = (base_dir / q).resolve()
    return near if near.exists() else data_dir("linkage_models") / p


def link_problems(job_file: str, base_dir: Path, links: dict[str, Link]) -> list[Problem]:
    """Match-key files and model files of every link (each file checked once)."""
    out: list[Problem] = []
    for name, link in links.items():
        mk = link.deterministic.match_keys
        if mk:
            path = model_path(base_dir, f"match_keys/{mk}.yaml" if mk == "default" else mk)
            _, found = match_key_problems(path)
            if found and not path.is_file():
                known = ["default", *(f.stem for f in
                                      (data_dir("linkage_models") / "match_keys").glob("*.yaml"))]
                found = [Problem(job_file, f"links.{name}.deterministic.match_keys",
                                 f"match-key file '{mk}' does not exist (looked next to the job "
                                 "file and in linkage_models/); expected 'default' or a YAML "
                                 f"file{did_you_mean(Path(mk).stem, known)}")]
            out += found
        prob = link.probabilistic
        if prob is None:
            continue
        if prob.model == "auto":
            out += model_spec_problems(model_path(base_dir, AUTO_SPEC))[1]
            continue
        path = model_path(base_dir, prob.model)
        if not path.is_file():
            out.append(Problem(job_file, f"links.{name}.probabilistic.model",
                               f"model file '{prob.model}' does not exist (looked next to the "
                               "job file and in linkage_models/); 'auto' or a Splink model "
                               f"JSON file{did_you_mean(prob.model, ['auto'])}", MODEL))
            continue
        out += splink_model_problems(path)
    return out


def source_problems(job_file: str, name: str, src: Source) -> list[Problem]:
    """Code lists and code maps of one source."""
    from spinelink import code_maps  # imports pyarrow.compute: only when checking

    out = []
    for col, lst in src.code_lists.items():
        try:
            code_lists.codes(lst)
        except (ValueError, SpinelinkError) as e:  # no such list; a list file unreadable
            out.append(Problem(job_file, f"sources.{name}.code_lists.{col}", str(e)))
    problem = code_maps.check_codes(src, code_lists.sex_codes())
    if problem:
        key, msg = problem.split(": ", 1)
        out.append(Problem(job_file, f"sources.{name}.{key}", msg))
    return out


def read_header(path: Path, src: Source) -> list[str]:
    """The column names of a source file, reading its header only (IntakeError, worded as
    intake words it, when the file or its header cannot be used)."""
    import pyarrow.parquet as pq

    from spinelink import parquet_reader, readers

    suffix = readers.source_suffix(path)
    try:
        if suffix in (".parquet", ".pq"):
            names: list[str] = []
            try:
                names = list(pq.read_schema(path).names)
                if len(set(names)) < len(names):
                    raise ValueError("a column name twice")
                return names
            except Exception as e:  # noqa: BLE001 - pyarrow raises several types
                raise IntakeError(parquet_reader.parquet_unreadable(path, names, e)) from None
        if suffix not in (".csv", ".txt", ".tsv", ".dat"):
            raise IntakeError(f"{path}: unknown file type '{suffix}', expected .csv or "
                              ".parquet")
        with path.open("rb") as f:
            raw = f.read(HEADER_BYTES)
    except PermissionError:
        raise IntakeError(f"{path}: cannot be read (permission denied)") from None
    if not raw.strip():
        raise IntakeError(f"{path}: file is empty (no header, no rows)")
    text = readers._decode(path, raw, src.encoding, [])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=src.delimiter, strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as e:
        if len(raw) == HEADER_BYTES:
            return []  # cut short here: intake reads the whole file
        raise IntakeError(f"{path}: line 1: header cannot be parsed ({e})") from None
    readers._check_header(path, header, src.encoding)
    return header


def input_problems(name: str, src: Source, path: Path) -> list[Problem]:
    """The source file exists, its header can be read, and it has every column the job
    maps for it (each missing column named with the job key that maps it)."""
    try:
        header = read_header(path, src)
    except IntakeError as e:
        msg = str(e).removeprefix(f"{path}: ")
        return [Problem(str(path), None, msg, INPUT)]
    if not header:
        return []
    keys = _column_keys(name, src)
    missing = [c for c in keys if c not in header]
    found = len(keys) - len(missing)
    as_utf8 = _header_as_utf8(header, src.encoding)
    utf8 = ("the header read as UTF-8 has the column(s): declare encoding: utf-8"
            if as_utf8 and any(c in as_utf8 for c in missing) else "")
    folded = {h.casefold() for h in header}
    if missing and not found and not any(c.casefold() in folded for c in missing):
        # not a header of this source: one problem, no names
        more = f" (and {len(missing) - 1} more: {one_of(missing[1:])})" if missing[1:] else ""
        hint = utf8 or (
            SEP_LINE_HINT if starts_with_sep_line(header)
            else f"the header has only {len(header)} column(s): is the delimiter right?"
            if len(header) <= 1 else "the file has none of the columns the job maps for "
            "this source: is this the right file, and does it start with a header row?")
        return [Problem(str(path), None, f"required column '{missing[0]}' is missing{more} "
                        f"({hint})", INPUT)]
    unnamed = (f"; column {header.index('') + 1} of the header has no name: is it this one?"
               if "" in header else "")
    # the unnamed column asked about unless the header holds the name itself (but for case
    # or look-alike letters); a merely close name (surname / forename) may not be the one
    return [Problem(str(path), None,
                    f"required column '{col}' is missing (job key {', '.join(keys[col])})"
                    f"{did_you_mean(col, header)}; the file's columns are: "
                    f"{one_of(header, limit=40, keep_order=True)}"
                    f"{'; ' + utf8 if utf8 and col in as_utf8 else ''}"
                    f"{'' if same_name(col, header) else unnamed}", INPUT)
            for col in missing]


def _header_as_utf8(header: list[str], encoding: str) -> list[str] | None:
    """The header's names as they read in UTF-8, for a header of non-ASCII names declared
    in another encoding (a UTF-8 file declared cp1251 reads 'імя' as 'С–РјСЏ'); None
    when the file is declared UTF-8 or its header bytes are not UTF-8."""
    if encoding.startswith("utf-8"):
        return None
    try:
        names = [h.encode(encoding).decode("utf-8") for h in header]
    except (UnicodeError, LookupError):
        return None
    return names if names != header else None


def _column_keys(name: str, src: Source) -> dict[str, list[str]]:
    """Each column of the file the job relies on -> the job keys that name it."""
    pre = f"sources.{name}"
    pairs = [(c, f"{pre}.id") for c in src.id_columns]
    pairs += [(c, f"{pre}.columns.{k}") for k, c in src.columns.items()]
    pairs += [(c, f"{pre}.identifiers.{k}") for k, c in src.identifiers.items()]
    pairs += [(c, f"{pre}.subgroups") for c in src.subgroups]
    pairs += [(c, f"{pre}.variables.{k}") for k, c in src.variables.items()]
    pairs += [(c, f"{pre}.code_lists") for c in src.code_lists]
    out: dict[str, list[str]] = {}
    for col, key in pairs:
        out.setdefault(col, [])
        if key not in out[col]:
            out[col].append(f"'{key}'")
    return out
