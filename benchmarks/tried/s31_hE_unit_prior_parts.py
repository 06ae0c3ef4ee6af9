"""Candidate misses per subgroup with the unit prior (`quality.unit_prior`) and without it,
from one `spinelink run` per data set, against the truth (session 31, helper E; needs
`benchmarks/tried/s31_hE_unit_prior.patch` applied):

    PYTHONPATH=src python benchmarks/tried/s31_hE_unit_prior_parts.py WORK NAME[,NAME..]

WORK: a `quality_eval.py --work` folder the harness has filled. Prints the summed
|estimate - truth| of the candidate misses over every subgroup row; WORK/unit_prior.json.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from quality_misses import _capture, _cases, parts, select  # noqa: E402

from spinelink.quality import labelfree as lf  # noqa: E402


def main(work: Path, names: str) -> None:
    cases = _cases(work, "both", 42, 20000)
    result = {}
    for name in select(list(cases), names):
        bench = cases[name]().bench
        out = bench.dir / "misses_out"
        args = _capture(bench.job, out)
        after = parts(bench, out, args)
        orig = lf._unit_tilts
        lf._unit_tilts = lambda *a, **k: {}
        try:
            before = parts(bench, out, args)
        finally:
            lf._unit_tilts = orig
        t = after["true_missed_candidates"]
        eb = (before["est_missed_candidates"] - t).abs().sum()
        ea = (after["est_missed_candidates"] - t).abs().sum()
        d = after[["variable", "value", "true_missed_candidates"]].assign(
            before=before["est_missed_candidates"].round(1),
            after=after["est_missed_candidates"].round(1))
        print("==", name, "summed |err| before", round(eb, 1), "after", round(ea, 1))
        print(d.to_string(index=False))
        result[name] = {"before": float(eb), "after": float(ea),
                        "rows": d.to_dict("records")}
    (work / "unit_prior.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
