"""`quality_eval.py --seeds N`: each pseudopeople pair run at N noise seeds and its estimates
pooled (issue 12).

pseudopeople 1.3.1 draws every noise of a generated file, which rows are omitted included,
from the `seed` of its `generate_*` call; the sample population under it (the persons, their
households, their true names and dates) is the same at every seed. So a pair generated at
seeds s, s+1, ..., s+N-1 is N noisings of one population: where a set is small (cps_default
compares 2 estimates, one record 0.002 of them) one seed's truth is a single draw of the
outcome noise, and the mean over N seeds of estimate minus truth is what is left of the
error when that noise is averaged down (an error the population's structure causes stays).

Seed s is the harness's own run (WORK/<name>, results as without the option); seed s+k runs
in WORK/seeds/<s+k>/<name> with the spinelink job's seed s+k too (the whole harness at
`--seed s+k`, that pair only). Each seed is scored by `quality_eval.evaluate` with every
subgroup kept; the pooled row of a subgroup is the plain mean over the seeds of each figure
(estimate, truth, fastLink-style sums; the seeds' sets are of one size up to the omitted
rows), its true pairs the sum over the seeds. A pooled set compares the subgroups whose
summed true pairs reach MIN_TRUE (the pooled set is N seeds' records); `base_groups` is
the same summary over the subgroups that reach it per seed on average (those one seed
compares). Coverage is per seed (a mean of the seeds' intervals is no interval).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

FIGURES = ("est_precision", "true_precision", "fl_precision",
           "est_recall", "true_recall", "fl_recall")
MEASURES = ("precision", "recall")


def seed_list(seed: int, n: int) -> list[int]:
    """The seeds of a pooled run: the harness's own first."""
    if n < 1:
        raise ValueError(f"--seeds must be at least 1, not {n}")
    return [seed + k for k in range(n)]


def pool(per_seed: dict[int, pd.DataFrame], min_true: int) -> pd.DataFrame:
    """Per subgroup (variable, value) present in every seed: the mean of each figure over
    the seeds where it is defined, true pairs summed, the errors of the means.
    `per_seed`: each seed's `compare_rows(..., min_true=0)`."""
    frames = []
    for s, df in per_seed.items():
        keep = ["variable", "value", "true_pairs", *FIGURES]
        frames.append(df[keep].assign(seed=s))
    allr = pd.concat(frames, ignore_index=True)
    for c in FIGURES:
        allr[c] = pd.to_numeric(allr[c], errors="coerce")
    g = allr.groupby(["variable", "value"], sort=False)
    out = g[list(FIGURES)].mean()
    out["true_pairs"] = g["true_pairs"].sum()
    out["true_pairs_mean"] = g["true_pairs"].mean()
    out["seeds"] = g["seed"].nunique()
    out = out[out["seeds"] == len(per_seed)].reset_index()
    for m in MEASURES:
        # a figure's mean over only some seeds would compare different seeds' records
        whole = g[[f"est_{m}", f"true_{m}", f"fl_{m}"]].count().min(axis=1) \
            .reindex(pd.MultiIndex.from_frame(out[["variable", "value"]])).to_numpy()
        full = whole == len(per_seed)
        t = out[f"true_{m}"]
        out[f"err_{m}"] = (out[f"est_{m}"] - t).abs().where(full)
        out[f"c1_err_{m}"] = (1.0 - t).abs().where(full)
        out[f"fl_err_{m}"] = (out[f"fl_{m}"] - t).abs().where(full)
        out[f"bias_{m}"] = (out[f"est_{m}"] - t).where(full)  # signed: the estimator's
    return out[out["true_pairs"] >= min_true].reset_index(drop=True)


def mae(rows: pd.DataFrame) -> dict:
    """MAE of spinelink, c1 and fl over the (subgroup, measure) estimates all three give."""
    errs = {k: [] for k in ("spinelink", "c1", "fl")}
    for m in MEASURES:
        sel = rows[[f"err_{m}", f"c1_err_{m}", f"fl_err_{m}"]].notna().all(axis=1)
        errs["spinelink"] += rows.loc[sel, f"err_{m}"].tolist()
        errs["c1"] += rows.loc[sel, f"c1_err_{m}"].tolist()
        errs["fl"] += rows.loc[sel, f"fl_err_{m}"].tolist()
    out = {f"mae_{k}": float(np.mean(v)) if v else None for k, v in errs.items()}
    out["estimates"] = len(errs["spinelink"])
    out["below_both"] = None if not errs["spinelink"] else bool(
        out["mae_spinelink"] < min(out["mae_c1"], out["mae_fl"]))
    return out


def pooled_result(per_seed: dict[int, pd.DataFrame], summaries: dict[int, dict],
                  min_true: int) -> dict:
    """The pooled rows and summary, and each seed's own summary (as one seed's harness)."""
    rows = pool(per_seed, min_true)
    base = rows[rows["true_pairs_mean"] >= min_true]
    seeds = {str(s): {k: summaries[s].get(k) for k in
                      ("estimates", "mae_spinelink", "mae_c1", "mae_fl", "coverage",
                       "intervals", "over_tol")} for s in per_seed}
    for x in seeds.values():
        x["below_both"] = None if x["mae_spinelink"] is None else bool(
            x["mae_spinelink"] < min(x["mae_c1"], x["mae_fl"]))
    cov = [(x["coverage"], x["intervals"]) for x in seeds.values() if x["intervals"]]
    covered = sum(c * n for c, n in cov)
    n_int = sum(n for _, n in cov)
    return {"seeds": [int(s) for s in per_seed],
            "rows": rows.replace({np.nan: None}).to_dict("records"),
            "summary": {**mae(rows), "subgroups": len(rows),
                        "coverage_per_seed": covered / n_int if n_int else None,
                        "intervals_per_seed": n_int,
                        "seeds_below_both": sum(bool(x["below_both"]) for x in seeds.values()),
                        "base_groups": mae(base)},
            "per_seed": seeds}


def _f(v, spec: str = ".4f") -> str:
    return "-" if v is None else format(v, spec)


def format_pooled(name: str, r: dict) -> str:
    """Per pooled subgroup: mean estimate, truth, sums and errors; the summary line."""
    lines = [f"== {name} pooled over seeds {r['seeds']}",
             f"{'subgroup':<26}{'pairs':>7} | {'est P':>7}{'true':>7}{'fl':>7}{'err':>8}"
             f"{'fl err':>8} | {'est R':>7}{'true':>7}{'fl':>7}{'err':>8}{'fl err':>8}"]
    for x in r["rows"]:
        g = "all" if x["variable"] == "all" else f"{x['variable']}={x['value']}"
        lines.append(f"{g[:26]:<26}{x['true_pairs']:>7} | " + " | ".join(
            f"{_f(x[f'est_{m}']):>7}{_f(x[f'true_{m}']):>7}{_f(x[f'fl_{m}']):>7}"
            f"{_f(x[f'err_{m}'], '.5f'):>8}{_f(x[f'fl_err_{m}'], '.5f'):>8}" for m in MEASURES))
    lines.append(summary_line(name, r))
    return "\n".join(lines)


def summary_line(name: str, r: dict) -> str:
    s, b = r["summary"], r["summary"]["base_groups"]
    return (f"pooled {name} ({len(r['seeds'])} seeds): MAE spinelink "
            f"{_f(s['mae_spinelink'], '.5f')}, constant 1.0 {_f(s['mae_c1'], '.5f')}, "
            f"fastLink-style {_f(s['mae_fl'], '.5f')} ({s['estimates']} estimates; on one "
            f"seed's subgroups {_f(b['mae_spinelink'], '.5f')} / {_f(b['mae_c1'], '.5f')} / "
            f"{_f(b['mae_fl'], '.5f')}, {b['estimates']}); below both on "
            f"{s['seeds_below_both']} of {len(r['seeds'])} seeds alone; intervals cover "
            f"{_f(s['coverage_per_seed'], '.0%')} of the seeds' {s['intervals_per_seed']}")


def run_seeds(make_case, run_case, seed: int, n: int, rescore: bool, first: pd.DataFrame,
              first_summary: dict, min_true: int) -> dict:
    """Seeds seed+1..seed+n-1 of one pair (`make_case(s)`: its case at seed s, in its own
    folder; `run_case` as quality_eval's), pooled with seed `seed`'s comparison `first`."""
    per_seed, summaries, runs = {seed: first}, {seed: first_summary}, {}
    for s in seed_list(seed, n)[1:]:
        every: list = []
        r = run_case(make_case(s), rescore, every)
        runs[str(s)] = {**r["run"], "components": r.get("components"),
                        "diagnostics": _parts(r.get("diagnostics") or {})}
        if "rows" not in r:
            raise RuntimeError(f"seed {s}: {r['run'].get('error')}")
        per_seed[s], summaries[s] = every[0], r["summary"]
    out = pooled_result(per_seed, summaries, min_true)
    for s, x in runs.items():
        out["per_seed"][s].update({k: x.get(k) for k in ("wall_s", "components",
                                                         "diagnostics")})
    return out


def _parts(diag: dict) -> dict:
    """What the estimator expects of the parts `components` counts (summary.json)."""
    cal, blk = diag.get("calibration") or {}, diag.get("blocking") or {}
    return {"expected_false_links": cal.get("calibrated_expected_false_links"),
            "model_expected_false_links": cal.get("model_expected_false_links"),
            "residual_records_linkable": cal.get("residual_records_linkable"),
            "expected_matches_never_compared": blk.get("expected_matches_never_compared")}
