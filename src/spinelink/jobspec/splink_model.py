"""A saved Splink model (`probabilistic: {model: file.json}`), checked when the job loads:
valid JSON, comparisons, and levels with a SQL condition and probabilities in [0, 1].
Splink's other settings pass through unchecked (extra keys are allowed)."""
from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from spinelink.jobspec.problems import MODEL, Problem, from_validation


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class SplinkLevel(_Open):
    sql_condition: str
    label_for_charts: str | None = None
    is_null_level: StrictBool = False
    m_probability: float | None = Field(default=None, ge=0, le=1)
    u_probability: float | None = Field(default=None, ge=0, le=1)
    tf_adjustment_column: str | None = None
    tf_adjustment_weight: float | None = Field(default=None, ge=0, le=1)


class SplinkComparison(_Open):
    output_column_name: str
    comparison_levels: list[SplinkLevel] = Field(min_length=2)


class SplinkModel(_Open):
    comparisons: list[SplinkComparison] = Field(min_length=1)
    probability_two_random_records_match: float | None = Field(default=None, gt=0, le=1)


def splink_model_problems(path: Path) -> list[Problem]:
    """Every problem with the model file at `path` (exit 4, as when linkage reads it)."""
    if not path.is_file():
        return [Problem(str(path), None, "model file does not exist", MODEL)]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return [Problem(str(path), None, "not valid UTF-8", MODEL)]
    except json.JSONDecodeError as e:
        return [Problem(str(path), None, f"not valid JSON (line {e.lineno})", MODEL)]
    if not isinstance(data, dict) or "comparisons" not in data:
        return [Problem(str(path), None, "not a Splink model (no 'comparisons' key)", MODEL)]
    try:
        SplinkModel.model_validate(data)
    except ValidationError as e:
        return [Problem(p.file, p.key, p.message, MODEL)
                for _, p, _ in from_validation(e, str(path), SplinkModel)]
    return []
