"""Synthetic census, admin (benefits) and survey sources with ground truth.

`generate(persons, seed, out_dir)` writes, under `out_dir`:

- `census.csv` — the reference (UTF-8, comma, dates `%d/%m/%Y`, sex `M`/`F`,
  2021 ethnic codes, disability `Y`/`N`);
- `benefits.parquet` — admin claims (all string columns, dates `%Y-%m-%d`, gender
  `male`/`female`/`unknown`, 2011 ethnic codes, some names in Cyrillic);
- `survey.csv` — survey responses (UTF-8 with BOM, `;`, dates `%d.%m.%Y`, sex `1`/`2`/`9`,
  disability `1` yes / `2` no; free-text place of birth, citizenship, mother tongue, job
  title and employer's activity in Ukrainian, Russian or English, `freetext`);
- `truth/persons.csv` and `truth/<source>.csv` (`record_id,person_uid`);
  `truth/survey_coding.csv` (`record_id,variable,code,person_code`: the free-text
  answers' true codes, and the code of what the person does, which differs where the
  job title or employer answer is vague, not stated or blank).

Everything is synthetic. The same `persons` and `seed` give byte-identical files.
"""
from __future__ import annotations

from pathlib import Path

from .people import make_population
from .writers import write_benefits, write_census, write_persons, write_survey

__all__ = ["generate"]


def generate(persons: int, seed: int, out_dir: Path) -> dict:
    """Generate the sample sources and truth files; returns row counts per file."""
    if persons < 1:
        raise ValueError("persons must be at least 1")
    out = Path(out_dir)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    pop = make_population(int(persons), int(seed))
    write_persons(pop, out)
    return {
        "persons": len(pop),
        "census": write_census(pop, int(seed), out),
        "benefits": write_benefits(pop, int(seed), out),
        "survey": write_survey(pop, int(seed), out),
    }
