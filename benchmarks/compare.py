"""Measure spinelink against bare Splink 5 on generated data and on pseudopeople.

    python benchmarks/compare.py [--persons 100000] [--seed 42] [--skip-generated]
                                 [--skip-pseudopeople] [--work benchmarks/out]

For each dataset both systems run in their own subprocess (wall time and peak resident
memory of that child are measured with os.wait4), their links are scored against the
truth with spinelink.evaluate.score_links, and a table is printed and written to
WORK/results.json. See benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from datasets import Bench, prepare_generated, prepare_pseudopeople  # noqa: E402

from spinelink.evaluate import score_links  # noqa: E402

# Linux carries a process's peak RSS across exec: a child started straight from this
# (large) process would report at least our own peak. A small launcher starts the
# command instead and reports the command's own rusage (JSON to the file in argv[1]).
_LAUNCHER = """import json, os, sys
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, st, ru = os.wait4(pid, 0)
with open(sys.argv[1], "w") as fh:
    json.dump({"rc": os.waitstatus_to_exitcode(st), "maxrss_kb": ru.ru_maxrss,
               "cpu_s": ru.ru_utime + ru.ru_stime}, fh)
"""


def run_measured(cmd: list[str], cwd: Path, log: Path) -> dict:
    """Run cmd as a child; return exit code, wall seconds and the child's peak RSS (MB)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    usage = log.with_name(log.name + ".rusage.json")
    usage.unlink(missing_ok=True)
    with open(log, "wb") as fh:
        fh.write(("$ " + " ".join(map(str, cmd)) + "\n").encode())
        fh.flush()
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-I", "-S", "-c", _LAUNCHER, str(usage),
                               *map(str, cmd)], cwd=cwd, stdout=fh, stderr=subprocess.STDOUT)
        wall = time.perf_counter() - t0
    if not usage.exists():  # the launcher itself failed (e.g. command not found)
        return {"rc": proc.returncode or 127, "wall_s": wall, "peak_mb": None, "cpu_s": None}
    ru = json.loads(usage.read_text())
    usage.unlink()
    return {"rc": ru["rc"], "wall_s": wall, "peak_mb": ru["maxrss_kb"] / 1024,
            "cpu_s": ru["cpu_s"]}


def _tail(log: Path, n: int = 15) -> str:
    lines = log.read_text(errors="replace").splitlines()
    return "\n".join("    " + x for x in lines[-n:])


def _spinelink_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "spinelink"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "spinelink"]


def _score(links: pd.DataFrame, bench: Bench) -> dict:
    truth_ref = pd.read_csv(bench.truth_ref, dtype=str)
    truth_src = pd.read_csv(bench.truth_src, dtype=str)
    return score_links(links, truth_ref, truth_src).as_dict()


def run_spinelink(bench: Bench, backend: str | None = None, tag: str = "") -> dict:
    """`spinelink run` in a subprocess; `backend` overrides the job's (e.g. spark); `tag`
    names the output folder (`spinelink_out<tag>`) so that two runs can be kept."""
    out = bench.dir / (f"spinelink_out{tag}" if backend in (None, "duckdb") else
                       f"spinelink_out{tag}_{backend}")
    shutil.rmtree(out, ignore_errors=True)
    log = bench.dir / f"{out.name.replace('_out', '')}.log"
    cmd = [*_spinelink_cmd(), "run", str(bench.job), "--output-dir", str(out)]
    if backend:
        cmd += ["--backend", backend]
    m = run_measured(cmd, bench.dir, log)
    res = {"system": "spinelink", "command": " ".join(cmd), "log": str(log),
           "output_dir": str(out), **m}
    links_path = out / "links" / f"{bench.source}.parquet"
    if m["rc"] != 0 or not links_path.exists():
        res["error"] = f"exit code {m['rc']}; see {log}"
        print(f"  spinelink FAILED (exit {m['rc']}):\n{_tail(log)}", file=sys.stderr)
        return res
    links = pd.read_parquet(links_path)
    res.update(_score(links, bench))
    manifest = json.loads((out / "run_manifest.json").read_text())
    timings = manifest.get("timings_seconds", {})
    res["stages_s"] = sum(timings.values())
    res["link_s"] = sum(v for k, v in timings.items()
                        if k.split(":")[0] in ("deterministic", "probabilistic"))
    acct = manifest.get("accounting", {})
    res["quarantined"] = {k: v.get("quarantined", 0) for k, v in acct.items()}
    res["review"] = acct.get(bench.source, {}).get("review")
    res["links_by_method"] = links["method"].value_counts().to_dict()
    qpath = out / "quarantine" / f"{bench.source}.parquet"
    if qpath.exists():  # how much of the recall gap is records refused at intake
        q_ids = set(pd.read_parquet(qpath, columns=["record_id"])["record_id"].dropna())
        truth_ref = pd.read_csv(bench.truth_ref, dtype=str)
        truth_src = pd.read_csv(bench.truth_src, dtype=str)
        linkable = truth_src[truth_src["person_uid"].isin(set(truth_ref["person_uid"]))]
        res["linkable_quarantined"] = int(linkable["record_id"].isin(q_ids).sum())
    return res


def run_bare(bench: Bench, blocking: str = "standard") -> dict:
    """Bare Splink 5 in a subprocess; `blocking` picks bare_splink's rule set."""
    sfx = "" if blocking == "standard" else f"_{blocking}"
    out = bench.dir / f"bare_links{sfx}.parquet"
    timings = bench.dir / f"bare_timings{sfx}.json"
    for p in (out, timings):
        p.unlink(missing_ok=True)
    spec = bench.spec
    if blocking != "standard":
        spec = bench.dir / f"bare_spec{sfx}.json"
        spec.write_text(json.dumps({**json.loads(bench.spec.read_text()),
                                    "blocking": blocking}, indent=2))
    log = bench.dir / f"bare_splink{sfx}.log"
    cmd = [sys.executable, str(HERE / "bare_splink.py"), "--spec", str(spec),
           "--out", str(out), "--timings", str(timings)]
    m = run_measured(cmd, bench.dir, log)
    res = {"system": f"bare_splink{sfx}", "command": " ".join(cmd), "log": str(log), **m}
    if m["rc"] != 0 or not out.exists():
        res["error"] = f"exit code {m['rc']}; see {log}"
        print(f"  bare Splink FAILED (exit {m['rc']}):\n{_tail(log)}", file=sys.stderr)
        return res
    res.update(_score(pd.read_parquet(out), bench))
    t = json.loads(timings.read_text())
    res["stages_s"] = t["total_s"]
    res["link_s"] = t["link_s"]
    res["train_s"], res["predict_s"] = t["train_s"], t["predict_s"]
    res["u_s"] = t.get("u_s")
    return res


def _ratio(a, b):
    return a / b if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else None


def _fmt(v, spec: str) -> str:
    return "-" if v is None else format(v, spec)


COLS = [("precision", ".4f"), ("recall", ".4f"), ("f1", ".4f"), ("links", ",d"),
        ("link_s", ".1f"), ("wall_s", ".1f"), ("cpu_s", ".1f"), ("peak_mb", ",.0f")]


def print_table(results: dict) -> None:
    head = f"{'dataset':<14}{'system':<14}" + "".join(f"{c:>11}" for c, _ in COLS)
    print("\n" + head)
    print("-" * len(head))
    for ds, r in results["datasets"].items():
        for key in ("spinelink", "bare_splink"):
            row = r.get(key, {})
            cells = "".join(f"{_fmt(row.get(c), f):>11}" for c, f in COLS)
            err = "  (" + row["error"] + ")" if row.get("error") else ""
            print(f"{ds:<14}{key:<14}{cells}{err}")
        ratios = r.get("ratio_spinelink_over_bare", {})
        cells = "".join(f"{_fmt(ratios.get(c), '.3f'):>11}" for c, _ in COLS)
        print(f"{ds:<14}{'ratio s/b':<14}{cells}")
        info = r.get("info", "")
        if info:
            print(f"{'':<14}{info}")
        print()
    print("link_s: spinelink = deterministic + probabilistic stage times (run manifest); "
          "bare = training + prediction.\nwall_s, cpu_s (user + system) and peak_mb: the "
          "whole child process (os.wait4 rusage).")


def bench_one(bench: Bench) -> dict:
    print(f"[{bench.name}] inputs in {bench.dir}", flush=True)
    out = {}
    for key, fn in (("spinelink", run_spinelink), ("bare_splink", run_bare)):
        print(f"[{bench.name}] running {key} ...", flush=True)
        r = fn(bench)
        out[key] = r
        if "f1" in r:
            print(f"[{bench.name}] {key}: F1 {r['f1']:.4f}, wall {r['wall_s']:.1f}s, "
                  f"peak {r['peak_mb']:.0f} MB", flush=True)
    s, b = out["spinelink"], out["bare_splink"]
    out["ratio_spinelink_over_bare"] = {c: _ratio(s.get(c), b.get(c)) for c, _ in COLS}
    ref_n = sum(1 for _ in open(bench.truth_ref)) - 1
    src_n = sum(1 for _ in open(bench.truth_src)) - 1
    q = s.get("quarantined")
    out["info"] = (f"reference {ref_n:,} rows, source {src_n:,} rows, linkable source "
                   f"records {s.get('linkable', b.get('linkable', 0)):,}"
                   + (f"; spinelink quarantined {q}" if q else "")
                   + (f", of which {s['linkable_quarantined']:,} linkable source records"
                      if "linkable_quarantined" in s else ""))
    out["reference_rows"], out["source_rows"] = ref_n, src_n
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="spinelink vs bare Splink 5 benchmark")
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--skip-generated", action="store_true")
    ap.add_argument("--skip-pseudopeople", action="store_true")
    ap.add_argument("--work", type=Path, default=HERE / "out")
    args = ap.parse_args(argv)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)

    import duckdb
    import splink

    results = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "args": {k: str(v) for k, v in vars(args).items()},
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "environment": {"python": platform.python_version(), "splink": splink.__version__,
                        "duckdb": duckdb.__version__, "cpus": os.cpu_count(),
                        "platform": platform.platform()},
        "datasets": {},
    }
    benches = []
    if not args.skip_generated:
        t = time.perf_counter()
        print(f"[generated] generating {args.persons:,} persons (seed {args.seed}) ...",
              flush=True)
        benches.append(prepare_generated(work, args.persons, args.seed))
        print(f"[generated] ready in {time.perf_counter() - t:.1f}s", flush=True)
    if not args.skip_pseudopeople:
        import pseudopeople

        results["environment"]["pseudopeople"] = pseudopeople.__version__
        benches.append(prepare_pseudopeople(work, args.seed))

    for bench in benches:
        results["datasets"][bench.name] = bench_one(bench)
        (work / "results.json").write_text(json.dumps(results, indent=2, default=str))

    print_table(results)
    print(f"\nresults: {work / 'results.json'}")
    failed = any(r.get(k, {}).get("error") for r in results["datasets"].values()
                 for k in ("spinelink", "bare_splink"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
