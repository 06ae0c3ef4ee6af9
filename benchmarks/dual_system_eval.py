"""Dual-system estimates against the true subgroup populations of generated data (issue 15).

    .venv/bin/python benchmarks/dual_system_eval.py [--persons 100000] [--seeds 42,7]
        [--work DIR] [--keep]

For each seed: `spinelink sample --persons N --seed S` writes the census, benefits and
survey with `truth/`, `spinelink run` links them with the analysis stage on, and every
row of OUT/disclosure/analysis_dual_system.parquet (the exact internal copy; the
published one suppresses small cells) is compared with the true number of persons of
its subgroup (truth/persons.csv, everyone, the census's missed included; sex, age band at
the job's reference date, ethnic group). Beside it, Chapman with the true links and the
same post-strata and no linkage-error adjustment (`dual_system.estimate` on the
truth's counts): what two captures can give when linkage is perfect, so that what is
left is the estimator's assumptions (independence within cells), not linkage error.

Prints per seed the rows whose interval misses the truth and a summary line: rows
covered, median half-width relative to the truth; WORK/results.json holds the figures.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from spinelink.analysis.dual_system import estimate
from spinelink.quality.groups import age_band

VARIABLES = ["sex", "age_band", "ethnic_group"]
BANDS = [0, 18, 30, 50, 65]


def persons_with_bands(data: Path, reference_date: str) -> pd.DataFrame:
    p = pd.read_csv(data / "truth" / "persons.csv", dtype=str)
    rd = pd.Timestamp(reference_date)
    dob = pd.to_datetime(p["dob"])
    age = rd.year - dob.dt.year - ((dob.dt.month > rd.month) | (
        (dob.dt.month == rd.month) & (dob.dt.day > rd.day))).astype(int)
    p["age_band"] = age_band(age, BANDS).to_numpy()
    return p


def perfect_links(data: Path, p: pd.DataFrame, source: str) -> dict:
    """(variable, value) -> (estimate, low, high) of Chapman on the true links."""
    def persons(name):
        return set(pd.read_csv(data / "truth" / f"{name}.csv", dtype=str)["person_uid"])

    c, s = p["person_uid"].isin(persons("census")), p["person_uid"].isin(persons(source))
    t = p.assign(c=c, s=s, m=c & s)
    cells = t.groupby(VARIABLES).agg(n1=("c", "sum"), n2=("s", "sum"), m=("m", "sum"))
    cells = cells.reset_index()
    out = {}
    for var in VARIABLES:
        for value, g in t.groupby(var):
            x = cells[cells[var] == value][["n1", "n2", "m"]].to_numpy(float)
            out[(var, str(value))] = estimate(g["c"].sum(), g["s"].sum(), g["m"].sum(),
                                              1.0, 1.0, cells=x)
    return out


def evaluate(data: Path, out: Path) -> dict:
    man = json.loads((out / "run_manifest.json").read_text())
    p = persons_with_bands(data, man["reference_date"])
    d = pd.read_parquet(out / "disclosure" / "analysis_dual_system.parquet")
    d = d[d["variable"].isin(VARIABLES)].copy()
    d["truth"] = [int((p[v] == x).sum()) for v, x in zip(d["variable"], d["value"],
                                                            strict=True)]
    d["covered"] = (d["est_population_low"] <= d["truth"]) & (
        d["truth"] <= d["est_population_high"])
    perfect = {s: perfect_links(data, p, s) for s in d["source"].unique()}
    d["perfect_covered"] = [
        perfect[s][(v, str(x))][1] <= t <= perfect[s][(v, str(x))][2]
        for s, v, x, t in zip(d["source"], d["variable"], d["value"], d["truth"],
                              strict=True)]
    half = (d["est_population_high"] - d["est_population_low"]) / 2 / d["truth"]
    missed = d[~d["covered"]]
    for r in missed.itertuples():
        print(f"  miss {r.source} {r.variable}={r.value}: truth {r.truth}, estimate "
              f"{r.est_population:.0f} [{r.est_population_low:.0f}, "
              f"{r.est_population_high:.0f}] ({(r.est_population / r.truth - 1) * 100:+.2f}%)")
    return {"rows": int(len(d)), "covered": int(d["covered"].sum()),
            "perfect_links_covered": int(d["perfect_covered"].sum()),
            "median_half_width": round(float(np.median(half)), 4)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--persons", type=int, default=100000)
    ap.add_argument("--seeds", default="42")
    ap.add_argument("--work", type=Path, default=None)
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="spinelink_dse_"))
    results = {}
    for seed in [int(s) for s in args.seeds.split(",")]:
        data = work / f"g{args.persons}_{seed}"
        cli = [sys.executable, "-m", "spinelink"]
        subprocess.run([*cli, "sample", "--persons", str(args.persons), "--seed", str(seed),
                        "--out", str(data)], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([*cli, "run", str(data / "job.yaml")], check=True,
                       stdout=subprocess.DEVNULL)
        print(f"persons {args.persons}, seed {seed}:")
        r = results[seed] = evaluate(data, data / "out")
        print(f"  covered {r['covered']} of {r['rows']} "
              f"({r['covered'] / r['rows']:.0%}); Chapman with the true links "
              f"{r['perfect_links_covered']}; median half-width "
              f"{r['median_half_width']:.2%}")
    (work / "results.json").write_text(json.dumps(results, indent=2))
    print(f"figures: {work / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
