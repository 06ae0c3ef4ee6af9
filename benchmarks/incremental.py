"""Incremental linkage of monthly deliveries against a full run (issue 17).

    .venv/bin/python benchmarks/incremental.py --persons 20000 [--seed 42] [--work DIR]
                                               [--repeat N]

Generates three benefits deliveries (spinelink.sample.deliveries; no degraded region:
1 replaces, 2 adds, 3 replaces) against one census spine, then runs, each in its own
process (`spinelink run`): delivery 1 in full (`out/1`), delivery 2 and 3 incrementally
(`--since`: `inc/2` from `out/1`, `inc/3` from `inc/2`), and delivery 3 in full (`out/3`,
the full run on everything). Prints, as JSON: the share of delivery 3's records whose links
(their set of reference ids) are the same in `inc/3` and `out/3` (target >= 0.999); each
incremental run's wall time and linkage time (deterministic + probabilistic) as a share of
the full run's (target <= 0.2), and its CPU time (user + system) as a share of the
full run's (other work on a shared machine moves it less than wall time); whether the
spine (the reference ids of `integrated.parquet`) is identical in all four runs; and the
accuracy of `inc/3` and `out/3` against the generator's truth. `--repeat N` runs `inc/2`,
`inc/3` and `out/3` N times in turn (the repeats into fresh folders beside the first, from
the same previous runs) and takes each one's median wall and CPU time: one run of each
moves by 10% with the machine's other work.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from spinelink.sample.deliveries import generate_deliveries  # noqa: E402


def _run(job: Path, out: Path, since: Path | None = None) -> dict:
    args = [sys.executable, "-m", "spinelink", "run", str(job), "--output-dir", str(out)]
    if since:
        args += ["--since", str(since)]
    t0, r0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(args, check=True, capture_output=True)
    wall, r1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU seconds (user + system, all threads): less moved than wall time by other work
    # on a shared machine
    cpu = r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime
    man = json.loads((out / "run_manifest.json").read_text())
    t = man["timings_seconds"]
    link = sum(v for k, v in t.items() if k.startswith(("deterministic:", "probabilistic:")))
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "link_s": round(link, 2),
            "incremental": man["links"]["benefits"].get("incremental")}


def _links(out: Path) -> pd.Series:
    links = pd.read_parquet(out / "links" / "benefits.parquet")
    ids = pd.read_parquet(out / "intake" / "benefits.parquet")["record_id"]
    return links.groupby("source_id")["reference_id"].agg(
        lambda s: ";".join(sorted(s))).reindex(ids, fill_value="")


def _accuracy(root: Path, out: Path) -> dict:
    truth = pd.read_csv(root / "deliveries/3/truth.csv", dtype=str)
    census = pd.read_csv(root / "truth/census.csv", dtype=str)
    true = set(truth.merge(census, on="person_uid", suffixes=("_s", "_r"))[
        ["record_id_r", "record_id_s"]].itertuples(index=False, name=None))
    links = pd.read_parquet(out / "links" / "benefits.parquet")
    got = set(links[["reference_id", "source_id"]].itertuples(index=False, name=None))
    tp = len(got & true)
    return {"precision": round(tp / len(got), 4), "recall": round(tp / len(true), 4)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args()
    if a.repeat < 1:
        ap.error("--repeat: at least 1")
    root = a.work or Path(tempfile.mkdtemp(prefix="spinelink_incremental_"))
    listing = generate_deliveries(a.persons, a.seed, root, degraded=None)
    job = {k: root / f"deliveries/{k}/job.yaml" for k in (1, 2, 3)}
    runs = {"out/1": _run(job[1], root / "out/1"),
            "inc/2": _run(job[2], root / "inc/2", root / "out/1"),
            "inc/3": _run(job[3], root / "inc/3", root / "inc/2"),
            "out/3": _run(job[3], root / "out/3")}
    timed = {"inc/2": (job[2], root / "out/1"), "inc/3": (job[3], root / "inc/2"),
             "out/3": (job[3], None)}
    times = {o: [runs[o]] for o in timed}
    for r in range(1, a.repeat):  # in turn, so that the machine's drift touches each
        for o, (j, since) in timed.items():
            times[o].append(_run(j, root / f"{o}.r{r}", since))
    for o, ts in times.items():
        if len(ts) > 1:
            runs[o] = {**runs[o], "wall_s": round(statistics.median(t["wall_s"] for t in ts), 2),
                       "cpu_s": round(statistics.median(t["cpu_s"] for t in ts), 2),
                       "link_s": round(statistics.median(t["link_s"] for t in ts), 2),
                       "wall_s_each": [t["wall_s"] for t in ts],
                       "cpu_s_each": [t["cpu_s"] for t in ts]}
    full, inc = _links(root / "out/3"), _links(root / "inc/3")
    spines = [frozenset(pd.read_parquet(root / o / "integrated.parquet")["reference_id"])
              for o in ("out/1", "inc/2", "inc/3", "out/3")]
    ref = runs["out/3"]
    result = {
        "persons": a.persons, "seed": a.seed, "work": str(root), "repeat": a.repeat,
        "deliveries": [{k: d[k] for k in ("delivery", "mode", "rows", "new", "moved",
                                          "renamed", "corrected", "died")} for d in listing],
        "runs": runs,
        "same_links_share": round(float((full == inc).mean()), 5),
        "records": len(full), "records_with_other_links": int((full != inc).sum()),
        "time_share_wall": {o: round(runs[o]["wall_s"] / ref["wall_s"], 3)
                            for o in ("inc/2", "inc/3")},
        "time_share_cpu": {o: round(runs[o]["cpu_s"] / ref["cpu_s"], 3)
                           for o in ("inc/2", "inc/3")},
        "time_share_link": {o: round(runs[o]["link_s"] / ref["link_s"], 3)
                            for o in ("inc/2", "inc/3")},
        "spine_identical": len(set(spines)) == 1,
        "accuracy": {o: _accuracy(root, root / o) for o in ("inc/3", "out/3")},
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
