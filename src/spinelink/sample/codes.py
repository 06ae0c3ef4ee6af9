"""Code schemes used in the sample sources (kept in step with linkage_models/code_lists)."""
from __future__ import annotations

# England & Wales ethnic group, 2021 Census classification (19 categories)
ETHNIC_2021: list[tuple[str, str]] = [
    ("A1", "Asian, Asian British or Asian Welsh: Bangladeshi"),
    ("A2", "Asian, Asian British or Asian Welsh: Chinese"),
    ("A3", "Asian, Asian British or Asian Welsh: Indian"),
    ("A4", "Asian, Asian British or Asian Welsh: Pakistani"),
    ("A5", "Asian, Asian British or Asian Welsh: Other Asian"),
    ("B1", "Black, Black British, Black Welsh, Caribbean or African: African"),
    ("B2", "Black, Black British, Black Welsh, Caribbean or African: Caribbean"),
    ("B3", "Black, Black British, Black Welsh, Caribbean or African: Other Black"),
    ("C1", "Mixed or Multiple ethnic groups: White and Asian"),
    ("C2", "Mixed or Multiple ethnic groups: White and Black African"),
    ("C3", "Mixed or Multiple ethnic groups: White and Black Caribbean"),
    ("C4", "Mixed or Multiple ethnic groups: Other Mixed or Multiple ethnic groups"),
    ("D1", "White: English, Welsh, Scottish, Northern Irish or British"),
    ("D2", "White: Irish"),
    ("D3", "White: Gypsy or Irish Traveller"),
    ("D4", "White: Roma"),
    ("D5", "White: Other White"),
    ("E1", "Other ethnic group: Arab"),
    ("E2", "Other ethnic group: Any other ethnic group"),
]

# England & Wales ethnic group, 2011 Census classification (18 categories)
ETHNIC_2011: list[tuple[str, str]] = [
    ("01", "White: English/Welsh/Scottish/Northern Irish/British"),
    ("02", "White: Irish"),
    ("03", "White: Gypsy or Irish Traveller"),
    ("04", "White: Other White"),
    ("05", "Mixed/multiple ethnic groups: White and Black Caribbean"),
    ("06", "Mixed/multiple ethnic groups: White and Black African"),
    ("07", "Mixed/multiple ethnic groups: White and Asian"),
    ("08", "Mixed/multiple ethnic groups: Other Mixed"),
    ("09", "Asian/Asian British: Indian"),
    ("10", "Asian/Asian British: Pakistani"),
    ("11", "Asian/Asian British: Bangladeshi"),
    ("12", "Asian/Asian British: Chinese"),
    ("13", "Asian/Asian British: Other Asian"),
    ("14", "Black/African/Caribbean/Black British: African"),
    ("15", "Black/African/Caribbean/Black British: Caribbean"),
    ("16", "Black/African/Caribbean/Black British: Other Black"),
    ("17", "Other ethnic group: Arab"),
    ("18", "Other ethnic group: Any other ethnic group"),
]

MAP_2011_TO_2021: dict[str, str] = {
    "01": "D1", "02": "D2", "03": "D3", "04": "D5", "05": "C3", "06": "C2", "07": "C1",
    "08": "C4", "09": "A3", "10": "A4", "11": "A1", "12": "A2", "13": "A5", "14": "B1",
    "15": "B2", "16": "B3", "17": "E1", "18": "E2",
}

# 2021 -> 2011 for writing the admin source; Roma was part of Other White in 2011
MAP_2021_TO_2011: dict[str, str] = {v: k for k, v in MAP_2011_TO_2021.items()} | {"D4": "04"}

ETHNIC_2021_CODES = [c for c, _ in ETHNIC_2021]

EMPLOYMENT = ["employed", "unemployed", "inactive", "student", "retired"]
EMPLOYED, UNEMPLOYED, INACTIVE, STUDENT, RETIRED = range(5)

SEX = [("M", "Male"), ("F", "Female")]
