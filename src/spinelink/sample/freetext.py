# ruff: noqa: E501 - answer tables
"""Free-text survey answers with their true codes: place of birth and citizenship
(ISO 3166 alpha-3, or ISO 3166-2 when a region is named), mother tongue (ISO 639-3), job
title (ISCO-08 sub-major group) and employer's activity (NACE Rev. 2 division or
section).

Answers vary as people write them: Ukrainian, Russian or English, upper or lower case,
typos, abbreviations (обл., м.), old country names (Білорусія, Молдавія, Киргизія), a
region or city instead of the country, Latin look-alike letters in Cyrillic words, vague
answers (Європа, пенсіонер; true code VG), "don't know" or a blank (NS), and a blank
activity (to be derived from the occupation: true code the activity's own).
The answer lists here are the generator's own (the generator reads nothing from
linkage_models/). A separate random stream keeps every other column of the sources as
it was.
"""
from __future__ import annotations

import re

import numpy as np

from . import codes
from .cultures import CULTURE_KEYS
from .people import Population, stream
from .translit import kmu2010, passport_style

CYRILLIC = re.compile("[\u0400-\u04ff]")

COLUMNS = ["place_of_birth", "citizenship", "mother_tongue", "job_title",
           "employer_activity"]
VARIABLES = {"place_of_birth": "birthplace", "citizenship": "citizenship",
             "mother_tongue": "language", "job_title": "occupation",
             "employer_activity": "activity"}

# country -> (Ukrainian, Russian, English) ways of writing it; former names after "|"
COUNTRIES = {
    "UKR": (["Україна", "Украина"], ["Украина", "Україна"], ["Ukraine", "UKRAINE"]),
    "GBR": (["Велика Британія", "Великобританія"], ["Великобритания"],
            ["United Kingdom", "UK", "Great Britain", "Britain", "U.K."]),
    "GB-ENG": (["Англія"], ["Англия"], ["England", "ENGLAND", "england"]),
    "GB-SCT": (["Шотландія"], ["Шотландия"], ["Scotland"]),
    "GB-WLS": (["Уельс"], ["Уэльс"], ["Wales"]),
    "RUS": (["Росія", "РФ"], ["Россия", "Российская Федерация"], ["Russia"]),
    "BLR": (["Білорусь", "Білорусія"], ["Беларусь", "Белоруссия"], ["Belarus"]),
    "MDA": (["Молдова", "Молдавія"], ["Молдова", "Молдавия"], ["Moldova", "Moldavia"]),
    "KGZ": (["Киргизія", "Киргизстан"], ["Киргизия", "Кыргызстан"], ["Kyrgyzstan"]),
    "KAZ": (["Казахстан"], ["Казахстан"], ["Kazakhstan"]),
    "POL": (["Польща"], ["Польша"], ["Poland", "poland"]),
    "ROU": (["Румунія"], ["Румыния"], ["Romania"]),
    "SVN": (["Словенія"], ["Словения"], ["Slovenia"]),
    "PRT": (["Португалія"], ["Португалия"], ["Portugal"]),
    "IND": (["Індія"], ["Индия"], ["India", "india"]),
    "PAK": (["Пакистан"], ["Пакистан"], ["Pakistan"]),
    "BGD": (["Бангладеш"], ["Бангладеш"], ["Bangladesh"]),
    "IRN": (["Іран"], ["Иран"], ["Iran"]),
    "AFG": (["Афганістан"], ["Афганистан"], ["Afghanistan"]),
    "NGA": (["Нігерія"], ["Нигерия"], ["Nigeria"]),
    "GHA": (["Гана"], ["Гана"], ["Ghana"]),
    "IRL": (["Ірландія"], ["Ирландия"], ["Ireland"]),
    "DEU": (["Німеччина"], ["Германия"], ["Germany"]),
}
# oblast code -> (uk adjective, ru adjective, English name, uk centre, ru centre)
OBLASTS = {
    "UA-46": ("Львівська", "Львовская", "Lviv", "Львів", "Львов"),
    "UA-63": ("Харківська", "Харьковская", "Kharkiv", "Харків", "Харьков"),
    "UA-51": ("Одеська", "Одесская", "Odesa", "Одеса", "Одесса"),
    "UA-12": ("Дніпропетровська", "Днепропетровская", "Dnipropetrovsk", "Дніпро", "Днепр"),
    "UA-14": ("Донецька", "Донецкая", "Donetsk", "Донецьк", "Донецк"),
    "UA-05": ("Вінницька", "Винницкая", "Vinnytsia", "Вінниця", "Винница"),
    "UA-53": ("Полтавська", "Полтавская", "Poltava", "Полтава", "Полтава"),
    "UA-71": ("Черкаська", "Черкасская", "Cherkasy", "Черкаси", "Черкассы"),
    "UA-61": ("Тернопільська", "Тернопольская", "Ternopil", "Тернопіль", "Тернополь"),
}
# births and citizenships per culture (code: weight; "UA-*": one of the oblasts)
BIRTH = {
    "english": {"GB-ENG": 70, "GB-SCT": 6, "GB-WLS": 5, "GBR": 12, "IRL": 2, "DEU": 1},
    "sa_muslim": {"PAK": 40, "BGD": 20, "GBR": 25, "GB-ENG": 15},
    "sa_hindu": {"IND": 60, "GBR": 25, "GB-ENG": 15},
    "sa_sikh": {"IND": 55, "GBR": 30, "GB-ENG": 15},
    "persian": {"IRN": 70, "AFG": 20, "GBR": 10},
    "ukrainian": {"UA-*": 45, "UKR": 35, "RUS": 6, "BLR": 4, "MDA": 4, "KGZ": 3, "KAZ": 3},
    "slovene": {"SVN": 85, "GBR": 15},
    "polish": {"POL": 85, "GBR": 15},
    "romanian": {"ROU": 70, "MDA": 20, "GBR": 10},
    "portuguese": {"PRT": 85, "GBR": 15},
    "west_african": {"NGA": 60, "GHA": 25, "GBR": 15},
}
LANGUAGE = {  # culture -> {code: weight}
    "english": {"eng": 100}, "sa_muslim": {"urd": 50, "ben": 25, "pan": 10, "eng": 15},
    "sa_hindu": {"guj": 40, "hin": 30, "pan": 10, "eng": 20}, "sa_sikh": {"pan": 85, "eng": 15},
    "persian": {"fas": 90, "eng": 10}, "ukrainian": {"ukr": 60, "rus": 35, "crh": 5},
    "slovene": {"slv": 95, "eng": 5}, "polish": {"pol": 95, "eng": 5},
    "romanian": {"ron": 95, "eng": 5}, "portuguese": {"por": 95, "eng": 5},
    "west_african": {"eng": 60, "yor": 40},
}
LANGUAGES = {
    "eng": (["англійська", "англійська мова"], ["английский"], ["English", "english", "ENGLISH"]),
    "ukr": (["українська", "Українська мова", "укр.", "українська мова"],
            ["украинский", "украинский язык"], ["Ukrainian", "ukrainian"]),
    "rus": (["російська", "рос.", "російська мова"], ["русский", "Русский язык", "русский"],
            ["Russian"]),
    "crh": (["кримськотатарська"], ["крымскотатарский"], ["Crimean Tatar"]),
    "urd": (["урду"], ["урду"], ["Urdu", "urdu"]), "ben": (["бенгальська"], ["бенгальский"],
                                                         ["Bengali", "Bangla"]),
    "pan": (["панджабі"], ["панджаби"], ["Punjabi", "Panjabi"]),
    "guj": (["гуджараті"], ["гуджарати"], ["Gujarati"]),
    "hin": (["гінді"], ["хинди"], ["Hindi"]), "fas": (["перська"], ["персидский", "фарси"],
                                                   ["Persian", "Farsi"]),
    "slv": (["словенська"], ["словенский"], ["Slovenian", "Slovene"]),
    "pol": (["польська"], ["польский"], ["Polish", "polish"]),
    "ron": (["румунська", "молдовська"], ["румынский", "молдавский"], ["Romanian"]),
    "por": (["португальська"], ["португальский"], ["Portuguese"]),
    "yor": (["йоруба"], ["йоруба"], ["Yoruba"]),
}
# jobs: (ISCO-08 sub-major, NACE activity of the employer, uk, ru, en titles, employers
# as (uk, ru, en) answers); the activity code is the employer's
JOBS = [
    ("23", "85", ["вчитель", "вчителька", "вчитель початкових класів", "викладач"],
     ["учитель", "учительница", "преподаватель"], ["teacher", "Teacher", "secondary school teacher"],
     (["школа", "гімназія", "ЗОШ №5"], ["школа", "средняя школа"], ["school", "Primary School"])),
    ("22", "86", ["лікар", "медсестра", "лікар-терапевт"], ["врач", "медсестра"],
     ["nurse", "doctor", "staff nurse"], (["лікарня", "поліклініка"], ["больница"],
                                          ["hospital", "NHS hospital"])),
    ("83", "49", ["водій", "водій автобуса", "таксист"], ["водитель", "шофер"],
     ["driver", "bus driver", "taxi driver", "lorry driver"],
     (["транспорт", "таксі"], ["транспорт", "такси"], ["transport", "haulage", "taxi"])),
    ("52", "47", ["продавець", "продавчиня", "продавець-консультант"], ["продавец", "продавщица"],
     ["shop assistant", "sales assistant", "retail assistant"],
     (["магазин", "супермаркет"], ["магазин", "супермаркет"], ["supermarket", "shop", "retail"])),
    ("24", "69", ["бухгалтер", "головний бухгалтер"], ["бухгалтер", "главный бухгалтер"],
     ["accountant", "Accountant"], (["бухгалтерія"], ["бухгалтерия"],
                                    ["accounting firm", "accountancy"])),
    ("25", "62", ["програміст", "розробник"], ["программист", "разработчик"],
     ["software developer", "programmer", "software engineer"],
     (["IT", "айті", "IT компанія"], ["IT", "айти"], ["IT", "software company", "IT company"])),
    ("71", "F", ["будівельник", "муляр", "штукатур"], ["строитель", "каменщик"],
     ["builder", "bricklayer", "plasterer"], (["будівництво", "будова"], ["строительство", "стройка"],
                                              ["construction", "building site"])),
    ("51", "56", ["кухар", "офіціантка", "бармен"], ["повар", "официантка"],
     ["cook", "waitress", "waiter", "kitchen cook"], (["ресторан", "кафе"], ["ресторан", "кафе"],
                                                        ["restaurant", "cafe", "pub"])),
    ("91", "81", ["прибиральниця", "прибиральник"], ["уборщица"], ["cleaner", "office cleaner"],
     (["клінінг"], ["клининг"], ["cleaning company"])),
    ("53", "87", ["доглядальниця", "няня"], ["сиделка", "няня"], ["care worker", "carer", "care assistant"],
     (["будинок престарілих"], ["дом престарелых"], ["care home", "nursing home"])),
    ("54", "84", ["поліцейський", "охоронець"], ["полицейский", "охранник"],
     ["police officer", "security guard"], (["поліція"], ["полиция"], ["police"])),
    ("72", "45", ["автомеханік", "слюсар", "зварювальник"], ["автомеханик", "слесарь", "сварщик"],
     ["mechanic", "car mechanic", "welder"], (["автосервіс", "СТО"], ["автосервис"], ["garage", "car repair"])),
    ("74", "43", ["електрик", "електромонтер"], ["электрик"], ["electrician", "Electrician"],
     (["ремонт квартир"], ["ремонт квартир"], ["building trades"])),
    ("93", "52", ["вантажник", "різноробочий", "пакувальник"], ["грузчик", "разнорабочий"],
     ["warehouse operative", "packer", "labourer"], (["склад"], ["склад"], ["warehouse", "logistics"])),
    ("1", "64", ["менеджер", "керівник відділу", "директор"], ["менеджер", "руководитель"],
     ["manager", "Manager", "director"], (["банк", "ПриватБанк"], ["банк"], ["bank", "Bank"])),
    ("61", "01", ["фермер", "тваринник"], ["фермер"], ["farmer", "dairy farmer"],
     (["ферма", "фермерське господарство"], ["ферма"], ["farm", "Farm"])),
    ("41", "84", ["секретар", "діловод"], ["секретарь"], ["secretary", "office clerk"],
     (["міська рада", "адміністрація"], ["администрация"], ["council", "local authority"])),
    ("26", "69", ["юрист", "адвокат"], ["юрист", "адвокат"], ["solicitor", "lawyer"],
     (["юридична фірма"], ["юридическая фирма"], ["law firm", "solicitors"])),
]
VAGUE_JOBS = (["робота", "працівник", "спеціаліст"], ["работник", "специалист"], ["worker", "employee"])
NOT_STATED = (["не знаю", "невідомо", "-"], ["не знаю", "затрудняюсь ответить"],
              ["don't know", "unknown", "n/a", "?"])
VAGUE_PLACES = (["Європа", "за кордоном"], ["Европа", "СНГ"], ["Europe", "abroad"])
VAGUE_EMPLOYERS = (["приватна фірма", "ТОВ", "підприємство"], ["частная фирма", "ООО"],
                   ["private company", "Ltd", "company"])
# Latin letters typed for Cyrillic look-alikes
HOMOGLYPHS = {"а": "a", "е": "e", "і": "i", "о": "o", "р": "p", "с": "c"}


def _pick(rng, weights: dict) -> str:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def _one(rng, items):
    return items[int(rng.integers(len(items)))]


def _noisy(rng, text: str) -> str:
    """Typos (a second one now and then), case, spaces, look-alike letters, and Cyrillic
    answers typed in Latin letters (Ukrainian national or passport-style
    transliteration), each now and then."""
    if not text or len(text) < 4:
        return text
    r = rng.random(7)
    if r[5] < 0.04 and CYRILLIC.search(text):
        text = (kmu2010 if r[6] < 0.5 else passport_style)(text)
    if r[4] < 0.02 and len(text) >= 8:  # a second typo: a letter dropped
        i = int(rng.integers(1, len(text) - 1))
        text = text[:i] + text[i + 1:]
    if r[0] < 0.06:  # a typo: a letter dropped, doubled or two swapped
        i = int(rng.integers(1, len(text) - 1))
        kind = int(rng.integers(3))
        if kind == 0:
            text = text[:i] + text[i + 1:]
        elif kind == 1:
            text = text[:i] + text[i] + text[i:]
        else:
            text = text[:i - 1] + text[i] + text[i - 1] + text[i + 1:]
    if r[1] < 0.05:
        text = text.upper()
    elif r[1] < 0.12:
        text = text.lower()
    if r[2] < 0.04:
        text = f" {text}  "
    if r[3] < 0.03:  # one Cyrillic letter typed on a Latin layout
        hits = [i for i, ch in enumerate(text) if ch in HOMOGLYPHS]
        if hits:
            i = _one(rng, hits)
            text = text[:i] + HOMOGLYPHS[text[i]] + text[i + 1:]
    return text


def _place(rng, code: str, lang: int, allow_region: bool) -> tuple[str, str]:
    """(answer, true code) for a place; a Ukrainian oblast code is written as the oblast
    or its centre."""
    if code == "UA-*":
        code = _one(rng, sorted(OBLASTS))
        if not allow_region:
            code = "UKR"
    if code in OBLASTS:
        uk, ru, en, cuk, cru = OBLASTS[code]
        forms = ([f"{uk} обл.", f"{uk} область", f"м. {cuk}", cuk, f"Україна, {uk} обл."],
                 [f"{ru} обл.", f"{ru} область", f"г. {cru}", cru],
                 [f"{en} oblast", f"{en} region", en])[lang]
        return _one(rng, forms), code
    return _one(rng, COUNTRIES[code][lang]), code


def _lang_of(rng, culture: str) -> int:
    """0 Ukrainian, 1 Russian, 2 English: the language an answer is written in."""
    if culture == "ukrainian":
        return int(rng.choice(3, p=[0.55, 0.3, 0.15]))
    return 2


def free_text(pop: Population, persons: np.ndarray, seed: int) -> tuple[dict, list[tuple]]:
    """Columns (COLUMNS) for the records of `persons`, and truth rows
    (record index, variable, true code of the answer, code of what the person does: the
    job's occupation or activity where the answer is vague, not stated or blank, else the
    answer's code)."""
    rng = stream(seed, "survey_free_text")
    cols = {c: np.full(len(persons), None, dtype=object) for c in COLUMNS}
    truth: list[tuple] = []
    for i, p in enumerate(persons):
        culture = CULTURE_KEYS[int(pop.culture[p])]
        lang = _lang_of(rng, culture)
        r = rng.random(8)
        # place of birth
        if r[0] < 0.03:
            text, code = _one(rng, NOT_STATED[lang]), "NS"
        elif r[0] < 0.05:
            text, code = _one(rng, VAGUE_PLACES[lang]), "VG"
        else:
            text, code = _place(rng, _pick(rng, BIRTH[culture]), lang, True)
            text = _noisy(rng, text)
        cols["place_of_birth"][i] = text
        truth.append((i, "birthplace", code, code))
        # citizenship: the country of birth or British
        born = code if code not in ("NS", "VG") else "GBR"
        country = "UKR" if born.startswith("UA-") else ("GBR" if born.startswith("GB") else born)
        if r[1] < 0.02:
            text, ccode = _one(rng, NOT_STATED[lang]), "NS"
        else:
            ccode = "GBR" if r[2] < 0.35 or culture == "english" else country
            text, ccode = _place(rng, ccode, lang, False)
            text = _noisy(rng, text)
        cols["citizenship"][i] = text
        truth.append((i, "citizenship", ccode, ccode))
        # mother tongue
        lcode = _pick(rng, LANGUAGE[culture])
        if r[3] < 0.02:
            text, lcode = _one(rng, NOT_STATED[lang]), "NS"
        else:
            text = _noisy(rng, _one(rng, LANGUAGES[lcode][lang]))
        cols["mother_tongue"][i] = text
        truth.append((i, "language", lcode, lcode))
        # job and employer, for the employed
        if int(pop.employment[p]) != codes.EMPLOYED:
            continue
        job = JOBS[int(rng.integers(len(JOBS)))]
        if r[4] < 0.04:
            title, ocode = _one(rng, VAGUE_JOBS[lang]), "VG"
        elif r[4] < 0.06:
            title, ocode = _one(rng, NOT_STATED[lang]), "NS"
        else:
            title, ocode = _noisy(rng, _one(rng, job[2 + lang])), job[0]
        cols["job_title"][i] = title
        truth.append((i, "occupation", ocode, job[0]))
        if r[5] < 0.12:  # left blank: derived from the occupation where it can be
            employer, acode = None, job[1]
        elif r[5] < 0.17:
            employer, acode = _one(rng, VAGUE_EMPLOYERS[lang]), "VG"
        else:
            employer, acode = _noisy(rng, _one(rng, job[5][lang])), job[1]
        cols["employer_activity"][i] = employer
        truth.append((i, "activity", acode, job[1]))
    return cols, truth
