"""Rebuild the territory and language classifications from pycountry.

    python -m spinelink.coding.build_classifications [--out linkage_models/classifications]

Writes `territory.csv` / `territory_index.csv` (ISO 3166-1 alpha-3 countries, with their
alpha-3 and numeric codes as answers, a few former countries of ISO 3166-3, the ISO 3166-2
subdivisions of Ukraine and the United Kingdom's four nations, XXA for a stateless person,
and the countries' names in the languages of OTHER_LANGUAGES) and `language.csv` /
`language_index.csv` (ISO 639-3: every language with an ISO 639-1 code plus a few more,
with their ISO 639-2 codes as answers), with English names and the Ukrainian and Russian
translations pycountry carries as gettext catalogues, merged with the hand-written aliases
in `hand/` (former and colloquial names, oblast centres, adjective forms). The names in
other languages are checked against the folder's `normalise.csv` and `not_stated.csv`.
The run itself reads only the committed CSV files: no network, no pycountry.
"""
from __future__ import annotations

import argparse
import csv
import gettext
import re
import unicodedata
from pathlib import Path

CODE_COLUMNS = ["code", "level", "parent", "label_en", "label_uk", "label_ru", "source"]
INDEX_COLUMNS = ["code", "lang", "kind", "text"]
SUBDIVISION_COUNTRIES = ("UA",)
GB_NATIONS = ("GB-ENG", "GB-SCT", "GB-WLS", "GB-NIR")
FORMER = ("SUN", "CSK", "YUG", "DDR")  # ISO 3166-3 alpha-3 of countries people were born in
# a citizenship that is no country: ICAO Doc 9303's code for a stateless person, in ISO
# 3166-1's user-assigned range (no country has it; Eurostat's citizenship list says STLS)
STATELESS = ["XXA", "stateless", "", "Stateless person", "Особа без громадянства",
             "Лицо без гражданства", "ICAO Doc 9303 (ISO 3166-1 user-assigned code)"]
PARENTHESIS = re.compile(r"\s*\([^)]*\)")  # "Swahili (macrolanguage)"
EXTRA_LANGUAGES = ("crh", "rue", "rom", "bfi", "ukl")  # sign languages: ISO 639-3 has no sgn
# Country names are also indexed in these languages (pycountry's iso3166-1 catalogues):
# the official languages of the EU, of the rest of Europe and of the former Soviet Union,
# so a country's own name (Deutschland, Polska, Magyarország) and its name in a
# neighbour's language code without a person
OTHER_LANGUAGES = ("bg", "cs", "da", "de", "el", "es", "et", "fi", "fr", "ga", "hr", "hu",
                   "it", "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv",
                   "be", "bs", "is", "mk", "nb_NO", "sq", "sr", "sr@latin", "tr",
                   "az", "hy", "ka", "kk", "ky", "tg", "tk", "uz")


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
    codes.append(STATELESS)
    index += [["XXA", lang, "label", t] for lang, t in zip(("en", "uk", "ru"), STATELESS[3:6],
                                                           strict=True)]
    index.append(["XXA", "en", "alias", "XXA"])
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
    parents = {r[0]: r[2] for r in codes if r[2]}
    cities = []
    if (hand / "cities.csv").exists():  # towns (spinelink.coding.build_cities), where no
        taken: dict[str, set[str]] = {}  # name above already means another code
        for row in index:
            taken.setdefault(row[3].strip().lower(), set()).add(row[0])
        cities = _read_index(hand / "cities.csv")
        index += [r for r in cities if taken.get(r[3].strip().lower(), {r[0]}) == {r[0]}]
    # a country's name in another language that is a town of another code is left out
    # (Salvador: a city of Brazil, El Salvador in French; Kili: a town of Odesa oblast,
    # Chile in Albanian)
    with open(hand / "territory_translation_errors.csv", encoding="utf-8") as f:
        wrong = {(r["code"], r["lang"], _folded(r["text"])) for r in csv.DictReader(f)}
    translated = [t for t in _translations()  # less the catalogues' mistakes
                  if (t[0], t[1], _folded(t[2])) not in wrong]
    index += _other_language_names(index + cities, hand.parent, parents, translated)
    return codes, _dedupe(index)


def _folded(text: str) -> str:
    """The text without accents (Österreich -> Osterreich, España -> Espana): answers are
    often typed without them."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(ch))


def _key(text: str) -> str:
    from spinelink.coding.classification import base_normalise

    return base_normalise(text)


class _Near:
    """Whether a text is within a typo (two from 9 letters, as the coder allows) of a
    text of another code than the given one, its country or its subdivisions."""

    def __init__(self, texts: list[tuple[str, str]], parents: dict[str, str]):
        self.parents = parents
        self.by_length: dict[int, list[tuple[str, str]]] = {}
        for code, text in texts:
            self.by_length.setdefault(len(text), []).append((code, text))

    def __call__(self, text: str, code: str) -> bool:
        import jellyfish

        typos = 1 if len(text) < 9 else 2
        for n in range(len(text) - typos, len(text) + typos + 1):
            for other, t in self.by_length.get(n, ()):
                if (self.parents.get(other, other) != code and other != code
                        and jellyfish.damerau_levenshtein_distance(text, t) <= typos):
                    return True
        return False


def _translations(languages: tuple[str, ...] = OTHER_LANGUAGES
                  ) -> list[tuple[str, str, str, str]]:
    """(code, language, name, normalised name) of every country's name translated in
    pycountry's iso3166-1 catalogue of each of `languages`, also without accents."""
    import pycountry

    rows: list[tuple[str, str, str, str]] = []
    for lang in languages:
        try:
            tr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR,
                                     languages=[lang]).gettext
        except OSError:
            continue
        iso = lang.split("_")[0].split("@")[0]
        for c in sorted(pycountry.countries, key=lambda c: c.alpha_3):
            for n in _names(c):
                t = _translated(tr, n)
                if t:
                    rows += [(c.alpha_3, iso, x, _key(x)) for x in dict.fromkeys([t, _folded(t)])]
    return rows


def other_language_names(index: list[list], folder: Path, parents: dict[str, str],
                         rows: list[tuple[str, str, str, str]]
                         ) -> tuple[list[list], dict[str, int]]:
    """Countries' names in OTHER_LANGUAGES (and without accents), as index rows, and the
    count of the names left out: a name that, normalised, is already another code's text
    (`taken`: Kili, Chile in Albanian, is a town of Odesa oblast), that two countries'
    translations share (`shared`: Dominica and the Dominican Republic in several), that is
    a word of a longer text of another code than the country or its subdivisions (Ukraina
    is one of "Uman i Ukraina", UA-71's), of a not-stated answer or of `normalise.csv`
    (`word`: found inside an answer it would code the wrong country), or is shorter than 4
    letters (`short`: a 3-letter name reads as an alpha-3 code), or is a typo away from
    another code's English, Ukrainian or Russian name (`typo`, as the coder counts typos:
    Nigera, Niger in Croatian, is Nigeria mistyped)."""
    key = _key
    taken: dict[str, set[str]] = {}
    words: dict[str, set[str]] = {}
    for row in index:
        k = key(row[3])
        taken.setdefault(k, set()).add(row[0])
        if " " in k:
            for w in k.split():
                words.setdefault(w, set()).add(row[0])
    for name, column in (("not_stated.csv", "text"), ("normalise.csv", "text"),
                         ("normalise.csv", "replacement")):
        with open(folder / name, encoding="utf-8") as f:
            for r in csv.DictReader(f):
                for w in key(r[column]).split():
                    words.setdefault(w, set()).add("*")
    found: dict[str, set[str]] = {}
    for _code, _lang, _text, k in rows:
        found.setdefault(k, set()).add(_code)
    near = _Near([(row[0], key(row[3])) for row in index
                  if row[2] != "city" and row[1] in ("en", "uk", "ru")], parents)
    left = {"taken": 0, "shared": 0, "word": 0, "short": 0, "typo": 0}
    out, seen = [], set()
    for code, lang, text, k in rows:
        if (code, k) in seen or taken.get(k) == {code}:
            continue  # this code's name already
        seen.add((code, k))
        why = ("taken" if k in taken else "shared" if len(found[k]) > 1
               else "word" if {parents.get(w, w) for w in words.get(k, ())} - {code}
               else "short" if len(k.replace(" ", "")) < 4
               else "typo" if near(k, code) else None)
        if why:
            left[why] += 1
            continue
        out.append([code, lang, "translation", text])
    return out, left


def _other_language_names(index: list[list], folder: Path, parents: dict[str, str],
                          translated: list[tuple[str, str, str, str]]) -> list[list]:
    rows, left = other_language_names(index, folder, parents, translated)
    print(f"territory: {len(rows)} names in other languages; left out "
          + ", ".join(f"{k} {v}" for k, v in left.items()))
    return rows


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
