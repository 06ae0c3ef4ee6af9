"""Classifications (`linkage_models/classifications/`): codes, an index of texts, and the
normalisation answers and index texts share.

Each classification is two CSV files: `<name>.csv` (code, level, parent, label_en,
label_uk, label_ru, source) and `<name>_index.csv` (code, lang, kind, text; kind `label`,
`alias`, `former`, `colloquial`, `title`, `city`, `translation` (a country's name in a
language other than English, Ukrainian and Russian) or `vague`, the last coded `VG`; the
coder matches a `city` or `translation` text exactly, never fuzzily), and where a
build script made one from a maintained source, `<name>_titles.csv` (same columns: the
activity's ISIC Rev. 4 titles, `build_activity`). `not_stated.csv`
lists answers that mean "not stated" (all classifications); `normalise.csv` lists
abbreviations written out, and words dropped at the start or end of an answer per
classification; `versions.yaml` gives each classification's version and source.
"""
from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from spinelink.jobspec.problems import MODEL, Problem, raise_problems
from spinelink.resources import data_dir

DIR = data_dir("linkage_models") / "classifications"
NOT_STATED, VAGUE = "NS", "VG"
_APOSTROPHES = "'ʼ’‘`´ʹ′"
_NON_WORD = re.compile(r"[^\w]+")
_CYRILLIC = re.compile(r"[а-яіїєґ]")
# Latin letters typed for their Cyrillic look-alikes in a Cyrillic word (Львiв, Iдиш)
_HOMOGLYPHS = str.maketrans("aceiopxykmt", "асеіорхукмт")


def base_normalise(text: str) -> str:
    """Case, compatibility forms, apostrophes (dropped), ё, punctuation to spaces, Latin
    look-alike letters in a Cyrillic word."""
    s = unicodedata.normalize("NFKC", text).lower().replace("ё", "е")
    for a in _APOSTROPHES:
        s = s.replace(a, "")
    words = _NON_WORD.sub(" ", s).replace("_", " ").split()
    return " ".join(w.translate(_HOMOGLYPHS) if _CYRILLIC.search(w) else w for w in words)


# Latin letters for answers typed without Cyrillic: Ukrainian by the national system
# (KMU 2010; є ї й ю я as ye yi y yu ya at the start of a word), Russian by BGN/PCGN
_UK = {"а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie",
       "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l",
       "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
       "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "",
       "ю": "iu", "я": "ia"}
_UK_START = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}
_RU = {**_UK, "г": "g", "е": "e", "и": "i", "й": "y", "х": "kh", "ы": "y", "э": "e",
       "ъ": "", "ю": "yu", "я": "ya"}


def latin(text: str, lang: str) -> str:
    """A normalised Cyrillic text in Latin letters (Ukrainian or Russian system)."""
    table = _UK if lang == "uk" else _RU
    out = []
    for word in text.split():
        chars = [(_UK_START.get(ch) if lang == "uk" and i == 0 else None) or table.get(ch, ch)
                 for i, ch in enumerate(word)]
        out.append("".join(chars))
    return " ".join(out)


@dataclass
class Normaliser:
    abbreviations: list[tuple[str, str]]
    prefixes: list[str]
    suffixes: list[str]

    def __call__(self, text: str) -> str:
        s = f" {base_normalise(text)} "
        for short, full in self.abbreviations:
            s = s.replace(f" {short} ", f" {full} ")
        s = s.strip()
        changed = True
        while changed:
            changed = False
            for p in self.prefixes:
                if s.startswith(p + " ") and len(s) > len(p) + 1:
                    s, changed = s[len(p) + 1:], True
            for q in self.suffixes:
                if s.endswith(" " + q) and len(s) > len(q) + 1:
                    s, changed = s[:-len(q) - 1], True
        return s


@dataclass
class Classification:
    name: str
    version: str
    levels: dict[str, str]                      # code -> level
    parents: dict[str, str]                     # code -> parent code
    labels: dict[str, str]                      # code -> English label
    normalise: Normaliser
    index: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # text -> code -> kinds
    not_stated: set[str] = field(default_factory=set)

    def ancestors(self, code: str) -> list[str]:
        out = []
        while code in self.parents and self.parents[code]:
            code = self.parents[code]
            out.append(code)
        return out

    def level(self, code: str) -> str:
        if code in (NOT_STATED, VAGUE):
            return "special"
        return self.levels.get(code, "")


# the columns each file must have
_COLUMNS = {"codes": ("code", "level", "parent", "label_en", "label_uk", "label_ru"),
            "index": ("code", "lang", "kind", "text"),
            "normalise": ("classification", "kind", "text", "replacement"),
            "not_stated": ("lang", "text"),
            "derivations": ("occupation", "activity", "dominant")}


def _checked_rows(path: Path, kind: str, problems: list[Problem]) -> list[tuple[int, dict]]:
    """The rows of a classification file with the line each starts on (the header is
    line 1); a missing or unreadable file, a column missing, a row with too few or too
    many cells, or a required cell left empty is a problem naming the file, line and
    field (exit 4, as any other table under linkage_models/ that cannot be used)."""
    def bad(text: str) -> None:
        problems.append(Problem(str(path), None, text, MODEL))

    if not path.is_file():
        bad("classification file is missing")
        return []
    try:
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            rows, start = [], reader.line_num + 1
            for cells in reader:
                rows.append((start, cells))
                start = reader.line_num + 1
    except (UnicodeDecodeError, csv.Error) as e:
        bad(f"not a readable UTF-8 CSV file ({type(e).__name__})")
        return []
    if not header:
        bad("empty file: expected a header row")
        return []
    missing = [c for c in _COLUMNS[kind] if c not in header]
    if missing:
        bad(f"column(s) {', '.join(repr(c) for c in missing)} missing; the header has "
            f"{', '.join(header)}")
        return []
    out = []
    required = [c for c in _COLUMNS[kind] if c not in ("parent", "replacement", "label_uk",
                                                         "label_ru")]
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue  # a blank line
        if len(cells) != len(header):
            bad(f"row {line}: {len(cells)} cells, expected {len(header)} ({', '.join(header)})")
            continue
        row = dict(zip(header, cells, strict=True))
        empty = [c for c in required if not row[c].strip()]
        if empty:
            bad(f"row {line}, field '{empty[0]}': empty")
            continue
        out.append((line, row))
    return out


def classification_problems(name: str, folder: str = str(DIR)) -> list[Problem]:
    """Every problem with classification `name`'s files under `folder`: its code file
    (columns, cells, a code twice, a parent that is not a code), its index and titles
    (a code not in the code file), `normalise.csv`, `not_stated.csv`, and for `activity`
    `occupation_to_activity.csv`. Each names the file, the line and the field."""
    problems: list[Problem] = []
    _load_checked(name, folder, problems)
    return problems


def _load_checked(name: str, folder: str, problems: list[Problem]) -> dict:
    base = Path(folder)
    code_file = base / f"{name}.csv"
    codes: dict[str, tuple[int, dict]] = {}
    for line, r in _checked_rows(code_file, "codes", problems):
        code = r["code"].strip()
        if code in codes:
            problems.append(Problem(str(code_file), None, f"row {line}, field 'code': code "
                                    f"'{code}' is already on row {codes[code][0]}", MODEL))
            continue
        codes[code] = (line, r)
    for line, r in codes.values():
        parent = r["parent"].strip()
        if parent and parent not in codes:
            problems.append(Problem(str(code_file), None, f"row {line}, field 'parent': "
                                    f"'{parent}' is not a code of {name}.csv", MODEL))
    index: list[tuple[str, str, str, str]] = []
    built = base / f"{name}_titles.csv"  # titles from a maintained source, where built
    for path in (base / f"{name}_index.csv", *([built] if built.exists() else [])):
        for line, r in _checked_rows(path, "index", problems):
            code = r["code"].strip()
            if code not in codes and code != VAGUE:
                problems.append(Problem(str(path), None, f"row {line}, field 'code': "
                                        f"'{code}' is not a code of {name}.csv", MODEL))
                continue
            index.append((code, r["kind"].strip(), r["text"], r["lang"].strip()))
    rules = [r for _, r in _checked_rows(base / "normalise.csv", "normalise", problems)
             if r["classification"] in ("*", name)]
    not_stated = [r for _, r in _checked_rows(base / "not_stated.csv", "not_stated",
                                              problems)]
    return {"codes": {c: r for c, (_, r) in codes.items()}, "index": index,
            "rules": rules, "not_stated": not_stated}


@lru_cache(maxsize=None)
def versions(folder: str = str(DIR)) -> dict:
    with open(Path(folder) / "versions.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


@lru_cache(maxsize=None)
def load(name: str, folder: str = str(DIR)) -> Classification:
    base = Path(folder)
    problems: list[Problem] = []
    files = _load_checked(name, folder, problems)
    raise_problems(problems)
    codes = [dict(r, code=code, parent=r["parent"].strip(), level=r["level"].strip())
             for code, r in files["codes"].items()]
    rules = files["rules"]
    norm = Normaliser(
        [(base_normalise(r["text"]), base_normalise(r["replacement"]))
         for r in rules if r["kind"] == "abbreviation"],
        [base_normalise(r["text"]) for r in rules if r["kind"] == "prefix"],
        [base_normalise(r["text"]) for r in rules if r["kind"] == "suffix"])
    meta = versions(str(base)).get(name, {})
    c = Classification(name, str(meta.get("version", "")),
                       {r["code"]: r["level"] for r in codes},
                       {r["code"]: r["parent"] for r in codes if r["parent"]},
                       {r["code"]: r["label_en"] for r in codes}, norm)
    entries = [(r["code"], "label", r[f"label_{lang}"], lang) for r in codes
               for lang in ("en", "uk", "ru") if r[f"label_{lang}"]]
    entries += files["index"]
    for code, kind, text, _lang in entries:
        key = norm(text)
        if key:
            c.index.setdefault(key, {}).setdefault(code, set()).add(kind)
    # the Ukrainian and Russian texts typed in Latin letters (where no other text has it)
    latin_index: dict[str, dict[str, set[str]]] = {}
    for code, kind, text, lang in entries:
        if lang in ("uk", "ru"):
            key = norm(latin(base_normalise(text), lang))
            if key and not _CYRILLIC.search(key):  # a town's, like the town's: exactly
                latin_index.setdefault(key, {}).setdefault(code, set()).add(
                    "latin_city" if kind == "city" else "latin")
    for key, by_code in latin_index.items():
        have = c.index.setdefault(key, by_code)
        if have is not by_code and set(by_code) == set(have):  # the same code's text:
            for code in have:  # "ukraina" is also Ukraine's Estonian name, matched
                have[code] = have[code] | by_code[code]  # fuzzily as its transliteration
    c.not_stated = {base_normalise(r["text"]) for r in files["not_stated"]}
    return c


@lru_cache(maxsize=None)
def derivations(folder: str = str(DIR)) -> dict[str, tuple[str, bool]]:
    """Occupation code -> (activity code, dominant) (occupation_to_activity.csv).
    `dominant`: one activity employs most people of the occupation, so the lookup may
    replace a stated answer that could not be coded, not only a missing one."""
    path = Path(folder) / "occupation_to_activity.csv"
    problems: list[Problem] = []
    out = {}
    for line, r in _checked_rows(path, "derivations", problems):
        if r["dominant"] not in ("yes", "no"):
            problems.append(Problem(str(path), None, f"row {line}, field 'dominant': "
                                    f"expected yes or no, got {r['dominant']!r}", MODEL))
            continue
        out[r["occupation"].strip()] = (r["activity"].strip(), r["dominant"] == "yes")
    raise_problems(problems)
    return out
