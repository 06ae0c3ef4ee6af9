"""The dialect-free person model in linkage_models/*.yaml, turned into Splink 5 settings."""
from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from spinelink.errors import JobError
from spinelink.jobspec.autospec import (  # noqa: F401 - the schema, re-exported
    BlockingSQL,
    CappedBlock,
    ColumnsReversedLevel,
    ComparisonSpec,
    CustomLevel,
    DamerauLevenshteinLevel,
    DateWithinLevel,
    ExactLevel,
    IdentifierSpec,
    JaroWinklerLevel,
    Level,
    ModelSpec,
    Rule,
    TrainingSpec,
    load_model_spec,
)
from spinelink.model_fields import Fields, sql_columns
from spinelink.splink_import import splink_ready
from spinelink.sqlfiles import expand_similarity, jaro_winkler_at_least

if TYPE_CHECKING:
    from splink import SettingsCreator


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


def capped_keys_used(model: dict | None) -> set[str]:
    """The capped-key columns (`model: auto`'s frequency-capped blocks, `capped_column`)
    a saved Splink model's prediction rules block on."""
    import json
    import re

    rules = (model or {}).get("blocking_rules_to_generate_predictions") or []
    return set(re.findall(r"blk_capped_\d+", json.dumps(rules)))


def blocking_rule(i: int, rule: Rule):
    from splink import block_on
    from splink.blocking_rule_library import CustomRule

    if isinstance(rule, BlockingSQL):
        return CustomRule(rule.sql, sql_dialect="duckdb")
    if isinstance(rule, CappedBlock):
        return block_on(capped_column(i))
    return block_on(*rule)


@cache
def _bounded_damerau_levenshtein() -> type:
    """Splink's Damerau-Levenshtein level class, bounded (made when Splink is first
    needed: nothing imports Splink at module level, spinelink.splink_import)."""
    splink_ready()
    import splink.comparison_level_library as cll

    class _BoundedDamerauLevenshtein(cll.DamerauLevenshteinLevel):
        """Splink's Damerau-Levenshtein level, its distance computed only for pairs whose
        Levenshtein distance is at most twice the threshold (a transposition is two
        Levenshtein edits, every other edit one, so no pair within the threshold is left out,
        and the level holds exactly the pairs Splink's does, NULL where Splink's is NULL).
        DuckDB's `damerau_levenshtein` costs about five times its `levenshtein`: at a million
        persons the date-of-birth and identifier levels were 20 s of prediction's 30 (issue
        16); most pairs a date of birth or identifier tells apart differ by more than two
        characters. At distance 1 on DuckDB (the spec's levels), Hamming distance first
        (`_within_one_edit`): no distance at all for most pairs."""

        def create_sql(self, sql_dialect) -> str:
            col = self.col_expression
            col.sql_dialect = sql_dialect
            if self.distance_threshold == 1 and sql_dialect.sql_dialect_str == "duckdb":
                return _within_one_edit(col.name_l, col.name_r)
            bound = (f"{sql_dialect.levenshtein_function_name}({col.name_l}, {col.name_r}) "
                     f"<= {2 * self.distance_threshold}")
            return f"{bound} AND {super().create_sql(sql_dialect)}"

    return _BoundedDamerauLevenshtein


def _within_one_edit(left: str, right: str) -> str:
    """DuckDB SQL true where the Damerau-Levenshtein distance of `left` and `right` is at
    most 1, false where it is more, NULL where either is NULL: one substitution (equal
    lengths, Hamming distance 1), one adjacent transposition (equal lengths, Hamming
    distance 2: Damerau-Levenshtein computed for those alone), or one insertion or
    deletion (lengths one apart, Levenshtein 1). DuckDB's `length`, `hamming`,
    `levenshtein` and `damerau_levenshtein` all count code points, so these are the pairs
    `damerau_levenshtein(l, r) <= 1` holds for. Each CASE branch runs on the rows its
    condition selects: `hamming`, which fails on strings of different lengths, only where
    the lengths agree. The bound by Levenshtein (`levenshtein <= 2 AND
    damerau_levenshtein <= 1`) computed Levenshtein for every pair whose date of birth or
    identifier differs: 2.3 s of the 5.4 s of one thread the 1M prediction's comparisons
    took (benchmarks/RESULTS.md, session 32)."""
    same = f"length({left}) = length({right})"
    near = f"abs(length({left}) - length({right})) = 1"
    ham = f"hamming({left}, {right})"
    return (f"CASE WHEN {same} THEN CASE WHEN {ham} <= 1 THEN true WHEN {ham} = 2 THEN "
            f"damerau_levenshtein({left}, {right}) <= 1 ELSE false END WHEN {near} THEN "
            f"levenshtein({left}, {right}) <= 1 WHEN {left} IS NOT NULL AND {right} IS NOT NULL "
            "THEN false END")


def _level(level: Level):
    """The Splink comparison level of a typed model level."""
    splink_ready()
    import splink.comparison_level_library as cll

    if isinstance(level, ExactLevel):
        return cll.ExactMatchLevel(level.exact, term_frequency_adjustments=level.tf)
    if isinstance(level, JaroWinklerLevel):
        # inclusive as written (sqlfiles.jaro_winkler_at_least); the label is Splink's own
        col, t = level.jaro_winkler, level.threshold
        return cll.CustomLevel(jaro_winkler_at_least(f'"{col}_l"', f'"{col}_r"', t),
                               f"Jaro-Winkler distance of {col} >= {t}",
                               base_dialect_str="duckdb")
    if isinstance(level, DamerauLevenshteinLevel):
        return _bounded_damerau_levenshtein()(level.damerau_levenshtein, level.distance)
    if isinstance(level, ColumnsReversedLevel):
        return cll.ColumnsReversedLevel(level.columns_reversed, level.other, symmetrical=True)
    if isinstance(level, DateWithinLevel):
        return cll.AbsoluteDateDifferenceLevel(level.date_within, input_is_string=False,
                                               threshold=level.days, metric="day")
    if isinstance(level, CustomLevel):
        custom = cll.CustomLevel(expand_similarity(level.custom), level.label,
                                 base_dialect_str="duckdb")
        if not level.tf:
            return custom
        # `tf: <column>`: adjust the level for how common that column's value is, from the
        # level's own u (Splink otherwise looks for an exact level on that column)
        return custom.configure(tf_adjustment_column=level.tf,
                                disable_tf_exact_match_detection=True)
    raise JobError(f"unknown comparison level kind {type(level).__name__}")


def _null_level(col: str, unless: str | None):
    """The null level: `col` missing on a side, unless the condition `unless` holds (then
    the pair goes on to the comparison's other levels)."""
    import splink.comparison_level_library as cll

    if not unless:
        return cll.NullLevel(col)
    return cll.CustomLevel(f"({col}_l IS NULL OR {col}_r IS NULL) AND NOT "
                           f"coalesce(({expand_similarity(unless)}), false)", f"{col} missing",
                           base_dialect_str="duckdb").configure(is_null_level=True)


def _for_column(level: Level, col: str) -> Level:
    """An identifier level with `{col}` standing for the identifier's column."""
    return level.model_copy(update={k: v.replace("{col}", col) for k, v in level
                                    if isinstance(v, str)})


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
    splink_ready()
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    by_name = {c.name: c for c in spec.comparisons}
    out = []
    for name, _ in chosen_comparisons(spec, fields):
        if name.startswith("id_") and name not in by_name:
            assert spec.identifiers is not None
            lv = [_for_column(x, name) for x in spec.identifiers.levels]
            levels = [cll.NullLevel(name), *(_level(x) for x in lv), cll.ElseLevel()]
        else:
            c = by_name[name]
            first_col = c.null_column or c.levels[0].column
            levels = [_null_level(first_col, c.null_unless),
                      *(_level(x) for x in c.levels
                        if x.present is None or x.present in fields.present),
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
    from splink import SettingsCreator

    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="record_id",
        comparisons=comps,
        blocking_rules_to_generate_predictions=rules,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
