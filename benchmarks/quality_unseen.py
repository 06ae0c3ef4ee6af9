"""The never-compared term of the label-free recall estimate against the truth (issue 12):
for data sets `quality_eval.py` has run,
- the estimate's parts (`quality.recapture`): the Horvitz-Thompson figure on the source
  profiles some rule not reading one field group can catch (`covered`) and on the others
  (`uncovered`, `recapture_fallback`), Chao1's f1 and f2 there (and how much of f1 is
  from profiles that can meet one rule alone: all their catches are one-rule catches),
  the fallback's excess over Horvitz-Thompson, and the residual records no rule can
  catch;
- the truth: linkable source records whose match is not in the pairs file (the truth's
  "never compared", as `quality_misses.compared` counts it), split by whether every
  column equality of some prediction rule holds for the record and a reference record
  of its person (`caught`: blocking made the pair and the stage dropped it, or a block
  cap cut it) or of none (`missed`: what the recapture models); and how many of them
  had their true pair dropped by the evidence rule (`evidence_dropped`:
  `evidence.personal_evidence`, no personal field above its lowest level), against the
  records whose candidates it all dropped (`without_evidence`, the figure the quality
  stage publishes) and how many of those have their match among them.

    PYTHONPATH=src .venv/bin/python benchmarks/quality_unseen.py --work DIR --only NAME[,..]
        [--noise default|raised|both] [--persons 20000] [--seed 42]

Runs `spinelink run` once more in this process as `quality_misses.py` does (output in
WORK/<name>/misses_out). Prints aggregates only; WORK/unseen.json holds them.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from quality_misses import captured, compared, options, truth_and_links  # noqa: E402

from spinelink import probabilistic  # noqa: E402

_DROPPED: list[pd.DataFrame] = []  # the pairs the evidence rule judged, per run


def _judged(df: pd.DataFrame, model: dict) -> np.ndarray:
    """`personal_evidence`, keeping each pair's ids and verdict (wrapped in `main`)."""
    keep = _evidence(df, model)
    left = (df["source_dataset_l"] == probabilistic.REF_SIDE).to_numpy()
    ids = [df[c].astype(str).to_numpy() for c in ("record_id_l", "record_id_r")]
    _DROPPED.append(pd.DataFrame({"reference_id": np.where(left, ids[0], ids[1]),
                                  "source_id": np.where(left, ids[1], ids[0]),
                                  "keep": keep}))
    return keep


_evidence = probabilistic.personal_evidence


def rule_holds(atoms: list[tuple[str, str]], rule_atoms: list[int], ref: pd.DataFrame,
               src: pd.DataFrame) -> np.ndarray:
    """Per row of the aligned frames `ref` and `src` (one pair a row): whether every
    column equality of some rule holds (both sides present and equal; block caps not
    read). An atom whose column either side lacks never holds.

    >>> r = pd.DataFrame({"a": ["x", "x", None], "b": ["p", "q", "p"]})
    >>> s = pd.DataFrame({"a": ["x", "y", None], "b": ["p", "p", "p"]})
    >>> rule_holds([("a", "a"), ("b", "b")], [0b11], r, s).tolist()
    [True, False, False]
    >>> rule_holds([("a", "a"), ("b", "b")], [0b01, 0b10], r, s).tolist()
    [True, False, True]
    """
    bits = np.zeros(len(ref), np.int64)
    for j, (a, b) in enumerate(atoms):
        if a not in ref.columns or b not in src.columns:
            continue
        x, y = ref[a].to_numpy(object), src[b].to_numpy(object)
        ok = pd.notna(x) & pd.notna(y)
        ok[ok] = x[ok] == y[ok]
        bits |= ok.astype(np.int64) << j
    m = np.asarray(rule_atoms, np.int64)
    return ((bits[:, None] & m[None, :]) == m[None, :]).any(axis=1) if len(m) else \
        np.zeros(len(ref), bool)


def parts(pr, post: np.ndarray) -> dict:
    """The never-compared estimate's parts at the point estimate (module docstring)."""
    from spinelink.quality import recapture_fallback as fb
    from spinelink.quality.recapture_design import fires

    est = pr.cands.estimator(post)
    cap, n = pr.cands.capture, est.n_cand
    w = est._weights(None, None, None)
    p = est.catch_chance(w)[0][est.inv]
    ht = w * (1 - p) / p
    u = fb.apply(ht, w, est.post, est.unc, est.n_fire, 0.5)
    uniq, inv = cap.profiles
    can = fires(cap.design, uniq[:, 0], uniq[:, 1]).sum(axis=1)[inv[:n]]
    likely = np.where(est.unc & (est.post >= fb.LIKELY), w[:n], 0.0)
    f1 = float(likely[est.n_fire == 1].sum())
    return {"ht_covered": float(ht[:n][~est.unc].sum() + ht[n:].sum()),
            "ht_uncovered": float(ht[:n][est.unc].sum()),
            "fallback_excess": float(u.sum() - ht.sum()),
            "chao1_f1": f1, "chao1_f2": float(likely[est.n_fire == 2].sum()),
            "f1_from_one_rule_profiles": float(likely[(est.n_fire == 1) & (can == 1)].sum()),
            "no_rule_records": int(cap.n_none)}


def truth(bench, out: Path, design, judged: pd.DataFrame | None = None) -> dict:
    """The truth's never-compared records, split by whether some rule's equalities hold;
    `judged`: the pairs the evidence rule saw (reference_id, source_id, keep)."""
    t_ref, t_src, uid_ref, uid_src, links, pairs = truth_and_links(bench, out)
    src = bench.source
    linkable = list(t_src.loc[t_src["person_uid"].isin(set(uid_ref)), "record_id"])
    miss = [s for s, c in zip(linkable, compared(linkable, links, pairs, uid_ref, uid_src),
                              strict=True) if not c]
    std = out / "standardised"
    ref_name = next(p.stem for p in std.glob("*.parquet") if p.stem != src)
    tabs = {k: pd.read_parquet(std / f"{k}.parquet").astype({"record_id": str})
            .drop_duplicates("record_id").set_index("record_id") for k in (ref_name, src)}
    by_uid = t_ref[["record_id", "person_uid"]].drop_duplicates()
    tp = pd.DataFrame({"source_id": miss, "person_uid": [uid_src[s] for s in miss]}).merge(
        by_uid, on="person_uid").rename(columns={"record_id": "reference_id"})
    tp = tp[tp["reference_id"].isin(tabs[ref_name].index)
            & tp["source_id"].isin(tabs[src].index)]
    ok = rule_holds(design.atoms, design.rule_atoms[:len(design.rule_atoms) - len(design.keys)],
                    tabs[ref_name].loc[tp["reference_id"]].reset_index(drop=True),
                    tabs[src].loc[tp["source_id"]].reset_index(drop=True))
    caught = set(tp.loc[ok, "source_id"])
    row = {"never_compared": len(miss), "caught": len(caught),
           "missed": len(miss) - len(caught)}
    if judged is not None and len(judged):
        j = judged.assign(true=judged["reference_id"].map(uid_ref).eq(
            judged["source_id"].map(uid_src)) & judged["reference_id"].isin(uid_ref.index))
        dropped_true = set(j.loc[~j["keep"] & j["true"], "source_id"])
        kept = set(j.loc[j["keep"], "source_id"])
        none = j[~j["source_id"].isin(kept)].groupby("source_id")["true"].any()
        row |= {"evidence_dropped": len(set(miss) & dropped_true),
                "without_evidence": len(none), "without_evidence_true": int(none.sum())}
    return row


def main(argv: list[str] | None = None) -> int:
    args = options(__doc__, argv)
    from spinelink.quality.calibrate import fit

    result = {}
    probabilistic.personal_evidence = _judged
    try:
        for name, bench, out, got in captured(args):
            judged = pd.concat(_DROPPED, ignore_index=True) if _DROPPED else None
            _DROPPED.clear()
            a, k = got
            pr, null = a[0], a[1]
            method = k.get("method", a[5] if len(a) > 5 else "model")
            point = fit(pr.cands, null, method=method)
            if pr.cands.capture is None:
                print(f"== {name}: no capture design")
                continue
            row = {"estimate_pooled": float(point.blocked), **parts(pr, point.posterior),
                   **truth(bench, out, pr.cands.capture.design, judged)}
            result[name] = row
            print(f"== {name} " + ", ".join(f"{k_} {v:.1f}" if isinstance(v, float) else
                                            f"{k_} {v}" for k_, v in row.items()))
    finally:
        probabilistic.personal_evidence = _evidence
    (args.work / "unseen.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
