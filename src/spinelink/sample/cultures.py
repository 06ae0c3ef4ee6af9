"""Name cultures of the synthetic population and their group-specific behaviour.

A culture is finer than a locale (South Asian Muslim, Hindu and Sikh names are kept
apart so that a person's forename, surname and ethnic group agree); `locale` is what the
truth file reports. Rates here are multipliers and coverage probabilities used by
`people`, `noise` and `writers`.

Names come from `data/<key>.forenames.csv` and `data/<key>.surnames.csv` (built from
real per-country rank lists by `build_names`) unless the culture lists curated names
(`male`, `female`, `surnames`: no rank list exists for them). `spellings` groups the
romanisations of one name (`A/B/C`) for the `spellings` kind.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import names_en as en
from . import names_eu as eu
from . import names_world as world


@dataclass(frozen=True)
class Culture:
    key: str
    locale: str
    share: float
    kind: str  # english | plain | spellings | ukrainian | diacritics
    ethnic: dict[str, float]
    middle_rate: float
    migrant: bool  # younger age profile
    noise: float  # multiplier on typo and missing-value rates in admin and survey
    census_cover: float
    benefits_cover: float  # adults
    survey_response: float
    male: list[str] = field(default_factory=list)  # curated forenames (else the table)
    female: list[str] = field(default_factory=list)
    surnames: list[str] = field(default_factory=list)  # curated surnames (else the table)
    spellings: list[str] = field(default_factory=list)
    nicknames: dict[str, list[str]] = field(default_factory=dict)


CULTURES: list[Culture] = [
    Culture("english", "english", 0.68, "english",
            {"D1": 86, "D2": 1.2, "D3": 0.3, "D5": 2, "C1": 0.8, "C2": 0.6, "C3": 1.2,
             "C4": 0.8, "B1": 2, "B2": 1.5, "B3": 0.5, "A2": 0.8, "A5": 0.3, "E2": 0.5},
            0.45, False, 1.0, 0.99, 0.95, 0.95, nicknames=en.NICKNAMES),
    Culture("sa_muslim", "south_asian", 0.06, "spellings",
            {"A4": 55, "A1": 25, "A3": 7, "A5": 7, "C1": 3, "E2": 2, "E1": 1},
            0.35, False, 1.3, 0.975, 0.92, 0.80,
            spellings=world.SA_MUSLIM_MALE + world.SA_MUSLIM_FEMALE
            + world.SA_MUSLIM_SURNAMES),
    Culture("sa_hindu", "south_asian", 0.025, "spellings",
            {"A3": 86, "A5": 8, "C1": 3, "E2": 2, "A1": 1},
            0.35, False, 1.3, 0.975, 0.92, 0.80,
            spellings=world.SA_HINDU_MALE + world.SA_HINDU_FEMALE + world.SA_HINDU_SURNAMES),
    Culture("sa_sikh", "south_asian", 0.015, "spellings",
            {"A3": 90, "A5": 5, "C1": 3, "E2": 2},
            0.35, False, 1.3, 0.975, 0.92, 0.80, world.SA_SIKH_MALE,
            world.SA_SIKH_FEMALE, world.SA_SIKH_SURNAMES),
    Culture("persian", "persian", 0.04, "spellings",
            {"E2": 55, "A5": 18, "D5": 12, "E1": 6, "C4": 5, "C1": 4},
            0.25, True, 1.5, 0.95, 0.86, 0.70,
            spellings=world.PERSIAN_MALE + world.PERSIAN_FEMALE + world.PERSIAN_SURNAMES),
    Culture("ukrainian", "ukrainian", 0.06, "ukrainian",
            {"D5": 93, "D4": 1, "C4": 2, "E2": 2, "D1": 2},
            0.50, True, 1.5, 0.90, 0.66, 0.60, eu.UKR_MALE, eu.UKR_FEMALE),
    Culture("slovene", "slovene", 0.04, "diacritics",
            {"D5": 95, "D4": 1, "C4": 2, "D1": 2},
            0.25, True, 1.3, 0.965, 0.89, 0.80),
    Culture("polish", "other_european", 0.03, "diacritics",
            {"D5": 95, "D4": 2, "C4": 2, "D1": 1},
            0.30, True, 1.3, 0.95, 0.89, 0.75),
    Culture("romanian", "other_european", 0.02, "diacritics",
            {"D5": 85, "D4": 12, "C4": 2, "D1": 1},
            0.30, True, 1.3, 0.95, 0.89, 0.75),
    Culture("portuguese", "other_european", 0.01, "diacritics",
            {"D5": 90, "C4": 4, "B1": 2, "E2": 2, "D1": 2},
            0.40, True, 1.3, 0.95, 0.89, 0.75),
    Culture("west_african", "african", 0.02, "plain",
            {"B1": 88, "B3": 4, "C2": 3, "B2": 2, "E2": 2, "D1": 1},
            0.45, True, 1.2, 0.965, 0.90, 0.75),
]

LOCALES = ["english", "south_asian", "persian", "ukrainian", "slovene", "other_european",
           "african"]
CULTURE_KEYS = [c.key for c in CULTURES]
UKRAINIAN = CULTURE_KEYS.index("ukrainian")
ENGLISH = CULTURE_KEYS.index("english")
