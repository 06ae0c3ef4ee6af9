"""python -m spinelink.sample --persons N --seed S --out DIR"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from . import generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m spinelink.sample",
        description="Write synthetic census, benefits and survey sources with truth files.",
    )
    parser.add_argument("--persons", type=int, default=10_000, help="size of the population")
    parser.add_argument("--seed", type=int, default=42, help="random seed")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    args = parser.parse_args(argv)
    if args.persons < 1:
        parser.error("--persons must be at least 1")
    start = time.perf_counter()
    summary = generate(args.persons, args.seed, args.out)
    summary["seconds"] = round(time.perf_counter() - start, 2)
    json.dump(summary, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
