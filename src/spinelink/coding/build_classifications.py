"""Rebuild the territory and language classifications from pycountry.

    python -m spinelink.coding.build_classifications [--out linkage_models/classifications]

Writes `territory.csv` / `territory_index.csv` (ISO 3166-1 alpha-3 countries, with their
alpha-3 and numeric codes as answers, a few former countries of ISO 3166-3, the ISO 3166-2
subdivisions of Ukraine and the United Kingdom's four nations) and `language.csv` /
`language_index.csv` (ISO 639-3: every language with an ISO 639-1 code plus a few more,
with their ISO 639-2 codes as answers), with English names and the Ukrainian and Russian
translations pycountry carries as gettext catalogues, merged with the hand-written aliases
in `hand/` (former and colloquial names, oblast centres, adjective forms). The run itself
reads only the committed CSV files: no network, no pycountry.
"""
from __future__ import annotations

import argparse
import csv
import gettext
import re
from pathlib import Path

CODE_COLUMNS = ["code", "level", "parent", "label_en", "label_uk", "label_ru", "source"]
INDEX_COLUMNS = ["code", "lang", "kind", "text"]
SUBDIVISION_COUNTRIES = ("UA",)
GB_NATIONS = ("GB-ENG", "GB-SCT", "GB-WLS", "GB-NIR")
FORMER = ("SUN", "CSK", "YUG", "DDR")  # ISO 3166-3 alpha-3 of countries people were born in
PARENTHESIS = re.compile(r"\s*\([^)]*\)")  # "Swahili (macrolanguage)"
EXTRA_LANGUAGES = ("crh", "rue", "rom", "bfi", "ukl")  # sign languages: ISO 639-3 has no sgn


def _translators(domain: str):
    import pycountry

    def one(lang):
        try:
            return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[lang]).gettext
        except OSError:
            return lambda s: s
    return {"uk": one("uk"), "ru": one("ru")}


def _translated(tr, name: str | None) -> str | None:
    if not name:
        return None
    t = tr(name)
    return t if t != name else None


def _names(obj) -> list[str]:
    out = []
    for attr in ("name", "official_name", "common_name"):
        v = getattr(obj, attr, None)
        v = re.sub(r"\s*\[[^\]]*\]", "", v).strip() if v else v  # "Wales [Cymru GB-CYM]"
        if v:
            out.append(v)
            if ", " in v:  # "Moldova, Republic of" -> "Moldova", "Republic of Moldova"
                head, tail = v.split(", ", 1)
                out += [head, f"{tail} {head}"]
    return list(dict.fromkeys(out))


def build_territory(hand: Path, version: str) -> tuple[list[list], list[list]]:
    import pycountry

    tr1, tr2, tr3 = _translators("iso3166-1"), _translators("iso3166-2"), \
        _translators("iso3166-3")
    codes, index = [], []
    src = f"pycountry {version} ISO 3166-1"

    def add(code, level, parent, obj, tr, source):
        en = getattr(obj, "common_name", None) or obj.name
        uk = _translated(tr["uk"], obj.name) or _translated(tr["uk"], en)
        ru = _translated(tr["ru"], obj.name) or _translated(tr["ru"], en)
        codes.append([code, level, parent, en, uk, ru, source])
        for n in _names(obj):
            index.append([code, "en", "label", n])
            for lang in ("uk", "ru"):
                t = _translated(tr[lang], n)
                if t:
                    index.append([code, lang, "label", t])

    for c in sorted(pycountry.countries, key=lambda c: c.alpha_3):
        add(c.alpha_3, "country", "", c, tr1, src)
        index.append([c.alpha_3, "en", "alias", c.alpha_3])
        index.append([c.alpha_3, "en", "alias", c.numeric])  # a code for the text: 804
    for code in FORMER:
        c = pycountry.historic_countries.get(alpha_3=code)
        if c is not None:
            add(code, "country", "", c, tr3, f"pycountry {version} ISO 3166-3")
            if getattr(c, "numeric", None):
                index.append([code, "en", "alias", c.numeric])
            for row in index:
                if row[0] == code:
                    row[2] = "former"
    subs = [s for cc in SUBDIVISION_COUNTRIES for s in pycountry.subdivisions.get(country_code=cc)]
    subs += [pycountry.subdivisions.get(code=c) for c in GB_NATIONS]
    for s in sorted(subs, key=lambda s: s.code):
        parent = pycountry.countries.get(alpha_2=s.country_code).alpha_3
        add(s.code, "subdivision", parent, s, tr2, f"pycountry {version} ISO 3166-2")
    with open(hand / "ua_regions.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["uk"]:
                index += [[r["code"], "uk", "alias", f"{r['uk']} область"],
                          [r["code"], "ru", "alias", f"{r['ru']} область"],
                          [r["code"], "en", "alias", f"{r['en']} oblast"],
                          [r["code"], "en", "alias", f"{r['en']} region"]]
            for lang in ("uk", "ru", "en"):
                if r[f"centre_{lang}"]:
                    index.append([r["code"], lang, "alias", r[f"centre_{lang}"]])
    index += _read_index(hand / "territory_aliases.csv")
    if (hand / "cities.csv").exists():  # towns (spinelink.coding.build_cities), where no
        taken: dict[str, set[str]] = {}  # name above already means another code
        for row in index:
            taken.setdefault(row[3].strip().lower(), set()).add(row[0])
        index += [r for r in _read_index(hand / "cities.csv")
                  if taken.get(r[3].strip().lower(), {r[0]}) == {r[0]}]
    return codes, _dedupe(index)


def build_language(hand: Path, version: str) -> tuple[list[list], list[list]]:
    import pycountry

    tr = _translators("iso639-3")
    codes, index = [], []
    langs = [lang for lang in pycountry.languages
             if getattr(lang, "alpha_2", None) or lang.alpha_3 in EXTRA_LANGUAGES]
    for lang in sorted(langs, key=lambda x: x.alpha_3):
        en = lang.name
        uk, ru = _translated(tr["uk"], en), _translated(tr["ru"], en)
        codes.append([lang.alpha_3, "language", "", en, uk, ru, f"pycountry {version} ISO 639-3"])
        for n in _names(lang):
            index.append([lang.alpha_3, "en", "label", n])
        # the ISO 639-2 codes an answer may give for the text (ukr; ger as well as deu);
        # not the two-letter 639-1 codes, which read as other words (UK, IT, NO)
        for code in dict.fromkeys([lang.alpha_3, getattr(lang, "bibliographic", None)]):
            if code:
                index.append([lang.alpha_3, "en", "alias", code])
        for code_lang, t in (("uk", uk), ("ru", ru)):
            if t:
                index.append([lang.alpha_3, code_lang, "label", t])
        for code_lang, t in (("en", en), ("uk", uk), ("ru", ru)):  # "Swahili" too
            if t and PARENTHESIS.search(t):
                index.append([lang.alpha_3, code_lang, "label", PARENTHESIS.sub("", t).strip()])
    index += _read_index(hand / "language_aliases.csv")
    return codes, _dedupe(index)


def _read_index(path: Path) -> list[list]:
    with open(path, encoding="utf-8") as f:
        return [[r[c] for c in INDEX_COLUMNS] for r in csv.DictReader(f)]


def _dedupe(rows: list[list]) -> list[list]:
    seen, out = set(), []
    for r in rows:
        key = (r[0], r[3].strip().lower())
        if r[3].strip() and key not in seen:
            seen.add(key)
            out.append(r)
    return out


def _write(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows([["" if v is None else v for v in r] for r in rows])


def main(argv: list[str] | None = None) -> None:
    from importlib.metadata import version

    from spinelink.resources import data_dir

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(data_dir("linkage_models") / "classifications"))
    out = Path(ap.parse_args(argv).out)
    v = version("pycountry")
    for name, build in (("territory", build_territory), ("language", build_language)):
        codes, index = build(out / "hand", v)
        _write(out / f"{name}.csv", CODE_COLUMNS, codes)
        _write(out / f"{name}_index.csv", INDEX_COLUMNS, index)
        print(f"{name}: {len(codes)} codes, {len(index)} index entries (pycountry {v})")


if __name__ == "__main__":
    main()
