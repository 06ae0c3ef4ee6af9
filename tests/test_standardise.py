"""Standardisation: literal input -> expected output, through the real standardise()."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from spinelink import raw_values, romanisation
from spinelink.backends import open_engine
from spinelink.config import Source
from spinelink.errors import IntakeError, JobError, SpinelinkError
from spinelink.name_values import clean_names, name_keys
from spinelink.raw_values import RAW_COLUMNS
from spinelink.standardise import (
    CONTRACT_COLUMNS,
    install_macros,
    standardise,
    standardise_source,
)

FULL = {"first_name": "fn", "middle_name": "mn", "last_name": "sn", "date_of_birth": "dob",
        "sex": "sx", "postcode": "pc", "address": "addr"}
NO_MIDDLE = {k: v for k, v in FULL.items() if k != "middle_name"}


@pytest.fixture(scope="module")
def engine():
    e = open_engine()
    yield e
    e.close()


@pytest.fixture(scope="module")
def nicknames(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("models") / "nicknames.csv"
    p.write_text("nickname,canonical\nbob,robert\nbobby,robert\nliz,elizabeth\n"
                 "al,albert\nal,alan\nsasha,oleksandr\n", encoding="utf-8")
    return p


def write_intake(path: Path, rows: list[dict], columns: list[str], dob: str | None) -> Path:
    """An intake table as intake writes it: _row, record_id, originals as VARCHAR, _dob."""
    data = {"_row": pa.array(range(1, len(rows) + 1), pa.int64()),
            "record_id": pa.array([r["id"] for r in rows], pa.string())}
    for c in columns:
        data[c] = pa.array([r.get(c) for r in rows], pa.string())
    if dob:
        data["_dob"] = pa.array([_date(r.get(dob)) for r in rows], pa.date32())
    pq.write_table(pa.table(data), path)
    return path


def _date(v):
    try:
        return dt.date.fromisoformat(v) if v else None
    except ValueError:
        return None


def run(engine, tmp_path: Path, rows: list[dict], columns: dict[str, str] | None = None,
        nicknames_path: Path | None = None, project_nicknames: bool = False,
        **src) -> dict[str, dict]:
    """Standardise `rows` (dicts keyed by intake column; 'id' is the record id). Without
    project_nicknames, only the nickname table nicknames_path (if any) is used."""
    columns = FULL if columns is None else columns
    for i, r in enumerate(rows):
        r.setdefault("id", f"r{i:03d}")
    used = ["id", *columns.values(), *src.get("identifiers", {}).values(),
            *src.get("subgroups", []), *src.get("variables", {}).values()]
    intake = write_intake(tmp_path / "intake.parquet", rows, list(dict.fromkeys(used)),
                          columns.get("date_of_birth"))
    source = Source(role="census", path="in.csv", id="id", columns=columns, **src)
    out = tmp_path / "standardised" / "s.parquet"
    absent = tmp_path / "no_nicknames.csv"
    tables = {} if project_nicknames else {"nicknames_path": nicknames_path or absent,
                                           "diminutives_path": absent,
                                           "nickname_roots_path": absent}
    n = standardise(engine, intake, source, out, **tables)
    table = pq.read_table(out)
    assert n == table.num_rows == len(rows)
    # the originals (raw_*) as readers get them: from the intake table
    raw = {r["record_id"]: r for r in raw_values.read(intake, raw_values.mapped(columns))
           .to_pylist()}
    return {r["record_id"]: {**r, **raw[r["record_id"]]} for r in table.to_pylist()}


# --- names -------------------------------------------------------------------------------

NAMES = [
    # (raw first name, raw last name, first_name, last_name)
    ("Олександр", "Шевченко", "oleksandr", "shevchenko"),
    ("Юлія", "Ковальська", "yuliia", "kovalska"),
    ("Євген", "Гнатюк", "yevhen", "hnatiuk"),
    ("Андрій", "Григорович", "andrii", "hryhorovych"),
    ("Ярослав", "Маєвський", "yaroslav", "maievskyi"),
    ("Йосип", "Їжакевич", "yosyp", "yizhakevych"),
    ("Ольʼга", "Згурська", "olha", "zghurska"),
    ("Щасливий", "Ґудзь", "shchaslyvyi", "gudz"),
    ("ЄВГЕН", "ЮЩЕНКО", "yevhen", "yushchenko"),
    ("Фёдор", "Подъячев", "fedor", "podiachev"),
    ("Эдуард", "Быков", "eduard", "bykov"),
    ("Žiga", "Kovačič", "ziga", "kovacic"),
    ("Špela", "Novak Šušteršič", "spela", "novak sustersic"),
    ("Łukasz", "Wałęsa", "lukasz", "walesa"),
    ("Søren", "Strauß", "soren", "strauss"),
    ("Đorđe", "Ærø", "dorde", "aero"),
    ("Seán", "O'Brien", "sean", "obrien"),
    ("Siobhán", "O’Neill", "siobhan", "oneill"),
    ("Liam", "Oʼ Hara", "liam", "o hara"),
    ("Anna", "Smith-Jones", "anna", "smith jones"),
    ("Mary", "  de la   Cruz. ", "mary", "de la cruz"),
    ("  ", "---", None, None),
    (None, None, None, None),
    # a title before the name is not part of it (linkage_models/name_titles.csv)
    ("Dr Jan", "van der Berg", "jan", "van der berg"),
    ("Mrs. Maria", "de la Cruz", "maria", "de la cruz"),
    ("MR JOHN", "SMITH", "john", "smith"),
    ("Prof Dr Olena", "Dr. Shevchenko", "olena", "shevchenko"),
    ("Ms", "Jones", None, "jones"),  # a title alone: a placeholder, no name
    ("Drew", "Mrsic", "drew", "mrsic"),  # words that start like a title are kept
    ("Dr", "Who", "dr", "who"),  # a title alone where no placeholder is listed: kept
    # a generation suffix after the name is not part of it (name_suffixes.csv)
    ("Oleg, Jr", "Smith Jr.", "oleg", "smith"),
    ("JOHN", "FORD III", "john", "ford"),
    ("Henry Sr", "Ford-Smith SNR", "henry", "ford smith"),
    ("Jr", "Ii", "jr", "ii"),  # a suffix alone: kept
    ("Junia", "Ivanova Jr", "junia", "ivanova"),
]


@pytest.mark.parametrize("raw_first,raw_last,first,last", NAMES)
def test_names(engine, tmp_path, raw_first, raw_last, first, last):
    out = run(engine, tmp_path, [{"id": "a", "fn": raw_first, "sn": raw_last}])["a"]
    assert (out["first_name"], out["last_name"]) == (first, last)
    assert (out["raw_first_name"], out["raw_last_name"]) == (raw_first, raw_last)


def test_latin_look_alikes_in_a_cyrillic_name_read_as_the_cyrillic_letters(engine, tmp_path):
    """An office's register typed on two keyboard layouts: Latin a, c, e, i, o, p, x, y
    (and the capitals' K, M, T, H, B) inside Cyrillic words. They were kept as Latin
    letters, so Кpaвчук (Latin p, a) gave kpavchuk beside the census's kravchuk, Iгop
    ihop, Cepгiй cephii, Pудeнкo pudenko: one person's two spellings a letter or two
    apart, or more (34 of 235 surnames of a hand-made admin file). A word all in Latin
    letters beside them (Smith, an address's Kyiv) keeps its letters."""
    rows = [("Кpaвчук", "Кравчук"), ("Iгop", "Ігор"), ("Cepгiй", "Сергій"),
            ("Pудeнкo", "Руденко"), ("Aнacтaciя", "Анастасія"), ("ВOЛOДИMИP", "ВОЛОДИМИР"),
            ("Мap’янa", "Мар'яна"), ("Iваненкo-Cидopенкo", "Іваненко-Сидоренко"),
            ("KOBAЛЬ", "КОВАЛЬ")]
    typed = run(engine, tmp_path, [{"id": f"t{i}", "fn": t, "sn": "x"}
                                   for i, (t, _) in enumerate(rows)])
    plain = run(engine, tmp_path, [{"id": f"t{i}", "fn": c, "sn": "x"}
                                   for i, (_, c) in enumerate(rows)])
    for i, (t, c) in enumerate(rows):
        assert typed[f"t{i}"]["first_name"] == plain[f"t{i}"]["first_name"], (t, c)
        assert typed[f"t{i}"]["first_name_rom"] == plain[f"t{i}"]["first_name_rom"], (t, c)
    assert plain["t0"]["first_name"] == "kravchuk" and plain["t1"]["first_name"] == "ihor"
    mixed = run(engine, tmp_path, [{"id": "a", "fn": "Іван", "sn": "Smith",
                                    "addr": "вул. Шевченка, 12, Kyiv"},
                                   {"id": "b", "fn": "Мaрія Smith", "sn": "Cooper"}])
    assert mixed["a"]["last_name"] == "smith" and mixed["b"]["last_name"] == "cooper"
    assert mixed["a"]["address"].endswith("kyiv")


def test_kyiv_is_romanised_as_the_national_system_writes_it(engine, tmp_path):
    """и before є or ї is Ukrainian и (y): Київ kyiv, Києва kyieva. The rule that reads и
    before a vowel as a Russian i (Мария mariia) took it for one and gave kiiv, so every
    integrated address in the capital read "... kiiv" and disagreed with a romanised
    source's "kyiv" (a conflict for integrate where there is none)."""
    out = run(engine, tmp_path, [{"id": "a", "fn": "Мария", "sn": "Києнко",
                                  "addr": "вул. Соборна, 55, кв. 40, Київ"},
                                 {"id": "b", "fn": "Родион", "sn": "Кий",
                                  "addr": "vul. Soborna, 55, kv. 40, Kyiv"}])
    assert out["a"]["address"] == out["b"]["address"] == "vul soborna 55 kv 40 kyiv"
    assert (out["a"]["first_name"], out["a"]["last_name"]) == ("mariia", "kyienko")
    assert (out["b"]["first_name"], out["b"]["last_name"]) == ("rodion", "kyi")


def test_a_source_in_plain_ascii_gets_the_forms_of_one_with_other_scripts(engine, tmp_path):
    # a source whose names and addresses are all ASCII is cleaned by the macro's ASCII path
    # alone (standardise._cleaner); a non-ASCII value in any one column (here a middle
    # name, an address) brings the whole macro: the ASCII records' forms are the same
    ascii_rows = [{"id": "a", "fn": "Mary-Ann", "mn": "J.", "sn": "O'Brien",
                   "addr": "12, High St.  Flat 3"},
                  {"id": "b", "fn": "  SEAN ", "sn": "de la Cruz", "addr": "1 Main Road"}]
    def standardised(folder: str, rows: list[dict]) -> dict[str, dict]:
        (tmp_path / folder).mkdir()
        return run(engine, tmp_path / folder, [dict(r) for r in rows])

    plain = standardised("plain", ascii_rows)
    for i, extra in enumerate(({"id": "z", "fn": "Anna", "mn": "Олена", "sn": "Smith"},
                               {"id": "z", "fn": "Anna", "sn": "Smith",
                                "addr": "вул. Шевченка 5"})):
        mixed = standardised(f"mixed{i}", [*ascii_rows, extra])
        for rid in ("a", "b"):
            assert mixed[rid] == plain[rid]
        assert mixed["z"]["middle_name" if i == 0 else "address"] in ("olena",
                                                                     "vul shevchenka 5")
    assert (plain["a"]["first_name"], plain["a"]["last_name"]) == ("mary ann", "obrien")


def test_name_derivations(engine, tmp_path):
    rows = [{"id": "a", "fn": "Олександр", "sn": "Шевченко"},
            {"id": "b", "fn": "Stephen", "sn": "de la Cruz"},
            {"id": "c", "fn": "Jo", "sn": "Li"}]
    out = run(engine, tmp_path, rows)
    assert out["a"]["first_initial"] == "o"
    assert out["a"]["last_name_p3"] == "she"
    assert (out["a"]["first_name_mp"], out["a"]["last_name_mp"]) == ("OLKSNTR", "XFXNK")
    assert (out["a"]["first_name_ny"], out["a"]["last_name_ny"]) == ("OLACSANDR", "SAFCANC")
    assert out["b"]["last_name_p3"] == "del"
    assert out["b"]["first_name_mp"] == "STFN"
    assert out["b"]["last_name_mp"] == "T L KRS"  # one code per word
    assert out["c"]["last_name_p3"] == "li"


def test_first_name_split_into_middle_when_no_middle_column(engine, tmp_path):
    rows = [{"id": "a", "fn": "Mary Ann  Jane", "sn": "Smith"},
            {"id": "b", "fn": "Jean-Paul", "sn": "Sartre"},
            {"id": "c", "fn": "Олександр Петрович", "sn": "Шевченко"},
            {"id": "d", "fn": "Tom", "sn": "Hardy"}]
    out = run(engine, tmp_path, rows, columns=NO_MIDDLE)
    assert [(out[k]["first_name"], out[k]["middle_name"]) for k in "abcd"] == [
        ("mary", "ann jane"), ("jean", "paul"), ("oleksandr", "petrovych"), ("tom", None)]
    assert out["a"]["raw_first_name"] == "Mary Ann  Jane"
    assert out["a"]["raw_middle_name"] is None
    assert out["a"]["first_initial"] == "m" and out["a"]["first_name_mp"] == "MR"


def test_title_before_a_first_name_is_dropped_before_the_split(engine, tmp_path):
    # "Dr Jan Piotr" in a first-name column without a middle one: the first name is Jan,
    # not "dr" with Jan as a middle name (a title made the first name disagree with the
    # same person's record elsewhere, and sent the pair to clerical review)
    rows = [{"id": "a", "fn": "Dr Jan Piotr", "sn": "Kowalski"},
            {"id": "b", "fn": "Mrs Maria", "sn": "Cruz"}]
    out = run(engine, tmp_path, rows, columns=NO_MIDDLE)
    assert (out["a"]["first_name"], out["a"]["middle_name"]) == ("jan", "piotr")
    assert (out["b"]["first_name"], out["b"]["middle_name"]) == ("maria", None)
    assert out["a"]["first_initial"] == "j" and out["a"]["first_name_rom"] == "ian"
    assert out["a"]["raw_first_name"] == "Dr Jan Piotr"
    assert [k for _, k in name_keys(engine, ["Dr. Jan", "Jan"])] == ["ian", "ian"]


def test_suffix_after_a_first_name_is_no_middle_name(engine, tmp_path):
    # "Oleg, Jr" in a first-name column without a middle one: no middle name "jr" (it
    # disagreed with the same person's record without the suffix); the raw value is kept
    rows = [{"id": "a", "fn": "Oleg, Jr", "sn": "Kovalenko Jr."},
            {"id": "b", "fn": "John Paul III", "sn": "Smith"},
            {"id": "c", "fn": "Oleg", "sn": "Kovalenko"}]
    out = run(engine, tmp_path, rows, columns=NO_MIDDLE)
    keys = [k for k in out["c"] if k.startswith(("first_", "last_", "middle_"))]
    assert {k: out["a"][k] for k in keys} == {k: out["c"][k] for k in keys}
    assert (out["a"]["first_name"], out["a"]["middle_name"]) == ("oleg", None)
    assert (out["b"]["first_name"], out["b"]["middle_name"]) == ("john", "paul")
    assert (out["a"]["raw_first_name"], out["a"]["raw_last_name"]) == ("Oleg, Jr",
                                                                       "Kovalenko Jr.")
    assert [k for _, k in name_keys(engine, ["Smith Jr.", "Smith"])] == ["smit", "smit"]


def test_first_name_kept_whole_when_middle_column_mapped(engine, tmp_path):
    rows = [{"id": "a", "fn": "Mary Ann", "mn": "Jane", "sn": "Smith"}]
    out = run(engine, tmp_path, rows)["a"]
    assert (out["first_name"], out["middle_name"]) == ("mary ann", "jane")


NICKNAMES = [
    ("Bob", "bob", "robert"),
    ("BOBBY", "bobby", "robert"),
    ("Liz", "liz", "elizabeth"),
    ("Robert", "robert", "robert"),
    ("Al", "al", "al"),  # ambiguous (albert, alan): left unresolved
    ("Саша", "sasha", "oleksandr"),
    ("Bob Edward", "bob", "robert"),  # split first, then resolved
    (None, None, None),
]


@pytest.mark.parametrize("raw,first,canon", NICKNAMES)
def test_nicknames(engine, tmp_path, nicknames, raw, first, canon):
    out = run(engine, tmp_path, [{"id": "a", "fn": raw, "sn": "x"}], columns=NO_MIDDLE,
              nicknames_path=nicknames)["a"]
    assert (out["first_name"], out["first_name_canon"]) == (first, canon)


def test_without_nickname_table_canon_is_first_name(engine, tmp_path):
    out = run(engine, tmp_path, [{"id": "a", "fn": "Bob", "sn": "x"}],
              nicknames_path=tmp_path / "absent.csv")["a"]
    assert out["first_name_canon"] == "bob"


def test_nickname_table_edited_between_sources_is_read_again(engine, tmp_path):
    """The nickname tables are built once per engine for the same files: a file whose
    content changes under the same path is read again (the key is the content)."""
    table = tmp_path / "nicknames.csv"
    table.write_text("nickname,canonical\nbob,robert\n", encoding="utf-8")
    rows = [{"id": "a", "fn": "Bob", "sn": "x"}, {"id": "b", "fn": "Wes", "sn": "x"}]
    first = run(engine, tmp_path, [dict(r) for r in rows], columns=NO_MIDDLE,
                nicknames_path=table)
    again = run(engine, tmp_path, [dict(r) for r in rows], columns=NO_MIDDLE,
                nicknames_path=table)
    table.write_text("nickname,canonical\nwes,wesley\n", encoding="utf-8")
    edited = run(engine, tmp_path, [dict(r) for r in rows], columns=NO_MIDDLE,
                 nicknames_path=table)
    canon = [{k: v["first_name_canon"] for k, v in t.items()} for t in (first, again, edited)]
    assert canon == [{"a": "robert", "b": "wes"}, {"a": "robert", "b": "wes"},
                     {"a": "bob", "b": "wesley"}]


# The project's tables: the general one built from the nicknames package (names the old
# generator-derived list did not have: trudy, vince, wes, hattie, sid) and the Ukrainian /
# Russian one, looked up by romanisation key.
PROJECT_NICKNAMES = [
    ("Bob", "robert"), ("Bobby", "robert"), ("Bill", "william"), ("Liz", "elizabeth"),
    ("Peggy", "margaret"), ("Trudy", "gertrude"), ("Vince", "vincent"), ("Wes", "wesley"),
    ("Hattie", "harriet"), ("Sid", "sidney"), ("Robert", "robert"), ("Mary", "mary"),
    ("Jack", "jack"), ("Peter", "peter"),
    ("Саша", "oleksandr"), ("Sasha", "oleksandr"), ("Vova", "volodymyr"),
    ("Volodya", "volodymyr"), ("Владимир", "volodymyr"), ("Vladimir", "volodymyr"),
    ("Наташа", "nataliia"), ("Natasha", "nataliia"), ("Dmitriy", "dmytro"),
    ("Dmitry", "dmytro"), ("Lyosha", "oleksii"), ("Серёжа", "serhii"), ("Seryozha", "serhii"),
]


@pytest.mark.parametrize("raw,canon", PROJECT_NICKNAMES)
def test_project_nickname_tables(engine, tmp_path, raw, canon):
    out = run(engine, tmp_path, [{"id": "a", "fn": raw, "sn": "x"}], columns=NO_MIDDLE,
              project_nicknames=True)["a"]
    assert out["first_name_canon"] == canon


def test_project_nickname_table_has_one_canonical_per_nickname():
    import csv

    from spinelink.standardise import nicknames_file

    with nicknames_file().open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    nicks = [r["nickname"] for r in rows]
    assert len(nicks) > 500 and len(set(nicks)) == len(nicks)
    canon = {r["nickname"]: r["canonical"] for r in rows}
    assert not set(canon.values()) & set(canon)  # chains resolved: a canonical maps nowhere


# --- romanisation keys -------------------------------------------------------------------

# Spellings of one name (Cyrillic, and romanised by different systems) that share a key.
SAME_KEY = [
    ("Галина", "Halyna", "Galina", "GALINA"),
    ("Григорій", "Григорий", "Hryhorii", "Grigoriy", "Grygoriy", "Hrihoriy", "Hryhoriy",
     "Grigorij", "Grigory", "Ghryghorij"),
    ("Юлія", "Юлия", "Yulia", "Iuliia", "Yuliya", "Julia", "Julija", "I͡ulii͡a"),
    ("Олександр", "Александр", "Oleksandr", "Aleksandr", "Olexandr", "Alexandr"),
    ("Наталія", "Наталья", "Наталия", "Natalia", "Nataliya", "Natalya", "Nataliia",
     "Natal'ya", "Natal’ja"),
    ("Шевченко", "Shevchenko", "Szewczenko", "Ševčenko"),
    ("Щербаков", "Shcherbakov", "Scherbakov", "Shherbakov", "Ščerbakov"),
    ("Фёдор", "Федор", "Fyodor", "Fedor", "Fjodor", "Fëdor"),
    ("Сергей", "Сергій", "Sergei", "Sergey", "Serhii", "Serhiy", "Sergej"),
    ("Васильев", "Vasilyev", "Vasiliev", "Vasilev", "Vasil'yev"),
    ("Євген", "Yevhen", "Ievhen", "Jevhen"),
    ("Ковальская", "Ковальська", "Kovalskaya", "Kovalskaia", "Kovalska"),
    ("Чайковський", "Чайковский", "Tchaikovsky", "Chaikovskyi", "Čajkovskij", "Tschaikowski"),
    ("Родион", "Rodion"),  # Russian и before a vowel: i, as every system writes it
    ("Дэн", "D·en", "Den"),  # BGN/PCGN's middle dot
    ("Andrii", "Andriy", "Andrij", "Andrei", "Andrey", "Андрей", "Андрій"),
    ("Mary Ann", "Mari Ann"),  # several words: each word folded
    # German and Scandinavian transliteration and plain accent stripping meet
    ("Müller", "Mueller", "Muller", "MÜLLER"),
    ("Søren", "Soeren", "Soren"),
    ("Schröder", "Schroeder", "Schroder"),
    ("Jäger", "Jaeger", "Jager"),
    ("Strauß", "Strauss", "Straus"),
    ("Åse", "Aase", "Ase"),
]

# Different names that keep different keys.
DIFFERENT_KEY = [
    ("Ivan", "Ivana"), ("Maria", "Marina"), ("Oleksandr", "Oleksandra"), ("Olena", "Oleh"),
    ("Yurii", "Yuliia"), ("Halyna", "Hanna"), ("Shevchenko", "Shevchuk"), ("Zhuk", "Zhuravel"),
    ("Mykola", "Mykhailo"), ("Tetiana", "Tamara"), ("John", "Joan"), ("Smith", "Smart"),
    ("Olha", "Olia"), ("Петро", "Павло"), ("Ірина", "Інна"),
    ("Yue", "Yu"), ("Zoe", "Zo"), ("Muller", "Mullen"),  # a final ue / oe is kept
]


@pytest.mark.parametrize("spellings", SAME_KEY, ids=lambda v: v[0])
def test_romanisation_variants_share_a_key(engine, spellings):
    keys = [rom for _, rom in name_keys(engine, list(spellings))]
    assert keys[0] is not None
    assert keys == [keys[0]] * len(keys), dict(zip(spellings, keys, strict=True))


@pytest.mark.parametrize("a,b", DIFFERENT_KEY)
def test_different_names_keep_different_keys(engine, a, b):
    (_, ka), (_, kb) = name_keys(engine, [a, b])
    assert ka and kb and ka != kb


def test_romanisation_columns(engine, tmp_path):
    rows = [{"id": "a", "fn": "Галина Петрівна", "sn": "Шевченко"},
            {"id": "b", "fn": "Galina", "sn": "Szewczenko"},
            {"id": "c", "fn": "Julia Maria", "sn": "Novak Šušteršič"},
            {"id": "d", "fn": None, "sn": "  "}]
    out = run(engine, tmp_path, rows, columns=NO_MIDDLE)
    assert [out[k]["first_name_rom"] for k in "abcd"] == ["halina", "halina", "iulia", None]
    assert [out[k]["last_name_rom"] for k in "abcd"] == ["sevcenko", "sevcenko",
                                                         "novaksustersic", None]
    # the split first name keeps its key; the middle name is not keyed
    assert out["a"]["middle_name"] == "petrivna"
    assert out["c"]["first_name_canon_rom"] == "iulia"  # no nickname: the name's key
    schema = pq.read_schema(tmp_path / "standardised" / "s.parquet")
    assert schema.field("first_name_rom").type == pa.string()


def test_patronymic_romanisation_key(engine, tmp_path):
    """A patronymic in Cyrillic and its Russian and Ukrainian romanisations share a key
    (`middle_name_rom`), another patronymic does not (session 34 helper C: the Ukrainian
    sets' russian-romanised patronymics agreed only on the initial)."""
    rows = [{"id": "a", "fn": "Олег", "mn": "Олександрович", "sn": "Шевченко"},
            {"id": "b", "fn": "Oleg", "mn": "Oleksandrovich", "sn": "Shevchenko"},
            {"id": "c", "fn": "Oleh", "mn": "Oleksandrovych", "sn": "Shevchenko"},
            {"id": "d", "fn": "Oleh", "mn": "Oleksiiovych", "sn": "Shevchenko"},
            {"id": "e", "fn": "Olha", "mn": "Olehivna", "sn": "Shevchenko"},
            {"id": "f", "fn": "Olga", "mn": "Olegovna", "sn": "Shevchenko"},
            {"id": "g", "fn": "Oleh", "mn": None, "sn": "Shevchenko"}]
    out = run(engine, tmp_path, rows)
    key = {k: out[k]["middle_name_rom"] for k in "abcdefg"}
    assert key["a"] == key["b"] == key["c"] and key["a"]
    assert key["d"] != key["a"] and key["e"] != key["a"] and key["g"] is None


# Surnames with a particle written apart, together or with an apostrophe (and double
# surnames with a space, a hyphen or neither) that share the surname key last_name_rom.
SAME_SURNAME_KEY = [
    ("van der Berg", "Vanderberg", "Van Der Berg", "vanderBerg"),
    ("De la Cruz", "Delacruz", "DE LA CRUZ", "de-la-Cruz"),
    ("O Neil", "O'Neil", "ONeil", "O’Neil"),
    ("Mc Donald", "McDonald", "MCDONALD"),
    ("van Nistelrooy", "Vannistelrooy"),
    ("Smith-Jones", "Smith Jones", "Smithjones"),
    ("Müller-Lüdenscheidt", "Mueller Luedenscheidt"),
]


def test_surname_particles_apart_or_together_share_the_surname_key(engine, tmp_path):
    rows = [{"id": f"{g}.{i}", "fn": "Anna", "sn": v}
            for g, group in enumerate(SAME_SURNAME_KEY) for i, v in enumerate(group)]
    out = run(engine, tmp_path, rows, columns=NO_MIDDLE)
    keys = [{out[f"{g}.{i}"]["last_name_rom"] for i in range(len(group))}
            for g, group in enumerate(SAME_SURNAME_KEY)]
    assert all(len(k) == 1 for k in keys), keys
    assert len({k.pop() for k in keys}) == len(keys)  # different surnames stay apart
    # the comparison form keeps the words as written
    assert (out["0.0"]["last_name"], out["0.1"]["last_name"]) == ("van der berg",
                                                                  "vanderberg")


def test_nickname_canonical_key_joins_diminutives_and_forms(engine, tmp_path):
    """Sasha (any spelling) resolves to oleksandr, whose key is Aleksandr's: Ukrainian and
    Russian forms of the full name and their diminutives meet on first_name_canon_rom."""
    names = ["Саша", "Sasha", "SASHA", "Aleksandr", "Олександр", "Александр", "Olexandr"]
    rows = [{"id": f"r{i}", "fn": v, "sn": "x"} for i, v in enumerate(names)]
    out = run(engine, tmp_path, rows, columns=NO_MIDDLE, project_nicknames=True)
    assert {out[f"r{i}"]["first_name_canon_rom"] for i in range(len(names))} == {"aleksandr"}
    assert out["r0"]["first_name_canon"] == out["r1"]["first_name_canon"] == "oleksandr"
    assert out["r3"]["first_name_canon"] == "aleksandr"  # a full name stays itself


@pytest.mark.parametrize("content,message", [
    ("old,new\nx,ks\n", "needs the columns from,to"),
    ("from,to\nx,ks\nsh,\n", "line 3, column to"),
    ("from,to\nX,ks\n", "line 2, column from"),
    ("from,to\ns'h,s\n", "line 2, column from"),
    ("from,to\n{C}{V},s\n", "line 2: at most one"),
    ("from,to\n^ab$,a\n", "line 2, column from: anchor one end only"),
    ("from,to\nya,{C}\n", "line 2: at most one"),
    ("from,to,scope\nov$,iv,surname\n", "line 2, column scope: expected empty or one of"),
    (b"from,to\n\xff,s\n", "not a readable UTF-8 CSV"),
])
def test_bad_romanisation_table_names_file_line_and_column(tmp_path, content, message):
    path = tmp_path / "romanisation.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(SpinelinkError) as err:
        romanisation.read_rules(path)
    assert str(err.value).startswith(str(path)) and message in str(err.value)


def test_a_scoped_rule_acts_only_in_its_field(tmp_path):
    """A rule with a scope joins the rules of that field's key alone, in file order."""
    path = tmp_path / "romanisation.csv"
    path.write_text("from,to,why,scope\nov$,iv,towns,address\nx,ks\novna$,ivna,,middle_name\n")
    assert romanisation.read_rules(path) == [romanisation.Rule("x", "ks")]
    assert romanisation.read_rules(path, "address") == [romanisation.Rule("ov ", "iv "),
                                                         romanisation.Rule("x", "ks")]
    assert romanisation.read_rules(path, "middle_name") == [romanisation.Rule("x", "ks"),
                                                             romanisation.Rule("ovna ", "ivna ")]


def test_project_romanisation_table_reads():
    rules = romanisation.read_rules()
    assert romanisation.Rule(" ie", " e") in rules  # ^ie,e
    assert romanisation.Rule("fyo", "fe") in rules  # {C}yo,{C}e expanded
    assert all(r.old != r.new for r in rules)


# --- dates, sex, postcode, address, identifiers ------------------------------------------

DATES = [
    # (dob, dob_iso, (year, month, day), dob_swapped)
    ("1980-03-04", "1980-03-04", (1980, 3, 4), "1980-04-03"),
    ("1980-12-01", "1980-12-01", (1980, 12, 1), "1980-01-12"),
    ("1980-05-05", "1980-05-05", (1980, 5, 5), None),  # day == month
    ("1980-03-25", "1980-03-25", (1980, 3, 25), None),  # 25 is not a month
    ("2000-02-29", "2000-02-29", (2000, 2, 29), None),
    ("1999-11-12", "1999-11-12", (1999, 11, 12), "1999-12-11"),
    (None, None, (None, None, None), None),
]


@pytest.mark.parametrize("raw,iso,parts,swapped", DATES)
def test_dates(engine, tmp_path, raw, iso, parts, swapped):
    out = run(engine, tmp_path, [{"id": "a", "dob": raw}])["a"]
    assert out["dob"] == (dt.date.fromisoformat(raw) if raw else None)
    assert out["dob_iso"] == iso
    assert (out["dob_year"], out["dob_month"], out["dob_day"]) == parts
    assert out["dob_swapped"] == swapped
    assert out["raw_date_of_birth"] == raw


SEX = [("m", "M"), ("M", "M"), ("Male", "M"), (" MAN ", "M"), ("1", "M"),
       ("f", "F"), ("FEMALE", "F"), ("Woman", "F"), ("2", "F"),
       ("u", None), ("unknown", None), ("9", None), ("x", None), ("0", None), ("", None),
       (None, None),
       # abbreviations written with a full stop, as forms print them
       ("чол.", "M"), ("Ж.", "F"), ("жін. ", "F"), ("Муж.", "M"), ("F.", "F"), ("m.", "M"),
       ("Q.", None), (".", None)]


@pytest.mark.parametrize("raw,sex", SEX)
def test_sex(engine, tmp_path, raw, sex):
    out = run(engine, tmp_path, [{"id": "a", "sx": raw}])["a"]
    assert (out["sex"], out["raw_sex"]) == (sex, raw)


POSTCODES = [
    # raw, postcode, sector, district, area
    ("sw1a1aa", "SW1A 1AA", "SW1A 1", "SW1A", "SW"),
    (" SW1A  1AA ", "SW1A 1AA", "SW1A 1", "SW1A", "SW"),
    ("M1 1AE", "M1 1AE", "M1 1", "M1", "M"),
    ("m11ae", "M1 1AE", "M1 1", "M1", "M"),
    ("EC1A-1BB", "EC1A 1BB", "EC1A 1", "EC1A", "EC"),
    ("b33 8th", "B33 8TH", "B33 8", "B33", "B"),
    ("SW1A", "SW1A", None, "SW1A", "SW"),  # outward code only
    ("12", "12", None, None, None),
    (" - ", None, None, None, None),
    (None, None, None, None, None),
    # no digit: no postcode of any format ("not known", "no fixed abode"), missing rather
    # than a value that two records agree on
    ("N/A", None, None, None, None),
    ("UNKNOWN", None, None, None, None),
    ("nfa", None, None, None, None),
]


OTHER_POSTCODES = [
    # raw, postcode, sector, district, area (postcode_format: other)
    ("12345", "12345", "1234", "123", "12"),  # US ZIP: 3 digits = sectional centre
    (" 12345-6789 ", "123456789", "1234", "123", "12"),  # ZIP+4
    ("01001", "01001", "0100", "010", "01"),  # Kyiv: 2 digits = oblast
    ("k1a 0b1", "K1A0B1", "K1A0", "K1A", "K1"),  # Canada: 3 characters = FSA
    ("2000", "2000", None, "200", "20"),  # 4 digits: no sector
    ("SW1A 1AA", "SW1A1AA", "SW1A", "SW1", "SW"),  # no UK parsing when the job says other
    (" - ", None, None, None, None),
    ("NONE", None, None, None, None),
    (None, None, None, None, None),
]


@pytest.mark.parametrize("fmt,raw,postcode,sector,district,area",
                         [("uk", *p) for p in POSTCODES] + [("other", *p) for p in OTHER_POSTCODES])
def test_postcodes(engine, tmp_path, fmt, raw, postcode, sector, district, area):
    out = run(engine, tmp_path, [{"id": "a", "pc": raw}], postcode_format=fmt)["a"]
    got = (out["postcode"], out["postcode_sector"], out["postcode_district"],
           out["postcode_area"])
    assert got == (postcode, sector, district, area)
    assert out["raw_postcode"] == raw


def _postcode_summary(engine, tmp_path, values, fmt=None) -> tuple[dict, dict]:
    rows = [{"id": f"r{i:02d}", "pc": v} for i, v in enumerate(values)]
    intake = write_intake(tmp_path / "intake.parquet", rows, ["pc"], None)
    source = Source(role="census", path="in.csv", id="id", columns={"postcode": "pc"},
                    postcode_format=fmt)
    out = tmp_path / "s.parquet"
    summary = standardise_source(engine, intake, source, out)
    return summary, {r["record_id"]: r for r in pq.read_table(out).to_pylist()}


@pytest.mark.parametrize("values,fmt,share", [
    (["SW1A 1AA", "m1 1ae", "B33 8TH", "EC1A", "12345"], "uk", 0.8),  # 4 of 5: uk
    (["SW1A 1AA", "M1 1AE", "B33 8TH", "12345"], "other", 0.75),  # 3 of 4: not enough
    (["10001", "90210-1234", "02134", None, ""], "other", 0.0),  # US ZIP codes
    (["01001", "79000", "61000"], "other", 0.0),  # Ukrainian codes
    ([None, " ", "-"], "uk", None),  # nothing to judge by: uk (unchanged behaviour)
    # "not known" written in words is no postcode: it does not make a UK source "other"
    # (its real postcodes were then written without the space, and agreed with none of
    # the reference's)
    (["SW1A 1AA", "m1 1ae", "B33 8TH", "N/A", "UNKNOWN", "NONE", "NFA"], "uk", 1.0),
])
def test_postcode_format_inferred(engine, tmp_path, values, fmt, share):
    summary, out = _postcode_summary(engine, tmp_path, values)
    assert summary == {"rows": len(values), "postcode_format": fmt,
                       "postcode_format_inferred": True, "postcode_uk_share": share,
                       "raw_columns": {"postcode": "pc"}}
    first = out["r00"]
    if fmt == "uk" and values[0]:
        assert first["postcode"] == "SW1A 1AA" and first["postcode_district"] == "SW1A"
    if fmt == "other" and values[0] == "10001":
        assert out["r01"]["postcode"] == "902101234" and out["r01"]["postcode_district"] == "902"


def test_postcode_format_from_the_job_wins(engine, tmp_path):
    summary, out = _postcode_summary(engine, tmp_path, ["12345", "90210"], fmt="uk")
    assert summary["postcode_format"] == "uk" and not summary["postcode_format_inferred"]
    assert summary["postcode_uk_share"] == 0.0
    assert out["r00"]["postcode"] == "12 345"  # parsed the UK way, as asked


def test_postcodes_that_lost_leading_zeros_are_padded_to_postcode_digits(engine, tmp_path):
    # an integer Parquet column holds the Ukrainian postcode 01001 as 1001 (intake warns);
    # with postcode_digits: 5 it meets 01001 written as text, the raw value is kept, and
    # values that are not all digits, or already that long, are left alone
    rows = [{"id": "a", "pc": "1001"}, {"id": "b", "pc": "01001"}, {"id": "c", "pc": "2100"},
            {"id": "d", "pc": "79000"}, {"id": "e", "pc": "N/A"}, {"id": "f", "pc": "A1B"}]
    padded = run(engine, tmp_path, [dict(r) for r in rows], postcode_digits=5,
                 postcode_format="other")
    assert [padded[k]["postcode"] for k in "abcdef"] == ["01001", "01001", "02100", "79000",
                                                          None, "A1B"]
    assert padded["a"]["raw_postcode"] == "1001"
    assert padded["a"]["postcode_area"] == padded["b"]["postcode_area"] == "01"
    (tmp_path / "plain").mkdir()
    plain = run(engine, tmp_path / "plain", [dict(r) for r in rows], postcode_format="other")
    assert [plain[k]["postcode"] for k in "ab"] == ["1001", "01001"]  # not set: as before
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="postcode_digits"):
        Source(role="census", path="in.csv", id="id", postcode_digits=0)


def test_postcode_format_must_be_known():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="postcode_format"):
        Source(role="census", path="in.csv", id="id", postcode_format="us")


# raw, address (compared in linkage), address_full (compared in integration)
ADDRESSES = [
    ("12, High St.", "12 high st", "12 high street"),
    ("12 High Street", "12 high street", "12 high street"),
    ("45 St Albans Rd, St Albans", "45 st albans rd st albans", "45 st albans road st albans"),
    ("7 Church St St Albans", "7 church st st albans", "7 church street st albans"),
    ("9 Mount Ave, Leeds", "9 mount ave leeds", "9 mount avenue leeds"),
    ("Flat 3B,  St. Mary's Road", "flat 3b st marys road", "flat 3b st marys road"),
    ("вул. Шевченка, 5", "vul shevchenka 5", "vul shevchenka 5"),
    ("Ulica Łąkowa 7/9", "ulica lakowa 7 9", "ulica lakowa 7 9"),
    (" , ", None, None),
]


@pytest.mark.parametrize("raw,address,full", ADDRESSES)
def test_address(engine, tmp_path, raw, address, full):
    out = run(engine, tmp_path, [{"id": "a", "addr": raw}])["a"]
    assert (out["address"], out["address_full"], out["raw_address"]) == (address, full, raw)


def test_identifiers_subgroups_variables(engine, tmp_path):
    rows = [{"id": "a", "nino": "ab 12-34 56 c", "nhs": "943 476 5919", "region": "North",
             "inc": "12.5"},
            {"id": "b", "nino": " ", "nhs": None, "region": None, "inc": ""}]
    out = run(engine, tmp_path, rows, identifiers={"nino": "nino", "nhs": "nhs"},
              subgroups=["region"], variables={"income": "inc"})
    assert out["a"]["id_nino"] == "AB123456C" and out["a"]["id_nhs"] == "9434765919"
    assert out["b"]["id_nino"] is None and out["b"]["id_nhs"] is None
    assert (out["a"]["region"], out["a"]["var_income"]) == ("North", "12.5")
    assert (out["b"]["region"], out["b"]["var_income"]) == (None, "")
    assert list(out["a"]) == [*CONTRACT_COLUMNS, "id_nino", "id_nhs", "region", "var_income",
                              *RAW_COLUMNS]


def test_an_identifier_written_as_a_whole_float_is_the_whole_number(engine, tmp_path):
    # a number column with a blank written out by a spreadsheet or pandas: 1234567.0;
    # removing the full stop made it 12345670, another number, and no direct link held
    rows = [{"id": "a", "tax": "1234567.0"}, {"id": "b", "tax": " 0012345.00 "},
            {"id": "c", "tax": "1,234,567"}, {"id": "d", "tax": "12.5"},
            {"id": "e", "tax": "AB.0"}]
    out = run(engine, tmp_path, rows, identifiers={"tax": "tax"})
    assert [out[k]["id_tax"] for k in "abcde"] == ["1234567", "0012345", "1234567", "125",
                                                   "AB0"]


def test_subgroup_that_is_a_mapped_canonical_column(engine, tmp_path):
    cols = {"first_name": "fn", "sex": "sex"}
    out = run(engine, tmp_path, [{"id": "a", "fn": "Ann", "sex": "female"}], columns=cols,
              subgroups=["sex"])["a"]
    assert list(out) == [*CONTRACT_COLUMNS, *RAW_COLUMNS]
    assert out["sex"] == "F"


def test_subgroup_clashing_with_a_contract_column_is_refused(engine, tmp_path):
    with pytest.raises(JobError, match="subgroup 'postcode'"):
        run(engine, tmp_path, [{"id": "a", "postcode": "x"}], columns={"first_name": "fn"},
            subgroups=["postcode"])


def test_missing_fields_give_null_columns(engine, tmp_path):
    out_path = tmp_path / "out"
    out_path.mkdir()
    out = run(engine, out_path, [{"id": "a", "fn": "Ann"}], columns={"first_name": "fn"})["a"]
    assert list(out) == [*CONTRACT_COLUMNS, *RAW_COLUMNS]
    assert out["first_name"] == "ann"
    for col in (*CONTRACT_COLUMNS, *RAW_COLUMNS):
        if col not in ("record_id", "first_name", "raw_first_name", "first_name_canon",
                       "first_name_rom", "first_name_canon_rom", "first_initial",
                       "first_name_mp", "first_name_ny", "first_name_cyrillic"):
            assert out[col] is None, col
    assert out["first_name_cyrillic"] is False
    schema = pq.read_schema(out_path / "standardised" / "s.parquet")
    assert schema.field("dob").type == pa.date32()
    assert schema.field("dob_year").type == pa.int32()
    assert schema.field("last_name").type == pa.string()
    # the originals stay in the intake table, not repeated in the standardised one
    assert schema.names == list(CONTRACT_COLUMNS)
    assert not [c for c in schema.names if c.startswith("raw_")]


def test_originals_are_read_from_the_intake_table(engine, tmp_path):
    rows = [{"id": "a", "fn": "  Mary  Ann ", "sn": "O'Neil", "dob": "1980-03-04"},
            {"id": "b", "fn": "Baby", "sn": None, "dob": "31/02/1980"}]
    cols = {"first_name": "fn", "last_name": "sn", "date_of_birth": "dob"}
    run(engine, tmp_path, rows, columns=cols)
    got = raw_values.read(tmp_path / "intake.parquet", raw_values.mapped(cols), {"b"})
    assert got.to_pylist() == [{"record_id": "b", "raw_first_name": "Baby",
                                "raw_middle_name": None, "raw_last_name": None,
                                "raw_date_of_birth": "31/02/1980", "raw_sex": None,
                                "raw_postcode": None, "raw_address": None}]
    first = raw_values.read(tmp_path / "intake.parquet", raw_values.mapped(cols)).to_pylist()[0]
    assert (first["raw_first_name"], first["raw_last_name"]) == ("  Mary  Ann ", "O'Neil")


def test_rows_ordered_by_record_id(engine, tmp_path):
    rows = [{"id": i, "fn": "A"} for i in ("c", "a", "b10", "b2")]
    out = run(engine, tmp_path, rows)
    assert list(out) == ["a", "b10", "b2", "c"]


def test_hostile_column_names(engine, tmp_path):
    evil = 'x"; DROP TABLE t; --'
    cols = {"first_name": evil, "last_name": "last;name", "sex": "s'x", "date_of_birth": "d\"ob"}
    rows = [{"id": "a", evil: "Олександр Петрович", "last;name": "O'Brien", "s'x": "f",
             'd"ob': "1980-03-04", 'grp"': "g1", "v;v": "7", "i'd": "ab 1"}]
    out = run(engine, tmp_path, rows, columns=cols, subgroups=['grp"'],
              variables={"v": "v;v"}, identifiers={"pid": "i'd"})["a"]
    assert (out["first_name"], out["middle_name"], out["last_name"]) == (
        "oleksandr", "petrovych", "obrien")
    assert (out["sex"], out["dob_iso"], out["dob_swapped"]) == ("F", "1980-03-04", "1980-04-03")
    assert (out['grp"'], out["var_v"], out["id_pid"]) == ("g1", "7", "AB1")
    assert out["raw_first_name"] == "Олександр Петрович"


def test_missing_intake_column_is_reported(engine, tmp_path):
    intake = write_intake(tmp_path / "intake.parquet", [{"id": "a"}], ["fn"], dob=None)
    source = Source(role="census", path="in.csv", id="id", columns={"first_name": "nope"})
    with pytest.raises(IntakeError, match="'nope' is missing"):
        standardise(engine, intake, source, tmp_path / "s.parquet")


# --- properties --------------------------------------------------------------------------

PROPS = settings(max_examples=50, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])
TEXT = st.text(max_size=20)
CLEAN = re.compile(r"^[^\s]+( [^\s]+)*$")


@PROPS
@given(st.lists(st.fixed_dictionaries({
    "fn": st.none() | TEXT, "mn": st.none() | TEXT, "sn": st.none() | TEXT,
    "dob": st.none() | TEXT | st.dates().map(str), "sx": st.none() | TEXT,
    "pc": st.none() | TEXT, "addr": st.none() | TEXT}), min_size=1, max_size=5))
def test_standardise_never_raises(engine, tmp_path_factory, rows):
    tmp = tmp_path_factory.mktemp("prop")
    out = run(engine, tmp, [dict(r) for r in rows], columns=NO_MIDDLE)
    for r in out.values():
        for col in ("first_name", "middle_name", "last_name", "address", "address_full"):
            assert r[col] is None or CLEAN.match(r[col]), (col, r[col])
        assert r["sex"] in ("M", "F", None)


@PROPS
@given(st.lists(st.none() | st.text(max_size=30), max_size=20))
@example(["\u0374a\u0374", "İstanbul", "ǅemal", "Ў", "ѓ", "и\u0306"])  # found by search
def test_name_cleaning_is_idempotent(engine, values):
    once = clean_names(engine, values)
    assert clean_names(engine, once) == once
    assert all(v is None or (v == v.strip() and "  " not in v and v != "") for v in once)


SCRIPTS = st.text(alphabet="АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯабвгґдеєжзиіїйклмнопрстуфхцчшщьюя"
                  "ЁёЫыЭэЪъ'’ʼ-. ČčŠšŽžŁłÓóĄąĘęŚśĆćŃńŹźŻżØøßĐđÉéÜü abcXYZ", max_size=30)


@PROPS
@given(st.lists(SCRIPTS, max_size=20))
def test_ukrainian_russian_and_latin_names_become_plain_ascii(engine, values):
    for v in clean_names(engine, values):
        assert v is None or re.fullmatch(r"[a-z]+( [a-z]+)*", v), v


@PROPS
@given(st.lists(st.text(max_size=30) | SCRIPTS, max_size=20))
@example(["plain ascii O'Brien", "Łukasz", "Юлія", "ѓ", "\u0374", "Ǆ", "a\x00b"])
def test_fast_paths_agree_with_full_cleaning(engine, values):
    """sl_clean_text skips steps for ASCII / non-Cyrillic text: same result as the full path."""
    install_macros(engine)
    engine.register("__test_values", pa.table({"v": pa.array(values, pa.string())}))
    differ = engine.scalar("SELECT count(*) FROM __test_values "
                           "WHERE sl_clean_text(v) IS DISTINCT FROM sl_clean_text_full(v)")
    assert differ == 0


@pytest.mark.parametrize("content,message", [
    ("abbr,expansion\nst,street\n", "needs the columns abbreviation,expansion"),
    ("abbreviation,expansion\nst,street\nrd,\n", "line 3, column expansion"),
    ("abbreviation,expansion\nst ave,street\n", "line 2, column abbreviation"),
    (b"abbreviation,expansion\nst,stra\xdfe\n", "not a readable UTF-8 CSV"),
])
def test_bad_street_type_table_names_file_line_and_column(tmp_path, content, message):
    from spinelink.addresses import read_street_types
    from spinelink.errors import SpinelinkError

    path = tmp_path / "street_types.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(SpinelinkError) as err:
        read_street_types(path)
    assert str(err.value).startswith(str(path)) and message in str(err.value)


def test_project_street_type_table_reads():
    from spinelink.addresses import read_street_types

    types = read_street_types()
    assert types["st"] == "street" and types["ave"] == "avenue"


@PROPS
@given(st.lists(st.text(alphabet="abcdeghijklmnoprstuvwxyz ", max_size=20) | SCRIPTS,
                max_size=20))
@example(["shchyo ieva", "eei iii", " yo ", "tschts", "a", "zghurskaia"])
def test_romanisation_macro_matches_the_rule_table(engine, values):
    """The SQL macros give the key the rules define (spinelink.romanisation.apply), with
    and without each scope's rules."""
    for scope in (None, *romanisation.SCOPES):
        rules = romanisation.read_rules(scope=scope)
        for clean, rom in name_keys(engine, values, scope=scope):
            assert rom == romanisation.apply(rules, clean), (scope, clean)
            if rom is not None:  # every rule acts within a word: a name's key is its words'
                assert rom.split(" ") == [romanisation.apply(rules, w)
                                          for w in clean.split(" ")]


def test_address_key_folds_the_ukrainian_and_russian_forms_of_one_address(engine, tmp_path):
    """address_rom: street, town and house words left out, romanisation folded; the
    Ukrainian and Russian forms of one flat come out nearly alike, other flats do not."""
    import jellyfish

    rows = [{"id": "uk", "addr": "вул. Хмельницького, 23, кв. 111, м. Київ"},
            {"id": "ru", "addr": "ул. Хмельницкого 23, кв. 111, г. Киев"},
            {"id": "lat", "addr": "ul. Khmelnitskogo 23 kv 111 Kiev"},
            {"id": "other", "addr": "вул. Шевченка, 5, м. Львів"},
            {"id": "en", "addr": "12 High St, Leeds"}]
    out = run(engine, tmp_path, rows)
    keys = {k: v["address_rom"] for k, v in out.items()}
    assert not {"vul", "m"} & set(keys["uk"].split()) and not {"ul", "g"} & set(
        keys["ru"].split())
    for a, b in (("uk", "ru"), ("uk", "lat"), ("ru", "lat")):
        assert jellyfish.jaro_winkler_similarity(keys[a], keys[b]) >= 0.9, (keys[a], keys[b])
        assert jellyfish.jaro_winkler_similarity(out[a]["address"], out[b]["address"]) < \
            jellyfish.jaro_winkler_similarity(keys[a], keys[b])
    assert jellyfish.jaro_winkler_similarity(keys["uk"], keys["other"]) < 0.8
    assert keys["en"] and "12" in keys["en"].split()


def test_address_key_reads_a_towns_russian_name_as_its_ukrainian_one(engine, tmp_path):
    """A town's Russian name (Lvov, Chernigov, Kiev, Vinnitsa) is no letter fold of its
    Ukrainian one (Lviv, Chernihiv, Kyiv, Vinnytsia): the place name table makes the two
    forms of one address one key, exactly, as the location comparison's level for a
    missing postcode asks (ua_names_address: a register in Cyrillic, an admin file in the
    Russian forms); a street named after a town and other towns keep their keys."""
    pairs = [("вул. Степана Бандери, 104, кв. 117, м. Львів",
              "ul. Stepana Banderi 104, kv. 117, Lvov"),
             ("вул. Юності, 100, кв. 58, м. Чернігів", "ul. Yunosti 100, kv. 58, Chernigov"),
             ("вул. Хрещатик, 8, м. Київ", "ul. Khreshchatyk 8, Kiev"),
             ("вул. Пирогова, 50, м. Вінниця", "ul. Pirogova 50, Vinnitsa"),
             ("вул. Миру, 57, м. Харків", "ul. Miru 57, Kharkov"),
             ("вул. Миру, 9, м. Івано-Франківськ", "ul. Miru 9, Ivano-Frankovsk")]
    rows = [{"id": f"{k}{i}", "addr": a}
            for i, p in enumerate(pairs) for k, a in zip("ur", p, strict=True)]
    rows += [{"id": "street", "addr": "вул. Львівська, 3, м. Київ"},
             {"id": "street_ru", "addr": "ul. Lvovskaya 3, Kiev"},
             {"id": "other", "addr": "ul. Miru 57, Poltava"}]
    keys = {k: v["address_rom"] for k, v in run(engine, tmp_path, rows).items()}
    for i in range(len(pairs)):
        assert keys[f"u{i}"] == keys[f"r{i}"], pairs[i]
    assert keys["other"] != keys["u4"]
    assert "lviv" not in keys["street_ru"].split()


def test_place_name_table_is_checked(tmp_path):
    from spinelink.addresses import key_table, read_place_names
    from spinelink.errors import SpinelinkError

    places = read_place_names()
    assert places["lvov"] == "lviv" and places["kiev"] == "kyiv"
    assert all(r != u for r, u in places.items())
    bad = tmp_path / "places.csv"
    bad.write_text("russian,ukrainian,why\nlvov,lviv,x\nkiev,kyiv.,y\n", encoding="utf-8")
    with pytest.raises(SpinelinkError, match="line 3, column ukrainian"):
        read_place_names(bad)
    t = key_table(["ul franka 4 g lvov", "lvovskaya 3 kiev", "g"], {"ul", "g"},
                  places=places).to_pydict()
    assert t["keyed"] == ["franka 4 lviv", "lvovskaya 3 kyiv", "g"]


def test_address_keys_by_word_equal_the_macro_over_each_whole_address(engine):
    """rom_by_word keys each distinct word once and puts the addresses together: the
    result is the macro's over the whole text, also for repeated words, word-edge rules
    (^ie, skaia$) at every position, doubled spaces and text that folds to nothing."""
    from spinelink.standardise import install_macros

    install_macros(engine)
    texts = ["khmelnytskoho 23 111 kyiv", "ievhena 5 ievhena 5", "kovalskaia skaia 7",
             "yulii  shevchenka", "12 high leeds", "x", "  tsch  ", "a b c d e f g", ""]
    got = romanisation.rom_by_word(engine, pa.array(texts, pa.string()),
                                   "__test_words").to_pylist()
    engine.register("__test_texts", pa.table({"i": range(len(texts)), "t": texts}))
    want = [r[0] for r in engine.con.execute(
        "SELECT sl_name_rom(t) FROM __test_texts ORDER BY i").fetchall()]
    assert got == want
    assert got[1].split(" ")[0] == got[1].split(" ")[2] != "ievhena"  # ^ie at each word


def test_street_types_expanded_in_arrow_as_word_by_word():
    """expand_all (Arrow, over all words at once; the stage's address_full) gives expand's
    result for every address: an abbreviation at the start, after a number, after a
    street type or an expansion, after a non-ASCII word of letters or of digits, after a
    doubled space, repeated, and the real table's every abbreviation after a word."""
    from spinelink.addresses import expand, expand_all, read_street_types

    types = read_street_types()
    full = set(types.values())
    texts = ["st marys rd", "12 high st leeds", "3b st", "high st rd", "high street rd",
             "élan st", "ковальська st", "١٢ st", "high  st", "st", "high st high st",
             "x", "", *(f"old {a} 5" for a in types), *(f"7 {a}" for a in types)]
    got = expand_all(pa.array(texts, pa.string()), types).to_pylist()
    assert got == [expand(t, types, full) for t in texts]
    assert got[:3] == ["st marys road", "12 high street leeds", "3b st"]
    assert got[5:8] == ["élan street", "ковальська street", "١٢ st"]


def test_address_key_words_table_is_checked(tmp_path):
    from spinelink.addresses import key_table, read_key_words
    from spinelink.errors import SpinelinkError

    words = read_key_words()
    assert {"vul", "ul", "m", "g"} <= words
    bad = tmp_path / "words.csv"
    bad.write_text("word,why\nvul,street\nul.,street\n", encoding="utf-8")
    with pytest.raises(SpinelinkError, match="line 3, column word"):
        read_key_words(bad)
    t = key_table(["vul shevchenka 5 m lviv", "m"], {"vul", "m"}).to_pydict()
    assert t == {"clean": ["vul shevchenka 5 m lviv", "m"], "keyed": ["shevchenka 5 lviv", "m"]}


# --- nicknames of one name (nickname_roots.csv) -----------------------------------------

def _nickname_level_sql() -> str:
    import yaml

    from spinelink.resources import data_dir

    spec = yaml.safe_load((data_dir("linkage_models") / "person_auto.yaml").read_text())
    first = next(c for c in spec["comparisons"] if c["name"] == "first_name")
    return next(lv["custom"] for lv in first["levels"]
                if lv.get("label") == "nicknames of one name")


@pytest.mark.parametrize("a,b,agree", [
    # one canonical name per nickname cannot hold these: billy -> robert, ronny -> cameron
    ("Billy", "William", True), ("Bill", "Billy", True), ("Ronny", "Ronald", True),
    ("Debbie", "Deborah", True), ("Chris", "Christopher", True), ("Teddy", "Theodore", True),
    ("Paul", "Polly", False), ("William", "Robert", False), ("Mary", "Maria", False),
])
def test_nicknames_of_one_name_agree_at_their_level(engine, tmp_path, a, b, agree):
    """The model's level "nicknames of one name" (person_auto.yaml) on standardised
    records: either first name is a root of the other, or they share a root."""
    out = run(engine, tmp_path, [{"id": "a", "fn": a, "sn": "x"}, {"id": "b", "fn": b,
                                                                  "sn": "x"}],
              columns=NO_MIDDLE, project_nicknames=True)
    cols = ["first_name", "first_name_root1", "first_name_root2", "first_name_root3"]
    row = {f"{c}_{side}": out[r][c] for side, r in (("l", "a"), ("r", "b")) for c in cols}
    con = __import__("duckdb").connect()
    con.register("p", pa.Table.from_pylist([row]))
    got = con.execute(f"SELECT coalesce(({_nickname_level_sql()}), false) FROM p").fetchone()[0]
    assert got is agree


# --- Russian forms with a typo against a name written in Cyrillic (issue 11) ------------

def _cyrillic_level_sql() -> str:
    import yaml

    from spinelink.resources import data_dir

    spec = yaml.safe_load((data_dir("linkage_models") / "person_auto.yaml").read_text())
    first = next(c for c in spec["comparisons"] if c["name"] == "first_name")
    return next(lv["custom"] for lv in first["levels"]
                if lv.get("present") == "first_name_cyrillic")


@pytest.mark.parametrize("a,b,agree", [
    # a Russian form with a typo against the Ukrainian spelling in Cyrillic: more than a
    # typo apart as written (Jaro-Winkler under 0.8), one typo on the romanisation keys
    ("Vradimir", "Володимир", True), ("Loeg", "Олег", True), ("Ekaerina", "Катерина", True),
    ("Kristita", "Христина", True), ("Yusiy", "Юрій", True),
    # the same spellings, neither written in Cyrillic: the level is not theirs
    ("Vradimir", "Volodymyr", False), ("Loeg", "Oleh", False),
    # English names the romanisation keys fold hard (regina / rehina)
    ("Regina", "Rehina", False), ("Gerry", "Jerry", False),
    # two different names, one in Cyrillic
    ("Maria", "Олег", False),
])
def test_a_russian_form_with_a_typo_agrees_only_against_a_name_in_cyrillic(
        engine, tmp_path, a, b, agree):
    """The first-name level for names of Cyrillic origin (person_auto.yaml, `present:
    first_name_cyrillic`) on standardised records; main had neither the column nor the
    level, and the pairs of the first kind sat at the first name's lowest level."""
    import jellyfish

    out = run(engine, tmp_path, [{"id": "a", "fn": a, "sn": "x"}, {"id": "b", "fn": b,
                                                                  "sn": "x"}],
              columns=NO_MIDDLE, project_nicknames=True)
    assert out["a"]["first_name_cyrillic"] is False
    assert out["b"]["first_name_cyrillic"] is any("\u0400" <= ch <= "\u04ff" for ch in b)
    if agree:  # below every level above it
        assert jellyfish.jaro_winkler_similarity(out["a"]["first_name"],
                                                 out["b"]["first_name"]) < 0.8
        assert out["a"]["first_name_canon_rom"] != out["b"]["first_name_canon_rom"]
    cols = ["first_name", "first_name_rom", "first_name_cyrillic"]
    row = {f"{c}_{side}": out[r][c] for side, r in (("l", "a"), ("r", "b")) for c in cols}
    con = __import__("duckdb").connect()
    con.register("p", pa.Table.from_pylist([row]))
    got = con.execute(f"SELECT coalesce(({_cyrillic_level_sql()}), false) FROM p").fetchone()[0]
    assert got is agree


def test_first_name_cyrillic_says_how_the_name_was_written(engine, tmp_path):
    rows = [{"id": "a", "fn": "Олег Петрович", "sn": "Шевченко"},
            {"id": "b", "fn": "Oleh", "sn": "Шевченко"},
            {"id": "c", "fn": "Ĳsbrand Ølstad", "sn": "x"},
            {"id": "d", "fn": None, "sn": "x"},
            {"id": "e", "fn": "Unknown", "sn": "x"}]
    out = run(engine, tmp_path, rows, columns=NO_MIDDLE, project_nicknames=True)
    assert [out[k]["first_name_cyrillic"] for k in "abcde"] == [True, False, False, None,
                                                               None]
    schema = pq.read_schema(tmp_path / "standardised" / "s.parquet")
    assert schema.field("first_name_cyrillic").type == pa.bool_()
