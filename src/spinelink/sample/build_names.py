"""Build the generator's name tables from the `names-dataset` package (run once, output kept).

    python -m spinelink.sample.build_names [--out DIR]

`names-dataset` (MIT) ranks first names and surnames per country (from public profiles);
it takes ~2 GB and ~20 s to load, so the generator never loads it: this script writes
small CSV tables under `sample/data/`, one pair per culture of `cultures.py`:

* `<culture>.forenames.csv`: `name,sex,weight` (top names per sex);
* `<culture>.surnames.csv`: `name,female_form,weight` (`female_form` for Polish
  -ski/-ska and Ukrainian -ський/-ська lemmas, else empty).

`weight` is a share of the culture's people (it sums to 1 per table and sex), derived from
the rank r in the source country by one law for every country, `r ** -a * exp(-r / R)`,
with `a` fitted so that the commonest English surname is SURNAME_TOP of the English
culture (the English culture is 68% of the population, so ~1% of all persons) and the
commonest English male forename FORENAME_TOP of English men. The package has no rank
list for Pakistan, Ukraine or Romania: see SOURCES for what stands in.
"""
from __future__ import annotations

import argparse
import csv
import math
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

from .names_en import NICKNAMES

DATA = Path(__file__).resolve().parent / "data"

# culture -> [(country, share of the culture's names drawn from that country's ranks)]
SOURCES: dict[str, list[tuple[str, float]]] = {
    "english": [("GB", 1.0)],
    # no Pakistan list: Saudi Arabia's Latin-script names are mostly those of its South
    # Asian (largely Pakistani) workers; Bangladesh for the Bangladeshi part
    "sa_muslim": [("SA", 0.65), ("BD", 0.35)],
    "sa_hindu": [("IN", 1.0)],
    "persian": [("IR", 1.0)],
    "slovene": [("SI", 1.0)],
    "polish": [("PL", 1.0)],
    # no Romania list: Moldova (Romanian speakers), Latin script only
    "romanian": [("MD", 1.0)],
    "portuguese": [("PT", 1.0)],
    "west_african": [("NG", 1.0)],
}
# no Ukraine list: Ukrainian-type surnames (-енко, -чук, -ський, ...) of the Russian list,
# respelt in Ukrainian; Ukrainian forenames stay the curated list in names_eu
UKRAINIAN_FROM = "RU"
# Lists polluted by another country's names: the SI list holds Kosovo's (Albanian names,
# with a strong Swiss diaspora), the IR list Czech profiles. A name ranked in one of
# `ranked_in`, or with at least `share` of its holders in `share_in`, or with a letter
# outside `letters`, is dropped.
POLLUTION: dict[str, dict] = {
    "SI": {"ranked_in": ["AL"], "share_in": "CH", "share": 0.05,
           "letters": "abcčćdđefghijklmnoprsštuvzž -"},
    "IR": {"ranked_in": ["CZ", "SK"]},
}
ASCII_ONLY = {"GB", "SA", "BD", "IN", "IR", "NG"}  # accented forms there are foreign names
# titles and chat words found in first-name fields
NOT_NAMES = {"Mr", "Mrs", "Miss", "Ms", "Dr", "Engr", "Prof", "Sir", "Hon", "Itz", "Its",
             "Official", "Lil", "Baby", "Haji", "Alhaji", "Sayed", "Syed", "Sheikh"}
SURNAMES = {"english": 10_000}  # table length; 5,000 for the other cultures
SURNAMES_DEFAULT = 5_000
FORENAMES = 1_000  # per sex
SEX_SHARE = 0.7  # a forename is male (female) when at least this share of holders are
SURNAME_TOP, FORENAME_TOP = 0.014, 0.035
SURNAME_CUTOFF, FORENAME_CUTOFF = 5_000.0, 500.0  # R in the law
PARTICLES = {"da", "de", "do", "dos", "das", "del", "della", "di", "van", "von", "le", "la"}
LATIN_VOWELS = set("aeiouy")


def law(rank: int, a: float, cutoff: float) -> float:
    return rank ** -a * math.exp(-rank / cutoff)


def _script_ok(name: str, country: str) -> bool:
    cyrillic = country == UKRAINIAN_FROM
    letters = POLLUTION.get(country, {}).get("letters")
    if letters and any(ch not in letters for ch in name.lower()):
        return False
    if country in ASCII_ONLY and not name.isascii():
        return False
    for ch in name:
        if ch in " -":
            continue
        if not ch.isalpha():
            return False
        uname = unicodedata.name(ch, "")
        if ("CYRILLIC" in uname) != cyrillic or not (cyrillic or "LATIN" in uname):
            return False
    return True


def _fold(name: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", name.lower())
                   if not unicodedata.combining(c))


def clean(name: str, country: str) -> str | None:
    """The name as a register would hold it, or None for abbreviations, titles, other
    scripts and several-word names (other than particles: Da Costa)."""
    if name in NOT_NAMES or not _script_ok(name, country):
        return None
    words = name.split(" ")
    if len(words) > 1:
        if words[0] == "O" and len(words) == 2:  # O Neill -> O'Neill
            name = "O'" + words[1]
        elif words[0].lower() not in PARTICLES or len(words) > 3:
            return None
    if name[:2] == "Mc" and len(name) > 3:
        name = "Mc" + name[2].upper() + name[3:]
    letters = name.replace(" ", "").replace("-", "").replace("'", "")
    if len(letters) < 3 or name[:1] != name[:1].upper() or letters[1:].isupper():
        return None
    if country != UKRAINIAN_FROM and not LATIN_VOWELS & set(_fold(letters)):
        return None  # Md, Sk, Mst
    if country == UKRAINIAN_FROM and len(letters) < 4:
        return None  # Ким, Цой
    return name


class Ranks:
    """Per-country rank lists of the package, restructured once."""

    def __init__(self) -> None:
        from names_dataset import NameDataset  # heavy: only here

        nd = NameDataset()
        self.first, self.last = nd.first_names, nd.last_names
        self._cache: dict[tuple[str, str], list[tuple[int, str, dict]]] = {}

    def ranked(self, kind: str, country: str) -> list[tuple[int, str, dict]]:
        """(rank, name, info) of the names ranked in `country`, best first."""
        if (kind, country) not in self._cache:
            table = self.first if kind == "first" else self.last
            rows = [(info["rank"][country], name, info) for name, info in table.items()
                    if info["rank"].get(country)]
            self._cache[(kind, country)] = sorted(rows, key=lambda r: (r[0], r[1]))
        return self._cache[(kind, country)]


def _foreign(info: dict, home: str, rivals: set[str]) -> bool:
    """Better ranked and more concentrated in another culture's country, or in a polluting one."""
    rank, share = info["rank"], info["country"]
    rule = POLLUTION.get(home, {})
    if any(rank.get(c) for c in rule.get("ranked_in", [])):
        return True
    if rule.get("share_in") and share.get(rule["share_in"], 0) >= rule["share"]:
        return True
    return any(rank.get(c) and rank[c] < rank[home] and share.get(c, 0) > share.get(home, 0)
               for c in rivals)


def _rivals(culture: str) -> set[str]:
    own = {c for c, _ in SOURCES.get(culture, [])}
    every = {c for src in SOURCES.values() for c, _ in src} | {UKRAINIAN_FROM}
    return every - own


def _sex(info: dict) -> str | None:
    g = info["gender"]
    if g.get("M", 0) >= SEX_SHARE:
        return "M"
    if g.get("F", 0) >= SEX_SHARE:
        return "F"
    return None


def _top(weights: dict, size: int) -> dict:
    """The `size` heaviest entries, weights renormalised to sum to 1."""
    top = dict(sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:size])
    total = sum(top.values())
    return {k: w / total for k, w in top.items()}


def forenames(R: Ranks, culture: str, a: float) -> dict[str, dict[str, float]]:
    """sex -> name -> weight (mixed over the culture's countries, normalised per sex)."""
    out: dict[str, dict[str, float]] = {"M": {}, "F": {}}
    nick_of = {n: canon for canon, nicks in NICKNAMES.items() for n in nicks}
    rivals = _rivals(culture)
    for country, mix in SOURCES[culture]:
        part: dict[str, dict[str, float]] = {"M": {}, "F": {}}
        for rank, raw, info in R.ranked("first", country):
            name, sex = clean(raw, country), _sex(info)
            if name is None or sex is None or _foreign(info, country, rivals):
                continue
            if country == "MD" and name.endswith("ea") and not name.endswith("eea"):
                continue  # Russian diminutives in Romanian spelling: Vasea, Tanea
            if culture == "english" and name in nick_of:
                # Chris -> Christopher: registers hold the full name
                name = nick_of[name]
                if _sex(R.first.get(name, {"gender": {}})) != sex:
                    continue
            part[sex][name] = part[sex].get(name, 0.0) + law(rank, a, FORENAME_CUTOFF)
        for sex, names in part.items():
            for name, w in _top(names, FORENAMES).items():
                out[sex][name] = out[sex].get(name, 0.0) + mix * w
    return {sex: _top(names, FORENAMES) for sex, names in out.items()}


_FEMININE = [("ska", "ski"), ("cka", "cki"), ("dzka", "dzki"), ("ська", "ський"),
             ("цька", "цький")]


def _lemma(name: str) -> tuple[str, str]:
    """(male form, female form or '') for gendered surname forms."""
    for fem, masc in _FEMININE:
        if name.endswith(fem):
            return name[: -len(fem)] + masc, name
        if name.endswith(masc):
            return name, name[: -len(masc)] + fem
    return name, ""


# Ukrainian surname types (Шевченко, Ковальчук, Бойко, Мельник, Гончар, Козак, Коваль,
# Кравець, Вишневський), as the Russian list spells them
_UKRAINIAN_TYPE = re.compile("(енко|ко|ук|юк|ский|цкий|ская|цкая|ник|ар|ач|ак|аль|ец)$")
_RU_TO_UK = [("ский", "ський"), ("цкий", "цький"), ("ская", "ська"), ("цкая", "цька"),
             ("иенко", "ієнко"), ("ы", "и"), ("э", "е"), ("ъ", "’"), ("ё", "ьо")]


def ukrainian_spelling(name: str) -> str | None:
    """A Russian-spelt surname of a Ukrainian type respelt in Ukrainian (Гордиенко ->
    Гордієнко, Вишневский -> Вишневський, Кравец -> Кравець), or None for other types."""
    if not _UKRAINIAN_TYPE.search(name):
        return None
    for ru, uk in _RU_TO_UK:
        name = name.replace(ru, uk)
    if name.endswith("ец"):
        name += "ь"
    if name[:1] == "И":
        name = "І" + name[1:]
    if name[:1] == "Е":
        name = "Є" + name[1:]
    return name


def surnames(R: Ranks, culture: str, a: float) -> dict[tuple[str, str], float]:
    """(male form, female form) -> weight."""
    out: dict[tuple[str, str], float] = {}
    size = SURNAMES.get(culture, SURNAMES_DEFAULT)
    sources = SOURCES.get(culture) or [(UKRAINIAN_FROM, 1.0)]
    rivals = _rivals(culture)
    for country, mix in sources:
        first_rank = {name: info["rank"][country] for _, name, info in
                      R.ranked("first", country)}
        part: dict[tuple[str, str], float] = {}
        for rank, raw, info in R.ranked("last", country):
            if culture == "ukrainian":
                uk = ukrainian_spelling(raw)
                name = clean(uk, country) if uk else None
            else:
                name = clean(raw, country)
                if name is None or _foreign(info, country, rivals):
                    continue
            # a forename far more often than a surname here: a profile's first name
            if name is None or first_rank.get(raw, 10**9) * 10 <= rank:
                continue
            key = _lemma(name) if culture in ("polish", "ukrainian") else (name, "")
            part[key] = part.get(key, 0.0) + law(rank, a, SURNAME_CUTOFF)
        for key, w in _top(part, size).items():
            out[key] = out.get(key, 0.0) + mix * w
    return _top(out, size)


def fit(top_share: float, shares: Callable[[float], float]) -> float:
    """Exponent `a` giving the commonest name the share `top_share` (bisection)."""
    lo, hi = 0.2, 2.0
    for _ in range(40):
        mid = (lo + hi) / 2
        if shares(mid) > top_share:
            hi = mid
        else:
            lo = mid
    return round((lo + hi) / 2, 4)


def _fmt(w: float) -> str:
    return f"{w:.4g}"


def write(out: Path, R: Ranks) -> dict[str, float]:
    out.mkdir(parents=True, exist_ok=True)
    a_sur = fit(SURNAME_TOP, lambda a: max(surnames(R, "english", a).values()))
    a_fore = fit(FORENAME_TOP, lambda a: max(forenames(R, "english", a)["M"].values()))
    cultures = list(SOURCES) + ["ukrainian"]
    for culture in cultures:
        with open(out / f"{culture}.surnames.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["name", "female_form", "weight"])
            table = surnames(R, culture, a_sur)
            for (male, female), weight in sorted(table.items(), key=lambda kv: (-kv[1], kv[0])):
                w.writerow([male, female, _fmt(weight)])
        if culture not in SOURCES:
            continue
        with open(out / f"{culture}.forenames.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["name", "sex", "weight"])
            for sex, names in forenames(R, culture, a_fore).items():
                for name, weight in sorted(names.items(), key=lambda kv: (-kv[1], kv[0])):
                    w.writerow([name, sex, _fmt(weight)])
    return {"surname_exponent": a_sur, "forename_exponent": a_fore}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spinelink.sample.build_names",
                                     description="Write the generator's name tables.")
    parser.add_argument("--out", type=Path, default=DATA, help="output folder")
    args = parser.parse_args(argv)
    print(write(args.out, Ranks()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
