"""Read the name tables `build_names` wrote under `data/` (small CSVs, read once)."""
from __future__ import annotations

import csv
from functools import lru_cache

from spinelink.resources import package_dir

DATA = package_dir("spinelink.sample", "data")


@lru_cache(maxsize=None)
def forenames(culture: str, sex: str) -> tuple[tuple[str, float], ...]:
    """(name, weight) of the culture's forenames for sex `M` or `F`, commonest first."""
    with open(DATA / f"{culture}.forenames.csv", encoding="utf-8", newline="") as fh:
        return tuple((r["name"], float(r["weight"])) for r in csv.DictReader(fh)
                     if r["sex"] == sex)


@lru_cache(maxsize=None)
def surnames(culture: str) -> tuple[tuple[str, str, float], ...]:
    """(male form, female form, weight) of the culture's surnames, commonest first; the
    female form is the male one for surnames without gendered forms."""
    with open(DATA / f"{culture}.surnames.csv", encoding="utf-8", newline="") as fh:
        return tuple((r["name"], r["female_form"] or r["name"], float(r["weight"]))
                     for r in csv.DictReader(fh))
