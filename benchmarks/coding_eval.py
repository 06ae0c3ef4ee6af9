"""How well the coding stage codes the generator's free-text answers.

    .venv/bin/python benchmarks/coding_eval.py --persons 30000 --seed 42

Generates a population (spinelink.sample), codes the survey's free-text columns exactly as
the demo job declares them (spinelink.coding.stage.code_frame) and compares each answer's
code with its true code (`truth/survey_coding.csv`). Per variable: the share coded
automatically (any status but `clerical`) and the precision of those codes. A code counts
as correct when it is the true code or a coarser code above it in the classification
(e.g. section P for division 85; Ukraine's oblast codes are finer than UKR, so UKR for an
oblast is correct at country level, not the reverse); `not_stated` for a blank answer
counts as correct; a derived activity is scored against what the person does (the truth's
`person_code`), as the answer it replaced may be vague or unreadable. `--data DIR`
evaluates an existing sample folder instead.

Beside it, the same figures on a held-out set the generator does not produce
(`benchmarks/heldout/coding_heldout.csv`: classification, text, true code, written and coded
by hand; see benchmarks/heldout/README.md): the honest figure, since the generator's answer
lists and the classification indexes were written together. `--heldout-only` skips the
generator.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from spinelink.coding import classification as cls
from spinelink.coding.spec import CodingVariable
from spinelink.coding.stage import code_frame

VARIABLES = {
    "birthplace": CodingVariable(text="place_of_birth", classification="territory"),
    "citizenship": CodingVariable(text="citizenship", classification="territory"),
    "language": CodingVariable(text="mother_tongue", classification="language"),
    "occupation": CodingVariable(text="job_title", classification="occupation"),
    "activity": CodingVariable(text="employer_activity", classification="activity",
                               derive_from="occupation"),
}
TARGETS = {"birthplace": (0.95, 0.99), "citizenship": (0.95, 0.99), "language": (0.95, 0.99),
           "occupation": (0.70, 0.95), "activity": (0.70, 0.95)}


def evaluate(data: Path) -> dict:
    survey = pd.read_csv(data / "survey.csv", sep=";", encoding="utf-8-sig", dtype=str,
                         keep_default_na=False)
    texts = survey.rename(columns={"resp_id": "record_id"})
    texts = texts.astype(object).where(texts != "", None)
    start = time.perf_counter()
    coded, queue = code_frame(texts, VARIABLES)
    seconds = time.perf_counter() - start
    truth = pd.read_csv(data / "truth" / "survey_coding.csv", dtype=str, keep_default_na=False)
    m = truth.merge(coded, on=["record_id", "variable"], how="left",
                    suffixes=("_true", ""))
    assert m["status"].notna().all(), "an answer with no coding row"
    out = {}
    for var, g in m.groupby("variable", sort=False):
        c = cls.load(VARIABLES[var].classification)
        auto = g[g["status"] != "clerical"]

        def ok(r, c=c) -> bool:
            if r["status"] == "not_stated" and pd.isna(r["text"]):
                return True
            # a derived code is what the person does, whatever the answer said
            true = r["person_code"] if r["status"] == "derived" else r["code_true"]
            return r["code"] == true or r["code"] in c.ancestors(true)

        correct = auto.apply(ok, axis=1) if len(auto) else pd.Series(dtype=bool)
        exact = (auto["code"] == auto["code_true"]) if len(auto) else pd.Series(dtype=bool)
        wrong = auto[~correct]
        out[var] = {
            "answers": int(len(g)), "automatic": round(len(auto) / len(g), 4),
            "precision": round(float(correct.mean()), 4) if len(auto) else None,
            "same_level_share": round(float(exact.mean()), 4) if len(auto) else None,
            "clerical": int((g["status"] == "clerical").sum()),
            "by_status": g["status"].value_counts().sort_index().to_dict(),
            "target": {"automatic": TARGETS[var][0], "precision": TARGETS[var][1]},
            "errors_sample": wrong[["text", "code", "code_true", "status"]]
            .head(8).values.tolist(),
        }
    return {"seconds_coding": round(seconds, 2), "variables": out}


HELDOUT = Path(__file__).parent / "heldout" / "coding_heldout.csv"
HELDOUT_TARGETS = {"territory": (0.95, 0.99), "language": (0.95, 0.99),
                   "occupation": (0.70, 0.95), "activity": (0.70, 0.95)}


def evaluate_heldout(path: Path = HELDOUT) -> dict:
    """Code every held-out answer with the classification's coder (the job defaults) and
    compare with the code written by hand; the same rules as for the generator."""
    from spinelink.coding.coder import Coder

    rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    out = {}
    for name, g in rows.groupby("classification", sort=False):
        c = cls.load(name)
        coder = Coder(c)
        got = [coder.code(t) for t in g["text"]]
        g = g.assign(got=[x.code for x in got], status=[x.status for x in got])
        auto = g[g["status"] != "clerical"]
        correct = [r.got == r.code or r.got in c.ancestors(r.code)
                   for r in auto.itertuples()]
        wrong = auto[[not x for x in correct]]
        out[name] = {
            "answers": int(len(g)), "automatic": round(len(auto) / len(g), 4),
            "precision": round(sum(correct) / len(auto), 4) if len(auto) else None,
            "same_level_share": round(float((auto["got"] == auto["code"]).mean()), 4)
            if len(auto) else None,
            "clerical": int((g["status"] == "clerical").sum()),
            "by_status": g["status"].value_counts().sort_index().to_dict(),
            "target": {"automatic": HELDOUT_TARGETS[name][0],
                       "precision": HELDOUT_TARGETS[name][1]},
            "errors": wrong[["text", "got", "code", "status"]].values.tolist(),
        }
    return out


def _met(variables: dict) -> bool:
    return all(v["automatic"] >= v["target"]["automatic"]
               and (v["precision"] or 0) >= v["target"]["precision"]
               for v in variables.values())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=30_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--data", type=Path, default=None, help="an existing sample folder")
    ap.add_argument("--heldout-only", action="store_true",
                    help="only the held-out set (no generated population)")
    args = ap.parse_args(argv)
    heldout = evaluate_heldout()
    if args.heldout_only:
        json.dump({"heldout": heldout}, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        print("held-out targets met" if _met(heldout) else "held-out targets NOT met")
        return 0
    if args.data is None:
        from spinelink.sample import generate

        tmp = Path(tempfile.mkdtemp(prefix="coding_eval_"))
        generate(args.persons, args.seed, tmp)
        args.data = tmp
    result = evaluate(args.data)
    result["heldout"] = heldout
    json.dump(result, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
    print("generator: " + ("targets met" if _met(result["variables"]) else "targets NOT met"))
    print("held-out: " + ("targets met" if _met(heldout) else "targets NOT met"))
    for name, v in heldout.items():
        print(f"  {name}: {v['answers']} answers, automatic {v['automatic']:.1%}, "
              f"precision {v['precision']}, clerical {v['clerical']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
