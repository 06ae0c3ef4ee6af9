"""Automatic coding of one answer against a classification, in order:

1. missing, empty after normalisation, or a "not stated" answer -> `not_stated` (code NS);
2. the normalised answer is a label of the classification -> `exact`; an alias, former or
   colloquial name, or an indexed title -> `alias`; an index entry marked vague ->
   `uncodable` (code VG). Texts of several codes resolve to the finest when the codes lie
   on one branch of the hierarchy (D and 35 -> 35), else go to clerical coding;
3. the most similar index text (other than a town's name or a country's name in a
   language other than English, Ukrainian and Russian) by Jaro-Winkler at or above
   the threshold, and ahead of the best text of any other code by the margin, or the
   only code with a text one typo (Damerau-Levenshtein; two from 9 characters) away
   -> `fuzzy`, score = the similarity;
   An answer of digits that is a code of the classification, or a finer code of it
   (ISCO 2341 -> sub-major group 23, NACE 85.20 -> division 85: the longest leading
   digits, two or more, that are a code) -> `alias` by method `code`;
4. index texts found inside a longer answer ("Україна, Львівська обл., м. Броди"), the
   longest ones, all on one branch of the hierarchy -> `fuzzy`, the finest code, score =
   share of the answer the texts cover;
5. anything else -> `clerical` (no code; the best candidates go to the clerical queue).
Every answer gets a status: nothing is dropped.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import jellyfish

from spinelink.coding.classification import NOT_STATED, VAGUE, Classification

MIN_FUZZY_LENGTH = 5        # shorter answers are coded exactly or not at all
MIN_CONTAINED_LENGTH = 4    # shortest index text looked for inside a longer answer
LONG_ANSWER = 9             # from this length two typos are allowed
LABEL_KINDS = {"label", "translation"}
# matched exactly or inside an answer, never fuzzily: a mistyped answer goes to clerical
# coding rather than to a town or a foreign-language name that looks alike
EXACT_ONLY_KINDS = {"city", "latin_city", "translation"}
WRITTEN_CODE = re.compile(r"\d{2,}(?: \d+)?")  # 2341, 85 20 (85.20 normalised)
MAX_CODE_DIGITS = 6         # a longer number is not a code of an answer (a phone, an id)


@dataclass(frozen=True)
class Coded:
    code: str | None
    level: str | None
    status: str
    score: float | None
    candidates: tuple[tuple[str, float], ...] = ()
    contained: bool = False     # fuzzy by texts found inside a longer answer
    note: str | None = None     # why a code was derived rather than coded from the text
    written: bool = False       # the answer was the code (or a finer one) itself

    @property
    def method(self) -> str:
        """How the code was found: the status, `code` for an answer that was a code, or
        `contained` for step 4."""
        return "code" if self.written else "contained" if self.contained else self.status


def _finest(c: Classification, codes: set[str]) -> str | None:
    """The one code of the set that every other code is an ancestor of, else None."""
    codes = set(codes)
    if len(codes) == 1:
        return next(iter(codes))
    for code in codes:
        if codes - {code} <= set(c.ancestors(code)):
            return code
    return None


def _result(c: Classification, code: str, status: str, score: float | None) -> Coded:
    if code == VAGUE:
        return Coded(VAGUE, "special", "uncodable", score)
    return Coded(code, c.level(code), status, score)


class Coder:
    def __init__(self, classification: Classification, threshold: float = 0.93,
                 margin: float = 0.03):
        self.c = classification
        self.threshold = threshold
        self.margin = margin
        self._keys = sorted(self.c.index)
        # town names and countries' names in other languages (tens of thousands) are
        # matched exactly or inside an answer, not fuzzily (EXACT_ONLY_KINDS)
        self._fuzzy_keys = [k for k in self._keys if any(
            kinds - EXACT_ONLY_KINDS for kinds in self.c.index[k].values())]
        self._cache: dict[str, Coded] = {}

    def code(self, text: str | None) -> Coded:
        if text is None or not str(text).strip():
            return Coded(NOT_STATED, "special", "not_stated", None)
        key = self.c.normalise(str(text))
        if key not in self._cache:
            self._cache[key] = self._code_key(key)
        return self._cache[key]

    def _code_key(self, key: str) -> Coded:
        c = self.c
        if not key or key in c.not_stated:
            return Coded(NOT_STATED, "special", "not_stated", None)
        hit = c.index.get(key)
        if hit:
            code = _finest(c, set(hit))
            if code is None:
                return Coded(None, None, "clerical", 1.0,
                             tuple((k, 1.0) for k in sorted(hit)))
            status = "exact" if hit[code] & LABEL_KINDS else "alias"
            return _result(c, code, status, 1.0)
        written = self._written_code(key)
        if written is not None:
            return written
        fuzzy = self._fuzzy(key)
        if fuzzy.status == "fuzzy":
            return fuzzy
        contained = self._contained(key)
        return contained if contained is not None else fuzzy

    def _written_code(self, key: str) -> Coded | None:
        """An answer that is a code of the classification, or a finer code below one (the
        classifications hold ISCO's and NACE's upper levels, whose codes lead the finer
        ones'): the longest leading digits, at least two, that are a code. None when the
        answer is not such a number."""
        if not WRITTEN_CODE.fullmatch(key):
            return None
        digits = key.replace(" ", "")
        if len(digits) > MAX_CODE_DIGITS:
            return None
        for n in range(len(digits), 1, -1):
            if digits[:n] in self.c.levels:
                got = _result(self.c, digits[:n], "alias", 1.0)
                return Coded(got.code, got.level, got.status, got.score, written=True)
        return None

    def _contained(self, key: str) -> Coded | None:
        padded = f" {key} "
        found = [(k, code) for k in self._keys if len(k) >= MIN_CONTAINED_LENGTH
                 and f" {k} " in padded for code in self.c.index[k]]
        if not found:
            return None
        spans = [k for k, _ in found]
        # keep texts not inside a longer text that was found too
        kept = [(k, code) for k, code in found
                if not any(k != o and f" {k} " in f" {o} " for o in spans)]
        codes = {code for _, code in kept}
        if VAGUE in codes and len(codes) > 1:
            codes.discard(VAGUE)
        code = _finest(self.c, codes)
        if code is None:
            return Coded(None, None, "clerical", None,
                         tuple((x, 0.0) for x in sorted(codes)))
        covered = sum(len(k) for k in dict.fromkeys(k for k, _ in kept))
        score = round(min(1.0, covered / len(key)), 4)
        if code == VAGUE:  # only vague words found: a human decides
            return Coded(None, None, "clerical", score, ((VAGUE, score),))
        got = _result(self.c, code, "fuzzy", score)
        return Coded(got.code, got.level, got.status, got.score, contained=True)

    def _fuzzy(self, key: str) -> Coded:
        best: dict[str, float] = {}
        near: set[str] = set()  # codes with a text one typo away (two for long answers)
        if len(key) >= MIN_FUZZY_LENGTH:
            slack = max(2, len(key) // 4)
            typos = 1 if len(key) < LONG_ANSWER else 2
            for k in self._fuzzy_keys:
                if abs(len(k) - len(key)) > slack:
                    continue
                s = jellyfish.jaro_winkler_similarity(key, k)
                close = jellyfish.damerau_levenshtein_distance(key, k) <= typos
                for code in self.c.index[k]:
                    if s > best.get(code, 0.0):
                        best[code] = s
                    if close:
                        near.add(code)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        cands = tuple((k, round(v, 4)) for k, v in ranked)
        if not ranked:
            return Coded(None, None, "clerical", None)
        code, score = ranked[0]
        others = [k for k, _ in ranked[1:] if not self._related(code, k)]
        runner = best[others[0]] if others else 0.0
        similar = score >= self.threshold and score - runner >= self.margin
        one_typo = code in near and not any(k in near for k in best
                                            if k != code and not self._related(code, k))
        if similar or one_typo:  # a vague text mistyped is still vague (uncodable)
            return _result(self.c, code, "fuzzy", round(score, 4))
        return Coded(None, None, "clerical", round(score, 4), cands)

    def _related(self, a: str, b: str) -> bool:
        return a in self.c.ancestors(b) or b in self.c.ancestors(a)

    def rank(self, text: str | None, n: int = 9) -> list[tuple[str, float]]:
        """The `n` codes whose index texts are most like the answer (Jaro-Winkler, texts
        found inside the answer first): the neighbours a person picks from."""
        key = self.c.normalise(str(text or ""))
        if not key:
            return []
        best: dict[str, float] = {}
        padded = f" {key} "
        for k, codes in self.c.index.items():
            s = 1.0 if f" {k} " in padded else jellyfish.jaro_winkler_similarity(key, k)
            for code in codes:
                if code != VAGUE and s > best.get(code, 0.0):
                    best[code] = s
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
        return [(k, round(v, 4)) for k, v in ranked]
