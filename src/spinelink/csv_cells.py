"""Cells of the CSV files people open in a spreadsheet (the clerical review file, the
coding queue). Free text from a delivery that begins with =, +, -, @, a tab or a carriage
return is taken by Excel, LibreOffice and Google Sheets for a formula (CSV injection,
OWASP): such a cell is written with a leading apostrophe, which the spreadsheets read as
"text" and do not show. Only delivery text is so written: identifiers, codes and the
reviewer's own columns are read back as they are."""
from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def as_text(value) -> str:
    """`value` as a cell a spreadsheet shows as text (None: empty)."""
    if value is None:
        return ""
    s = str(value)
    return "'" + s if s.startswith(FORMULA_START) else s
