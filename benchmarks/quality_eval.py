"""Quality evaluation: spinelink's label-free precision and recall estimates (quality stage)
against the truth, beside two naive estimators, on the external benchmark's pairs and on
spinelink's own generator (issue 12, item 1).

    .venv/bin/python benchmarks/quality_eval.py [--only NAME[,NAME]] [--noise default|raised|both]
        [--persons 20000] [--work DIR] [--seed 42] [--seeds 1] [--rescore]

Each data set is prepared in WORK/<name>/ (`external_data.py` for the external pairs,
`datasets.prepare_generated` for `generated`), `spinelink run job_quality.yaml` runs with
the quality stage on, and every row of OUT/quality/subgroups.csv (basis `model`) whose
subgroup has at least MIN_TRUE true pairs is compared with the truth. Figures go to
WORK/results.json; a table and summary lines per data set are printed (aggregates only).

Subgroups are the quality stage's own: a link, a true pair and a linkable source record
belong to the group of their *reference* record's value in OUT/standardised (age band at
the run's reference date, `unknown` when missing), or of the source record's value for a
variable only the source carries (`spinelink.quality.groups`).

True figures (definitions of `spinelink.evaluate.score_links` / external.py):
- a link is correct when its reference and source records share person_uid;
  true precision = correct links / links in the group;
- a source record is linkable when its person has a reference record; true recall =
  linkable records with at least one correct link / linkable records. A linkable record is
  in the group of the reference record it is correctly linked to, else of its person's
  first reference record in truth/reference.csv;
- true pairs = (reference, source) record pairs of one person, by the reference record.

Naive estimators:
- `c1`: the constant 1.0 for precision and recall;
- `fl` (fastLink-style sums of match probabilities): each link's probability p is its
  `match_probability` in OUT/links, or 1 when it has none (deterministic and clerical
  links). Precision = mean p of the group's links. Recall = sum over source records of
  found / sum over source records of expected, where found = the highest p of the
  record's links (0 if unlinked) and expected = max(found, the highest
  `match_probability` of its candidate pairs in OUT/pairs); records without links or
  candidates count 0. A record is in the group of its highest-p link's reference record,
  else of its best candidate's.

Error = |estimate - truth|; an interval covers when low <= truth <= high with the truth
rounded to subgroups.csv's 4 decimals. Summary per data set over the compared (subgroup,
measure) estimates, the `all` row included: mean absolute error of spinelink, c1 and fl;
the share of spinelink's 95% intervals that cover; subgroups with an error > TOL.

`--seeds N` (N > 1) also runs each pseudopeople pair at seeds SEED+1..SEED+N-1 and adds to
its result, as `seeds`, the N seeds' pooled comparison (`quality_eval_seeds`).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from compare import run_spinelink  # noqa: E402
from datasets import Bench, prepare_generated  # noqa: E402
from external import _git_rev, select  # noqa: E402
from external_data import catalogue  # noqa: E402
from quality_eval_parts import _ids, _widths_and_misses, components  # noqa: E402,F401
from quality_eval_seeds import format_pooled, run_seeds, summary_line  # noqa: E402
from quality_eval_table import format_case, legend  # noqa: E402

MIN_TRUE = 300   # subgroups with fewer true pairs are not compared
TOL = 0.015      # issue 12's bound on |estimate - truth|
UNKNOWN = "unknown"
MEASURES = ("precision", "recall")
# subgroups declared on the reference when its file carries them (no effect on linkage)
EXTRA_SUBGROUPS = {"febrl4": {"febrl_a": ["state"]},
                   "generated": {"census": ["ethnic_group", "region", "disability"]}}


@dataclass(frozen=True)
class Case:
    bench: Bench
    family: str
    noise: str


# --------------------------------------------------------------------------- scoring

def _values(var: str, ref_ids: pd.Series, src_ids: pd.Series, ref_groups: pd.DataFrame,
            src_groups: pd.DataFrame | None) -> np.ndarray:
    """Each row's group value of `var`: by the reference record, or by the source record
    for a variable only the source carries."""
    if var == "all":
        return np.full(len(ref_ids), "all", dtype=object)
    table, ids = (ref_groups, ref_ids) if var in ref_groups.columns else (src_groups, src_ids)
    assert table is not None, var
    return table[var].reindex(ids.astype(str).to_numpy()).fillna(UNKNOWN).to_numpy(object)


def _variables(ref_groups: pd.DataFrame, src_groups: pd.DataFrame | None) -> list[str]:
    return ["all", *ref_groups.columns, *(src_groups.columns if src_groups is not None else [])]


def true_rates(links: pd.DataFrame, truth_ref: pd.DataFrame, truth_src: pd.DataFrame,
               ref_groups: pd.DataFrame, src_groups: pd.DataFrame | None = None
               ) -> pd.DataFrame:
    """Per variable and value: true pairs, linkable source records, links, true precision
    and recall (definitions in the module docstring). `*_groups`: record_id index, one
    column per variable."""
    ref = truth_ref[["record_id", "person_uid"]].dropna().astype(str)
    src = truth_src[["record_id", "person_uid"]].dropna().astype(str)
    uid_ref = ref.drop_duplicates("record_id").set_index("record_id")["person_uid"]
    uid_src = src.drop_duplicates("record_id").set_index("record_id")["person_uid"]
    lk = links[["reference_id", "source_id"]].astype(str).drop_duplicates()
    u_r = lk["reference_id"].map(uid_ref)
    lk["ok"] = (u_r.notna() & (u_r == lk["source_id"].map(uid_src))).to_numpy()
    pairs = src.rename(columns={"record_id": "source_id"}).merge(
        ref.rename(columns={"record_id": "reference_id"}), on="person_uid")
    rec = pairs.drop_duplicates("source_id")[["source_id", "reference_id"]].copy()
    hit = lk[lk["ok"]].drop_duplicates("source_id").set_index("source_id")["reference_id"]
    rec["found"] = rec["source_id"].isin(hit.index).to_numpy()
    linked_to = hit.reindex(rec["source_id"]).to_numpy(object)
    rec["reference_id"] = np.where(rec["found"], linked_to, rec["reference_id"])
    rows = []
    for var in _variables(ref_groups, src_groups):
        lv = _values(var, lk["reference_id"], lk["source_id"], ref_groups, src_groups)
        pv = _values(var, pairs["reference_id"], pairs["source_id"], ref_groups, src_groups)
        rv = _values(var, rec["reference_id"], rec["source_id"], ref_groups, src_groups)
        for val in sorted(set(lv) | set(pv) | set(rv)):
            ok, found = lk["ok"].to_numpy()[lv == val], rec["found"].to_numpy()[rv == val]
            rows.append({"variable": var, "value": val, "true_pairs": int((pv == val).sum()),
                         "linkable": len(found), "links": len(ok),
                         "true_precision": ok.mean() if len(ok) else np.nan,
                         "true_recall": found.mean() if len(found) else np.nan})
    return pd.DataFrame(rows)


def naive_rates(links: pd.DataFrame, pairs: pd.DataFrame, ref_groups: pd.DataFrame,
                src_groups: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per variable and value: the fastLink-style precision and recall (`fl_*`; module
    docstring). links: reference_id, source_id, match_probability (NaN: 1); pairs:
    reference_id, source_id, match_probability."""
    lk = links[["reference_id", "source_id"]].astype(str)
    prob = links["match_probability"] if "match_probability" in links else np.nan
    lk = lk.assign(p=pd.to_numeric(pd.Series(prob, index=links.index), errors="coerce")
                   .fillna(1.0).to_numpy()).drop_duplicates(["reference_id", "source_id"])
    top = lk.sort_values("p", ascending=False, kind="stable").drop_duplicates("source_id")
    cand = pairs[["reference_id", "source_id"]].astype(str).assign(
        p=pd.to_numeric(pairs["match_probability"], errors="coerce").fillna(0.0).to_numpy())
    best = cand.sort_values("p", ascending=False, kind="stable").drop_duplicates("source_id")
    rec = top.rename(columns={"p": "found"}).merge(
        best.rename(columns={"p": "best", "reference_id": "best_ref"}),
        on="source_id", how="outer")
    rec["reference_id"] = rec["reference_id"].fillna(rec["best_ref"])
    rec["found"] = rec["found"].fillna(0.0)
    rec["expected"] = np.maximum(rec["found"], rec["best"].fillna(0.0))
    rows = []
    for var in _variables(ref_groups, src_groups):
        lv = _values(var, lk["reference_id"], lk["source_id"], ref_groups, src_groups)
        rv = _values(var, rec["reference_id"], rec["source_id"], ref_groups, src_groups)
        for val in sorted(set(lv) | set(rv)):
            p = lk["p"].to_numpy()[lv == val]
            f, e = rec["found"].to_numpy()[rv == val], rec["expected"].to_numpy()[rv == val]
            rows.append({"variable": var, "value": val,
                         "fl_precision": p.mean() if len(p) else np.nan,
                         "fl_recall": f.sum() / e.sum() if e.sum() > 0 else np.nan})
    return pd.DataFrame(rows)


def run_against_truth(out: Path, truth: Path, groups: pd.DataFrame, variable: str,
                      source: str = "benefits") -> pd.DataFrame:
    """A generated run's label-free estimates for `source` (model basis; `all` and
    `variable`) beside the truth and the fastLink-style sums, one row per value:
    `true_rates`, `naive_rates` and quality/subgroups.csv merged. `truth`: the folder of
    census.csv and <source>.csv (record_id, person_uid); `groups`: reference record_id
    index, a column `variable`."""
    links = pd.read_parquet(out / "links" / f"{source}.parquet")
    pairs = pd.read_parquet(out / "pairs" / f"{source}.parquet")
    true = true_rates(links, pd.read_csv(truth / "census.csv", dtype=str),
                      pd.read_csv(truth / f"{source}.csv", dtype=str), groups)
    naive = naive_rates(links, pairs, groups)
    sub = pd.read_csv(out / "quality" / "subgroups.csv", dtype={"value": str})
    est = sub[(sub["basis"] == "model") & (sub["source"] == source)
              & sub["variable"].isin(["all", variable])]
    return true.merge(naive, on=["variable", "value"]).merge(est, on=["variable", "value"])


def compare_rows(est: pd.DataFrame, truth: pd.DataFrame, naive: pd.DataFrame,
                 min_true: int = MIN_TRUE) -> pd.DataFrame:
    """Estimates (subgroups.csv rows: variable, value, est_*) beside the truth and the
    naive estimators, for groups with at least `min_true` true pairs. A variable with a
    single value (e.g. sex `unknown` everywhere) repeats `all` and is left out."""
    keep = ["variable", "value", *(f"est_{m}{s}" for m in MEASURES
                                   for s in ("", "_low", "_high"))]
    several = truth.groupby("variable")["value"].transform("nunique") > 1
    truth = truth[(truth["variable"] == "all") | several]
    df = truth[truth["true_pairs"] >= min_true].merge(
        est[keep].astype({"value": str}), on=["variable", "value"], how="left").merge(
        naive, on=["variable", "value"], how="left")
    for m in MEASURES:
        t = df[f"true_{m}"]
        df[f"err_{m}"] = (df[f"est_{m}"] - t).abs()
        df[f"c1_err_{m}"] = (1.0 - t).abs()
        df[f"fl_err_{m}"] = (df[f"fl_{m}"] - t).abs()
        tr = t.round(4)
        cov = (df[f"est_{m}_low"] <= tr) & (tr <= df[f"est_{m}_high"])
        df[f"covers_{m}"] = cov.where(df[f"est_{m}_low"].notna() & t.notna())
    return df.reset_index(drop=True)


def summarise(rows: pd.DataFrame, tol: float = TOL) -> dict:
    """MAE of spinelink, c1 and fl over the (subgroup, measure) estimates all three give
    and whose truth is defined; interval coverage; subgroups with an error above tol."""
    errs = {k: [] for k in ("spinelink", "c1", "fl")}
    cov: list[bool] = []
    for m in MEASURES:
        sel = rows[[f"err_{m}", f"c1_err_{m}", f"fl_err_{m}"]].notna().all(axis=1)
        errs["spinelink"] += rows.loc[sel, f"err_{m}"].tolist()
        errs["c1"] += rows.loc[sel, f"c1_err_{m}"].tolist()
        errs["fl"] += rows.loc[sel, f"fl_err_{m}"].tolist()
        cov += rows[f"covers_{m}"].dropna().astype(bool).tolist()
    worst = rows[[f"err_{m}" for m in MEASURES]].max(axis=1)
    widths, misses = _widths_and_misses(rows)
    return {"subgroups": len(rows), "estimates": len(errs["spinelink"]),
            **{f"mae_{k}": float(np.mean(v)) if v else None for k, v in errs.items()},
            "coverage": float(np.mean(cov)) if cov else None, "intervals": len(cov),
            "over_tol": int((worst > tol).sum()), "tol": tol, **widths, "misses": misses}


# ---------------------------------------------------------------------- per data set

def quality_job(bench: Bench, extra: dict[str, list[str]] | None = None) -> Bench:
    """A copy of the job with the quality stage on, no cell suppression and extra declared
    subgroups, as job_quality.yaml beside it."""
    job = yaml.safe_load(bench.job.read_text(encoding="utf-8"))
    # min_cell 1: disclosure control would blank estimates whose counts are small (even
    # the overall row when a few reference records are unlinked); this measures accuracy
    job["quality"] = {**(job.get("quality") or {}), "enabled": True, "min_cell": 1}
    for src, cols in (extra or {}).items():
        job["sources"][src]["subgroups"] = cols
    path = bench.dir / "job_quality.yaml"
    path.write_text(yaml.safe_dump(job, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return replace(bench, job=path)


def group_tables(out: Path, job: dict, source: str
                 ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Subgroup values of the reference and source records, as the quality stage sets
    them (summary.json's variables and reference date, the job's age bands)."""
    import datetime as dt

    from spinelink.backends import open_engine
    from spinelink.config import Quality
    from spinelink.quality.groups import group_values

    summ = json.loads((out / "quality" / "summary.json").read_text())
    bands = Quality(**(job.get("quality") or {})).age_bands
    day = dt.date.fromisoformat(summ["reference_date"])
    variables = summ["variables"]
    eng = open_engine("duckdb")
    try:
        tables = []
        for name, var in ((summ["reference"], variables["reference"]),
                          (source, variables["source"].get(source, []))):
            if not var:
                tables.append(None)
                continue
            eng.view_parquet(f"__qe_{name}", out / "standardised" / f"{name}.parquet")
            tables.append(group_values(eng, f"__qe_{name}", var, bands, day))
    finally:
        eng.close()
    ref = tables[0] if tables[0] is not None else pd.DataFrame(index=pd.Index([], dtype=object))
    return ref, tables[1]


def evaluate(bench: Bench, all_rows: list | None = None) -> dict:
    """Compare a finished run's quality estimates with the truth. `all_rows`: gets the
    comparison of every subgroup, whatever its true pairs (`quality_eval_seeds`)."""
    out = bench.dir / "spinelink_out"
    job = yaml.safe_load(bench.job.read_text(encoding="utf-8"))
    ref_groups, src_groups = group_tables(out, job, bench.source)
    links = pd.read_parquet(out / "links" / f"{bench.source}.parquet")
    pp = out / "pairs" / f"{bench.source}.parquet"
    pairs = pd.read_parquet(pp) if pp.exists() else pd.DataFrame(
        columns=["reference_id", "source_id", "match_probability"])
    t_ref, t_src = (pd.read_csv(p, dtype=str) for p in (bench.truth_ref, bench.truth_src))
    truth = true_rates(links, t_ref, t_src, ref_groups, src_groups)
    parts = components(links, pairs, t_ref, t_src,
                       _ids(out / "quarantine" / f"{bench.source}.parquet", "record_id"),
                       _ids(out / "review" / f"{bench.source}.parquet", "source_id"))
    sub = pd.read_csv(out / "quality" / "subgroups.csv", dtype={"value": str})
    est = sub[(sub["source"] == bench.source) & (sub["basis"] == "model")]
    every = compare_rows(est, truth, naive_rates(links, pairs, ref_groups, src_groups), 0)
    rows = every[every["true_pairs"] >= MIN_TRUE].reset_index(drop=True)
    if all_rows is not None:
        all_rows.append(every)
    summ = json.loads((out / "quality" / "summary.json").read_text())
    diag = summ["sources"].get(bench.source, {})
    if isinstance(diag.get("calibration"), dict):
        diag["calibration"] = {k: v for k, v in diag["calibration"].items() if k != "bins"}
    return {"rows": rows.replace({np.nan: None}).to_dict("records"),
            "summary": summarise(rows), "components": parts, "diagnostics": diag,
            "groups_below_min": int((truth["true_pairs"] < MIN_TRUE).sum())}


def _cases(work: Path, noise: str, seed: int, persons: int) -> dict:
    cat = dict(catalogue(noise))

    def ext(name: str) -> Case:
        pair = cat[name](work, seed, "best")
        return Case(quality_job(pair.bench, EXTRA_SUBGROUPS.get(name)), pair.family, pair.noise)

    def gen() -> Case:
        b = prepare_generated(work, persons, seed, quality=True)
        return Case(quality_job(b, EXTRA_SUBGROUPS["generated"]), "generated", "-")

    out = {name: (lambda n=name: ext(n)) for name in cat}
    out["generated"] = gen
    return out


def case_frame(work: Path, noise: str, name: str, seed: int = 42,
               persons: int = 20_000) -> tuple[Case, dict, pd.DataFrame]:
    """One case of the harness run as a test reads it: the case, its result and its rows
    with a `group` column (`variable=value`)."""
    case = _cases(work, noise, seed, persons)[name]()
    res = run_case(case, rescore=False)
    if "rows" not in res:
        raise RuntimeError(f"{name}: {res.get('run')}")
    df = pd.DataFrame(res["rows"])
    df["group"] = df["variable"] + "=" + df["value"]
    return case, res, df


def run_case(case: Case, rescore: bool, all_rows: list | None = None) -> dict:
    b = case.bench
    estimates = b.dir / "spinelink_out" / "quality" / "subgroups.csv"
    head = {"family": case.family, "noise": case.noise}
    stamp = b.dir / "spinelink_out.code"  # the code state the outputs were made with
    if rescore and estimates.exists():
        res: dict = {"rescored": True,
                     "code": stamp.read_text() if stamp.exists() else "unknown"}
    else:
        print(f"[{b.name}] spinelink run {b.job.name} (quality on) ...", flush=True)
        code = _code_state()
        s = run_spinelink(b)
        stamp.write_text(code)
        res = {k: s.get(k) for k in ("wall_s", "peak_mb", "precision", "recall", "links",
                                     "linkable", "error", "log")} | {"code": code}
        if "f1" not in s or not estimates.exists():
            res["error"] = res.get("error") or "no quality/subgroups.csv"
            return {**head, "run": res}
    return {**head, "run": res, **evaluate(b, all_rows)}


# ------------------------------------------------------------------------------- main

def _code_state() -> str:
    """HEAD, and a hash of the uncommitted changes and new files in what runs (src, sql,
    linkage_models); each data set's run records its own (the code may change between)."""
    import hashlib
    import subprocess

    root, paths = HERE.parent, ["--", "src", "sql", "linkage_models"]
    diff = subprocess.run(["git", "diff", "HEAD", *paths], cwd=root,
                          capture_output=True).stdout
    new = subprocess.run(["git", "ls-files", "--others", "--exclude-standard", *paths],
                         cwd=root, capture_output=True, text=True).stdout.split()
    h = hashlib.sha256(diff)
    for f in sorted(new):
        h.update(f.encode() + (root / f).read_bytes())
    return _git_rev() + (f" (changes {h.hexdigest()[:12]})" if diff or new else "")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="comma-separated data sets or prefixes (ss = ss_default "
                                   "and ss_raised; generated = the generator)")
    ap.add_argument("--noise", choices=("default", "raised", "both"), default="both")
    ap.add_argument("--persons", type=int, default=20_000, help="generator persons")
    ap.add_argument("--work", type=Path, default=HERE / "out" / "quality_eval")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--seeds", type=int, default=1,
                    help="run each pseudopeople pair at this many noise seeds (from --seed) "
                         "and pool them (quality_eval_seeds)")
    ap.add_argument("--rescore", action="store_true",
                    help="score existing outputs again without rerunning spinelink")
    args = ap.parse_args(argv)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)

    import duckdb
    import splink

    cases = _cases(work, args.noise, args.seed, args.persons)
    names = select(list(cases), args.only)
    results = {"command": " ".join([Path(sys.executable).name, *sys.argv]),
               "args": {k: str(v) for k, v in vars(args).items()},
               "started": time.strftime("%Y-%m-%dT%H:%M:%S"), "code": _code_state(),
               "environment": {"python": platform.python_version(),
                               "splink": splink.__version__, "duckdb": duckdb.__version__,
                               "cpus": os.cpu_count()},
               "min_true_pairs": MIN_TRUE, "datasets": {}}
    t0 = time.perf_counter()
    for name in names:
        case, every = cases[name](), []
        r = results["datasets"][name] = run_case(case, args.rescore, every)
        (work / "results.json").write_text(json.dumps(results, indent=2, default=str))
        print(format_case(name, r) + "\n", flush=True)
        if args.seeds > 1 and case.family == "pseudopeople" and every:
            r["seeds"] = run_seeds(
                lambda s, n=name: _cases(work / "seeds" / str(s), args.noise, s,
                                         args.persons)[n](),
                run_case, args.seed, args.seeds, args.rescore, every[0], r["summary"], MIN_TRUE)
            (work / "results.json").write_text(json.dumps(results, indent=2, default=str))
            print(format_pooled(name, r["seeds"]) + "\n", flush=True)
    results["total_s"] = time.perf_counter() - t0
    (work / "results.json").write_text(json.dumps(results, indent=2, default=str))
    print(legend(MIN_TRUE) + "\n")
    for name, r in results["datasets"].items():
        if "summary" in r:
            print(format_case(name, r).splitlines()[-1])
    for name, r in results["datasets"].items():
        if "seeds" in r:
            print(summary_line(name, r["seeds"]))
    print(f"\ncode {results['code']}; total {results['total_s']:.0f}s; results: "
          f"{work / 'results.json'}")
    return 1 if any("rows" not in r for r in results["datasets"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
