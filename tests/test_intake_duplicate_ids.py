"""Duplicate identifiers at intake (sql/intake/check_duplicate_id.sql): every occurrence
after the first row of an identifier, compared trimmed, is quarantined naming that first
row; a blank or missing identifier is missing, not a duplicate."""
from __future__ import annotations

from test_intake import HEADER, _intake


def test_every_later_occurrence_names_the_first(tmp_path):
    rows = ("7,Ann,Lee,01/02/1980,F\n"      # line 2: first 7
            "8,Bob,Day,01/02/1970,M\n"      # line 3
            " 7 ,Cy,Ray,01/02/1971,M\n"     # line 4: 7 again, with spaces
            ",Di,Fox,01/02/1972,F\n"        # line 5: missing id
            " ,Ed,Fox,01/02/1973,M\n"       # line 6: blank id
            "8,Flo,Kay,01/02/1974,F\n"      # line 7: 8 again
            "7,Gus,Lim,01/02/1975,M\n"      # line 8: 7 a third time
            "9,Hal,May,01/02/1976,M\n")     # line 9
    res, accepted, q = _intake(tmp_path, HEADER + rows)
    got = sorted(zip(q["_row"], q["field"], q["reason"], strict=True))
    assert got == [
        (4, "person_id", "duplicate identifier (first seen at line 2)"),
        (5, "person_id", "missing identifier"),
        (6, "person_id", "missing identifier"),
        (7, "person_id", "duplicate identifier (first seen at line 3)"),
        (8, "person_id", "duplicate identifier (first seen at line 2)")]
    assert sorted(accepted["_row"]) == [2, 3, 9]
    assert sorted(accepted["record_id"]) == ["7", "8", "9"]
    assert res.reasons == {"person_id: duplicate identifier": 3,
                           "person_id: missing identifier": 2}
