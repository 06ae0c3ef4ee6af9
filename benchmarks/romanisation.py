"""How well the romanisation key (`*_rom`) joins romanisation variants and keeps names apart.

Joins: Russian names (names-dataset, Russia: top first names of each sex and top
surnames, in Cyrillic) and a hand-written list of common Ukrainian names are romanised
with every system of `iuliia` (Russian) and `translitua` (Ukrainian and Russian), passed
through the standardisation stage's cleaning, and keyed; a variant agrees when its key
equals the key of the Cyrillic original (which the stage transliterates with the Ukrainian
national system). Scholarly systems that write letters with diacritics or one-letter
forms (ISO 9, GOST 7.79 A, DSTU 9112 A) and French systems are reported apart: a folding
of plain Latin text cannot recover what they merge.

Collisions: distinct cleaned names of one list that share a key with another name of
that list (names-dataset top first names and surnames of Great Britain, the USA and
Russia, Poland, Germany, France), for the romanisation key and, for scale, for the
Metaphone and NYSIIS codes the model already compares; `pairs` is the number of pairs of
distinct names in one key group (what a block on the key alone would add).

    .venv/bin/pip install -e .[bench,names]     # iuliia, translitua, names-dataset
    .venv/bin/python benchmarks/romanisation.py [--top 2000]

Keys are computed by the standardisation stage's own macros (spinelink.standardise.
name_keys), so the figures are those of the running code.
"""
from __future__ import annotations

import argparse
import re
import warnings
from collections import Counter, defaultdict

import jellyfish

from spinelink.backends import open_engine
from spinelink.name_values import name_keys

# Common Ukrainian first names and surnames (written for this check).
UKRAINIAN = """
Олександр Олексій Андрій Сергій Володимир Дмитро Микола Михайло Іван Юрій Василь Петро
Віктор Євген Григорій Богдан Тарас Ярослав Ігор Олег Павло Степан Роман Максим Артем
Віталій Анатолій Валерій Геннадій Костянтин Станіслав Вадим Денис Руслан Назар Остап
Олена Наталія Тетяна Ірина Світлана Юлія Оксана Людмила Галина Марія Ольга Катерина
Анна Ганна Надія Любов Валентина Лариса Вікторія Анастасія Софія Дарія Христина Соломія
Ярослава Олександра Євгенія Лілія Зоряна Уляна Мирослава Віра Ніна Алла Інна Тамара
Шевченко Коваленко Бондаренко Ткаченко Кравченко Олійник Шевчук Поліщук Бойко Ковальчук
Мельник Кравчук Ткачук Савченко Руденко Мороз Марченко Лисенко Петренко Клименко Павленко
Кузьменко Гончаренко Левченко Харченко Сидоренко Захарченко Ющенко Щербак Щербина Жук
Журавель Цибульський Чорновол Гнатюк Гаврилюк Грищенко Ковальська Вишневський Яковенко
Юрченко Яременко Федоренко Мацюк Фещенко Іваненко Остапчук Дячук Головко Гребенюк Костенко
Хоменко Чорна Ігнатенко Прокопенко Литвиненко Ємельяненко Матвієнко Андрієвський Зінченко
"""
SCHOLARLY = re.compile(r"iso_?9|ISO9|gost_779$|gost_16876$|DSTU9112A|French|mvd_310_fr|"
                       r"ALALC$|ala_lc$|scientific|ungegn|GOST1986|WWS")


def systems():
    """(name, function from Cyrillic text to Latin) for every system of both packages."""
    import iuliia
    import translitua

    out = []
    for name in iuliia.schemas.names():
        schema = iuliia.schemas.get(name)
        out.append((f"iuliia:{name}", "ru", schema.translate))
    for table in translitua.ALL_UKRAINIAN:
        out.append((f"translitua:{table.__name__}", "uk",
                    lambda s, t=table: translitua.translit(s, t)))
    for table in translitua.ALL_RUSSIAN:
        out.append((f"translitua:{table.__name__}", "ru",
                    lambda s, t=table: translitua.translit(s, t)))
    return out


def top_names(top: int) -> dict[str, list[str]]:
    from names_dataset import NameDataset

    nd = NameDataset()
    lists: dict[str, list[str]] = {}
    for cc in ("GB", "US", "RU", "PL", "DE", "FR"):
        first = nd.get_top_names(n=top, country_alpha2=cc)[cc]
        lists[f"{cc} first"] = [*first.get("M", []), *first.get("F", [])]
        lists[f"{cc} last"] = nd.get_top_names(n=top, use_first_names=False,
                                               country_alpha2=cc)[cc]
    return lists


def keys(engine, values: list[str]) -> tuple[list, list]:
    """Cleaned names and their keys, computed by the stage's macros."""
    pairs = name_keys(engine, values)
    return [c for c, _ in pairs], [r for _, r in pairs]


def agreement(engine, names: dict[str, list[str]]) -> None:
    print("\n## Variants joined (share of romanised variants with the original's key)\n")
    print("| system | lang | names | same clean form | same Metaphone | same NYSIIS "
          "| same rom key |")
    print("|---|---|---:|---:|---:|---:|---:|")
    totals: dict[str, Counter] = defaultdict(Counter)
    for system, lang, fn in systems():
        cyr = names[lang]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            latin = [fn(v) for v in cyr]
        c0, r0 = keys(engine, cyr)
        c1, r1 = keys(engine, latin)
        n = len(cyr)
        same = Counter()
        for a, b, ra, rb in zip(c0, c1, r0, r1, strict=True):
            same["clean"] += a == b
            same["mp"] += jellyfish.metaphone(a or "") == jellyfish.metaphone(b or "")
            same["ny"] += jellyfish.nysiis(a or "") == jellyfish.nysiis(b or "")
            same["rom"] += ra == rb
        group = "scholarly/French" if SCHOLARLY.search(system) else "practical"
        totals[group].update(same)
        totals[group]["n"] += n
        print(f"| {system} | {lang} | {n} | {same['clean'] / n:.1%} | {same['mp'] / n:.1%} "
              f"| {same['ny'] / n:.1%} | {same['rom'] / n:.1%} |")
    for group, t in totals.items():
        print(f"| **all {group}** | | {t['n']} | {t['clean'] / t['n']:.1%} | "
              f"{t['mp'] / t['n']:.1%} | {t['ny'] / t['n']:.1%} | {t['rom'] / t['n']:.1%} |")


def collisions(engine, lists: dict[str, list[str]]) -> None:
    print("\n## Distinct names that share a key with another name of the same list\n")
    print("| list | distinct names | rom: names | rom: pairs | rom: largest | "
          "Metaphone: names | Metaphone: pairs | NYSIIS: names | NYSIIS: pairs |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, values in lists.items():
        clean, rom = keys(engine, values)
        distinct = {c: r for c, r in zip(clean, rom, strict=True) if c}
        row = [label, str(len(distinct))]
        for code in ("rom", "mp", "ny"):
            codes = {"rom": distinct.get, "mp": jellyfish.metaphone, "ny": jellyfish.nysiis}
            groups = Counter(codes[code](c) for c in distinct)
            names = sum(k for k in groups.values() if k > 1)
            pairs = sum(k * (k - 1) // 2 for k in groups.values())
            row += [str(names), str(pairs)]
            if code == "rom":
                row.append(str(max(groups.values(), default=0)))
        print("| " + " | ".join(row) + " |")


def examples(engine, values: list[str], n: int = 25) -> None:
    clean, rom = keys(engine, values)
    groups = defaultdict(set)
    for c, r in zip(clean, rom, strict=True):
        if c:
            groups[r].add(c)
    shared = [sorted(g) for g in groups.values() if len(g) > 1]
    print("\nexamples: " + "; ".join(" / ".join(g) for g in sorted(shared)[:n]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--top", type=int, default=2000, help="names per list from names-dataset")
    args = ap.parse_args(argv)
    engine = open_engine()
    lists = top_names(args.top)
    ru = [v for v in (*lists["RU first"], *lists["RU last"])
          if re.fullmatch(r"[А-Яа-яЁё-]+", v)]
    agreement(engine, {"ru": ru, "uk": UKRAINIAN.split()})
    collisions(engine, lists)
    for label in ("GB first", "GB last", "US first"):
        examples(engine, lists[label])
    engine.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
