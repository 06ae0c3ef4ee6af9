"""Ukrainian names and places against their Russian forms, by the romanisation key (issue 11).

Ukrainian records reach an office also from Russian-language documents: Олена as Elena,
Харків as Kharkov, Іванівна as Ivanovna, romanised by one of Russia's systems. Each pair
below (a Ukrainian form in Cyrillic, which the standardisation stage transliterates with
the Ukrainian national system, and its Russian form in Cyrillic, written for this check)
has its Russian form romanised by each practical system of `iuliia` (passports: ICAO 9303
since 2013, MVD 310 / 782, GOST 52535; BGN/PCGN, Wikipedia, ...); a variant agrees when
its key equals the Ukrainian form's (first names: the key of the canonical name, looked
up in `linkage_models/nicknames_uk_ru.csv` as the stage does; patronymics by the key of
middle names, towns and streets by that of an address's words).

    .venv/bin/pip install -e .[bench]     # iuliia
    .venv/bin/python benchmarks/russian_forms.py [-v]     # -v: the variants that miss
"""
from __future__ import annotations

import csv
import sys
import warnings

import iuliia

from spinelink import config
from spinelink.backends import open_engine
from spinelink.name_values import name_keys

FIRST = """Олександр:Александр Олексій:Алексей Андрій:Андрей Сергій:Сергей Володимир:Владимир
Дмитро:Дмитрий Микола:Николай Михайло:Михаил Іван:Иван Юрій:Юрий Василь:Василий Петро:Пётр
Віктор:Виктор Євген:Евгений Григорій:Григорий Богдан:Богдан Тарас:Тарас Ярослав:Ярослав
Ігор:Игорь Олег:Олег Павло:Павел Степан:Степан Роман:Роман Максим:Максим Артем:Артём
Віталій:Виталий Анатолій:Анатолий Валерій:Валерий Геннадій:Геннадий Костянтин:Константин
Станіслав:Станислав Вадим:Вадим Денис:Денис Руслан:Руслан Назар:Назар Федір:Фёдор
Кирило:Кирилл Микита:Никита Данило:Даниил Яків:Яков Георгій:Георгий Леонід:Леонид
Аркадій:Аркадий Антон:Антон Ілля:Илья Матвій:Матвей Тимофій:Тимофей Остап:Остап Харитон:Харитон
Олена:Елена Наталія:Наталья Тетяна:Татьяна Ірина:Ирина Світлана:Светлана Юлія:Юлия
Оксана:Оксана Людмила:Людмила Галина:Галина Марія:Мария Ольга:Ольга Катерина:Екатерина
Ганна:Анна Надія:Надежда Любов:Любовь Валентина:Валентина Лариса:Лариса Вікторія:Виктория
Анастасія:Анастасия Софія:София Дарія:Дарья Христина:Кристина Ярослава:Ярослава
Олександра:Александра Євгенія:Евгения Лілія:Лилия Віра:Вера Ніна:Нина Алла:Алла Інна:Инна
Тамара:Тамара Єлизавета:Елизавета Зоя:Зоя Поліна:Полина Ксенія:Ксения Уляна:Ульяна
Олеся:Олеся Василина:Василиса Зінаїда:Зинаида Раїса:Раиса Марина:Марина""".split()
SURNAMES = """Шевченко:Шевченко Коваленко:Коваленко Бондаренко:Бондаренко Олійник:Олейник
Шевчук:Шевчук Поліщук:Полищук Бойко:Бойко Ковальчук:Ковальчук Мельник:Мельник Мороз:Мороз
Лисенко:Лысенко Харченко:Харченко Захарченко:Захарченко Ющенко:Ющенко Щербак:Щербак
Журавель:Журавель Цибульський:Цыбульский Чорновол:Черновол Гнатюк:Гнатюк Гаврилюк:Гаврилюк
Грищенко:Грищенко Ковальська:Ковальская Вишневський:Вишневский Яковенко:Яковенко
Юрченко:Юрченко Яременко:Еременко Федоренко:Федоренко Мацюк:Мацюк Іваненко:Иваненко
Остапчук:Остапчук Дячук:Дьячук Головко:Головко Гребенюк:Гребенюк Хоменко:Хоменко
Чорна:Черная Ігнатенко:Игнатенко Прокопенко:Прокопенко Литвиненко:Литвиненко
Ємельяненко:Емельяненко Матвієнко:Матвиенко Андрієвський:Андриевский Зінченко:Зинченко
Білий:Белый Сірий:Серый Гончаренко:Гончаренко Кравець:Кравец Коваль:Коваль Ткач:Ткач
Пилипенко:Пилипенко Приходько:Приходько Левицький:Левицкий Хмельницька:Хмельницкая
Гуменюк:Гуменюк Гайдай:Гайдай Соловій:Соловей Ярош:Ярош Сидоренко:Сидоренко
Кузьменко:Кузьменко Савченко:Савченко Руденко:Руденко Марченко:Марченко Оніщенко:Онищенко
Чередниченко:Чередниченко Стецький:Стецкий Дорошенко:Дорошенко Ляшенко:Ляшенко
Тимошенко:Тимошенко Кучма:Кучма Медведчук:Медведчук Ярмоленко:Ярмоленко""".split()
PATRONYMICS = """Іванівна:Ивановна Петрівна:Петровна Сергіївна:Сергеевна Андріївна:Андреевна
Ігорівна:Игоревна Юріївна:Юрьевна Олексіївна:Алексеевна Василівна:Васильевна
Миколаївна:Николаевна Володимирівна:Владимировна Євгенівна:Евгеньевна Олегівна:Олеговна
Іванович:Иванович Петрович:Петрович Сергійович:Сергеевич Андрійович:Андреевич
Ігорович:Игоревич Юрійович:Юрьевич Олексійович:Алексеевич Васильович:Васильевич
Миколайович:Николаевич Володимирович:Владимирович Євгенович:Евгеньевич Олегович:Олегович""".split()
PLACES = """Київ:Киев Харків:Харьков Львів:Львов Чернігів:Чернигов Дніпро:Днепр Вінниця:Винница
Одеса:Одесса Черкаси:Черкассы Житомир:Житомир Полтава:Полтава Запоріжжя:Запорожье
Миколаїв:Николаев Херсон:Херсон Суми:Сумы Рівне:Ровно Тернопіль:Тернополь Луцьк:Луцк
Хмельницький:Хмельницкий Чернівці:Черновцы Кременчук:Кременчуг Маріуполь:Мариуполь
Ужгород:Ужгород Бердичів:Бердичев Ніжин:Нежин Кривий:Кривой Біла:Белая Церква:Церковь
Шевченка:Шевченко Хмельницького:Хмельницкого Центральна:Центральная Шкільна:Школьная
Садова:Садовая Миру:Мира Українки:Украинки Грушевського:Грушевского Січових:Сечевых
Стрільців:Стрельцов Зелена:Зеленая Польова:Полевая Лісова:Лесная Соборна:Соборная
Набережна:Набережная Пушкіна:Пушкина Гагаріна:Гагарина Франка:Франко Пирогова:Пирогова
Коцюбинського:Коцюбинского Котляревського:Котляревского Сковороди:Сковороды Мазепи:Мазепы
Незалежності:Независимости Перемоги:Победы Молодіжна:Молодежная Підгірна:Подгорная""".split()
SCHEMAS = ["icao_doc_9303", "mvd_310", "mvd_782", "gost_52535", "bgn_pcgn", "wikipedia",
           "mosmetro", "yandex_money", "yandex_maps", "telegram", "gost_7034", "ala_lc"]


def canonical_keys(eng) -> dict[str, str]:
    """Key of a name -> key of its canonical name, by the Ukrainian / Russian table."""
    with open(config.MODELS_DIR / "nicknames_uk_ru.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    nick = name_keys(eng, [r["nickname"] for r in rows])
    canon = name_keys(eng, [r["canonical"] for r in rows])
    found: dict[str, set[str]] = {}
    for (_, a), (_, b) in zip(nick, canon, strict=True):
        found.setdefault(a, set()).add(b)
    return {k: next(iter(v)) for k, v in found.items() if len(v) == 1 and k not in v}


def main() -> int:
    show = "-v" in sys.argv
    eng = open_engine()
    warnings.simplefilter("ignore")
    canon = canonical_keys(eng)
    # each by the key of its field: middle_name_rom's rules, address_rom's (the scopes of
    # linkage_models/romanisation.csv), the other names' without a scope
    for label, lst, by_canon, scope in (
            ("first names", FIRST, True, None), ("patronymics", PATRONYMICS, False, "middle_name"),
            ("surnames", SURNAMES, False, None), ("towns and streets", PLACES, False, "address")):
        pairs = [p.split(":") for p in lst]

        def keys(values, by_canon=by_canon, scope=scope):
            return [canon.get(r, r) if by_canon else r
                    for _, r in name_keys(eng, values, scope=scope)]

        uk = keys([u for u, _ in pairs])
        total = same = 0
        miss: dict[tuple[str, str], set[str]] = {}
        for name in SCHEMAS:
            schema = iuliia.schemas.get(name)
            latin = [schema.translate(r) for _, r in pairs]
            for (u, _), a, b, lat in zip(pairs, uk, keys(latin), latin, strict=True):
                total += 1
                same += a == b
                if a != b:
                    miss.setdefault((u, a), set()).add(f"{lat} -> {b}")
        print(f"{label}: {same} of {total} romanised Russian forms have the Ukrainian "
              f"form's key ({same / total:.1%}); pairs with a miss: {len(miss)} of {len(pairs)}")
        if show:
            for (_, a), v in miss.items():
                print(f"   {a:14s} <- {'; '.join(sorted(v)[:4])}")
    eng.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
