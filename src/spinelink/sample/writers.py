"""Write the three sources and the truth files, each in its own layout and codes."""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import codes
from .cultures import CULTURES, LOCALES
from .freetext import free_text
from .noise import NoiseSpec, Records, render
from .people import Population, ids, stream
from .places import REGIONS

CENSUS = NoiseSpec(
    typo=0.012, nickname=0.005, initial=0.002, swap_names=0.002, miss_first=0.001,
    miss_middle=0.02, miss_last=0.0005, variant=0.03, ukr_variant=0.2,
    drop_diacritics=0.03, dob_missing=0.002, dob_partial=0.002, dob_swap=0.003,
    dob_shift=0.002, miss_postcode=0.004, miss_address=0.003, nino=0.62,
    nino_spaces=0.02, nino_other=0.001, miss_ethnic=0.01, miss_disability=0.01,
)
# the second census record of a person counted twice differs a little more
CENSUS_DUPLICATE = NoiseSpec(**{
    **{f.name: getattr(CENSUS, f.name) for f in fields(NoiseSpec)},
    "typo": 0.12, "nickname": 0.3, "miss_middle": 0.5, "dob_shift": 0.05, "moved": 0.6,
})
BENEFITS = NoiseSpec(
    typo=0.035, nickname=0.05, initial=0.01, swap_names=0.01, miss_first=0.01,
    miss_last=0.005, variant=0.25, cyrillic=0.5, ukr_variant=0.5, drop_diacritics=0.4,
    replace_diacritics=0.1, middle_in_first=0.12, surname_change=0.04, dob_missing=0.01,
    dob_partial=0.01, dob_swap=0.02, dob_shift=0.01, sex_unknown=0.01, moved=0.8,
    miss_postcode=0.025, miss_address=0.02, nino=0.76, nino_spaces=0.05, nino_typo=0.002,
    nino_other=0.003, miss_ethnic=0.08, employment_change=0.05,
)
SURVEY = NoiseSpec(
    typo=0.04, nickname=0.05, initial=0.015, swap_names=0.01, miss_first=0.008,
    miss_last=0.005, variant=0.3, ukr_variant=0.6, drop_diacritics=0.25,
    replace_diacritics=0.08, middle_in_first=0.05, surname_change=0.04, dob_missing=0.015,
    dob_partial=0.01, dob_swap=0.02, dob_shift=0.01, sex_unknown=0.005, moved=0.8,
    miss_postcode=0.03, nino=0.46, nino_spaces=0.1, nino_typo=0.003, nino_other=0.002,
    miss_ethnic=0.02, miss_disability=0.02, employment_change=0.03,
)
CENSUS_DUPLICATES = 0.005
SECOND_CLAIMS = 0.02
SURVEY_HOUSEHOLDS = 0.24
CSV_CHUNK = 100_000

CENSUS_COLUMNS = ["person_id", "forename", "middle", "surname", "dob", "sex", "address_line",
                  "postcode", "region", "ethnic_group", "disability", "ni_number"]
BENEFITS_COLUMNS = ["claim_id", "nino", "first_name", "last_name", "birth_date", "gender",
                    "post_code", "address", "ethnicity", "employment_status", "updated_on"]
SURVEY_COLUMNS = ["resp_id", "given_name", "family_name", "date_of_birth", "sex_code",
                  "pcode", "ni_number", "interview_date", "employment_status",
                  "ethnic_group", "disability", "place_of_birth", "citizenship",
                  "mother_tongue", "job_title", "employer_activity"]
PERSONS_COLUMNS = ["person_uid", "locale", "sex", "dob", "region", "ethnic_group",
                   "disability", "employment_status", "first_name", "middle_name", "surname",
                   "address", "postcode", "nino"]


def fmt_dates(dates: np.ndarray, fmt: str) -> np.ndarray:
    """Format datetime64[D] values through a lookup table of every day in range."""
    out = np.full(len(dates), None, dtype=object)
    ok = ~np.isnat(dates)
    if ok.any():
        lo, hi = dates[ok].min(), dates[ok].max()
        table = pd.date_range(lo, hi, freq="D").strftime(fmt).to_numpy(dtype=object)
        out[ok] = table[(dates[ok] - lo).astype(np.int64)]
    return out


def write_csv(path: Path, columns: dict[str, np.ndarray], sep: str = ",",
              encoding: str = "utf-8") -> None:
    """Write string columns as CSV (RFC 4180 quoting only where needed; None -> empty).

    Much faster than pandas for wide object columns, and byte-stable across versions.
    """
    n = len(next(iter(columns.values())))
    with open(path, "w", encoding=encoding, newline="") as fh:
        fh.write(sep.join(columns) + "\n")
        for start in range(0, n, CSV_CHUNK):
            cells = [_cells(values[start : start + CSV_CHUNK], sep)
                     for values in columns.values()]
            fh.write("".join(sep.join(row) + "\n" for row in zip(*cells, strict=True)))


def _cells(values: np.ndarray, sep: str) -> list[str]:
    col = ["" if v is None else v for v in values.tolist()]
    joined = "".join(col)
    if sep in joined or '"' in joined or "\n" in joined or "\r" in joined:
        col = ['"' + v.replace('"', '""') + '"'
               if (sep in v or '"' in v or "\n" in v or "\r" in v) else v for v in col]
    return col


def _lookup(values: np.ndarray, labels: list[str]) -> np.ndarray:
    """Index -> label, with -1 -> None."""
    table = np.array(list(labels) + [None], dtype=object)
    return table[values]


def _concat(parts: list[Records]) -> Records:
    return Records(**{f.name: np.concatenate([getattr(p, f.name) for p in parts])
                      for f in fields(Records)})


def _shuffle(rec: Records, rng: np.random.Generator) -> Records:
    order = rng.permutation(len(rec.person))
    return Records(**{f.name: getattr(rec, f.name)[order] for f in fields(Records)})


def _blank(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    out = values.copy()
    out[~keep] = None
    return out


def _some(rng: np.random.Generator, persons: np.ndarray, share: float) -> np.ndarray:
    """An exact share of the persons (rounded), in index order."""
    k = round(len(persons) * share)
    return np.sort(rng.choice(persons, size=k, replace=False))


def _house(rec: Records) -> np.ndarray:
    return rec.house.astype(str).astype(object)


def _truth(path: Path, record_ids: np.ndarray, pop: Population, rec: Records) -> None:
    write_csv(path, {"record_id": record_ids, "person_uid": pop.uid[rec.person]})


def _young_men(pop: Population) -> np.ndarray:
    return ~pop.female & (pop.age >= 18) & (pop.age <= 30)


def write_census(pop: Population, seed: int, out: Path) -> int:
    rng = stream(seed, "census")
    cover = np.array([c.census_cover for c in CULTURES])[pop.culture]
    cover = cover * np.where(_young_men(pop), 0.91, 1.0)
    persons = np.flatnonzero(rng.random(len(pop)) < cover)
    dups = _some(rng, persons, CENSUS_DUPLICATES)
    rec = _concat([render(pop, persons, CENSUS, rng), render(pop, dups, CENSUS_DUPLICATE, rng)])
    rec = _shuffle(rec, rng)
    u = pop.units
    record_id = ids("C", len(rec.person), 7)
    address = _house(rec) + " " + u.street[rec.unit] + ", " + u.town[rec.unit]
    columns = {
        "person_id": record_id,
        "forename": rec.first,
        "middle": rec.middle,
        "surname": rec.last,
        "dob": fmt_dates(rec.dob, "%d/%m/%Y"),
        "sex": rec.sex,
        "address_line": _blank(address, rec.has_address),
        "postcode": _blank(u.postcode[rec.unit], rec.has_postcode),
        "region": np.array([r[1] for r in REGIONS], dtype=object)[u.region[rec.unit]],
        "ethnic_group": _lookup(rec.ethnic, codes.ETHNIC_2021_CODES),
        "disability": _lookup(rec.disabled, ["N", "Y"]),
        "ni_number": rec.nino,
    }
    write_csv(out / "census.csv", columns)
    _truth(out / "truth" / "census.csv", record_id, pop, rec)
    return len(record_id)


def write_benefits(pop: Population, seed: int, out: Path) -> int:
    rng = stream(seed, "benefits")
    cover = np.array([c.benefits_cover for c in CULTURES])[pop.culture]
    cover = cover * np.where(pop.age < 18, 0.45, 1.0)
    cover = cover * np.where((pop.age >= 18) & (pop.employment == codes.STUDENT), 0.7, 1.0)
    persons = np.flatnonzero(rng.random(len(pop)) < cover)
    second = _some(rng, persons, SECOND_CLAIMS)
    rec = _shuffle(_concat([render(pop, persons, BENEFITS, rng),
                            render(pop, second, BENEFITS, rng)]), rng)
    n = len(rec.person)
    u = pop.units
    postcode = _blank(u.postcode[rec.unit], rec.has_postcode)
    r = rng.random(n)
    lower = (postcode != None) & (r < 0.10)  # noqa: E711
    postcode[lower] = [p.lower() for p in postcode[lower]]
    squash = (postcode != None) & (r >= 0.05) & (r < 0.17)  # noqa: E711
    postcode[squash] = [p.replace(" ", "") for p in postcode[squash]]
    tidy = u.street_abbr + ", " + u.town
    shout = np.array([s.upper() for s in u.street + " " + u.town], dtype=object)
    address = _house(rec) + " " + np.where(rng.random(n) < 0.5, tidy[rec.unit],
                                           shout[rec.unit])
    start = np.datetime64("2020-01-01")
    updated = start + rng.integers(0, 731, n).astype("timedelta64[D]")
    to2011 = [codes.MAP_2021_TO_2011[c] for c in codes.ETHNIC_2021_CODES]
    gender = np.array(["male", "female", "unknown"], dtype=object)[
        np.where(rec.sex == "M", 0, np.where(rec.sex == "F", 1, 2))]
    columns = {
        "claim_id": ids("B", n, 8),
        "nino": rec.nino,
        "first_name": rec.first,
        "last_name": rec.last,
        "birth_date": fmt_dates(rec.dob, "%Y-%m-%d"),
        "gender": gender,
        "post_code": postcode,
        "address": _blank(address, rec.has_address),
        "ethnicity": _lookup(rec.ethnic, to2011),
        "employment_status": _lookup(rec.employment, codes.EMPLOYMENT),
        "updated_on": fmt_dates(updated, "%Y-%m-%d"),
    }
    table = pa.table({k: pa.array(v.tolist(), type=pa.string()) for k, v in columns.items()})
    pq.write_table(table, out / "benefits.parquet", compression="zstd")
    _truth(out / "truth" / "benefits.csv", columns["claim_id"], pop, rec)
    return n


def write_survey(pop: Population, seed: int, out: Path) -> int:
    rng = stream(seed, "survey")
    chosen = rng.random(int(pop.household.max()) + 1) < SURVEY_HOUSEHOLDS
    respond = np.array([c.survey_response for c in CULTURES])[pop.culture]
    respond = respond * np.where((pop.age >= 18) & (pop.age <= 30), 0.8, 1.0)
    persons = np.flatnonzero(chosen[pop.household] & (rng.random(len(pop)) < respond))
    rec = _shuffle(render(pop, persons, SURVEY, rng), rng)
    n = len(rec.person)
    postcode = _blank(pop.units.postcode[rec.unit], rec.has_postcode)
    squash = (postcode != None) & (rng.random(n) < 0.1)  # noqa: E711
    postcode[squash] = [p.replace(" ", "") for p in postcode[squash]]
    interview = np.datetime64("2021-01-01") + rng.integers(0, 365, n).astype("timedelta64[D]")
    record_id = ids("S", n, 6)
    columns = {
        "resp_id": record_id,
        "given_name": rec.first,
        "family_name": rec.last,
        "date_of_birth": fmt_dates(rec.dob, "%d.%m.%Y"),
        "sex_code": np.where(rec.sex == "M", "1", np.where(rec.sex == "F", "2", "9")),
        "pcode": postcode,
        "ni_number": rec.nino,
        "interview_date": fmt_dates(interview, "%d.%m.%Y"),
        "employment_status": _lookup(rec.employment, codes.EMPLOYMENT),
        "ethnic_group": _lookup(rec.ethnic, codes.ETHNIC_2021_CODES),
        "disability": _lookup(rec.disabled, ["2", "1"]),
    }
    # free-text answers (own random stream: the columns above are unchanged)
    text, coded = free_text(pop, rec.person, seed)
    columns.update(text)
    write_csv(out / "survey.csv", columns, sep=";", encoding="utf-8-sig")
    _truth(out / "truth" / "survey.csv", record_id, pop, rec)
    write_csv(out / "truth" / "survey_coding.csv",
              {"record_id": np.array([record_id[i] for i, *_ in coded], dtype=object),
               "variable": np.array([r[1] for r in coded], dtype=object),
               "code": np.array([r[2] for r in coded], dtype=object),
               "person_code": np.array([r[3] for r in coded], dtype=object)})
    return n


def write_persons(pop: Population, out: Path) -> None:
    from .names import pools

    P = pools()
    u = pop.units
    locale = np.array([c.locale for c in CULTURES], dtype=object)[pop.culture]
    assert set(locale) <= set(LOCALES)
    columns = {
        "person_uid": pop.uid,
        "locale": locale,
        "sex": np.where(pop.female, "F", "M"),
        "dob": fmt_dates(pop.dob, "%Y-%m-%d"),
        "region": np.array([r[1] for r in REGIONS], dtype=object)[u.region[pop.unit]],
        "ethnic_group": np.array(codes.ETHNIC_2021_CODES, dtype=object)[pop.ethnic],
        "disability": np.where(pop.disabled, "Y", "N"),
        "employment_status": np.array(codes.EMPLOYMENT, dtype=object)[pop.employment],
        "first_name": P.given.true[pop.first],
        "middle_name": P.given.true[pop.middle],
        "surname": P.surname.true[pop.surname],
        "address": pop.house.astype(str).astype(object) + " " + u.street[pop.unit] + ", "
        + u.town[pop.unit],
        "postcode": u.postcode[pop.unit],
        "nino": pop.nino,
    }
    write_csv(out / "truth" / "persons.csv", {k: columns[k] for k in PERSONS_COLUMNS})
