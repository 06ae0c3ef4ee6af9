"""External benchmark: spinelink with its defaults against bare Splink 5 on data spinelink
did not generate (pseudopeople sample data, FEBRL4, hand-made Ukrainian sets).

    .venv/bin/python benchmarks/external.py [--only NAME[,NAME]] [--noise default|raised|both]
        [--skip-bare] [--bare-rule best|all] [--work DIR] [--seed 42] [--no-keep]

Inputs are prepared by `external_data.py` (cached under WORK/<pair>/). For each pair,
spinelink (`spinelink run job.yaml`: columns mapped, nothing else) and bare Splink
(`bare_splink.py`, one-link rule unless --bare-rule all) run each in a subprocess (wall
time and peak memory of the child, as in compare.py), are scored against the truth, and
a table is printed and written to WORK/results.json. Exit code 1 if any system failed.
See benchmarks/README.md, section "External".
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

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from compare import _spinelink_cmd, run_bare, run_spinelink  # noqa: E402
from external_data import Pair, catalogue  # noqa: E402

MIN_GROUP = 100  # subgroups with fewer linkable source records are not ranked
CHANCE_DRAWS = 2000  # shuffles of the found records for the gap's chance reading


def _last_line(log: str | None) -> str:
    if not log or not Path(log).exists():
        return ""
    lines = [x.strip() for x in Path(log).read_text(errors="replace").splitlines() if x.strip()]
    return lines[-1][:200] if lines else ""


def _verbose_error(b) -> str:
    """After an internal error: rerun with --verbose (not timed) for the exception's
    message, the last line of its trace."""
    out = b.dir / "spinelink_out_verbose"
    log = b.dir / "spinelink_verbose.log"
    cmd = [*_spinelink_cmd(), "run", str(b.job), "--output-dir", str(out), "--verbose"]
    with open(log, "wb") as fh:
        subprocess.run(cmd, cwd=b.dir, stdout=fh, stderr=subprocess.STDOUT)
    shutil.rmtree(out, ignore_errors=True)
    lines = [x.strip() for x in log.read_text(errors="replace").splitlines() if x.strip()]
    trace = [x for x in lines if not x.startswith(("error:", "File ", "^", "~"))
             and ("Error" in x or "Exception" in x)]
    return trace[-1][:200] if trace else ""


def truth_counts(pair: Pair) -> dict:
    """n_ref, n_src, true pairs (reference x source records of one person) and linkable
    source records (whose person has a reference record: the recall denominator)."""
    ref = pd.read_csv(pair.bench.truth_ref, dtype=str)
    src = pd.read_csv(pair.bench.truth_src, dtype=str)
    per_ref = ref["person_uid"].value_counts()
    n_ref_of_src = src["person_uid"].map(per_ref).fillna(0)
    return {"n_ref": len(ref), "n_src": len(src), "true_pairs": int(n_ref_of_src.sum()),
            "linkable": int((n_ref_of_src > 0).sum())}


def gap_by_chance(found: np.ndarray, members: list[np.ndarray], observed: float,
                  draws: int = CHANCE_DRAWS, seed: int = 0) -> dict:
    """The best - worst gap that the ranked groups show when no group differs: `found`
    (one bool per linkable source record) shuffled across the records, `draws` times
    (seeded), each group (`members`: its records' positions) read as group_recall reads
    it. Returns the gap's mean and 95th percentile under that null, and `p`, the share of
    shuffles with a gap at least the observed one. With ~700 linkable records at a recall
    of 0.96 the max - min of 7 groups is 0.03 by chance alone (benchmarks/RESULTS.md,
    session 49), so a gap is a group effect only where it stands above its chance
    reading."""
    if not members:
        return {}
    mat = np.zeros((len(found), len(members)))
    for j, idx in enumerate(members):
        mat[idx, j] = 1.0
    sizes = mat.sum(axis=0)
    rng = np.random.default_rng(seed)
    gaps = []
    for start in range(0, draws, 500):
        shuffled = rng.permuted(np.tile(found.astype(float), (min(500, draws - start), 1)),
                                axis=1)
        recall = shuffled @ mat / sizes
        gaps.append(recall.max(axis=1) - recall.min(axis=1))
    null = np.concatenate(gaps)
    return {"mean": float(null.mean()), "q95": float(np.quantile(null, 0.95)),
            "p": float(np.mean(null >= observed - 1e-12)), "draws": draws}


def group_recall(links: pd.DataFrame, pair: Pair) -> dict:
    """Recall per subgroup value of the linkable source records; the worst and best
    group (any variable) among groups of at least MIN_GROUP linkable records, and the
    gap between them."""
    ref = pd.read_csv(pair.bench.truth_ref, dtype=str)
    src = pd.read_csv(pair.bench.truth_src, dtype=str)
    src = src[src["person_uid"].isin(set(ref["person_uid"]))].reset_index(drop=True)
    lk = links[["reference_id", "source_id"]].astype(str).drop_duplicates()
    lk = lk.merge(ref.rename(columns={"record_id": "reference_id", "person_uid": "u_ref"}),
                  on="reference_id").merge(
        src[["record_id", "person_uid"]].rename(columns={"record_id": "source_id"}),
        on="source_id")
    found = set(lk.loc[lk["u_ref"] == lk["person_uid"], "source_id"])
    src["found"] = src["record_id"].isin(found)
    by_var, ranked, members = {}, [], []
    for g in pair.groups:
        t = src.fillna({g: "unknown"}).groupby(g)["found"].agg(["size", "mean"])
        by_var[g] = {str(k): {"n": int(r["size"]), "recall": float(r["mean"])}
                     for k, r in t.iterrows()}
        ranked += [(float(r["mean"]), f"{g}={k}", int(r["size"])) for k, r in t.iterrows()
                   if r["size"] >= MIN_GROUP and k != "unknown"]
        members += [np.flatnonzero(src[g].fillna("unknown").to_numpy() == k)
                    for k, r in t.iterrows() if r["size"] >= MIN_GROUP and k != "unknown"]
    out = {"by_group": by_var, "min_group": MIN_GROUP}
    if ranked:
        ranked.sort()
        out["worst"] = {"group": ranked[0][1], "recall": ranked[0][0], "n": ranked[0][2]}
        out["best"] = {"group": ranked[-1][1], "recall": ranked[-1][0], "n": ranked[-1][2]}
        out["gap"] = ranked[-1][0] - ranked[0][0]
        out["chance"] = gap_by_chance(src["found"].to_numpy(), members, out["gap"])
    return out


def run_pair(pair: Pair, skip_bare: bool, keep: bool) -> dict:
    b = pair.bench
    res = {"family": pair.family, "noise": pair.noise, "note": pair.note, "dir": str(b.dir),
           **truth_counts(pair)}
    print(f"[{b.name}] ref {res['n_ref']:,}, source {res['n_src']:,}, linkable "
          f"{res['linkable']:,}; spinelink ...", flush=True)
    s = run_spinelink(b)
    if "f1" in s:
        out = Path(s["output_dir"])
        s["groups"] = group_recall(pd.read_parquet(out / "links" / f"{b.source}.parquet"), pair)
        if not keep:
            shutil.rmtree(out, ignore_errors=True)
    else:
        s["error_line"] = _last_line(s.get("log"))
        if "internal error" in s["error_line"]:
            s["error_line"] = _verbose_error(b) or s["error_line"]
    res["spinelink"] = s
    if not skip_bare:
        print(f"[{b.name}] bare Splink ...", flush=True)
        bare = run_bare(b)
        if "f1" in bare:
            bare["groups"] = group_recall(pd.read_parquet(b.dir / "bare_links.parquet"), pair)
        else:
            bare["error_line"] = _last_line(bare.get("log"))
        res["bare"] = bare
    for key in ("spinelink", "bare"):
        r = res.get(key)
        if r and "f1" in r:
            print(f"[{b.name}] {key}: P {r['precision']:.4f} R {r['recall']:.4f} "
                  f"F1 {r['f1']:.4f}, {r['wall_s']:.1f}s, {r['peak_mb']:.0f} MB", flush=True)
    return res


# ------------------------------------------------------------------------------ table

def _f(v, spec: str) -> str:
    return "-" if v is None else format(v, spec)


HEAD = (f"{'dataset':<17}{'noise':<8}{'n_ref':>7}{'n_src':>7}{'true':>7}{'lnkbl':>7} | "
        f"{'S P':>6}{'S R':>7}{'S F1':>7} | {'B P':>6}{'B R':>7}{'B F1':>7} |"
        f"{'F1 S-B':>8} |{'S s':>6}{'S MB':>6}{'B s':>6}{'B MB':>6} |{'S gap':>6}{'B gap':>6}")


def _metrics(r: dict | None) -> tuple[str, str]:
    if r is None:
        return f"{'(skipped)':>20}", ""
    if "f1" not in r:
        return f"{'CRASH':>20}", r.get("error_line", "")
    return f"{r['precision']:>6.3f}{r['recall']:>7.3f}{r['f1']:>7.3f}", ""


def _chance(c: dict | None) -> str:
    if not c:
        return ""
    return f"; gap by chance: mean {c['mean']:.3f}, 95% {c['q95']:.3f}, p {c['p']:.2f}"


def format_table(results: dict) -> str:
    lines = [HEAD, "-" * len(HEAD)]
    notes = []
    for name, r in results["pairs"].items():
        s, b = r.get("spinelink"), r.get("bare")
        sm, se = _metrics(s)
        bm, be = _metrics(b)
        gap = (s["f1"] - b["f1"]) if s and b and "f1" in s and "f1" in b else None
        res = "".join(_f((x or {}).get(k), ".0f" if k == "peak_mb" else ".1f")
                      .rjust(6) for x in (s, b) for k in ("wall_s", "peak_mb"))
        ggap = "".join(_f(((x or {}).get("groups") or {}).get("gap"), ".3f").rjust(6)
                       for x in (s, b))
        lines.append(f"{name:<17}{r['noise']:<8}{r['n_ref']:>7}{r['n_src']:>7}"
                     f"{r['true_pairs']:>7}{r['linkable']:>7} | {sm} | {bm} |"
                     f"{_f(gap, '+.3f'):>8} |{res} |{ggap}")
        for label, err in (("spinelink", se), ("bare", be)):
            if err:
                notes.append(f"  {name} {label} crashed: {err}")
        for label, x in (("S", s), ("B", b)):
            g = (x or {}).get("groups") or {}
            if "worst" in g:
                notes.append(f"  {name} {label}: worst {g['worst']['group']} "
                             f"{g['worst']['recall']:.3f} (n={g['worst']['n']}), best "
                             f"{g['best']['group']} {g['best']['recall']:.3f} "
                             f"(n={g['best']['n']})" + _chance(g.get("chance")))
    legend = (
        "S = spinelink (defaults), B = bare Splink 5 (one-link rule unless --bare-rule all). "
        "true = (reference, source) pairs of one person; lnkbl = source records whose "
        "person is in the reference (recall denominator).\nP = correct links / links; "
        "R = linkable source records with a correct link / lnkbl. s = wall seconds and "
        f"MB = peak RSS of the child process. gap = best - worst subgroup recall "
        f"(groups of >= {MIN_GROUP} linkable records); gap by chance = the gap with the "
        f"found records shuffled across the linkable ones ({CHANCE_DRAWS} seeded draws, no "
        "group effect): mean, 95th percentile, p = share of draws at or above the gap.")
    return "\n".join([*lines, "", legend, "", "Subgroups and errors:", *notes])


# ------------------------------------------------------------------------------- main

def _git_rev() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE,
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=HERE,
                               capture_output=True, text=True).stdout.strip()
        return rev + (" + uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def select(names: list[str], only: str | None) -> list[str]:
    if not only:
        return names
    wanted = [w.strip() for w in only.split(",") if w.strip()]
    out = [n for n in names if any(n == w or n.startswith(w + "_") for w in wanted)]
    unknown = [w for w in wanted if not any(n == w or n.startswith(w + "_") for n in names)]
    if unknown:
        raise SystemExit(f"external.py: unknown pair(s) {unknown}; choose among {names}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="comma-separated pairs (e.g. febrl4,ss_default) or "
                                   "prefixes (ss = ss_default and ss_raised)")
    ap.add_argument("--noise", choices=("default", "raised", "both"), default="both",
                    help="pseudopeople noise levels to run (FEBRL4 and hand-made have one)")
    ap.add_argument("--skip-bare", action="store_true")
    ap.add_argument("--bare-rule", choices=("best", "all"), default="best",
                    help="best: each source record's best pair >= 0.5 (default); all: "
                         "every pair >= 0.5")
    ap.add_argument("--work", type=Path, default=HERE / "out" / "external")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--keep", action=argparse.BooleanOptionalAction, default=True,
                    help="keep spinelink's output folders (default: keep)")
    args = ap.parse_args(argv)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)

    import duckdb
    import pseudopeople
    import splink

    cat = dict(catalogue(args.noise))
    names = select(list(cat), args.only)
    results = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "args": {k: str(v) for k, v in vars(args).items()},
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"), "code": _git_rev(),
        "environment": {"python": platform.python_version(), "splink": splink.__version__,
                        "duckdb": duckdb.__version__, "pseudopeople": pseudopeople.__version__,
                        "cpus": os.cpu_count(), "platform": platform.platform()},
        "pairs": {},
    }
    t0 = time.perf_counter()
    for name in names:
        t = time.perf_counter()
        pair = cat[name](work, args.seed, args.bare_rule)
        prep_s = time.perf_counter() - t
        results["pairs"][name] = {**run_pair(pair, args.skip_bare, args.keep),
                                  "prepare_s": prep_s}
        (work / "results.json").write_text(json.dumps(results, indent=2, default=str))
    results["total_s"] = time.perf_counter() - t0
    (work / "results.json").write_text(json.dumps(results, indent=2, default=str))

    print("\n" + format_table(results))
    print(f"\ncode {results['code']}; total {results['total_s']:.0f}s; results: "
          f"{work / 'results.json'}")
    failed = any("f1" not in r[k] for r in results["pairs"].values()
                 for k in ("spinelink", "bare") if k in r)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
