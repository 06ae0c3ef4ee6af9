"""A date of birth that does not parse in its column's format is read as mistyped when
the column is in that format (at least 1 - max_invalid_share of its values parse): day and
month swapped, or digits written as letters. The reading is flagged and kept; a value
no reading parses is set to missing as before, and a column whose format is wrong is not
repaired at all (benchmarks/RESULTS.md, session 32 helper hE)."""
from __future__ import annotations

import pandas as pd
import pytest
from test_intake import HEADER, _intake, _values

# 36 dates day first, days over 12 (the format is %d/%m/%Y beyond doubt), then the
# mistyped ones: (value, the date it is read as, or None when set to missing)
CLEAN = [f"{d}/0{m}/19{40 + d}" for m in (1, 3) for d in range(13, 31)]
MISTYPED = [
    ("03/21/1961", "1961-03-21"),   # month first: 21 is no month, 21 March
    ("O7/11/1972", "1972-11-07"),   # a scanned 0 read as the letter O
    ("l2/1Z/1955", "1955-12-12"),   # l for 1, Z for 2
    ("05/2S/1988", "1988-05-25"),   # S for 5, and then 25 is no month: swapped too
    ("31/02/1980", None),           # no such day whichever way it is read
    ("77/99/1966", None),
]


def _rows(dates: list[str]) -> str:
    return HEADER + "".join(f"{i},Ann,Lee,{d},F\n" for i, d in enumerate(dates, start=1))


def test_mistyped_dates_are_read_flagged_and_kept(tmp_path):
    dates = CLEAN + [v for v, _ in MISTYPED]
    res, accepted, q = _intake(tmp_path, _rows(dates))
    assert q.empty and res.date_format == "%d/%m/%Y"
    dob = accepted.set_index("_row")["_dob"]
    for i, (value, want) in enumerate(MISTYPED):
        row = len(CLEAN) + i + 2  # lines of the file: the header is line 1
        if want is None:
            assert pd.isna(dob[row]), value
        else:
            assert str(dob[row])[:10] == want, value
    for row, value in enumerate(CLEAN, start=2):  # dates that parse are read as they are
        d, m, y = value.split("/")
        assert str(dob[row])[:10] == f"{y}-{m}-{d}"
    v = _values(tmp_path).set_index("_row")
    assert sorted(v.index) == list(range(len(CLEAN) + 2, len(dates) + 2))
    kept = v[v["action"] == "flagged, kept"]
    assert len(kept) == 4 and res.values_set_missing == 2
    assert set(kept["reason"]) == {
        "not a valid date in format %d/%m/%Y: read with day and month swapped",
        "not a valid date in format %d/%m/%Y: read with letters as digits",
        "not a valid date in format %d/%m/%Y: read with letters as digits, day and month "
        "swapped"}
    for value, _ in MISTYPED:  # the value itself is never written
        assert not (v.astype(str) == value).any().any()
    # the flagged, kept values stay in the record as written
    assert accepted.set_index("_row").loc[len(CLEAN) + 2, "dob"] == "03/21/1961"


def test_a_mistyped_date_read_as_implausible_is_set_to_missing(tmp_path):
    # 30/12/2071 read as 2071-12-30 after the reference date (2021-03-21): set to missing
    dates = CLEAN + ["12/3O/2071"]
    _, accepted, _ = _intake(tmp_path, _rows(dates))
    assert pd.isna(accepted.set_index("_row")["_dob"][len(dates) + 1])
    v = _values(tmp_path)
    assert list(v["action"]) == ["set to missing"]
    assert v["reason"].iat[0] == "date of birth after the reference date"


@pytest.mark.parametrize("bad", [5, 10])
def test_a_column_mostly_in_another_format_is_not_repaired(tmp_path, bad):
    """Declared %m/%d/%Y on day-first dates: more than max_invalid_share of the values
    fail, so the format is wrong, not the values: nothing is read with day and month
    swapped, the failures are set to missing and intake says which format reads them."""
    dates = CLEAN[:bad] + [f"0{m}/0{m}/1970" for m in range(1, 10)] + ["01/10/1970"] * 6
    res, accepted, _ = _intake(tmp_path, _rows(dates), extra="date_format: '%m/%d/%Y'")
    share = bad / len(dates)
    assert share > 0.2
    assert res.values_set_missing == bad
    assert accepted.set_index("_row")["_dob"].iloc[:bad].isna().all()
    assert set(_values(tmp_path)["action"]) == {"set to missing"}
    assert any("%d/%m/%Y" in w for w in res.warnings)


def test_a_date_with_a_month_name_is_not_read_with_letters_as_digits(tmp_path):
    """Formats with a month name have letters of their own: no value is re-read."""
    dates = [f"{d} Mar 19{40 + d}" for d in range(10, 28)]
    dates += ["1O Mar 1960"]
    res, accepted, _ = _intake(tmp_path, _rows(dates))
    assert res.date_format == "%d %b %Y"
    assert pd.isna(accepted.set_index("_row")["_dob"][len(dates) + 1])
    assert list(_values(tmp_path)["action"]) == ["set to missing"]
