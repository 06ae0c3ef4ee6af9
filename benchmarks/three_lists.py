"""Two lists against three on the truth of generated data (issue 15): how far shared
dependence moves a dual-system estimate, and whether a third list would see it.

    .venv/bin/python benchmarks/three_lists.py DATA [DATA ...] [--reference-date 2021-03-21]

DATA: folders written by `spinelink sample` (truth/ with every person and the record ids of
each source). Each person's capture by the census, benefits and the survey is read from the
truth (perfect linkage), and per subgroup (sex, age band, ethnic group; no post-strata)
the population is estimated by Chapman on census x benefits and by the three-list
log-linear model without the three-way interaction, n000 = n111 n100 n010 n001 /
(n110 n101 n011). Prints each estimate's error against the true population and n011, the
persons in benefits and the survey but not the census (RESULTS "Session 11: would three
lists see the dependence two cannot?").
"""
from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import pandas as pd
from dual_system_eval import VARIABLES, persons_with_bands

LISTS = ("census", "benefits", "survey")


def errors(data: Path, reference_date: str) -> pd.DataFrame:
    p = persons_with_bands(data, reference_date)
    for name in LISTS:
        held = set(pd.read_csv(data / "truth" / f"{name}.csv", dtype=str)["person_uid"])
        p[name] = p["person_uid"].isin(held).astype(int)
    rows = []
    for var in VARIABLES:
        for value, g in p.groupby(var):
            n = g.groupby(list(LISTS)).size().reindex(
                pd.MultiIndex.from_tuples(itertools.product((0, 1), repeat=3)), fill_value=0)
            n1, n2 = g["census"].sum(), g["benefits"].sum()
            m = (g["census"] & g["benefits"]).sum()
            two = (n1 + 1) * (n2 + 1) / (m + 1) - 1
            den = n[(1, 1, 0)] * n[(1, 0, 1)] * n[(0, 1, 1)]
            seen = len(g) - n[(0, 0, 0)]
            three = (seen + n[(1, 1, 1)] * n[(1, 0, 0)] * n[(0, 1, 0)] * n[(0, 0, 1)] / den
                     if den else float("nan"))
            rows.append({"data": data.name, "variable": var, "value": value,
                         "population": len(g), "two_lists_error": round(two - len(g), 1),
                         "three_lists_error": round(three - len(g), 1),
                         "n011": int(n[(0, 1, 1)])})
    return pd.DataFrame(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", type=Path, nargs="+")
    ap.add_argument("--reference-date", default="2021-03-21")
    args = ap.parse_args()
    out = pd.concat([errors(d, args.reference_date) for d in args.data], ignore_index=True)
    with pd.option_context("display.max_rows", None, "display.width", 120):
        print(out.to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
