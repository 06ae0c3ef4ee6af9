"""Small hand-made linkage sets for the external benchmark (independent of spinelink's
own generator `spinelink.sample` and of `linkage_models/`).

`build(seed)` makes, deterministically:

* a Ukrainian population register in Cyrillic (about 3,000 persons in households:
  relatives share surname and address, some children are twins; sex coded Ч/Ж; dates
  of birth `dd.mm.yyyy`; address `вул. Шевченка, 12, кв. 5, м. Київ`), and
* an administrative source in Latin script about most of the same persons (plus some
  who are not in the register, and a few persons with two records), each record
  romanised with one of four systems, chosen per record:

  | variant | Григорій | Галина | Юлія | Хоменко | Цибуленко | Чорний |
  |---|---|---|---|---|---|---|
  | `kmu2010` | Hryhorii | Halyna | Yuliia | Khomenko | Tsybulenko | Chornyi |
  | `passport_old` | Hryhoriy | Halyna | Yuliya | Khomenko | Tsybulenko | Chornyy |
  | `russian` | Grigoriy | Galina | Yuliya | Khomenko | Tsibulenko | Chorniy |
  | `simplified` | Hryhorij | Halyna | Julija | Homenko | Cybulenko | Chornyj |

  `kmu2010` is Ukraine's national system (2010); `passport_old` writes the y-forms
  (ye, yi, y, yu, ya) everywhere; `russian` is Russian-style, with the Russian form of
  60% of first names (Aleksandr, Nikolay, Elena), `ul.` for the street and the Russian
  city name (Kiev, Kharkov); `simplified` is informal (h for г and х, c for ц, j for й).
  Variants are drawn 40/20/25/15%,
  with typos (one edit in 4% of name fields), 12% moved addresses, 3% of adult women
  under another surname, patronymics missing (30%) or reduced to an initial, and dates
  of birth ISO `yyyy-mm-dd` with day/month swaps, wrong digits and blanks.

The truth is the person number; `variant` is the romanisation of the source record;
`register_households` gives each register record's household (for the pair that leaves
one member of some households out of the register, `external_data.missed_members`).
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

import pandas as pd

REGISTER_DATE = dt.date(2021, 1, 1)  # ages in the truth's subgroups are at this date
VARIANTS = ("kmu2010", "passport_old", "russian", "simplified")
VARIANT_WEIGHTS = (0.40, 0.20, 0.25, 0.15)

# father's name -> (son's patronymic, daughter's patronymic); also the male first names
MALE = {
    "Олександр": ("Олександрович", "Олександрівна"), "Олексій": ("Олексійович", "Олексіївна"),
    "Андрій": ("Андрійович", "Андріївна"), "Анатолій": ("Анатолійович", "Анатоліївна"),
    "Богдан": ("Богданович", "Богданівна"), "Василь": ("Васильович", "Василівна"),
    "Віктор": ("Вікторович", "Вікторівна"), "Віталій": ("Віталійович", "Віталіївна"),
    "Володимир": ("Володимирович", "Володимирівна"), "Григорій": ("Григорович", "Григорівна"),
    "Дмитро": ("Дмитрович", "Дмитрівна"), "Євген": ("Євгенович", "Євгенівна"),
    "Іван": ("Іванович", "Іванівна"), "Ігор": ("Ігорович", "Ігорівна"),
    "Костянтин": ("Костянтинович", "Костянтинівна"), "Максим": ("Максимович", "Максимівна"),
    "Микола": ("Миколайович", "Миколаївна"), "Михайло": ("Михайлович", "Михайлівна"),
    "Олег": ("Олегович", "Олегівна"), "Павло": ("Павлович", "Павлівна"),
    "Петро": ("Петрович", "Петрівна"), "Роман": ("Романович", "Романівна"),
    "Сергій": ("Сергійович", "Сергіївна"), "Степан": ("Степанович", "Степанівна"),
    "Тарас": ("Тарасович", "Тарасівна"), "Юрій": ("Юрійович", "Юріївна"),
    "Ярослав": ("Ярославович", "Ярославівна"), "Федір": ("Федорович", "Федорівна"),
    "Артем": ("Артемович", "Артемівна"), "Денис": ("Денисович", "Денисівна"),
    "Назар": ("Назарович", "Назарівна"), "Харитон": ("Харитонович", "Харитонівна"),
}
FEMALE = ["Галина", "Ганна", "Анна", "Валентина", "Вікторія", "Дарина", "Євгенія", "Ірина",
          "Катерина", "Лариса", "Любов", "Людмила", "Марія", "Надія", "Наталія", "Оксана",
          "Олена", "Ольга", "Світлана", "Софія", "Тетяна", "Юлія", "Яна", "Христина",
          "Анастасія", "Уляна", "Ярослава", "Зоряна", "Соломія", "Іванна"]
# Russian forms of first names, as Soviet-era and Russian-language documents write them
RUSSIAN_FORM = {
    "Олександр": "Aleksandr", "Олексій": "Aleksey", "Андрій": "Andrey", "Анатолій": "Anatoliy",
    "Богдан": "Bogdan", "Василь": "Vasiliy", "Віктор": "Viktor", "Віталій": "Vitaliy",
    "Володимир": "Vladimir", "Григорій": "Grigoriy", "Дмитро": "Dmitriy", "Євген": "Evgeniy",
    "Іван": "Ivan", "Ігор": "Igor", "Костянтин": "Konstantin", "Максим": "Maksim",
    "Микола": "Nikolay", "Михайло": "Mikhail", "Олег": "Oleg", "Павло": "Pavel",
    "Петро": "Petr", "Роман": "Roman", "Сергій": "Sergey", "Степан": "Stepan",
    "Тарас": "Taras", "Юрій": "Yuriy", "Ярослав": "Yaroslav", "Федір": "Fedor",
    "Артем": "Artem", "Денис": "Denis", "Назар": "Nazar", "Харитон": "Khariton",
    "Галина": "Galina", "Ганна": "Anna", "Анна": "Anna", "Валентина": "Valentina",
    "Вікторія": "Viktoriya", "Дарина": "Darya", "Євгенія": "Evgeniya", "Ірина": "Irina",
    "Катерина": "Ekaterina", "Лариса": "Larisa", "Любов": "Lyubov", "Людмила": "Lyudmila",
    "Марія": "Mariya", "Надія": "Nadezhda", "Наталія": "Natalya", "Оксана": "Oksana",
    "Олена": "Elena", "Ольга": "Olga", "Світлана": "Svetlana", "Софія": "Sofiya",
    "Тетяна": "Tatyana", "Юлія": "Yuliya", "Яна": "Yana", "Христина": "Kristina",
    "Анастасія": "Anastasiya", "Уляна": "Ulyana", "Ярослава": "Yaroslava",
    "Зоряна": "Zoryana", "Соломія": "Solomiya", "Іванна": "Ivanna",
}
# surnames: one form, or male|female
SURNAMES = """Шевченко Коваленко Бондаренко Ткаченко Кравченко Олійник Шевчук Поліщук Бойко
Мельник Коваль Лисенко Гончаренко Харченко Хоменко Цибуленко Ющенко Яценко Єрмоленко Щербак
Гнатюк Руденко Савченко Марченко Ковальчук Гаврилюк Кузьменко Захарченко Гуменюк Мороз
Литвиненко Зінченко Іваненко Білоус Гриценко Костенко Тимошенко Юрченко Яремчук Цимбалюк
Приходько Дячук Ігнатенко Федоренко Пилипенко Ярош Дорошенко Вовк Остапчук Панченко
Кириленко Гайдай Хмара Чередніченко Грищенко Левченко Онищенко Гордієнко Головко Климчук
Процюк Семенюк Дмитренко Ляшенко Романюк Кравець Швець Соловій Юхименко Щука Зайчук
Головатий|Головата Чорний|Чорна Білий|Біла Заболотний|Заболотна Ковальський|Ковальська
Левицький|Левицька Вишневський|Вишневська Яворський|Яворська Хмельницький|Хмельницька
Галицький|Галицька Гаєвський|Гаєвська Стецький|Стецька""".split()
# city: (postcode prefix, Russian form)
CITIES = {"Київ": ("0", "Kiev"), "Львів": ("79", "Lvov"), "Харків": ("61", "Kharkov"),
          "Одеса": ("65", "Odessa"), "Дніпро": ("49", "Dnepr"), "Полтава": ("36", "Poltava"),
          "Вінниця": ("21", "Vinnitsa"), "Житомир": ("10", "Zhitomir"),
          "Черкаси": ("18", "Cherkassy"), "Чернігів": ("14", "Chernigov")}
STREETS = ["Шевченка", "Франка", "Лесі Українки", "Грушевського", "Хмельницького", "Соборна",
           "Садова", "Центральна", "Миру", "Незалежності", "Шкільна", "Польова", "Зелена",
           "Лісова", "Київська", "Героїв Майдану", "Степана Бандери", "Січових Стрільців",
           "Коцюбинського", "Котляревського", "Сковороди", "Підгірна", "Ярослава Мудрого",
           "Юності", "Мазепи", "Набережна", "Чорновола", "Пирогова", "Хрещатик", "Цвітна"]

# --------------------------------------------------------------------- romanisation
_BASE = dict(zip("абвгґдеєжзиіїйклмнопрстуфхцчшщьюя'",
                 ["a", "b", "v", "h", "g", "d", "e", "ie", "zh", "z", "y", "i", "i", "i", "k",
                  "l", "m", "n", "o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh",
                  "shch", "", "iu", "ia", ""], strict=True))
_SYSTEMS = {
    # KMU 2010: є ї й ю я are ye yi y yu ya at the start of a word, ie i i iu ia elsewhere
    "kmu2010": ({}, {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}),
    "passport_old": ({"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}, {}),
    "russian": ({"г": "g", "и": "i", "є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}, {}),
    "simplified": ({"х": "h", "ц": "c", "й": "j", "ю": "ju", "я": "ja", "є": "je", "ї": "ji"},
                   {}),
}


def romanise(text: str, variant: str) -> str:
    """Latin spelling of Cyrillic `text` in one of VARIANTS, keeping capitalisation."""
    table, initial = _SYSTEMS[variant]
    out, prev_letter = [], False
    low = text.lower()
    for i, ch in enumerate(low):
        if ch == "г" and i and low[i - 1] == "з" and variant == "kmu2010":
            lat = "gh"
        elif not prev_letter and ch in initial:
            lat = initial[ch]
        elif ch in table:
            lat = table[ch]
        else:
            lat = _BASE.get(ch, ch)
        if text[i].isupper() and lat:
            lat = lat[0].upper() + lat[1:]
        out.append(lat)
        prev_letter = ch.isalpha() or ch == "'"
    return "".join(out)


def _first_name(name: str, variant: str, rng: random.Random) -> str:
    if variant == "russian" and rng.random() < 0.6:
        return RUSSIAN_FORM[name]
    return romanise(name, variant)


def _typo(s: str, rng: random.Random) -> str:
    if len(s) < 3:
        return s
    i = rng.randrange(1, len(s) - 1)
    kind = rng.randrange(3)
    if kind == 0:  # substitution by a neighbouring vowel/consonant
        return s[:i] + rng.choice("aeiouy" if s[i] in "aeiouy" else "bdklmnprstv") + s[i + 1:]
    if kind == 1:  # deletion
        return s[:i] + s[i + 1:]
    return s[:i - 1] + s[i] + s[i - 1] + s[i + 1:]  # transposition


# ------------------------------------------------------------------------ population

@dataclass
class _Address:
    city: str
    street: str
    house: int
    flat: int | None
    postcode: str


def _addresses(rng: random.Random):
    streets = {c: rng.sample(STREETS, 12) for c in CITIES}
    def code(city: str) -> str:  # five digits, the city's prefix first
        prefix = CITIES[city][0]
        width = 5 - len(prefix)
        return prefix + f"{rng.randrange(10 ** width):0{width}d}"
    codes = {(c, s): code(c) for c in CITIES for s in streets[c]}

    def new() -> _Address:
        city = rng.choice(list(CITIES))
        street = rng.choice(streets[city])
        flat = rng.randrange(1, 120) if rng.random() < 0.55 else None
        return _Address(city, street, rng.randrange(1, 150), flat, codes[(city, street)])
    return new


def _dob(rng: random.Random, age_lo: int, age_hi: int) -> dt.date:
    days = rng.randrange(age_lo * 365, age_hi * 365 + 364)
    return REGISTER_DATE - dt.timedelta(days=days)


def _surname(base: str, sex: str) -> str:
    if "|" in base:
        m, f = base.split("|")
        return m if sex == "M" else f
    return base


def _person(rng, sex, surname_base, father, dob, address, household):
    first = rng.choice(list(MALE)) if sex == "M" else rng.choice(FEMALE)
    patr = MALE[father][0 if sex == "M" else 1]
    return {"first": first, "patronymic": patr, "surname": _surname(surname_base, sex),
            "surname_base": surname_base, "sex": sex, "dob": dob, "address": address,
            "household": household}


def _households(rng: random.Random, n_households: int, new_address) -> list[dict]:
    people = []
    for h in range(n_households):
        addr = new_address()
        base = rng.choice(SURNAMES)
        size = rng.choices([1, 2, 3, 4, 5], weights=[18, 30, 24, 20, 8])[0]
        head_sex = rng.choice("MF") if size == 1 else "M"
        head_age = rng.randrange(22, 88)
        head = _person(rng, head_sex, base, rng.choice(list(MALE)),
                       _dob(rng, head_age, head_age), addr, h)
        people.append(head)
        if size == 1:
            continue
        spouse_age = max(19, min(95, head_age + rng.randrange(-6, 5)))
        people.append(_person(rng, "F", base, rng.choice(list(MALE)),
                              _dob(rng, spouse_age, spouse_age), addr, h))
        n_children = size - 2
        twins = n_children >= 2 and rng.random() < 0.25
        child_dobs = []
        for c in range(n_children):
            if twins and c == 1:
                child_dobs.append(child_dobs[0])
            else:
                lo = max(0, head_age - 45)
                age = rng.randrange(lo, max(lo + 1, head_age - 18))
                child_dobs.append(_dob(rng, age, age))
        for dob in child_dobs:
            people.append(_person(rng, rng.choice("MF"), base, head["first"]
                                  if head_sex == "M" else rng.choice(list(MALE)), dob, addr, h))
    return people


# ----------------------------------------------------------------------- the files

def _register_address(a: _Address) -> str:
    flat = f", кв. {a.flat}" if a.flat else ""
    return f"вул. {a.street}, {a.house}{flat}, м. {a.city}"


def _latin_address(a: _Address, variant: str) -> str:
    if variant == "russian":
        street, city, prefix = romanise(a.street, variant), CITIES[a.city][1], "ul."
    else:
        street, city, prefix = romanise(a.street, variant), romanise(a.city, variant), "vul."
    flat = f", kv. {a.flat}" if a.flat else ""
    return f"{prefix} {street} {a.house}{flat}, {city}"


def _age_band(dob: dt.date) -> str:
    age = (REGISTER_DATE - dob).days // 365.25
    for hi, band in ((18, "0-17"), (30, "18-29"), (50, "30-49"), (70, "50-69")):
        if age < hi:
            return band
    return "70+"


def _source_record(p: dict, rng: random.Random, new_address) -> dict:
    v = rng.choices(VARIANTS, weights=VARIANT_WEIGHTS)[0]
    surname = p["surname"]
    if p["sex"] == "F" and (REGISTER_DATE - p["dob"]).days > 20 * 365 and rng.random() < 0.03:
        surname = _surname(rng.choice(SURNAMES), "F")  # maiden or new married name
    given, last = _first_name(p["first"], v, rng), romanise(surname, v)
    patr = romanise(p["patronymic"], v) if rng.random() < 0.7 else ""
    if patr and rng.random() < 0.1:
        patr = patr[0] + "."
    given = _typo(given, rng) if rng.random() < 0.04 else given
    last = _typo(last, rng) if rng.random() < 0.04 else last
    patr = _typo(patr, rng) if patr and rng.random() < 0.04 else patr
    d = p["dob"]
    r = rng.random()
    if r < 0.015 and d.day <= 12 and d.day != d.month:
        dob = f"{d.year:04d}-{d.day:02d}-{d.month:02d}"
    elif r < 0.03:
        s = list(d.isoformat())
        pos = rng.choice([2, 3, 9])  # decade, year or day unit digit
        s[pos] = str((int(s[pos]) + rng.randrange(1, 9)) % 10)
        dob = "".join(s)
        try:
            dt.date.fromisoformat(dob)
        except ValueError:
            dob = d.isoformat()
    elif r < 0.04:
        dob = ""
    else:
        dob = d.isoformat()
    sex = p["sex"]
    r = rng.random()
    sex = "" if r < 0.01 else ("F" if sex == "M" else "M") if r < 0.015 else sex
    addr = new_address() if rng.random() < 0.12 else p["address"]
    postcode = addr.postcode
    r = rng.random()
    if r < 0.02:
        postcode = ""
    elif r < 0.03:
        postcode = postcode[:4] + str((int(postcode[4]) + 1) % 10)
    return {"surname": last, "given_name": given, "patronymic": patr, "birth_date": dob,
            "sex": sex, "address": _latin_address(addr, v), "postcode": postcode,
            "variant": v}


def build(seed: int = 42, households: int = 1200) -> dict[str, pd.DataFrame]:
    """The register (reference, Cyrillic), the admin source (Latin), and the truth of
    both (record_id, person_uid; for the source also age_band, sex, variant)."""
    rng = random.Random(seed)
    new_address = _addresses(rng)
    people = _households(rng, households, new_address)
    outsiders = _households(rng, max(1, households // 12), new_address)

    reg_rows, reg_truth, households = [], [], []
    for i, p in enumerate(people):
        rid = f"R{i + 1:05d}"
        reg_rows.append({
            "nomer": rid, "prizvyshche": p["surname"], "imia": p["first"],
            "po_batkovi": p["patronymic"] if rng.random() > 0.01 else "",
            "data_narodzhennia": p["dob"].strftime("%d.%m.%Y"),
            "stat": "Ч" if p["sex"] == "M" else "Ж",
            "adresa": _register_address(p["address"]), "indeks": p["address"].postcode})
        reg_truth.append({"record_id": rid, "person_uid": f"P{i + 1}"})
        households.append({"record_id": rid, "household": f"H{p['household']}"})

    src_rows = []
    for uid, p, keep in ([(f"P{i + 1}", p, 0.7 if (REGISTER_DATE - p["dob"]).days < 16 * 365
                           else 0.88) for i, p in enumerate(people)]
                         + [(f"X{i + 1}", p, 1.0) for i, p in enumerate(outsiders)]):
        if rng.random() >= keep:
            continue
        n = 2 if rng.random() < 0.06 else 1
        for _ in range(n):
            rec = _source_record(p, rng, new_address)
            rec.update(person_uid=uid, age_band=_age_band(p["dob"]),
                       true_sex=p["sex"])
            src_rows.append(rec)
    rng.shuffle(src_rows)
    src = pd.DataFrame(src_rows)
    src.insert(0, "record_no", [f"A{i + 1:06d}" for i in range(len(src))])
    truth_src = src[["record_no", "person_uid", "age_band", "true_sex", "variant"]].rename(
        columns={"record_no": "record_id", "true_sex": "sex"})
    source = src[["record_no", "surname", "given_name", "patronymic", "birth_date", "sex",
                  "address", "postcode"]]
    return {"register": pd.DataFrame(reg_rows), "truth_register": pd.DataFrame(reg_truth),
            "admin": source, "truth_admin": truth_src,
            "register_households": pd.DataFrame(households)}


if __name__ == "__main__":  # a look at the data
    data = build()
    for k, df in data.items():
        print(k, df.shape)
        print(df.head(8).to_string(), "\n")
