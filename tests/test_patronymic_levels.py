"""The patronymic's typo level for names of Cyrillic origin (`linkage_models/
person_auto.yaml`, issue 11; benchmarks/RESULTS.md, session 54 helper C).

A Ukrainian register writes names in Cyrillic, an admin file romanises them: two full
patronymics a typo apart (Stepavivna / Степанівна, Volodymyovych / Володимирович) agreed
on main only at "middle initial agrees" (+1.1 bits), the level that also holds two
different patronymics of one initial (Viktorovych / Васильович). Each pair below goes
through the real standardisation, and the level it reaches is read off the model's own
comparisons.
"""
from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest
from test_standardise import run

from spinelink.backends import open_engine
from spinelink.config import MODELS_DIR
from spinelink.jobspec.files import AUTO_SPEC
from spinelink.model_fields import Fields
from spinelink.model_spec import load_model_spec, settings_for

CYRILLIC = frozenset({"first_name_cyrillic"})
COLUMNS = {"first_name": "fn", "middle_name": "mn", "last_name": "sn"}


@pytest.fixture(scope="module")
def engine():
    e = open_engine()
    yield e
    e.close()


def _levels(comparison: str, present: frozenset[str]) -> list[tuple[str, str]]:
    """(label, condition) of a comparison of the auto model for names on both sides, in
    Splink's order (null level first, else level last)."""
    spec = load_model_spec(MODELS_DIR / AUTO_SPEC)
    f = frozenset({"first_name", "middle_name", "last_name"})
    settings = settings_for(spec, Fields(compare=f, block=f, present=present)
                            ).get_settings("duckdb").as_dict()
    comp = next(c for c in settings["comparisons"] if c["output_column_name"] == comparison)
    return [("null" if lv.get("is_null_level") else lv["label_for_charts"], lv["sql_condition"])
            for lv in comp["comparison_levels"]]


def _level_of(engine, tmp_path, comparison: str, register: dict, admin: dict) -> str:
    """The label of the level a register record (Cyrillic) and an admin record (Latin),
    both standardised, reach on `comparison` in a model with a Cyrillic name."""
    out = run(engine, tmp_path, [{"id": "r", **register}, {"id": "a", **admin}],
              columns=COLUMNS, project_nicknames=True)
    levels = _levels(comparison, CYRILLIC)
    case = "CASE " + " ".join(f"WHEN {cond} THEN '{label}'" for label, cond in levels
                              if cond != "ELSE") + " ELSE 'else' END"
    cols = [c for c in out["r"] if not c.startswith("raw_")]
    row = {f"{c}_{side}": out[r][c] for side, r in (("l", "r"), ("r", "a")) for c in cols}
    con = duckdb.connect()
    con.register("p", pa.Table.from_pylist([row]))
    return con.execute(f"SELECT {case} FROM p").fetchone()[0]


MIDDLE_TYPO = "Jaro-Winkler distance of middle_name >= 0.92"
INITIAL = "middle initial agrees"


@pytest.mark.parametrize("register,admin,level", [
    ("Степанівна", "Stepanivna", "Exact match on middle_name"),
    # two full patronymics a typo apart (ua_names_address's admin file)
    ("Степанівна", "Stepavivna", MIDDLE_TYPO),
    ("Володимирович", "Volodymyovych", MIDDLE_TYPO),
    ("Дмитрович", "Dmytrovyh", MIDDLE_TYPO),
    # a one-letter initial that agrees
    ("Степанівна", "S.", INITIAL),
    # two different patronymics of one initial: not a typo (Dmytro Kovalskyy's false link
    # of session 53 had Viktorovych / Васильович), nor a brother's against his sister's,
    # nor two names alike in their ending
    ("Васильович", "Viktorovych", INITIAL),
    ("Володимирівна", "Volodymyrovych", INITIAL),
    ("Михайлович", "Mykolaiovych", INITIAL),
    ("Васильович", "Petrovych", "else"),
])
def test_a_patronymic_a_typo_apart_has_a_level_of_its_own(engine, tmp_path, register, admin,
                                                         level):
    got = _level_of(engine, tmp_path, "middle_name",
                    {"fn": "Дмитро", "mn": register, "sn": "Ковальський"},
                    {"fn": "Dmytro", "mn": admin, "sn": "Kovalskyi"})
    assert got == level


def test_a_model_without_a_cyrillic_name_keeps_its_levels():
    """The level says `present: first_name_cyrillic`: a model of two files of Latin
    names (pseudopeople: the census's middle initials against full middle names) has the
    levels it had, so its links cannot move."""
    without = _levels("middle_name", frozenset())
    with_ = _levels("middle_name", CYRILLIC)
    assert [lv for lv in with_ if lv[0] != MIDDLE_TYPO] == without
    assert [lv[0] for lv in with_ if lv not in without] == [MIDDLE_TYPO]
