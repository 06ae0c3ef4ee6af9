"""The dialect-free person model in linkage_models/*.yaml, turned into Splink 5 settings."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from splink import SettingsCreator

from spinelink.errors import JobError


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ComparisonSpec(_M):
    name: str
    group: str | None = None  # of the comparisons in one group, the first available is used
    # the column whose absence makes the null level (default: the first level's)
    null_column: str | None = None
    requires: list[str]
    levels: list[dict[str, Any]] = Field(min_length=1)


class BlockingSQL(_M):
    sql: str


class CappedBlock(_M):
    """Equal on all `columns`, only where the combination occurs at most `max_block` times
    on the reference side (see probabilistic.add_capped_keys)."""
    columns: list[str] = Field(min_length=1)
    max_block: int = Field(gt=0)


Rule = list[str] | BlockingSQL | CappedBlock


def capped_column(i: int) -> str:
    return f"blk_capped_{i}"


def blocking_rule(i: int, rule: Rule):
    from splink import block_on
    from splink.blocking_rule_library import CustomRule

    if isinstance(rule, BlockingSQL):
        return CustomRule(rule.sql, sql_dialect="duckdb")
    if isinstance(rule, CappedBlock):
        return block_on(capped_column(i))
    return block_on(*rule)


class TrainingSpec(_M):
    em_blocking: list[list[str]] = Field(min_length=1)
    max_pairs_em: float = 2e6
    prior_rules: list[list[str]] = Field(default_factory=list)
    prior_recall: float = Field(default=0.7, gt=0, le=1)


class ModelSpec(_M):
    schema_version: int = Field(ge=1, le=1)
    name: str
    comparisons: list[ComparisonSpec]
    blocking: list[Rule] = Field(min_length=1)
    training: TrainingSpec


def load_model_spec(path: Path) -> ModelSpec:
    try:
        return ModelSpec.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise JobError(f"{path}: model specification does not exist") from None
    except ValidationError as e:
        err = e.errors()[0]
        raise JobError(f"{path}: key '{'.'.join(map(str, err['loc']))}': {err['msg']}") from None


def _level(spec: dict[str, Any]):
    if "exact" in spec:
        return cll.ExactMatchLevel(spec["exact"], term_frequency_adjustments=spec.get("tf", False))
    if "jaro_winkler" in spec:
        return cll.JaroWinklerLevel(spec["jaro_winkler"], spec["threshold"])
    if "damerau_levenshtein" in spec:
        return cll.DamerauLevenshteinLevel(spec["damerau_levenshtein"], spec["distance"])
    if "columns_reversed" in spec:
        return cll.ColumnsReversedLevel(spec["columns_reversed"], spec["other"],
                                        symmetrical=True)
    if "date_within" in spec:
        return cll.AbsoluteDateDifferenceLevel(spec["date_within"], input_is_string=False,
                                               threshold=spec["days"], metric="day")
    if "custom" in spec:
        return cll.CustomLevel(spec["custom"], spec.get("label"), base_dialect_str="duckdb")
    raise JobError(f"unknown comparison level kind in {sorted(spec)}")


def comparisons_for(spec: ModelSpec, available: set[str]) -> list:
    """Splink comparisons whose required canonical fields both sides have."""
    out, groups_used = [], set()
    for c in spec.comparisons:
        if not set(c.requires) <= available or c.group in groups_used:
            continue
        if c.group:
            groups_used.add(c.group)
        first_col = c.null_column or next(v for k, v in c.levels[0].items()
                                          if k not in ("tf", "label"))
        levels = [cll.NullLevel(first_col), *(_level(x) for x in c.levels), cll.ElseLevel()]
        out.append(cl.CustomComparison(levels, output_column_name=c.name))
    return out


def settings_for(spec: ModelSpec, available: set[str]) -> SettingsCreator:
    comps = comparisons_for(spec, available)
    if len(comps) < 2:
        raise JobError("too few fields in common between the reference and the source for a "
                       "probabilistic model (need at least two of names, date of birth, sex, "
                       "postcode, address)")
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="record_id",
        comparisons=comps,
        blocking_rules_to_generate_predictions=[blocking_rule(i, r)
                                                for i, r in enumerate(spec.blocking)],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
