"""Build `nicknames.csv` (nickname -> one canonical first name) and `nickname_roots.csv`
(nickname -> the names it is a nickname of) from maintained lists.

Source of the relations: the `nicknames` package (version 1.0.1, Apache-2.0; hand-curated
English given names and nicknames, https://github.com/carltonnorthern/nicknames). Its
relation is many-to-many (bill: william, robert; al: albert, alan, alexander, ...) and
includes old genealogical links; the standardisation stage needs one canonical name per
nickname, chosen here deterministically:

1. Candidates of a nickname n: the names the package lists n as a nickname of and that
   are longer than n (a nickname is shorter than its name; this also drops the package's
   reversed rows such as "bob has_nickname robert").
2. Candidates of the other sex are dropped when both have a dominant sex (at least 60%
   of the bearers, from `names-dataset` 3.3.1, MIT).
3. The candidate chosen shares the most related names with n in the package (bill and
   william share billy and willie; bill and robert share billy only), then is the most
   popular (sum over GB, US, IE, CA, AU of 1 / rank in names-dataset), then the first
   alphabetically.
4. n stays itself when it is a name in its own right: when it has shorter nicknames of its
   own (peter: pete; mary) and is more popular than the chosen candidate, or when it is
   more than 10 times as popular as the candidate (jack: jackson; eric: derrick).
5. Chains are followed to the end (billy -> bill -> william; a name never maps to a
   shorter one, so they end), and rule 4 is checked again between n and the end.

Run (needs the `models` extra: `pip install -e .[models]`):

    .venv/bin/python linkage_models/build_nicknames.py

The output is sorted and identical on every run with the same package versions.
"""
from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

OUT = Path(__file__).resolve().parent / "nicknames.csv"
ROOTS_OUT = Path(__file__).resolve().parent / "nickname_roots.csv"
MAX_ROOTS = 3
COUNTRIES = ("GB", "US", "IE", "CA", "AU")
DOMINANT_SEX = 0.6
OWN_NAME_RATIO = 10


def relations() -> list[tuple[str, str]]:
    from nicknames import name_triplets

    return [(t.name1.lower(), t.name2.lower()) for t in name_triplets()]


def popularity_and_sex(names: set[str]) -> tuple[dict[str, float], dict[str, str]]:
    from names_dataset import NameDataset

    nd = NameDataset(load_last_names=False)
    pop: dict[str, float] = {}
    sex: dict[str, str] = {}
    for n in names:
        info = nd.first_names.get(n.capitalize()) or {}
        pop[n] = sum(1.0 / r for c, r in (info.get("rank") or {}).items() if c in COUNTRIES)
        share = (info.get("gender") or {}).get("M")
        if share is not None and (info.get("gender") or {}):
            if share >= DOMINANT_SEX:
                sex[n] = "M"
            elif share <= 1 - DOMINANT_SEX:
                sex[n] = "F"
    return pop, sex


def canonical_names(rel: list[tuple[str, str]], pop: dict[str, float],
                    sex: dict[str, str]) -> dict[str, str]:
    """nickname -> canonical name (names that stay themselves are left out)."""
    related: dict[str, set[str]] = defaultdict(set)
    candidates: dict[str, set[str]] = defaultdict(set)
    own_nicknames: dict[str, set[str]] = defaultdict(set)
    for name, nick in rel:
        related[name].add(nick)
        related[nick].add(name)
        if len(name) > len(nick):
            candidates[nick].add(name)
            own_nicknames[name].add(nick)

    def own_name(n: str, x: str) -> bool:
        """n is a name in its own right rather than a nickname of x (rule 4)."""
        ratio = 1 if own_nicknames.get(n) else OWN_NAME_RATIO
        return pop.get(x, 0.0) * ratio < pop.get(n, 0.0)

    def step(n: str) -> str:
        cands = [x for x in candidates.get(n, ())
                 if not (n in sex and x in sex and sex[n] != sex[x])]
        if not cands:
            return n
        best = min(cands, key=lambda x: (-len(related[n] & related[x]), -pop.get(x, 0.0), x))
        return n if own_name(n, best) else best

    out = {}
    for n in sorted(candidates):
        x = n
        while (nxt := step(x)) != x:
            x = nxt
        if x != n and not own_name(n, x):
            out[n] = x
    return out


def nickname_roots(rel: list[tuple[str, str]], pop: dict[str, float],
                   sex: dict[str, str]) -> dict[str, list[str]]:
    """nickname -> up to MAX_ROOTS names it is a nickname of (longer than it, of the same
    dominant sex when both have one), most popular first. The one canonical name above
    has to pick, and often picks another name than the one a record was given (billy:
    robert, not william; ronny: cameron, not ronald); the comparison level "nickname of
    one name" asks only whether two first names share a root, so it needs all of them."""
    roots: dict[str, set[str]] = defaultdict(set)
    for name, nick in rel:
        if len(name) > len(nick) and not (nick in sex and name in sex
                                          and sex[nick] != sex[name]):
            roots[nick].add(name)
    return {n: sorted(r, key=lambda x: (-pop.get(x, 0.0), x))[:MAX_ROOTS]
            for n, r in sorted(roots.items())}


def main() -> int:
    rel = relations()
    names = {n for pair in rel for n in pair}
    pop, sex = popularity_and_sex(names)
    canon = canonical_names(rel, pop, sex)
    with OUT.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["nickname", "canonical"])
        for nick in sorted(canon):
            w.writerow([nick, canon[nick]])
    print(f"{OUT}: {len(canon)} nicknames")
    roots = nickname_roots(rel, pop, sex)
    with ROOTS_OUT.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["nickname", *(f"root{i + 1}" for i in range(MAX_ROOTS))])
        for nick, r in roots.items():
            w.writerow([nick, *r, *[""] * (MAX_ROOTS - len(r))])
    print(f"{ROOTS_OUT}: {len(roots)} nicknames")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
