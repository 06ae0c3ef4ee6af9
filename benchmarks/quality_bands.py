"""The label-free estimate's two candidate-level terms against the truth, by band of the
record-level probability (issue 12): for data sets `quality_eval.py` has run,
- probabilistic links: expected false (1 - posterior) and true false, and how many of
  the true false links join a source record whose person has no reference record
  (`absent`: a relative or namesake of a person the reference lacks);
- candidates the stage did not link (one per tie group, the estimator's missed-candidate
  term): expected matches (posterior) and true matches, split by whether the candidate's
  reference unit is linked to another source record (`claimed`).

    PYTHONPATH=src .venv/bin/python benchmarks/quality_bands.py --work DIR --only NAME[,..]
        [--noise default|raised|both] [--persons 20000] [--seed 42]

Runs `spinelink run` once more in this process as `quality_misses.py` does (output in
WORK/<name>/misses_out). Prints aggregates only; WORK/bands.json holds the rows.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from quality_misses import captured, options  # noqa: E402

EDGES = [0.0, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 1.0 + 1e-9]


def bands(cands: pd.DataFrame, links: pd.DataFrame, uid_ref: pd.Series,
          uid_src: pd.Series) -> pd.DataFrame:
    """`cands`: one row per candidate tie group (reference_id, source_id, post, linked:
    the stage linked it, true: a candidate of the group is the record's person); `links`:
    the links table (every method). Rows per (term, band[, claimed])."""
    c = cands.assign(band=pd.cut(cands["post"], EDGES, right=False).astype(str))
    lk = links.astype({"reference_id": str, "source_id": str})
    absent = ~c["source_id"].map(uid_src).isin(set(uid_ref.dropna()))
    l_ = c[c["linked"]].assign(false=lambda x: ~x["true"], absent=absent[c["linked"]])
    rows = [{"term": "link", "band": b, "claimed": "-", "n": len(g),
             "expected": float((1 - g["post"]).sum()), "true": int(g["false"].sum()),
             "true_absent": int((g["false"] & g["absent"]).sum())}
            for b, g in l_.groupby("band", sort=True)]
    m = c[~c["linked"]]
    # a unit is claimed when a link joins it to a source record other than this one
    by_unit = lk.groupby("reference_id")["source_id"].agg(set)
    claimed = np.array([bool(by_unit.get(r, set()) - {s})
                        for r, s in zip(m["reference_id"], m["source_id"], strict=True)],
                       bool)
    m = m.assign(claimed=claimed)
    rows += [{"term": "unlinked candidate", "band": b, "claimed": "yes" if cl else "no",
              "n": len(g), "expected": float(g["post"].sum()), "true": int(g["true"].sum()),
              "true_absent": int(absent[g.index].sum())}
             for (b, cl), g in m.groupby(["band", "claimed"], sort=True)]
    return pd.DataFrame(rows)


def candidate_frame(args: tuple, uid_ref: pd.Series, uid_src: pd.Series) -> pd.DataFrame:
    """The captured `labelfree.estimate` inputs as `bands`' candidate rows, at the point
    estimate's posteriors."""
    from spinelink.quality.calibrate import fit

    pr, null = args[0][0], args[0][1]
    method = args[1].get("method", args[0][5] if len(args[0]) > 5 else "model")
    post = fit(pr.cands, null, method=method).posterior
    linked = np.zeros(len(post), bool)
    linked[pr.link_group[pr.link_group >= 0]] = True
    match = (pd.Series(pr.cand_ref).map(uid_ref).to_numpy()
             == pd.Series(pr.cand_src).map(uid_src).to_numpy())
    true = np.zeros(len(post), bool)
    np.logical_or.at(true, pr.group, match)
    first = pr.cands.first
    return pd.DataFrame({"reference_id": pr.cand_ref[first], "source_id": pr.cand_src[first],
                         "post": post[first], "linked": linked[first], "true": true[first]})


def main(argv: list[str] | None = None) -> int:
    args = options(__doc__, argv)
    result = {}
    for name, bench, out, got in captured(args):
        t_ref, t_src = (pd.read_csv(p, dtype=str).dropna(subset=["person_uid"])
                        for p in (bench.truth_ref, bench.truth_src))
        uid_ref = t_ref.drop_duplicates("record_id").set_index("record_id")["person_uid"]
        uid_src = t_src.drop_duplicates("record_id").set_index("record_id")["person_uid"]
        links = pd.read_parquet(out / "links" / f"{bench.source}.parquet")
        b = bands(candidate_frame(got, uid_ref, uid_src), links, uid_ref, uid_src)
        result[name] = b.round(2).to_dict("records")
        print(f"== {name}\n{b.round(1).to_string(index=False)}")
    (args.work / "bands.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
