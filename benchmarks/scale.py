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


def _stage_table(s: dict, b: dict, out: Path) -> list[str]:
    manifest = json.loads((out / "run_manifest.json").read_text())
    lines = ["spinelink stages (s):"]
    for stage, secs in manifest["timings_seconds"].items():
        lines.append(f"  {stage:<28}{secs:>9.1f}")
    lines.append(f"  {'total (stages)':<28}{sum(manifest['timings_seconds'].values()):>9.1f}")
    lines.append(f"  {'wall (process)':<28}{s['wall_s']:>9.1f}")
    lines.append("bare Splink 5 (s):")
    for k in ("train_s", "predict_s", "link_s", "wall_s"):
        lines.append(f"  {k:<28}{b.get(k, float('nan')):>9.1f}")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--work", type=Path, default=HERE / "out")
    args = ap.parse_args(argv)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    bench = prepare_generated(work, args.persons, args.seed)
    gen_s = time.perf_counter() - t0
    print(f"data: {bench.dir} (generated in {gen_s:.0f}s)", flush=True)
    s = run_spinelink(bench)
    b = run_bare(bench)
    if "f1" not in s or "f1" not in b:
        print("a system failed; see the logs in", bench.dir, file=sys.stderr)
        return 1
    lines = _stage_table(s, b, bench.dir / "spinelink_out")
    time_ratio = s["wall_s"] / b["link_s"]
    mem_ratio = s["peak_mb"] / b["peak_mb"]
    f1_gain = s["f1"] - b["f1"]
    lines += [
        f"{'':<16}{'precision':>10}{'recall':>10}{'F1':>10}{'wall_s':>10}{'peak_MB':>10}",
        *(f"{n:<16}{r['precision']:>10.4f}{r['recall']:>10.4f}{r['f1']:>10.4f}"
          f"{r['wall_s']:>10.1f}{r['peak_mb']:>10.0f}" for n, r in (("spinelink", s),
                                                                 ("bare_splink", b))),
        f"time: spinelink end-to-end / bare training+prediction = {time_ratio:.3f} "
        f"(target <= 0.7: {'met' if time_ratio <= 0.7 else 'NOT met'})",
        f"memory: spinelink peak / bare peak = {mem_ratio:.3f} "
        f"(target <= 1: {'met' if mem_ratio <= 1 else 'NOT met'})",
        f"F1: spinelink - bare = {f1_gain:+.4f} "
        f"(target >= +0.01: {'met' if f1_gain >= 0.01 else 'NOT met'})",
    ]
    print("\n".join(lines))
    result = {"persons": args.persons, "seed": args.seed, "spinelink": s, "bare_splink": b,
              "time_ratio": time_ratio, "memory_ratio": mem_ratio, "f1_gain": f1_gain}
    (work / f"scale_{args.persons}.json").write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
