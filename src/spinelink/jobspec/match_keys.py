"""Match-key cascades (`linkage_models/match_keys/*.yaml`, or a file the job names): the
typed schema, loaded with every problem reported at once."""
from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from spinelink.jobspec.problems import Problem, did_you_mean, from_validation, raise_problems
from spinelink.jobspec.yamltext import parse_yaml

KEY_FIELDS = {
    "first_name", "middle_name", "last_name", "first_name_canon", "first_initial",
    "last_name_p3", "first_name_mp", "last_name_mp", "first_name_ny", "last_name_ny",
    "dob_iso", "dob_year", "dob_month", "dob_day", "dob_swapped", "sex", "postcode",
    "postcode_sector", "postcode_district", "postcode_area", "address",
    "first_name_rom", "last_name_rom", "first_name_canon_rom",
}


class MatchKey(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    fields: list[str] = Field(min_length=1)
    source_fields: list[str] | None = None
    # fields that must not disagree when both records have them (e.g. sex, for a key that
    # opposite-sex twins share: first initial, surname, date of birth)
    not_disagree: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known(self) -> MatchKey:
        bad = [f for f in [*self.fields, *(self.source_fields or []), *self.not_disagree]
               if f not in KEY_FIELDS]
        if bad:
            hints = [did_you_mean(f, KEY_FIELDS) for f in bad]
            raise ValueError("; ".join(f"unknown field {f!r}{h}" for f, h in zip(bad, hints,
                                                                                 strict=True))
                             + ("" if all(hints) else f"; expected one of {sorted(KEY_FIELDS)}"))
        if self.source_fields is not None and len(self.source_fields) != len(self.fields):
            raise ValueError("source_fields must have as many fields as fields")
        return self


class MatchKeys(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    schema_version: int = Field(ge=1, le=1)
    name: str
    keys: list[MatchKey]


def match_key_problems(path: Path) -> tuple[MatchKeys | None, list[Problem]]:
    """The cascade at `path` and every problem with it."""
    if not path.is_file():
        return None, [Problem(str(path), None, "match-key file does not exist")]
    try:
        data = parse_yaml(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return None, [Problem(str(path), None, "not valid YAML")]
    try:
        return MatchKeys.model_validate(data), []
    except ValidationError as e:
        return None, [p for _, p, _ in from_validation(e, str(path), MatchKeys)]


def load_match_keys(path: Path) -> MatchKeys:
    keys, problems = match_key_problems(path)
    raise_problems(problems)
    assert keys is not None
    return keys
