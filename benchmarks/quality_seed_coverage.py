"""How often the quality stage's 95% intervals cover the truth over bootstrap seeds, per
subgroup, and which truly false links the replicates draw wrong: a harness set's interval
read over seeds, not at the one seed the harness runs.

    # a harness case, run once (quality_eval.py --only generated --work W), then
    PYTHONPATH=$PWD/src python benchmarks/quality_seed_coverage.py \\
        W/generated_20000_42 --seeds 40-59 --work W/seeds [--source benefits] [--bootstrap N]

The case's output folder is copied to WORK/out and its quality stage rerun there alone
(`quality_resume`'s checkpoint rewrite), `labelfree.estimate` called once per seed on the
same inputs (the rest of the stage, its tables, are the last seed's). Printed: per subgroup
with at least `quality_eval.MIN_TRUE` true pairs, the seeds whose precision and recall
intervals cover the truth (as the harness rounds them); per kind of link (deterministic by
rule, probabilistic, the co-twin kind, a shared unit's; a generation apart's, as the kind
they are also), the links, the truly false ones and
the replicates' mean of wrong ones; the truly false links with how often a replicate drew
them wrong. WORK/links.csv keeps the per-link table (record ids: a local file)."""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import quality_eval as qe  # noqa: E402
import quality_resume  # noqa: E402

from spinelink import pipeline  # noqa: E402
from spinelink.quality import labelfree  # noqa: E402


def rerun(case: Path, work: Path, seeds: list[int], n_boot: int | None = None
          ) -> list[dict]:
    """The case's quality stage on a copy of its outputs, the estimate at every seed: per
    estimate call, its links, breakdown codes, kinds and per seed (rows, wrong links per
    replicate). `n_boot`: bootstrap replicates instead of the job's (what fewer cost in
    coverage)."""
    calls: list[dict] = []
    links_of: dict = {}
    wrong_now: list = []
    est0, prep0, wrong0 = labelfree.estimate, labelfree.prepare, labelfree._wrong

    def prep(d):
        pr = prep0(d)
        links_of[id(pr)] = d.links.copy()
        return pr

    def wrong(pr, post, chosen, surv, links=None):
        w = wrong0(pr, post, chosen, surv, links)
        wrong_now.append(w[0].copy())
        return w

    def est(pr, null, bds, boot, seed, *a, **k):
        boot = boot if n_boot is None else n_boot
        ready = k.pop("ready", None)
        if ready is not None:
            ready()
        call = {"links": links_of.get(id(pr)), "seeds": {}, "apart": pr.apart is not None,
                "codes": {b.variable: (b.values, b.link_code) for b in bds},
                "twins_at": None if pr.twins is None else pr.twins.at,
                "generation_at": None if getattr(pr, "generation", None) is None
                else pr.generation.at,
                "link_group": pr.link_group, "survive": pr.survive}
        r = None
        for s in seeds:
            wrong_now.clear()
            r = est0(pr, null, bds, boot, s, *a, **k)
            # with named-apart candidates every replicate draws twice: keep the first
            call["seeds"][s] = (r.rows, list(wrong_now[0::2] if call["apart"] else wrong_now))
        calls.append(call)
        return r

    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(case / "spinelink_out", out)
    labelfree.estimate, labelfree.prepare, labelfree._wrong = est, prep, wrong
    pipeline.open_checkpoint = quality_resume._forgetting
    from spinelink.cli import main as cli  # not `entry`: it leaves the process
    try:
        cli.main(["run", str(case / "job_quality.yaml"), "--output-dir", str(out), "--resume"],
                 standalone_mode=False)
    except SystemExit:
        pass
    finally:
        labelfree.estimate, labelfree.prepare, labelfree._wrong = est0, prep0, wrong0
    return calls


def coverage(case: Path, call: dict, source: str, truth_ref: Path, truth_src: Path
             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per subgroup (>= MIN_TRUE true pairs): the seeds covering; per link: kind, truly
    false, share of replicates drawing it wrong."""
    out = case / "spinelink_out"
    job = yaml.safe_load((case / "job_quality.yaml").read_text(encoding="utf-8"))
    ref_groups, src_groups = qe.group_tables(out, job, source)
    links = pd.read_parquet(out / "links" / f"{source}.parquet")
    pairs = pd.read_parquet(out / "pairs" / f"{source}.parquet")
    t_ref, t_src = (pd.read_csv(p, dtype=str) for p in (truth_ref, truth_src))
    truth = qe.true_rates(links, t_ref, t_src, ref_groups, src_groups)
    naive = qe.naive_rates(links, pairs, ref_groups, src_groups)
    rows = []
    for s, (est, _) in sorted(call["seeds"].items()):
        est = est.copy()
        for c in [c for c in est.columns if c.startswith("est_")]:
            est[c] = est[c].round(4)  # as quality/subgroups.csv writes them
        rows.append(qe.compare_rows(est, truth, naive, qe.MIN_TRUE).assign(seed=s))
    a = pd.concat(rows)
    a["group"] = a["variable"] + "=" + a["value"].astype(str)
    tab = a.groupby("group", sort=False).agg(
        true_pairs=("true_pairs", "first"), links=("links", "first"),
        true_P=("true_precision", "first"), P_covers=("covers_precision", "sum"),
        P_low_median=("est_precision_low", "median"),
        true_R=("true_recall", "first"), R_covers=("covers_recall", "sum"),
        R_low_median=("est_recall_low", "median"))
    lk = call["links"].astype({"reference_id": str, "source_id": str}).reset_index(drop=True)
    uid_r = t_ref.drop_duplicates("record_id").set_index("record_id")["person_uid"]
    uid_s = t_src.drop_duplicates("record_id").set_index("record_id")["person_uid"]
    u = lk["reference_id"].map(uid_r)
    false = ~(u.notna() & (u == lk["source_id"].map(uid_s))).to_numpy()
    n = len(lk)
    twin = np.zeros(n, bool)
    if call["twins_at"] is not None:
        twin[call["twins_at"]] = True
    gen = np.zeros(n, bool)
    if call.get("generation_at") is not None:
        gen[call["generation_at"]] = True
    sv = np.ones(n) if call["survive"] is None else np.asarray(call["survive"], float)
    method = lk["method"].astype(str).to_numpy()
    kind = np.where(twin, "co-twin kind", np.where(sv < 1 - 1e-9, "shared unit",
                    np.where(call["link_group"] >= 0, "probabilistic", method)))
    kind = np.where(gen, "generation apart (" + kind + ")", kind)
    drawn, reps = np.zeros(n), 0
    for _, ws in call["seeds"].values():
        for w in ws:
            drawn[w] += 1
            reps += 1
    per = lk[["reference_id", "source_id", "method"]].assign(
        kind=kind, false=false, drawn_wrong=drawn / max(reps, 1), survive=sv,
        p=pd.to_numeric(lk.get("match_probability"), errors="coerce"))
    for var, (values, code) in call["codes"].items():
        if var != "all":
            per[var] = np.asarray(values, object)[code]
    return tab, per


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("case", type=Path, help="a harness case folder (job_quality.yaml, "
                    "spinelink_out, truth/)")
    ap.add_argument("--seeds", default="40-59", help="first-last bootstrap seeds")
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--source", default="benefits")
    ap.add_argument("--truth-ref", type=Path, help="default CASE/truth/census.csv")
    ap.add_argument("--truth-src", type=Path, help="default CASE/truth/SOURCE.csv")
    ap.add_argument("--bootstrap", type=int, help="replicates per seed (default the job's)")
    args = ap.parse_args(argv)
    lo, hi = (int(x) for x in args.seeds.split("-"))
    args.work.mkdir(parents=True, exist_ok=True)
    calls = rerun(args.case, args.work, list(range(lo, hi + 1)), args.bootstrap)
    n_links = len(pd.read_parquet(args.case / "spinelink_out" / "links" / f"{args.source}.parquet"))
    call = next(c for c in calls if c["links"] is not None and len(c["links"]) == n_links)
    tab, per = coverage(args.case, call, args.source,
                        args.truth_ref or args.case / "truth" / "census.csv",
                        args.truth_src or args.case / "truth" / f"{args.source}.csv")
    pd.set_option("display.width", 250)
    n = hi - lo + 1
    print(f"\nseeds {lo}-{hi}: per subgroup, the seeds whose interval covers the truth")
    print(tab.round(4).to_string())
    cov = (tab["P_covers"].sum() + tab["R_covers"].sum()) / (2 * n * len(tab))
    print(f"coverage over seeds: precision {tab['P_covers'].sum()}/{n * len(tab)}, "
          f"recall {tab['R_covers'].sum()}/{n * len(tab)}, both {cov:.3f}")
    print("\nper kind of link: links, truly false, replicates' mean wrong")
    print(per.groupby("kind").agg(links=("false", "size"), true_false=("false", "sum"),
                                  drawn=("drawn_wrong", "sum")).round(2).to_string())
    print("\ntruly false links")
    print(per[per["false"]].drop(columns=["reference_id", "source_id"]).round(4).to_string())
    per.to_csv(args.work / "links.csv", index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
