"""The schema of the dialect-free person model (`linkage_models/person_auto.yaml`, used by
`model: auto`): comparisons with typed levels, blocking rules, training settings.
`spinelink.model_spec` turns it into Splink settings; this module imports no Splink."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    Tag,
    ValidationError,
)

from spinelink.jobspec.problems import Problem, from_validation, raise_problems
from spinelink.jobspec.yamltext import parse_yaml


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# boolean standardised columns a model level may depend on (`present:`)
FLAG_COLUMNS = ("first_name_cyrillic",)


class _Level(_M):
    label: str | None = None
    # a boolean standardised column (FLAG_COLUMNS): the level is used only when some
    # record of the reference or the source has it true (a level for names written in
    # Cyrillic is not in a model of two English files); any other name is a problem
    # naming the file and key, not a level silently left out
    present: Literal[FLAG_COLUMNS] | None = None

    @property
    def column(self) -> str:
        """The level's first column (or SQL): what a comparison's null level tests."""
        return getattr(self, self.kind)

    @property
    def kind(self) -> str:
        return next(k for k in type(self).model_fields if k in LEVEL_KINDS)


class ExactLevel(_Level):
    exact: str
    tf: StrictBool = False  # term-frequency adjustment on this column


class JaroWinklerLevel(_Level):
    jaro_winkler: str
    threshold: float = Field(gt=0, le=1)


class DamerauLevenshteinLevel(_Level):
    damerau_levenshtein: str
    distance: int = Field(ge=1)


class ColumnsReversedLevel(_Level):
    columns_reversed: str
    other: str


class DateWithinLevel(_Level):
    date_within: str
    days: int = Field(gt=0)


class CustomLevel(_Level):
    custom: str  # SQL on <column>_l / <column>_r
    tf: str | None = None  # adjust for how common this column's value is


LEVEL_KINDS = {"exact": ExactLevel, "jaro_winkler": JaroWinklerLevel,
               "damerau_levenshtein": DamerauLevenshteinLevel,
               "columns_reversed": ColumnsReversedLevel, "date_within": DateWithinLevel,
               "custom": CustomLevel}


def _level_kind(v: Any) -> str | None:
    if isinstance(v, _Level):
        return v.kind
    if isinstance(v, dict):
        kinds = [k for k in LEVEL_KINDS if k in v]
        return kinds[0] if len(kinds) == 1 else None
    return None


Level = Annotated[
    Annotated[ExactLevel, Tag("exact")] | Annotated[JaroWinklerLevel, Tag("jaro_winkler")]
    | Annotated[DamerauLevenshteinLevel, Tag("damerau_levenshtein")]
    | Annotated[ColumnsReversedLevel, Tag("columns_reversed")]
    | Annotated[DateWithinLevel, Tag("date_within")] | Annotated[CustomLevel, Tag("custom")],
    Discriminator(_level_kind, custom_error_type="level_kind",
                  custom_error_message="a level is a mapping with exactly one of the keys "
                                       + ", ".join(LEVEL_KINDS))]


class ComparisonSpec(_M):
    name: str
    group: str | None = None  # of the comparisons in one group, the first available is used
    # the column whose absence makes the null level (default: the first level's)
    null_column: str | None = None
    # a condition (on `<column>_l` / `_r`) under which a pair missing the null column is
    # compared all the same: the location's address when the postcode is missing
    null_unless: str | None = None
    requires: list[str]
    levels: list[Level] = Field(min_length=1)


class BlockingSQL(_M):
    sql: str


class CappedBlock(_M):
    """Equal on all `columns`, only where the combination occurs at most `max_block` times
    on the reference side (see capped_keys.add_capped_keys)."""
    columns: list[str] = Field(min_length=1)
    max_block: int = Field(gt=0)
    # the quality stage's never-compared design reads the rule as its plain columns (no
    # capped-key bit): for a rule capped only to bound its pairs in large populations, so
    # that where the cap stops no record the design is the plain rule's (benchmarks/
    # RESULTS.md, sessions 31 hA and 43 hB)
    read_plain: StrictBool = False
    # the never-compared design's Chao1 (recapture_fallback) does not count the rule among
    # the rules that caught a match: a rule for the records the others cannot reach fires
    # on nearly every match another rule caught, which turns single catches into double
    # ones and collapses f1^2 / 2 f2; the matches it alone caught come off that figure
    # (benchmarks/RESULTS.md, sessions 41 hA and 44 hC)
    chao1: StrictBool = True


def _rule_kind(v: Any) -> str | None:
    if isinstance(v, list | BlockingSQL | CappedBlock):
        return {list: "columns", BlockingSQL: "sql", CappedBlock: "capped"}[type(v)]
    if isinstance(v, dict):
        kinds = [k for k, key in (("sql", "sql"), ("capped", "columns")) if key in v]
        return kinds[0] if len(kinds) == 1 else None
    return None


# a rule's kind read from its shape, so that a fault in one is reported once, by its own
# model (not also as every other kind's mismatch)
Rule = Annotated[
    Annotated[list[str], Tag("columns")] | Annotated[BlockingSQL, Tag("sql")]
    | Annotated[CappedBlock, Tag("capped")],
    Discriminator(_rule_kind, custom_error_type="rule_kind",
                  custom_error_message="a blocking rule is a list of columns, {sql: ...} or "
                                       "{columns: [...], max_block: N}")]


class TrainingSpec(_M):
    # candidate EM sessions in order of preference; those on fields both sides populate
    # are used until every comparison has been estimated by at least one of them
    em_blocking: list[list[str]] = Field(min_length=1)
    max_pairs_em: float = 3e5  # pairs a session samples when its rule makes more
    min_pairs_em: int = Field(default=200, ge=1)  # a session seeing fewer pairs is skipped
    max_session_pairs: float = Field(default=5e7, gt=0)  # and one with more
    # least share of true matches at a comparison's "else" level (see training.py)
    min_m_disagree: float = Field(default=0.01, ge=0, lt=1)
    prior_rules: list[list[str]] = Field(default_factory=list)
    prior_recall: float = Field(default=0.7, gt=0, le=1)


class IdentifierSpec(_M):
    """One comparison per identifier both sides carry (`id_<name>`); `{col}` in a level
    stands for the identifier's column."""
    levels: list[Level] = Field(min_length=1)


class ModelSpec(_M):
    schema_version: int = Field(ge=1, le=1)
    name: str
    comparisons: list[ComparisonSpec]
    identifiers: IdentifierSpec | None = None
    blocking: list[Rule] = Field(min_length=1)
    training: TrainingSpec


def model_spec_problems(path: Path) -> tuple[ModelSpec | None, list[Problem]]:
    if not path.is_file():
        return None, [Problem(str(path), None, "model specification does not exist")]
    try:
        data = parse_yaml(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return None, [Problem(str(path), None, "not valid YAML")]
    try:
        return ModelSpec.model_validate(data), []
    except ValidationError as e:
        return None, [p for _, p, _ in from_validation(e, str(path), ModelSpec)]


def load_model_spec(path: Path) -> ModelSpec:
    spec, problems = model_spec_problems(path)
    raise_problems(problems)
    assert spec is not None
    return spec
