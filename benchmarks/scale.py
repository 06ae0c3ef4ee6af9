"""Scale benchmark: spinelink end to end against bare Splink 5 on generated data.

    python benchmarks/scale.py --persons 1000000 [--seed 42] [--work benchmarks/out]
        [--quality off|on|both] [--bare standard,tuned|none] [--backend duckdb|spark]

Generates the data with spinelink's own generator (census as reference, benefits as the
admin source), then runs, each in its own subprocess on the same files, `spinelink run`
(intake to report; with the quality stage off, on, or both one after the other) and bare
Splink 5 given the same fields and the same one-link rule, with a standard and a tuned
model. Prints wall time per stage, peak memory, precision, recall and F1, and issue 16's
targets against the tuned bare model, each system timed as a whole process: spinelink's
wall time at most 1.0 x the tuned model's with quality off and 1.5 x with quality on, its
peak memory at most 1.5 x, its F1 at least the tuned model's + 0.01. Results go to
WORK/scale_<persons>.json.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from compare import run_bare, run_spinelink  # noqa: E402
from datasets import prepare_generated  # noqa: E402


def _stage_table(s: dict, out: Path) -> list[str]:
    manifest = json.loads((out / "run_manifest.json").read_text())
    lines = []
    for stage, secs in manifest["timings_seconds"].items():
        lines.append(f"  {stage:<28}{secs:>9.1f}")
    lines.append(f"  {'total (stages)':<28}{sum(manifest['timings_seconds'].values()):>9.1f}")
    lines.append(f"  {'wall (process)':<28}{s['wall_s']:>9.1f}")
    return lines


def _bare_table(bares: dict) -> list[str]:
    lines = []
    for name, b in bares.items():
        lines.append(f"{name} (s):")
        for k in ("u_s", "train_s", "predict_s", "link_s", "wall_s"):
            v = b.get(k)
            lines.append(f"  {k:<28}{v if v is not None else float('nan'):>9.1f}")
    return lines


TARGETS = {"off": 1.0, "on": 1.5}  # spinelink wall / tuned bare wall (issue 16)
MEMORY_TARGET = 1.5


def _verdicts(s: dict, b: dict, quality: str) -> tuple[dict, list[str]]:
    """Issue 16's targets: whole-process wall time and peak memory against bare Splink's,
    F1 gain."""
    r = {"time_ratio": s["wall_s"] / b["wall_s"], "memory_ratio": s["peak_mb"] / b["peak_mb"],
         "f1_gain": s["f1"] - b["f1"]}
    name, t = f"{b['system']} (quality {quality})", TARGETS[quality]

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"
    return r, [
        f"{name}: time: spinelink wall / bare wall = {r['time_ratio']:.3f} "
        f"(target <= {t}: {met(r['time_ratio'] <= t)})",
        f"{name}: memory: spinelink peak / bare peak = {r['memory_ratio']:.3f} "
        f"(target <= {MEMORY_TARGET}: {met(r['memory_ratio'] <= MEMORY_TARGET)})",
        f"{name}: F1: spinelink - bare = {r['f1_gain']:+.4f} "
        f"(target >= +0.01: {met(r['f1_gain'] >= 0.01)})",
    ]


def _same_links(a: dict, b: dict, limit: str) -> str:
    """Whether the memory-limited run made the same links as the unlimited one."""
    def pairs(r):
        f = Path(r["output_dir"]) / "links" / "benefits.parquet"
        lk = pd.read_parquet(f, columns=["reference_id", "source_id"])
        return set(zip(lk["reference_id"], lk["source_id"], strict=True))
    x, y = pairs(a), pairs(b)
    return (f"memory limit {limit}: {len(y):,} links, {len(x ^ y)} differing from the "
            f"unlimited run's {len(x):,} (target: none: "
            f"{'met' if x == y else 'NOT met'})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--work", type=Path, default=HERE / "out")
    ap.add_argument("--bare", default="standard,tuned",
                    help="bare Splink blocking rule sets to run (comma-separated), or none")
    ap.add_argument("--backend", default=None, help="spinelink's backend (duckdb, spark)")
    ap.add_argument("--quality", nargs="?", const="on", default="both",
                    choices=("off", "on", "both"),
                    help="spinelink's quality stage (error estimation): off, on, or both "
                         "runs one after the other (default; `--quality` alone: on)")
    ap.add_argument("--memory-limit", default=None, metavar="SIZE",
                    help="also run spinelink (quality off) under this DuckDB memory limit "
                         "(e.g. 2GB) and check its links are the unlimited run's")
    args = ap.parse_args(argv)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    modes = ["off", "on"] if args.quality == "both" else [args.quality]
    t0 = time.perf_counter()
    benches = {m: prepare_generated(work, args.persons, args.seed, quality=m == "on")
               for m in modes}
    gen_s = time.perf_counter() - t0
    print(f"data: {benches[modes[0]].dir} (generated in {gen_s:.0f}s)", flush=True)
    runs = {m: run_spinelink(b, args.backend, tag="_quality" if m == "on" else "")
            for m, b in benches.items()}
    if args.memory_limit:
        limited = run_spinelink(prepare_generated(work, args.persons, args.seed,
                                                  memory_limit=args.memory_limit),
                                args.backend, tag=f"_memory_{args.memory_limit}")
        runs[f"off, memory {args.memory_limit}"] = limited
    kinds = [] if args.bare == "none" else args.bare.split(",")
    bares = {b["system"]: b for b in (run_bare(benches[modes[0]], k) for k in kinds)}
    if any("f1" not in r for r in (*runs.values(), *bares.values())):
        print("a system failed; see the logs in", benches[modes[0]].dir, file=sys.stderr)
        return 1
    lines = []
    for m, s in runs.items():
        lines.append(f"spinelink stages, quality {m} (s):")
        lines += _stage_table(s, Path(s["output_dir"]))
    lines += _bare_table(bares)
    lines.append(f"{'':<26}{'precision':>10}{'recall':>10}{'F1':>10}{'wall_s':>10}"
                 f"{'link_s':>10}{'peak_MB':>10}")
    for n, r in (*((f"spinelink (quality {m})", s) for m, s in runs.items()),
                 *bares.items()):
        lines.append(f"{n:<26}{r['precision']:>10.4f}{r['recall']:>10.4f}{r['f1']:>10.4f}"
                     f"{r['wall_s']:>10.1f}{r['link_s']:>10.1f}{r['peak_mb']:>10.0f}")
    if args.memory_limit and "off" in runs:
        lines.append(_same_links(runs["off"], runs[f"off, memory {args.memory_limit}"],
                                 args.memory_limit))
    ratios: dict = {}
    for n, b in bares.items():
        for m, s in runs.items():
            if m not in TARGETS:  # the memory-limited run: checked by its links above
                continue
            ratios[f"{n}_quality_{m}"], v = _verdicts(s, b, m)
            lines += v
    print("\n".join(lines))
    result = {"persons": args.persons, "seed": args.seed, "quality": args.quality,
              "backend": args.backend or "duckdb",
              "spinelink": runs, "bare": bares, "ratios": ratios}
    sfx = f"_{args.backend}" if args.backend else ""
    (work / f"scale_{args.persons}{sfx}.json").write_text(
        json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
