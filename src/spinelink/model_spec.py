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
from spinelink.model_fields import Fields, sql_columns


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


def rule_columns(rule: Rule) -> list[str]:
    if isinstance(rule, BlockingSQL):
        return sql_columns(rule.sql)
    if isinstance(rule, CappedBlock):
        return list(rule.columns)
    return list(rule)


def rule_label(rule: Rule) -> str:
    if isinstance(rule, BlockingSQL):
        return rule.sql
    if isinstance(rule, CappedBlock):
        return f"{' & '.join(rule.columns)} (blocks up to {rule.max_block})"
    return " & ".join(rule)


def usable_rules(rules: list[Rule], fields: Fields) -> list[tuple[int, Rule]]:
    """The rules (with their position in the spec) whose every column derives from a field
    both sides populate."""
    out = []
    for i, r in enumerate(rules):
        if fields.blockable(rule_columns(r)):
            out.append((i, r))
    return out


def identifier_rules(fields: Fields) -> list[list[str]]:
    """One equality rule per identifier both sides populate."""
    return [[f] for f in sorted(fields.block) if f.startswith("id_")]


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
    # candidate EM sessions in order of preference; those on fields both sides populate
    # are used until every comparison has been estimated by at least one of them
    em_blocking: list[list[str]] = Field(min_length=1)
    max_pairs_em: float = 2e6
    min_pairs_em: int = Field(default=200, ge=1)  # a session seeing fewer pairs is skipped
    max_session_pairs: float = Field(default=5e7, gt=0)  # and one with more
    # least share of true matches at a comparison's "else" level (see training.py)
    min_m_disagree: float = Field(default=0.01, ge=0, lt=1)
    prior_rules: list[list[str]] = Field(default_factory=list)
    prior_recall: float = Field(default=0.7, gt=0, le=1)


class IdentifierSpec(_M):
    """One comparison per identifier both sides carry (`id_<name>`); `{col}` in a level
    stands for the identifier's column."""
    levels: list[dict[str, Any]] = Field(min_length=1)


class ModelSpec(_M):
    schema_version: int = Field(ge=1, le=1)
    name: str
    comparisons: list[ComparisonSpec]
    identifiers: IdentifierSpec | None = None
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
        level = cll.CustomLevel(spec["custom"], spec.get("label"), base_dialect_str="duckdb")
        if not spec.get("tf"):
            return level
        # `tf: <column>`: adjust the level for how common that column's value is, from the
        # level's own u (Splink otherwise looks for an exact level on that column)
        return level.configure(tf_adjustment_column=spec["tf"],
                               disable_tf_exact_match_detection=True)
    raise JobError(f"unknown comparison level kind in {sorted(spec)}")


def chosen_comparisons(spec: ModelSpec, fields: Fields) -> list[tuple[str, list[str]]]:
    """(name, fields it reads) of each comparison the model uses for these fields."""
    out, groups_used = [], set()
    for c in spec.comparisons:
        if not set(c.requires) <= fields.compare or c.group in groups_used:
            continue
        if c.group:
            groups_used.add(c.group)
        out.append((c.name, list(c.requires)))
    if spec.identifiers is not None:
        out += [(f, [f]) for f in sorted(fields.compare) if f.startswith("id_")]
    return out


def comparisons_for(spec: ModelSpec, fields: Fields) -> list:
    """Splink comparisons whose required fields both sides populate."""
    by_name = {c.name: c for c in spec.comparisons}
    out = []
    for name, _ in chosen_comparisons(spec, fields):
        if name.startswith("id_") and name not in by_name:
            assert spec.identifiers is not None
            lv = [{k: (v.replace("{col}", name) if isinstance(v, str) else v)
                   for k, v in x.items()} for x in spec.identifiers.levels]
            levels = [cll.NullLevel(name), *(_level(x) for x in lv), cll.ElseLevel()]
        else:
            c = by_name[name]
            first_col = c.null_column or next(v for k, v in c.levels[0].items()
                                              if k not in ("tf", "label"))
            levels = [cll.NullLevel(first_col), *(_level(x) for x in c.levels),
                      cll.ElseLevel()]
        out.append(cl.CustomComparison(levels, output_column_name=name))
    return out


def prediction_rules(spec: ModelSpec, fields: Fields) -> list:
    """Splink blocking rules for prediction: the spec's rules on populated fields, then one
    per shared identifier."""
    from splink import block_on

    rules = [blocking_rule(i, r) for i, r in usable_rules(spec.blocking, fields)]
    rules += [block_on(*r) for r in identifier_rules(fields)]
    return rules


def settings_for(spec: ModelSpec, fields: Fields) -> SettingsCreator:
    comps = comparisons_for(spec, fields)
    if len(comps) < 2:
        raise JobError("too few fields in common between the reference and the source for a "
                       "probabilistic model (need at least two of names, date of birth, sex, "
                       "postcode, address or an identifier, populated on at least "
                       "10% of the records on each side); "
                       f"populated shares (reference, source): {fields.summary()['populated']}")
    rules = prediction_rules(spec, fields)
    if not rules:
        raise JobError("no blocking rule of the model can be used: the fields both sides "
                       "populate on at least half their records are "
                       f"{sorted(fields.block) or 'none'}")
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="record_id",
        comparisons=comps,
        blocking_rules_to_generate_predictions=rules,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
