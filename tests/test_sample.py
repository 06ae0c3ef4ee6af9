"""The synthetic sample generator: layouts, truth, determinism and the planted difficulties."""
from __future__ import annotations

import ast
import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import run_cli

from spinelink.sample import generate, tables
from spinelink.sample.cultures import CULTURE_KEYS, CULTURES
from spinelink.sample.names import nickname_pairs, pools
from spinelink.sample.people import make_population
from spinelink.sample.translit import anglicise, fold, kmu2010, ukrainian_variants

PERSONS = 2_000
SEED = 11
ROOT = Path(__file__).resolve().parents[1]
CODE_LISTS = ROOT / "linkage_models" / "code_lists"

CENSUS_COLUMNS = ["person_id", "forename", "middle", "surname", "dob", "sex", "address_line",
                  "postcode", "region", "ethnic_group", "disability", "ni_number"]
BENEFITS_COLUMNS = ["claim_id", "nino", "first_name", "last_name", "birth_date", "gender",
                    "post_code", "address", "ethnicity", "employment_status", "updated_on"]
SURVEY_COLUMNS = ["resp_id", "given_name", "family_name", "date_of_birth", "sex_code",
                  "pcode", "ni_number", "interview_date", "employment_status",
                  "ethnic_group", "disability", "place_of_birth", "citizenship",
                  "mother_tongue", "job_title", "employer_activity"]
FILES = ["census.csv", "benefits.parquet", "survey.csv", "truth/persons.csv",
         "truth/census.csv", "truth/benefits.csv", "truth/survey.csv",
         "truth/survey_coding.csv"]
CYRILLIC = re.compile("[\u0400-\u04ff]")
NINO = re.compile(r"^[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]$")


def _csv(path: Path, sep: str = ",", encoding: str = "utf-8") -> pd.DataFrame:
    return pd.read_csv(path, sep=sep, encoding=encoding, dtype=str, keep_default_na=False)


def _codes(name: str) -> set[str]:
    return set(_csv(CODE_LISTS / name).iloc[:, 0])


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sample")
    summary = generate(PERSONS, SEED, path)
    assert summary["persons"] == PERSONS
    return path


@pytest.fixture(scope="module")
def data(out: Path) -> dict[str, pd.DataFrame]:
    return {
        "persons": _csv(out / "truth" / "persons.csv"),
        "census": _csv(out / "census.csv"),
        "benefits": pq.read_table(out / "benefits.parquet").to_pandas().fillna(""),
        "survey": _csv(out / "survey.csv", sep=";", encoding="utf-8-sig"),
        **{f"truth_{s}": _csv(out / "truth" / f"{s}.csv")
           for s in ("census", "benefits", "survey")},
    }


def test_files_have_exactly_the_documented_columns(out: Path, data) -> None:
    for name in FILES:
        assert (out / name).is_file(), name
    assert list(data["census"].columns) == CENSUS_COLUMNS
    assert pq.read_schema(out / "benefits.parquet").names == BENEFITS_COLUMNS
    assert all(str(t) == "string" for t in pq.read_schema(out / "benefits.parquet").types)
    assert list(data["survey"].columns) == SURVEY_COLUMNS
    for source in ("census", "benefits", "survey"):
        assert list(data[f"truth_{source}"].columns) == ["record_id", "person_uid"]
    assert list(data["persons"].columns[:8]) == [
        "person_uid", "locale", "sex", "dob", "region", "ethnic_group", "disability",
        "employment_status"]
    assert len(data["persons"]) == PERSONS
    assert data["persons"].person_uid.is_unique


def test_truth_covers_every_source_row(data) -> None:
    persons = set(data["persons"].person_uid)
    for source, id_col in (("census", "person_id"), ("benefits", "claim_id"),
                           ("survey", "resp_id")):
        ids, truth = data[source][id_col], data[f"truth_{source}"]
        assert ids.is_unique
        assert len(truth) == len(ids)
        assert set(truth.record_id) == set(ids)
        assert set(truth.person_uid) <= persons


def test_same_seed_same_bytes_other_seed_differs(out: Path, tmp_path: Path) -> None:
    generate(PERSONS, SEED, tmp_path / "again")
    generate(PERSONS, SEED + 1, tmp_path / "other")
    for name in FILES:
        assert (out / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name
    for name in ("census.csv", "benefits.parquet", "survey.csv"):
        assert (out / name).read_bytes() != (tmp_path / "other" / name).read_bytes(), name


def test_formats_and_codes(data) -> None:
    census, benefits, survey = data["census"], data["benefits"], data["survey"]
    for frame, col, fmt in ((census, "dob", "%d/%m/%Y"), (benefits, "birth_date", "%Y-%m-%d"),
                            (survey, "date_of_birth", "%d.%m.%Y"),
                            (benefits, "updated_on", "%Y-%m-%d"),
                            (survey, "interview_date", "%d.%m.%Y")):
        values = frame[col][frame[col] != ""]
        assert len(values) > 0.95 * len(frame)
        assert pd.to_datetime(values, format=fmt, errors="coerce").notna().all(), col
    assert set(census.sex) <= {"M", "F"}
    assert set(benefits.gender) == {"male", "female", "unknown"}
    assert set(survey.sex_code) <= {"1", "2", "9"}
    assert set(census.disability) <= {"Y", "N", ""} and set(survey.disability) <= {"1", "2", ""}
    codes_2021, codes_2011 = _codes("ethnic_group_2021.csv"), _codes("ethnic_group_2011.csv")
    assert set(census.ethnic_group) - {""} <= codes_2021
    assert set(survey.ethnic_group) - {""} <= codes_2021
    assert set(benefits.ethnicity) - {""} <= codes_2011
    assert set(census.region) <= set(_csv(CODE_LISTS / "region.csv").label)
    assert set(pd.to_datetime(survey.interview_date, format="%d.%m.%Y").dt.year) == {2021}


def test_code_lists() -> None:
    assert len(_codes("ethnic_group_2021.csv")) == 19
    assert len(_codes("ethnic_group_2011.csv")) == 18
    mapping = _csv(CODE_LISTS / "ethnic_group_2011_to_2021.csv")
    assert list(mapping.columns) == ["from_code", "to_code"]
    assert set(mapping.from_code) == _codes("ethnic_group_2011.csv")
    assert set(mapping.to_code) <= _codes("ethnic_group_2021.csv")
    assert len(_codes("region.csv")) == 10
    assert _codes("sex.csv") == {"M", "F"}
    for path in CODE_LISTS.glob("*.csv"):
        assert not path.read_text(encoding="utf-8").startswith("#"), path


def test_census_has_duplicate_persons(data) -> None:
    truth = data["truth_census"]
    assert truth.person_uid.duplicated().sum() >= 3
    assert truth.person_uid.duplicated().mean() < 0.02


def test_benefits_has_second_claims_and_people_missing_from_census(data) -> None:
    truth = data["truth_benefits"]
    assert truth.person_uid.duplicated().sum() >= 5
    outside = ~truth.person_uid.isin(data["truth_census"].person_uid)
    assert 0.01 < outside.mean() < 0.08


def test_ukrainian_names_in_cyrillic_and_romanised(data) -> None:
    benefits = data["benefits"].assign(person_uid=data["truth_benefits"].person_uid.values)
    benefits = benefits.merge(data["persons"][["person_uid", "locale"]], on="person_uid")
    ukr = benefits[benefits.locale == "ukrainian"]
    cyr = ukr.first_name.str.contains(CYRILLIC)
    assert cyr.sum() > 0 and 0.3 < cyr.mean() < 0.7
    assert not data["census"].forename.str.contains(CYRILLIC).any()
    assert not data["survey"].family_name.str.contains(CYRILLIC).any()


def test_slovene_diacritics_in_census(data) -> None:
    names = data["census"].forename + " " + data["census"].surname
    assert names.str.contains("[čšžČŠŽ]").sum() > 10


def test_survey_has_bom_and_semicolons(out: Path) -> None:
    raw = (out / "survey.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header = raw[3:].split(b"\n", 1)[0].decode()
    assert header == ";".join(SURVEY_COLUMNS)
    assert not (out / "census.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_nino_for_part_of_records(data) -> None:
    for source, col in (("census", "ni_number"), ("benefits", "nino"), ("survey", "ni_number")):
        values = data[source][col]
        present = values[values != ""]
        assert 0.25 < len(present) / len(values) < 0.9, source
        assert present.str.match(NINO).all(), source
    ninos = data["persons"].nino[data["persons"].nino != ""]
    assert ninos.is_unique


def test_ukrainian_benefits_coverage_below_english(data) -> None:
    persons = data["persons"]
    covered = persons.person_uid.isin(data["truth_benefits"].person_uid)
    by_locale = covered.groupby(persons.locale).mean()
    assert by_locale["ukrainian"] < by_locale["english"] - 0.15
    census = persons.person_uid.isin(data["truth_census"].person_uid)
    assert 0.93 < census.mean() < 0.995


def test_generator_shares_no_table_with_the_linker() -> None:
    """The linker is judged on this data: the generator must not read its tables."""
    sample = ROOT / "src" / "spinelink" / "sample"
    for path in sample.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = {ast.get_docstring(node, clean=False) for node in ast.walk(tree)
                if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)}
        strings = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)
                   and isinstance(node.value, str) and node.value not in docs]
        assert not [v for v in strings if "linkage_models" in v], path
    pairs = nickname_pairs()
    nicknames = [n for n, _ in pairs]
    assert len(nicknames) == len(set(nicknames))  # each nickname has one forename
    assert ("bob", "robert") in pairs
    english = {fold(n).lower() for sex in "MF" for n, _ in tables.forenames("english", sex)}
    assert not english & set(nicknames)  # registers hold the full name


def test_romanisation_rules() -> None:
    assert kmu2010("Олександр Шевченко") == "Oleksandr Shevchenko"
    assert kmu2010("Юлія Ковальська") == "Yuliia Kovalska"
    assert kmu2010("Андрій Лук’яненко") == "Andrii Lukianenko"
    assert kmu2010("Євген Згурський") == "Yevhen Zghurskyi"
    assert "Shevtchenko" in ukrainian_variants("Шевченко")
    assert "Aleksandr" in ukrainian_variants("Олександр", ("Aleksandr",))
    assert fold("Kovačič Łukasz Ștefan") == "Kovacic Lukasz Stefan"
    assert anglicise("Kovačič") == "Kovacich"


def test_cli_module(tmp_path: Path) -> None:
    from spinelink.sample.__main__ import main

    assert main(["--persons", "50", "--seed", "1", "--out", str(tmp_path)]) == 0
    with open(tmp_path / "census.csv", encoding="utf-8", newline="") as fh:
        assert next(csv.reader(fh)) == CENSUS_COLUMNS
    assert (tmp_path / "job.yaml").is_file()
    assert main(["--persons", "5", "--out", str(tmp_path)]) == 2  # a usage error, one line


def test_one_sample_command_with_one_set_of_defaults(capsys) -> None:
    """`python -m spinelink.sample` is `spinelink sample` under another name."""
    from click.testing import CliRunner

    from spinelink.cli import main as cli
    from spinelink.sample.__main__ import main

    assert main(["--help"]) == 0
    module_help = capsys.readouterr().out
    cli_help = CliRunner().invoke(cli, ["sample", "--help"], prog_name="spinelink").output
    assert module_help.startswith("Usage: python -m spinelink.sample [OPTIONS]")
    assert (module_help.split("Options:")[1].split()  # the same options and defaults
            == cli_help.split("Options:")[1].split())
    assert "[default: 3000" in cli_help and "[default: 42]" in cli_help


def test_sample_writes_the_demo_job_for_its_data(tmp_path: Path) -> None:
    """The job `spinelink sample` writes is sample_data/demo_job.yaml (the same data
    layouts) but for its name, output folder, seed and expected row counts; it loads, and
    its sources are the generated files. (A change to the demo job belongs in
    spinelink/sample/job.py too.)"""
    from click.testing import CliRunner

    from spinelink.cli import main as cli
    from spinelink.config import load_job

    r = CliRunner().invoke(cli, ["sample", "--persons", "60", "--seed", "5",
                                 "--out", str(tmp_path / "d")])
    assert r.exit_code == 0, r.output
    job_path = tmp_path / "d" / "job.yaml"
    assert f"job: {job_path}" in r.output
    lj = load_job(job_path)
    assert lj.output_dir() == (tmp_path / "d" / "out").resolve()
    for name in ("census", "benefits", "survey"):
        assert lj.source_path(name).is_file()
    got = lj.job.model_dump()
    want = load_job(ROOT / "sample_data" / "demo_job.yaml").job.model_dump()
    for k in ("name", "output_dir", "seed"):
        got.pop(k), want.pop(k)
    for src in (*got["sources"].values(), *want["sources"].values()):
        src.pop("expect_rows")
    assert got == want
    assert lj.job.seed == 5


# --- realism of names, households and identifiers (a 100,000-person population) -------
BIG = 100_000


@pytest.fixture(scope="module")
def big():
    return make_population(BIG, 42)


def test_surnames_and_forenames_as_diverse_as_a_real_population(big) -> None:
    P = pools()
    surname = pd.Series(P.surname.true[big.surname])
    counts = surname.value_counts()
    # England and Wales: the commonest surname (Smith) ~1%, thousands of surnames per
    # 100,000 people (the old generator: 595 surnames, Smith 7.7%)
    assert 0.005 < counts.iloc[0] / BIG < 0.02
    assert counts.size > 5_000
    assert counts.index[0] == "Smith"
    full = pd.DataFrame({"first": big.first, "last": big.surname})
    assert full.drop_duplicates().shape[0] > 0.8 * BIG  # old: 28% distinct full names
    for sex in (False, True):
        first = pd.Series(big.first[big.female == sex]).value_counts(normalize=True)
        assert first.iloc[0] < 0.05 and first.size > 1_000


def test_households_share_surname_and_address_and_hold_twins(big) -> None:
    size = np.bincount(big.household)[big.household]
    assert 0.8 < (size > 1).mean() < 0.95  # E&W: ~13% of people live alone
    frame = pd.DataFrame({"hh": big.household, "dob": big.dob, "last": big.surname,
                          "first": big.first, "unit": big.unit, "house": big.house})
    pairs = frame.groupby(["hh", "dob"]).filter(lambda g: len(g) > 1)
    assert 0.02 < len(pairs) / BIG < 0.04  # ~1.5% of births are twin births
    for _, twins in pairs.groupby(["hh", "dob"]):
        assert twins["last"].nunique() <= 2  # one lemma (Kowalski / Kowalska)
        assert twins["first"].nunique() == len(twins)
        assert twins[["unit", "house"]].drop_duplicates().shape[0] == 1
    lemma_shared = frame.groupby("hh")["last"].transform(lambda s: s.eq(s.iloc[0]).mean())
    assert lemma_shared[size > 1].mean() > 0.8


def test_gendered_surname_forms(big) -> None:
    P = pools()
    polish = big.culture == CULTURE_KEYS.index("polish")
    last = pd.Series(P.surname.true[big.surname])
    assert last[polish & big.female].str.endswith("ska").sum() > 100
    assert not last[polish & big.female].str.endswith("ski").any()
    assert not last[polish & ~big.female].str.endswith("ska").any()
    ukr = last[big.culture == CULTURE_KEYS.index("ukrainian")]
    assert ukr.str.contains(CYRILLIC).all() and ukr.nunique() > 300


def test_admin_ninos_mistyped_and_shared_for_a_small_share(big) -> None:
    from spinelink.sample.noise import render
    from spinelink.sample.writers import BENEFITS

    adults = np.flatnonzero(big.nino != None)  # noqa: E711
    rec = render(big, adults, BENEFITS, np.random.default_rng(1))
    given = rec.nino != None  # noqa: E711
    nino = pd.Series(rec.nino[given]).str.replace(" ", "")
    owner = dict(zip(big.nino[adults], adults, strict=True))
    holder = nino.map(owner)
    mistyped = holder.isna()
    shared = ~mistyped & (holder != pd.Series(rec.person[given]))
    assert 0.0005 < mistyped.mean() < 0.01
    assert 0.0005 < shared.mean() < 0.01
    assert nino[shared.to_numpy()].isin(big.nino).all()


def test_name_tables_are_small_and_well_formed() -> None:
    data = ROOT / "src" / "spinelink" / "sample" / "data"
    assert sum(p.stat().st_size for p in data.glob("*.csv")) < 2_000_000
    for culture in CULTURES:
        if not culture.surnames:
            rows = tables.surnames(culture.key)
            assert abs(sum(w for *_, w in rows) - 1) < 0.01, culture.key
            assert len({m for m, _, _ in rows}) == len(rows), culture.key
        for sex in ("M", "F"):
            if not (culture.female if sex == "F" else culture.male):
                rows = tables.forenames(culture.key, sex)
                assert abs(sum(w for _, w in rows) - 1) < 0.01, (culture.key, sex)
                assert len(rows) > 300


def test_build_rules() -> None:
    from spinelink.sample.build_names import clean, law, ukrainian_spelling

    assert clean("Mcdonald", "GB") == "McDonald"
    assert clean("O Neill", "GB") == "O'Neill"
    assert clean("Da Costa", "PT") == "Da Costa"
    assert clean("Jitendra Kumar", "IN") is None
    assert clean("Md", "BD") is None and clean("Mst", "BD") is None
    assert clean("Nováková", "IR") is None  # Czech profiles in the Iranian list
    assert clean("Kovačič", "SI") == "Kovačič"
    assert clean("Bytyqi", "SI") is None  # no q in Slovene
    assert clean("Иванов", "GB") is None
    assert ukrainian_spelling("Гордиенко") == "Гордієнко"
    assert ukrainian_spelling("Вишневский") == "Вишневський"
    assert ukrainian_spelling("Кравец") == "Кравець"
    assert ukrainian_spelling("Иванов") is None
    assert law(1, 0.5, 5000) > law(2, 0.5, 5000) > law(1000, 0.5, 5000) > 0


@pytest.mark.parametrize("args, says", [
    (["--deliveries", "3", "--degraded", "4"], "must be one of the --deliveries (1 to 3)"),
    (["--deliveries", "3", "--degraded", "0"], "must be one of the --deliveries (1 to 3)"),
    (["--degraded", "2"], "goes with --deliveries N"),
])
def test_a_degraded_delivery_that_is_not_generated_is_refused(tmp_path, args, says):
    """`sample --deliveries 3 --degraded 4` (or --degraded without --deliveries) degraded
    nothing and said nothing: the flagged delivery of the demo was not there. Now a usage
    error (exit 2) before anything is written."""
    r = run_cli("sample", "--persons", "200", "--out", str(tmp_path / "d"), *args)
    assert r.returncode == 2, r.stdout[-2000:]
    assert says in r.stderr and "--degraded" in r.stderr
    assert not (tmp_path / "d").exists()
