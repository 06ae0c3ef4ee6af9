"""Scale benchmark: spinelink end to end against bare Splink 5 on generated data.

    python benchmarks/scale.py --persons 1000000 [--seed 42] [--work benchmarks/out]

Generates the data with spinelink's own generator (census as reference, benefits as the
admin source), then runs, each in its own subprocess on the same files, `spinelink run`
(intake to report) and bare Splink 5 with a standard person model (u by random sampling,
m by EM, predict). Prints wall time per stage, peak memory, precision, recall and F1, and
the ratios against issue 5's targets (end-to-end time <= 0.7 x bare training+prediction,
peak memory <= bare's, F1 >= bare's + 0.01). Results go to WORK/scale_<persons>.json.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from compare import run_bare, run_spinelink  # noqa: E402
from datasets import prepare_generated  # noqa: E402


def _stage_table(s: dict, bares: dict, out: Path) -> list[str]:
    manifest = json.loads((out / "run_manifest.json").read_text())
    lines = ["spinelink stages (s):"]
    for stage, secs in manifest["timings_seconds"].items():
        lines.append(f"  {stage:<28}{secs:>9.1f}")
    lines.append(f"  {'total (stages)':<28}{sum(manifest['timings_seconds'].values()):>9.1f}")
    lines.append(f"  {'wall (process)':<28}{s['wall_s']:>9.1f}")
    for name, b in bares.items():
        lines.append(f"{name} (s):")
        for k in ("u_s", "train_s", "predict_s", "link_s", "wall_s"):
            v = b.get(k)
            lines.append(f"  {k:<28}{v if v is not None else float('nan'):>9.1f}")
    return lines


def _verdicts(s: dict, b: dict) -> tuple[dict, list[str]]:
    r = {"time_ratio": s["wall_s"] / b["link_s"], "memory_ratio": s["peak_mb"] / b["peak_mb"],
         "f1_gain": s["f1"] - b["f1"]}
    name = b["system"]
    return r, [
        f"{name}: time: spinelink end-to-end / bare training+prediction = "
        f"{r['time_ratio']:.3f} (target <= 0.7: {'met' if r['time_ratio'] <= 0.7 else 'NOT met'})",
        f"{name}: memory: spinelink peak / bare peak = {r['memory_ratio']:.3f} "
        f"(target <= 1: {'met' if r['memory_ratio'] <= 1 else 'NOT met'})",
        f"{name}: F1: spinelink - bare = {r['f1_gain']:+.4f} "
        f"(target >= +0.01: {'met' if r['f1_gain'] >= 0.01 else 'NOT met'})",
    ]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--work", type=Path, default=HERE / "out")
    ap.add_argument("--bare", default="standard,tuned",
                    help="bare Splink blocking rule sets to run (comma-separated), or none")
    ap.add_argument("--backend", default=None, help="spinelink's backend (duckdb, spark)")
    ap.add_argument("--quality", action="store_true",
                    help="run spinelink with the quality stage on (error estimation)")
    args = ap.parse_args(argv)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    bench = prepare_generated(work, args.persons, args.seed, quality=args.quality)
    gen_s = time.perf_counter() - t0
    print(f"data: {bench.dir} (generated in {gen_s:.0f}s)", flush=True)
    s = run_spinelink(bench, args.backend)
    kinds = [] if args.bare == "none" else args.bare.split(",")
    bares = {b["system"]: b for b in (run_bare(bench, k) for k in kinds)}
    if "f1" not in s or any("f1" not in b for b in bares.values()):
        print("a system failed; see the logs in", bench.dir, file=sys.stderr)
        return 1
    lines = _stage_table(s, bares, Path(s["output_dir"]))
    lines.append(f"{'':<22}{'precision':>10}{'recall':>10}{'F1':>10}{'wall_s':>10}"
                 f"{'link_s':>10}{'peak_MB':>10}")
    for n, r in (("spinelink", s), *bares.items()):
        lines.append(f"{n:<22}{r['precision']:>10.4f}{r['recall']:>10.4f}{r['f1']:>10.4f}"
                     f"{r['wall_s']:>10.1f}{r['link_s']:>10.1f}{r['peak_mb']:>10.0f}")
    ratios = {}
    for n, b in bares.items():
        ratios[n], v = _verdicts(s, b)
        lines += v
    print("\n".join(lines))
    result = {"persons": args.persons, "seed": args.seed, "quality": args.quality,
              "backend": args.backend or "duckdb",
              "spinelink": s, "bare": bares, "ratios": ratios}
    sfx = ("_quality" if args.quality else "") + (f"_{args.backend}" if args.backend else "")
    (work / f"scale_{args.persons}{sfx}.json").write_text(
        json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
