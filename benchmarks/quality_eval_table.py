"""The table `quality_eval` prints: per data set, each compared subgroup's estimates and
intervals beside the truth and the naive estimators' errors, the estimator's parts beside
their true counts, and a summary line (MAE, coverage, mean interval widths, the intervals
that miss and by how much)."""
from __future__ import annotations

import numpy as np


def _n(v, spec: str = ".3f") -> str:
    return "-" if v is None or (isinstance(v, float) and np.isnan(v)) else format(v, spec)


def _block(r: dict, m: str) -> str:
    cov = r.get(f"covers_{m}")
    return (f"{_n(r.get(f'est_{m}')):>6} [{_n(r.get(f'est_{m}_low'))},"
            f"{_n(r.get(f'est_{m}_high'))}]{_n(r.get(f'true_{m}')):>7}"
            f"{_n(r.get(f'err_{m}')):>7}{'-' if cov is None else 'y' if cov else 'NO':>4}"
            f"{_n(r.get(f'c1_err_{m}')):>7}{_n(r.get(f'fl_err_{m}')):>7}")


HEAD = (f"{'subgroup':<26}{'pairs':>7} | {'est P':>6} {'[95% int]':<13}{'true':>7}{'err':>7}"
        f"{'cov':>4}{'c1':>7}{'fl':>7} | {'est R':>6} {'[95% int]':<13}{'true':>7}{'err':>7}"
        f"{'cov':>4}{'c1':>7}{'fl':>7}")


def format_case(name: str, r: dict) -> str:
    lines = [f"== {name} ({r['family']}, noise {r['noise']})"]
    run = r["run"]
    if "rows" not in r:
        return "\n".join([*lines, f"   FAILED: {run.get('error')}"])
    lines += [HEAD, "-" * len(HEAD)]
    for row in r["rows"]:
        g = "all" if row["variable"] == "all" else f"{row['variable']}={row['value']}"
        lines.append(f"{g[:26]:<26}{row['true_pairs']:>7} | {_block(row, 'precision')} | "
                     f"{_block(row, 'recall')}")
    lines.append(_components_line(name, r))
    s = r["summary"]
    lines.append(
        f"summary {name}: MAE spinelink {_n(s['mae_spinelink'], '.4f')}, constant 1.0 "
        f"{_n(s['mae_c1'], '.4f')}, fastLink-style {_n(s['mae_fl'], '.4f')} "
        f"({s['estimates']} estimates); intervals cover {_n(s['coverage'], '.0%')} of "
        f"{s['intervals']} (mean width P {_n(s.get('width_precision'), '.4f')}, R "
        f"{_n(s.get('width_recall'), '.4f')}); subgroups with an error > {s['tol']}: "
        f"{s['over_tol']} of {s['subgroups']}")
    for x in s.get("misses", []):
        lines.insert(-1, f"  miss {x['subgroup']} {x['measure']}: truth {x['side']} the "
                         f"interval by {x['by']:.4f} = {x['half_widths']:.2f} half-widths")
    return "\n".join(lines)


def _components_line(name: str, r: dict) -> str:
    """The estimator's parts (summary.json) beside their true counts."""
    c, d = r["components"], r["diagnostics"]
    cal, blk = d.get("calibration") or {}, d.get("blocking") or {}
    fl, m = c["false_links"], c["missed"]
    return (f"parts {name}: false links est {_n(cal.get('calibrated_expected_false_links'), '.1f')}"
            f" (model {_n(cal.get('model_expected_false_links'), '.1f')}) true "
            f"{sum(fl.values())} (deterministic {fl['deterministic']}, probabilistic "
            f"{fl['probabilistic']} of {c['links']['probabilistic']}); linkable residual est "
            f"{_n(cal.get('residual_records_linkable'), '.0f')} true {c['linkable_residual']}; "
            f"never compared est {_n(blk.get('expected_matches_never_compared'), '.0f')} "
            f"{blk.get('between')} true {c['never_compared']}; missed: review {m['review']}, "
            f"below review {m['below_review']}, never compared {m['never_compared']}, "
            f"wrong link {m['wrong_link']}, quarantined {m['quarantined']}")


def legend(min_true: int) -> str:
    return (f"pairs = true (reference, source) pairs in the subgroup (>= {min_true} shown); "
              "est = spinelink's label-free estimate [95% interval]; err = |est - true|; cov = "
              "interval covers the truth;\nc1, fl = |error| of the constant 1.0 and of the "
              "fastLink-style probability sums. Subgroups by the reference record's value.")


