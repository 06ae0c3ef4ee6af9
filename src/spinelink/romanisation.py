"""Romanisation-neutral name keys (`first_name_rom`, `last_name_rom`, ...).

The same Ukrainian or Russian name reaches an office romanised by different systems
(Halyna / Galina, Hryhorii / Grigoriy, Yuliia / Iuliia / Julia, Shevchenko / Szewczenko)
or in Cyrillic, which the standardisation stage transliterates with the Ukrainian
national system. The romanisation key folds all of these to one skeleton: the rules of
`linkage_models/romanisation.csv` (columns `from`, `to`, `why`), applied in file order
to the comparison form of the name (lower-case ASCII after transliteration), each
replacing every occurrence of `from` by `to`.

Rule syntax: lower-case letters; `^` at the start of `from` anchors it to the start of a
word, `$` at the end to the end of a word (not both: then every rule acts within one
word, and the key of a word is the same alone or within a name); `{C}` stands for any
consonant and `{V}` for any vowel (one class per rule, used again in `to` for the same
letter), so `{C}yo,{C}e` is one rule per consonant (`byo` -> `be`, `dyo` -> `de`, ...).
`to` is one or more letters, so no rule deletes a word.

A rule may name a `scope` (optional column): `address` (the words of the address key,
`address_rom`) or `middle_name` (`middle_name_rom`); a rule without one acts on every
name and address. So a fold that is right for one field only stays there: the Russian
patronymic endings (Ivanovna / Ivanivna, Sergeevich / Serhiiovych) belong to middle
names (session 47: in every name, as session 46 tried, they moved the model's weights on
the Ukrainian test sets enough to fail a pinned interval; in middle names alone they do
not).

The rules run in the engine as the macros `sl_name_rom(s)` (the rules without a scope),
`sl_address_rom(s)` and `sl_middle_name_rom(s)` (those and the scope's, in file order):
a chain of `replace` calls over the name padded with a space on each side (the anchors
match that space), built from the validated table (letters only, so the literals cannot
break the SQL) and cut into helper macros `<macro>_<k>` of a few replacements each. A
scope without rules of its own is `sl_name_rom`. The stage applies them to distinct
names and words only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from spinelink import config
from spinelink.backends import Engine
from spinelink.errors import LinkageError
from spinelink.model_tables import read_table
from spinelink.sqlfiles import sql_file

CLASSES = {"C": "bcdfghklmnpqrstvz", "V": "aeiou"}
SCOPES = {"address": "sl_address_rom", "middle_name": "sl_middle_name_rom"}
CHUNK = 12  # replacements per helper macro
_FROM = re.compile(r"\^?(?:[a-z]|\{[CV]\})+\$?")
_TO = re.compile(r"(?:[a-z]|\{[CV]\})+")
_CLASS = re.compile(r"\{([CV])\}")


@dataclass(frozen=True)
class Rule:
    """One literal replacement over the padded name (a space marks each word edge)."""
    old: str
    new: str


def rules_file() -> Path:
    return config.MODELS_DIR / "romanisation.csv"


def read_rules(path: Path | None = None, scope: str | None = None) -> list[Rule]:
    """The rules of the table without a scope, and those of `scope` (a key of SCOPES)
    when given, validated and expanded to literal replacements, in file order."""
    path = Path(path or rules_file())
    df = read_table(path, "romanisation table", {"from", "to"})
    scopes = df["scope"] if "scope" in df.columns else [""] * len(df)
    rules: list[Rule] = []
    for i, (old, new, where) in enumerate(zip(df["from"], df["to"], scopes, strict=True)):
        line = i + 2  # line 1 is the header
        old, new, where = old.strip(), new.strip(), where.strip()
        if where and where not in SCOPES:
            raise LinkageError(f"{path}: line {line}, column scope: expected empty or one "
                                 f"of {', '.join(sorted(SCOPES))}")
        if where and where != scope:
            continue
        if not _FROM.fullmatch(old):
            raise LinkageError(f"{path}: line {line}, column from: expected lower-case "
                                 "letters, {C} or {V}, optionally ^ first and $ last")
        if not _TO.fullmatch(new):
            raise LinkageError(f"{path}: line {line}, column to: expected one or more "
                                 "lower-case letters, {C} or {V}")
        if old.startswith("^") and old.endswith("$"):
            raise LinkageError(f"{path}: line {line}, column from: anchor one end only "
                                 "(^ or $), so that every rule acts within one word")
        classes = set(_CLASS.findall(old))
        if len(_CLASS.findall(old)) > 1 or not set(_CLASS.findall(new)) <= classes:
            raise LinkageError(f"{path}: line {line}: at most one {{C}} or {{V}} in from, "
                                 "and to may only use the class that from uses")
        rules.extend(_expand(old, new, classes.pop() if classes else None))
    return rules


def _expand(old: str, new: str, cls: str | None) -> list[Rule]:
    start, end = old.startswith("^"), old.endswith("$")
    body = old.strip("^$")
    pre, post = (" " if start else ""), (" " if end else "")
    if cls is None:
        return [Rule(pre + body + post, pre + new + post)]
    token = "{" + cls + "}"
    return [Rule(pre + body.replace(token, c) + post, pre + new.replace(token, c) + post)
            for c in CLASSES[cls]]


def _replace_chain(rules: list[Rule], arg: str) -> str:
    expr = arg
    for r in rules:
        # read_rules admits only letters and spaces: the literals need no escaping
        assert re.fullmatch(r"[a-z ]+", r.old) and re.fullmatch(r"[a-z ]+", r.new)
        expr = f"replace({expr}, '{r.old}', '{r.new}')"
    return expr


def rom_macros(rules: list[Rule], name: str = "sl_name_rom") -> str:
    """SQL defining the macro `name`(s): the replacements over ' ' || s || ' ', trimmed,
    NULL when empty. The chain is cut into macros of CHUNK replacements each, so that no
    statement nests deeper than a SQL parser (sqlglot, for Spark) takes."""
    chunks = [rules[i:i + CHUNK] for i in range(0, len(rules), CHUNK)]
    out, call = [], "(' ' || s || ' ')"
    for k, chunk in enumerate(chunks):
        out.append(f"CREATE OR REPLACE TEMP MACRO {name}_{k}(s) AS "
                   f"{_replace_chain(chunk, 's')};")
        call = f"{name}_{k}({call})"
    out.append(f"CREATE OR REPLACE TEMP MACRO {name}(s) AS nullif(trim({call}), '');")
    return "\n".join(out)


def all_macros(path: Path | None = None) -> str:
    """SQL defining sl_name_rom and each scope's macro (SCOPES)."""
    base = read_rules(path)
    out = [rom_macros(base)]
    for scope, name in SCOPES.items():
        rules = read_rules(path, scope)
        out.append(rom_macros(rules, name) if rules != base else
                   f"CREATE OR REPLACE TEMP MACRO {name}(s) AS sl_name_rom(s);")
    return "\n".join(out)


def install(engine: Engine, path: Path | None = None) -> None:
    """Define the macros sl_name_rom(s) and the scopes' from the table (replaced on each
    call)."""
    engine.execute(install_sql(path))


def install_sql(path: Path | None = None) -> str:
    """The statements `install` runs."""
    return sql_file("standardise/romanisation.sql", macros=all_macros(path))


def apply(rules: list[Rule], name: str | None) -> str | None:
    """The key of one cleaned name in Python (the macro's result; for tools and checks)."""
    if name is None:
        return None
    s = f" {name} "
    for r in rules:
        s = s.replace(r.old, r.new)
    return s.strip() or None


def rom_by_word(engine: Engine, texts: pa.Array, table: str) -> pa.Array:
    """`sl_address_rom` of each of `texts` (no NULLs), worked out once per distinct word and
    registered as `table` on the way: every rule acts within one word (read_rules), so a
    text's key is its words' keys joined by the spaces between them, trimmed, NULL when
    empty, as the macro gives over the whole text. Many addresses share few words."""
    lists = pc.split_pattern(texts, " ")
    # the distinct words and each word's place among them, in one hash pass
    encoded = pc.dictionary_encode(pc.list_flatten(lists))
    engine.register(table, pa.table({"w": encoded.dictionary}))
    keys = engine.arrow(sql_file("standardise/word_rom.sql", words=table))
    at = pc.index_in(encoded.dictionary, value_set=keys.column("w").combine_chunks())
    rom = pc.fill_null(pc.take(pc.take(keys.column("rom").combine_chunks(), at),
                               encoded.indices), "")
    joined = pc.utf8_trim(pc.binary_join(pa.ListArray.from_arrays(lists.offsets, rom), " "),
                          " ")
    return pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), joined)
