"""The co-twin term (`quality.twins`) where a first name is also the family's surname.

The term's links agree on surname, date of birth and postcode, their first names no forms
of one name (`finalise/first_name_forms.sql`). That test counts a first name in the last
name's place as a form (names the other way round); with the surname shared, the clause
reads only that one record's first name is the surname itself, as in surnames made of
given names (vitalie vitalie beside his co-twin valeriu vitalie: on the project's generator
such a pair was joined by the match key `initial_surname_dob_postcode` and the term gave it
no chance, session 45). Hand-made records; the chances follow from the counts by hand."""
from __future__ import annotations

import pandas as pd
import pytest

from spinelink.backends.duckdb_engine import DuckDBEngine
from spinelink.quality import twins

# (id, first, middle, last, dob, postcode)
REFERENCE = [
    ("R1", "vitalie", "gheorghe", "vitalie", "2015-12-24", "HU13 6GW"),  # no co-twin here
    ("R2", "marija", None, "gregorc", "2015-02-19", "LU2 8GH"),         # no co-twin here
    ("R3", "taras", None, "bondar", "2015-05-05", "KY1 1AA"),           # co-twins
    ("R4", "oksana", None, "bondar", "2015-05-05", "KY1 1AA"),
    ("R5", "ion", None, "ion", "2016-01-01", "CH1 2BB"),                # co-twins, one
    ("R6", "petru", None, "ion", "2016-01-01", "CH1 2BB"),              # named as the surname
    ("R7", "andrii", None, "koval", "2014-03-03", "PO1 3CC"),
    ("R8", "mykola", None, "mykola", "2013-07-07", "X1 4DD"),
    ("R9", "anna", None, "smith", "2012-08-08", "Y1 5EE"),
    ("R10", "john", None, "brown", "2011-09-09", "Z1 6FF"),
]
SOURCE = [
    ("S1", "valeriu", None, "vitalie", "2015-12-24", "HU13 6GW"),  # -> R1: the kind
    ("S2", "mojca", None, "gregorc", "2015-02-19", "LU2 8GH"),     # -> R2: the kind
    ("S3", "taras", None, "bondar", "2015-05-05", "KY1 1AA"),      # -> R3: one name
    ("S4", "oksana", None, "bondar", "2015-05-05", "KY1 1AA"),     # -> R4: one name
    ("S5", "andrii", None, "koval", "2014-03-03", "PO1 3CC"),      # -> R7: one name
    ("S6", "mykolai", None, "mykola", "2013-07-07", "X1 4DD"),     # -> R8: forms of one
    ("S7", "petro", None, "koval", "2010-01-01", "PO1 3CC"),       # unlinked, S5's home
]
LINKS = [("R1", "S1"), ("R2", "S2"), ("R3", "S3"), ("R4", "S4"), ("R7", "S5"),
         ("R8", "S6")]


def _table(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["record_id", "first_name", "middle_name", "last_name",
                                     "dob_iso", "postcode"])
    df["first_name_canon"] = df["first_name"]
    df["first_name_canon_rom"] = df["first_name"]
    df["first_name_mp"] = df["first_name"].str.upper()
    for c in ("first_name_root1", "first_name_root2", "first_name_root3"):
        df[c] = pd.Series([None] * len(df), dtype=object)
    df["first_initial"] = df["first_name"].str[0]
    df["last_name_rom"] = df["last_name"]
    return df


@pytest.fixture(scope="module")
def result():
    engine = DuckDBEngine()
    engine.register("ref", _table(REFERENCE))
    engine.register("src", _table(SOURCE))
    links = pd.DataFrame(LINKS, columns=["reference_id", "source_id"])
    tw = twins.twins(engine, "ref", "src", links)
    engine.close()
    return tw


def test_a_first_name_that_is_the_surname_is_no_form_of_the_co_twins(result):
    # the links of the kind: S1 (vitalie / valeriu) and S2 (marija / mojca), both 201x
    assert result.links == 2
    chance = dict(zip([s for _, s in LINKS], result.chance, strict=True))
    # by hand, cohort 201: tau = 4 of the reference's 10 records have a co-twin in it
    # (R3/R4, and R5/R6: ion ion and petru ion are two persons); omega = 1 of the 3
    # source records at home with a linked one absent (S3 and S4 together, S7 beside S5);
    # m = 2 of the 6 agreeing links are of the kind
    tau, omega, m = 4 / 10, 1 / 3, 2 / 6
    expect = tau * omega / (tau * omega + m)
    assert result.tau == pytest.approx(tau)
    assert result.omega == pytest.approx(omega)
    assert chance["S1"] == pytest.approx(expect)  # main: 0 (valeriu "a form" of vitalie)
    assert chance["S2"] == pytest.approx(expect)
    # one name, or forms of one (mykola / mykolai, the surname mykola too): no chance
    for s in ("S3", "S4", "S5", "S6"):
        assert chance[s] == 0.0
