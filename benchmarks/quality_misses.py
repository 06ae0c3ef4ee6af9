"""Where the label-free estimates' intervals miss the truth, by part (issue 12): for data
sets `quality_eval.py` has run, each subgroup's estimated parts beside the true ones, and
for each interval that misses whether it would cover with one part at its true count.

    PYTHONPATH=src .venv/bin/python benchmarks/quality_misses.py --work DIR --only NAME[,..]
        [--noise default|raised|both] [--persons 20000] [--seed 42]

Runs `spinelink run` once more in this process on WORK/<name>/job_quality.yaml (output in
WORK/<name>/misses_out, the harness's own folder untouched), with the quality stage's
`labelfree.estimate` wrapped to keep its inputs, then works out at the point estimate, per
value of each reference-side subgroup variable:
- links; false links: expected (`labelfree._counts`; posteriors and shared units) and
  true; found (expected: the links less the expected false; true: linkable records with a
  right link);
- missed among candidates: the posteriors of candidates the stage did not link, and the
  true linkable records not found whose match was a candidate (`compared`; linked wrongly,
  in review or below it);
- never compared: the blocked-out estimate placed on the value, and the true count, of
  which `true_dropped` had its true pair caught by a prediction rule (the quality stage's
  captures worked out for the true pairs too) and dropped by the linkage after scoring
  (no personal evidence, named apart, born apart, below the pair floor): matches the
  never-compared term does not model. Per set, the pooled never-compared estimate's parts
  (`blocked_parts`: Horvitz-Thompson, the Chao1 top-up on name-only profiles, records no
  rule can catch).
True parts are grouped as `quality_eval.true_rates` groups them (a missed record by its
person's first reference record). WORK/misses.json holds the rows; aggregates only.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from external import select  # noqa: E402
from quality_eval import _cases, evaluate, group_tables  # noqa: E402


def _capture(job: Path, out: Path, truth: tuple[str, pd.DataFrame] | None = None) -> tuple:
    """`spinelink run` in this process; the inputs of the last `labelfree.estimate`.
    `truth`: (source name, its true pairs reference_id, source_id): the quality stage's
    captures (which rule atoms hold, `per_source.rule_captures`) are worked out for them
    too and written to OUT/truth_captures/<source>.parquet (`caught_by_rule`); the
    estimate's own captures are made as without."""
    from click.testing import CliRunner

    from spinelink.cli import main
    from spinelink.quality import labelfree, per_source

    got, orig, orig_rc, held = [], labelfree.estimate, per_source.rule_captures, {}

    def keep(*a, **k):
        got.append((a, k))
        return orig(*a, **k)

    def rule_captures(engine, name, pairs, det, d, extend=None):
        if truth is not None and name == truth[0]:
            both = pd.concat([pairs[["reference_id", "source_id"]].astype(str), truth[1]],
                             ignore_index=True).drop_duplicates()
            held[name] = truth[1].merge(orig_rc(engine, name, both, det, d, extend)[0],
                                        on=["reference_id", "source_id"])
        return orig_rc(engine, name, pairs, det, d, extend)

    per_source.labelfree.estimate = keep
    per_source.rule_captures = rule_captures
    try:
        res = CliRunner().invoke(main, ["run", str(job), "--output-dir", str(out)])
    finally:
        per_source.labelfree.estimate = orig
        per_source.rule_captures = orig_rc
    if res.exit_code != 0 or not got:
        raise RuntimeError(f"spinelink run failed: {res.output[-2000:]}")
    for name, tc in held.items():
        (out / "truth_captures").mkdir(exist_ok=True)
        tc.to_parquet(out / "truth_captures" / f"{name}.parquet", index=False)
    return got[-1]


def true_pairs(bench) -> pd.DataFrame:
    """Every (reference record, source record) of one person (the truth files)."""
    t_ref, t_src = (pd.read_csv(p, dtype=str).dropna(subset=["person_uid"])
                    for p in (bench.truth_ref, bench.truth_src))
    tp = t_src.merge(t_ref, on="person_uid", suffixes=("_s", "_r"))
    return pd.DataFrame({"reference_id": tp["record_id_r"], "source_id": tp["record_id_s"]})


def caught_by_rule(tc: pd.DataFrame, design) -> set:
    """Source records whose true pair some prediction rule catches (`tc`: the true pairs'
    captures, `_capture`; `design`: the estimate's `recapture_design.Design`). A missed
    record among them whose match is not a scored pair was caught by blocking and dropped
    by the linkage after scoring (no personal evidence, named apart, born apart, below the
    pair floor), not missed by blocking: the estimator's never-compared term does not
    model such matches (`quality.recapture`)."""
    from spinelink.quality.recapture_design import fires

    hit = fires(design, tc["agree"].to_numpy(np.int64),
                tc["caps"].to_numpy(np.int64)).any(axis=1) if len(tc) else np.zeros(0, bool)
    return set(tc.loc[hit, "source_id"].astype(str))


def blocked_parts(pr, post: np.ndarray) -> dict:
    """The pooled never-compared estimate's parts at these posteriors: Horvitz-Thompson on
    the profiles other rules teach, the same on name-only profiles and the Chao1 top-up
    on them (`recapture_fallback`), and the residual records no rule can catch."""
    from spinelink.quality import recapture_fallback as fb

    est = pr.cands.estimator(post)
    n = len(post)
    w = est._weights(None, None, None)
    chance = est.catch_chance(w, margins=False)[0]
    p = chance[est.inv]
    ht = w * (1 - p) / p
    u, _, extra, total = est._mass(w, chance, fb.between(None))
    return {"ht_covered": float(ht[:n][~est.unc].sum() + ht[n:].sum()),
            "ht_name_only": float(ht[:n][est.unc].sum()),
            "chao1_top_up": float((u[:n] - ht[:n])[est.unc].sum()),
            "no_rule": float(extra), "total": float(total)}


def compared(miss: list, links: pd.DataFrame, pairs: pd.DataFrame, uid_ref: pd.Series,
             uid_src: pd.Series) -> np.ndarray:
    """Per missed linkable source record: whether its true match was compared (a pair with
    a reference record of its person is in the pairs file), or it is linked outside the
    residual (a deterministic or clerical link), where the never-compared term does not
    count it. A record in review, or linked to a wrong candidate, whose match no blocking
    rule generated is never compared: the estimator's candidate term holds only matches
    among the candidates (session 34: counting such records as candidate misses put 83 of
    w2_raised's 405 never-compared matches, and 51 of tax1040_raised's 351, in the
    candidate term)."""
    cand_true = set(pairs.loc[pairs["reference_id"].map(uid_ref).eq(
        pairs["source_id"].map(uid_src)), "source_id"])
    outside = set(links.loc[links["method"].astype(str) != "probabilistic", "source_id"])
    return np.array([s in cand_true or s in outside for s in miss], bool)


def fit_point(args: tuple):
    """The point estimate's fit of captured `labelfree.estimate` inputs."""
    from spinelink.quality.calibrate import fit

    pr, null = args[0][0], args[0][1]
    return fit(pr.cands, null, method=args[1].get(
        "method", args[0][5] if len(args[0]) > 5 else "model"))


def truth_and_links(bench, out: Path) -> tuple:
    """The truth's reference and source rows with a person, each record's person (by record
    id), and the run's links and scored pairs with string ids."""
    t_ref, t_src = (pd.read_csv(p, dtype=str).dropna(subset=["person_uid"])
                    for p in (bench.truth_ref, bench.truth_src))
    uid_ref = t_ref.drop_duplicates("record_id").set_index("record_id")["person_uid"]
    uid_src = t_src.drop_duplicates("record_id").set_index("record_id")["person_uid"]
    ids = {"reference_id": str, "source_id": str}
    links = pd.read_parquet(out / "links" / f"{bench.source}.parquet").astype(ids)
    pairs = pd.read_parquet(out / "pairs" / f"{bench.source}.parquet").astype(ids)
    return t_ref, t_src, uid_ref, uid_src, links, pairs


def parts(bench, out: Path, args: tuple) -> pd.DataFrame:
    """Per subgroup value: estimated and true parts (`out`: the run `args` came from)."""
    from spinelink.quality import labelfree as lf
    from spinelink.quality.calibrate import fit
    from spinelink.quality.recapture_strata import to_total

    pr, null, bds, _, seed, method = (list(args[0]) + [args[1].get("method", "model")])[:6]
    point = fit(pr.cands, null, method=method)
    # shrunk toward the pooled placement as `labelfree.estimate` does (session 32: without
    # it the parts showed the own fits, w2_raised 18-29 122.9 where the estimate holds 95.4)
    pooled = None if point.blocked_share is None or not len(point.blocked_share) else \
        point.blocked * np.asarray(point.blocked_share, float)
    strata = lf._strata(pr, bds, point.posterior, pooled, seed)
    f0, share = point.blocked, point.blocked_share
    lead = max(strata, key=lambda v: strata[v].unseen(f0, share).sum(), default=None)
    if lead is not None and strata[lead].unseen(f0, share).sum() > f0:
        mass = strata[lead].unseen(f0, share)
        f0, share = float(mass.sum()), mass / mass.sum()
    job = yaml.safe_load(bench.job.read_text(encoding="utf-8"))
    ref_groups, _ = group_tables(out, job, bench.source)
    t_ref, t_src, uid_ref, uid_src, links, pairs = truth_and_links(bench, out)
    first_ref = t_ref.drop_duplicates("person_uid").set_index("person_uid")["record_id"]
    src = bench.source
    u = links["reference_id"].map(uid_ref)
    ok = (u.notna() & u.eq(links["source_id"].map(uid_src))).to_numpy()
    found = set(links.loc[ok, "source_id"])
    linkable = t_src.loc[t_src["person_uid"].isin(set(uid_ref)), "record_id"]
    miss = [s for s in linkable if s not in found]
    miss_ref = pd.Index([first_ref[uid_src[s]] for s in miss])
    in_cands = compared(miss, links, pairs, uid_ref, uid_src)
    tc = out / "truth_captures" / f"{src}.parquet"
    # of the never-compared: those whose true pair a rule caught (dropped after scoring)
    caught = caught_by_rule(pd.read_parquet(tc), pr.cands.capture.design) \
        if tc.exists() and pr.cands.capture is not None else None
    dropped = np.array([s in caught for s in miss], bool) if caught is not None else None
    rows = []
    for bd in bds:
        if bd.variable != "all" and bd.variable not in ref_groups.columns:
            continue  # a variable only the source carries
        def val(ids, v=bd.variable):
            return np.full(len(ids), "all", object) if v == "all" else \
                ref_groups[v].reindex(ids).fillna("unknown").to_numpy()
        blk = to_total(strata[bd.variable].by_value(len(bd.values), point.blocked,
                                                    point.blocked_share), f0) \
            if bd.variable in strata else np.bincount(bd.cand_code, weights=share * f0,
                                                      minlength=len(bd.values))
        # less the never-compared matches found since by another route (shared
        # identifiers), as the published estimate (`labelfree._less_found`)
        blk = lf._less_found(pr, bd, blk)
        false, fnd, missed = lf._counts(pr, bd, point.posterior, None, None, {})
        lg, mg = val(links["reference_id"]), val(miss_ref)
        fg = val(links.loc[ok].drop_duplicates("source_id")["reference_id"])
        for i, v in enumerate(bd.values):
            rows.append({"variable": bd.variable, "value": str(v),
                         "links": int((lg == v).sum()), "est_found": float(fnd[i]),
                         "true_found": int((fg == v).sum()), "est_false": float(false[i]),
                         "true_false": int(((lg == v) & ~ok).sum()),
                         "est_missed_candidates": float(missed[i]),
                         "true_missed_candidates": int(((mg == v) & in_cands).sum()),
                         "est_never_compared": float(blk[i]),
                         "true_never_compared": int(((mg == v) & ~in_cands).sum()),
                         "true_dropped": np.nan if dropped is None else
                         int(((mg == v) & ~in_cands & dropped).sum())})
    return pd.DataFrame(rows)


def attribute(rows: list[dict], p: pd.DataFrame) -> list[dict]:
    """Each missed interval, moved by what one part at its true count moves the estimate:
    does it cover then?"""
    by = p.set_index(["variable", "value"])
    out = []
    for r in rows:
        x = by.loc[(r["variable"], str(r["value"]))]
        f, c, n = x["est_found"], x["est_missed_candidates"], x["est_never_compared"]
        for m in ("precision", "recall"):
            if r[f"covers_{m}"] is not False:
                continue
            if m == "recall":
                alt = {"missed_candidates": f / (f + x["true_missed_candidates"] + n),
                       "never_compared": f / (f + c + x["true_never_compared"])}
            else:
                alt = {"false_links": 1 - x["true_false"] / r["links"]}
            t, e = r[f"true_{m}"], r[f"est_{m}"]
            out.append({"subgroup": f"{r['variable']}={r['value']}", "measure": m,
                        "covers_with_true": {k: bool(r[f"est_{m}_low"] <= t - (v - e)
                                                     <= r[f"est_{m}_high"])
                                             for k, v in alt.items()}})
    return out


def options(doc: str, argv: list[str] | None) -> argparse.Namespace:
    """The command line both diagnostics share (this one and quality_bands.py)."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--only", required=True)
    ap.add_argument("--noise", choices=("default", "raised", "both"), default="both")
    ap.add_argument("--persons", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args(argv)
    args.work = args.work.resolve()
    pd.set_option("display.width", 200)
    return args


def captured(args: argparse.Namespace):
    """(name, bench, out, captured) for each chosen harness case: the quality stage's inputs
    captured by a run of the case's job into `out`."""
    cases = _cases(args.work, args.noise, args.seed, args.persons)
    for name in select(list(cases), args.only):
        bench = cases[name]().bench
        out = bench.dir / "misses_out"
        yield name, bench, out, _capture(bench.job, out, (bench.source, true_pairs(bench)))


def main(argv: list[str] | None = None) -> int:
    args = options(__doc__, argv)
    result = {}
    for name, bench, out, got in captured(args):
        p = parts(bench, out, got)
        rows = evaluate(bench)["rows"]
        result[name] = {"parts": p.round(2).to_dict("records"),
                        "misses": attribute(rows, p)}
        result[name]["blocked_parts"] = blocked_parts(
            got[0][0], fit_point(got).posterior)
        print(f"== {name}\n{p.round(1).to_string(index=False)}")
        print("pooled never-compared parts: " + ", ".join(
            f"{k} {v:.1f}" for k, v in result[name]["blocked_parts"].items()))
        for x in result[name]["misses"]:
            print(f"  miss {x['subgroup']} {x['measure']}: covers with the true "
                  + ", ".join(f"{k} {'yes' if v else 'no'}"
                              for k, v in x["covers_with_true"].items()))
    (args.work / "misses.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
