"""The coding work after a run (`spinelink coding ...`, the review page's coding mode) and
the one piece of code that turns decisions into the coding outputs, shared with the
coding stage.

`decide` applies decisions to a coding table as the coder wrote it, draws the
verification sample on the codes before verification, reconciles the verifier's codes
(error rates, batches to re-check) and says which answers are still open. `write` puts
the result in `OUT/coding/`. `open_items` lists the open answers (clerical queue, the
verification sample, batches queued for re-check) for a person; `apply_file` adds a
filled-in CSV to the store and `reapply` rewrites a finished run's coding outputs and the
manifest's coding section from the store (a run with `--resume` then carries the codes
into standardisation, integration and the report).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from spinelink import atomic
from spinelink.coding import classification as cls
from spinelink.coding import decisions as dec
from spinelink.coding import verify
from spinelink.coding.coder import Coder
from spinelink.csv_cells import as_text
from spinelink.errors import ClericalError, OutputError
from spinelink.sqlfiles import sql_file

QUEUE_COLUMNS = ["record_id", "variable", "classification", "text", "candidates"]
TASKS = ("clerical", "verify", "recheck")


class CodingError(ClericalError):
    """Coding work after a run cannot proceed (exit 6, as clerical review: it was the
    base class's undocumented 1)."""


@dataclass
class Options:
    seed: int
    share: float
    batch_size: int
    threshold: float


@dataclass
class Outcome:
    table: pd.DataFrame      # coding/<s>.parquet
    queue: pd.DataFrame      # open clerical answers
    drawn: pd.DataFrame      # the verification sample
    recheck: pd.DataFrame    # every answer of the batches queued for re-check
    counts: dict             # decisions applied
    verification: dict       # error rates per variable, method, batch


def decide(table: pd.DataFrame, given: list, source: str, specs: dict,
           opt: Options) -> Outcome:
    coded_cl, _ = dec.apply(table, [d for d in given if d.kind == "clerical"], source, specs)
    final, counts = dec.apply(table, given, source, specs)
    latest = {d.key: d for d in given if d.source == source}
    verified = pd.DataFrame([(d.source, d.record_id, d.variable, d.code)
                             for d in latest.values() if d.kind == "verify"],
                            columns=["source", "record_id", "variable", "code"])
    coded, drawn = verify.sample(coded_cl, source, opt.seed, opt.share, opt.batch_size)
    summary, recheck = verify.reconcile(coded, drawn, verified if given else None, source,
                                        opt.threshold)
    open_ = final[(final["status"] == "clerical") & final["code"].isna()]
    return Outcome(final, clerical_queue(open_, specs), drawn,
                   recheck.reset_index(drop=True), counts, summary)


def clerical_queue(rows: pd.DataFrame, specs: dict) -> pd.DataFrame:
    """The clerical queue for answers in clerical coding, with the coder's candidates."""
    coders: dict[str, Coder] = {}
    out = []
    for r in rows.itertuples():
        s = specs[r.variable]
        if r.variable not in coders:
            coders[r.variable] = Coder(cls.load(s["classification"]), s.get("threshold", 0.93),
                                       s.get("margin", 0.03))
        cands = coders[r.variable].code(r.text).candidates
        out.append((r.record_id, r.variable, s["classification"], r.text,
                    "; ".join(f"{k} {v:.3f}" for k, v in cands)))
    return pd.DataFrame(out, columns=QUEUE_COLUMNS)


def write(engine, out: Path, source: str, o: Outcome) -> None:
    folder = Path(out) / "coding"
    for name, frame, sql in ((f"{source}.parquet", o.table, "coding_columns"),
                             (f"{source}_clerical.parquet", o.queue, "clerical_columns"),
                             (f"{source}_verification.parquet", o.drawn, "sample_columns"),
                             (f"{source}_recheck.parquet", o.recheck, "sample_columns")):
        engine.register("__sl_coding_w", frame.reset_index(drop=True))
        engine.write_parquet(sql_file(f"coding/{sql}.sql", table="__sl_coding_w"),
                             folder / name)


def write_summary(out: Path, source: str, summary: dict) -> None:
    """`coding/<source>_summary.json`: the coding stage's summary (as in the manifest)."""
    from spinelink import manifest as manifest_io

    manifest_io.write_json(Path(out) / "coding" / f"{source}_summary.json", summary)


# -- after a run ---------------------------------------------------------------------
def coding_manifest(out: Path) -> tuple[dict, dict]:
    path = Path(out) / "run_manifest.json"
    if not path.exists():
        raise CodingError(f"{path}: does not exist; run `spinelink run` on the job first")
    man = json.loads(path.read_text(encoding="utf-8"))
    if not man.get("coding"):
        raise CodingError(f"{path}: the run coded nothing (no `coding:` in its job)")
    return man, man["coding"]


def _output(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """A coding output of the run; a missing one is an output that differs from what the
    run recorded (exit 7), not an internal error."""
    if not path.is_file():
        raise OutputError(f"{path}: missing (written by the run's coding stage); "
                          "`spinelink verify` lists what differs, `spinelink run --resume` "
                          "writes it again")
    return none_for_missing(pd.read_parquet(path, columns=columns))


def none_for_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with None for every missing text: pandas 3 reads a text column as strings
    with NaN for missing, pandas 2 as objects with None, and the coding code tests `is None`
    and truth (`code or ""`); number columns as read."""
    text = [c for c in frame.columns
            if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c].dtype)]
    if text:
        frame[text] = frame[text].astype(object).where(frame[text].notna(), None)
    return frame


def _sources(coding: dict, source: str | None) -> list[str]:
    if source is not None and source not in coding:
        raise CodingError(f"source '{source}': not coded in this run "
                          f"(coded: {', '.join(coding)})")
    return [source] if source else list(coding)


def open_items(out: Path, source: str | None = None,
               tasks: tuple[str, ...] = TASKS) -> pd.DataFrame:
    """Answers waiting for a person: clerical coding, then the verification sample, then
    batches queued for re-check; none already decided (in the table or the store)."""
    _, coding = coding_manifest(out)
    store = dec.store_for(out).current()
    rows = []
    for s in _sources(coding, source):
        folder = Path(out) / "coding"
        table = _output(folder / f"{s}.parquet")
        keys = [(s, r, v) for r, v in zip(table["record_id"], table["variable"], strict=True)]
        # coded: no longer open for clerical coding; verified: no longer open at all
        coded = {k for k, c in zip(keys, table["code"], strict=True) if c is not None}
        coded |= {k for k in store if k[0] == s}
        verified = {k for k, st in zip(keys, table["status"], strict=True) if st == "verified"}
        verified |= {k for k, d in store.items() if k[0] == s and d.kind == "verify"}
        specs = coding[s]["specs"]
        parts = []
        if "clerical" in tasks:
            q = _output(folder / f"{s}_clerical.parquet")
            q = q[[(s, r, v) not in coded for r, v in zip(q["record_id"], q["variable"],
                                                           strict=True)]]
            parts.append(q.assign(task="clerical", code=None, status="clerical", batch=""))
        for task, name in (("verify", "verification"), ("recheck", "recheck")):
            path = folder / f"{s}_{name}.parquet"
            if task in tasks and path.exists():
                v = none_for_missing(pd.read_parquet(path))
                v["classification"] = [specs[x]["classification"] for x in v["variable"]]
                parts.append(v.assign(task=task, candidates=""))
        done = set(verified)
        for p in parts:
            for r in p.to_dict("records"):
                key = (s, r["record_id"], r["variable"])
                if key not in done:
                    done.add(key)
                    rows.append({"source": s, "task": r["task"], "batch": r["batch"],
                                 "record_id": r["record_id"], "variable": r["variable"],
                                 "classification": r["classification"], "text": r["text"],
                                 "proposed": r["code"] or "", "status": r["status"],
                                 "method": r.get("method") or r["status"],
                                 "candidates": r["candidates"] or ""})
    return pd.DataFrame(rows, columns=["source", "task", "batch", "record_id", "variable",
                                       "classification", "text", "proposed", "status",
                                       "method", "candidates"])


def export(out: Path, to: Path, source: str | None, tasks: tuple[str, ...]) -> int:
    """The open answers as a CSV to fill in (its empty `code` column)."""
    items = open_items(out, source, tasks).assign(code="")
    items["text"] = items["text"].map(as_text)  # a delivery's answers, never a formula
    with atomic.atomic_path(Path(to)) as tmp:
        items.to_csv(tmp, index=False, encoding="utf-8")
    return len(items)


def _kinds(out: Path, coding: dict) -> dict:
    """(source, record_id, variable) -> the decision's kind: clerical for an answer the
    coder left to clerical coding, verify for any other."""
    kinds = {}
    for s in coding:
        t = _output(Path(out) / "coding" / f"{s}.parquet",
                    ["record_id", "variable", "original_status"])
        for r, v, st in zip(t["record_id"], t["variable"], t["original_status"], strict=True):
            kinds[(s, r, v)] = "clerical" if st == "clerical" else "verify"
    return kinds


def apply_file(out: Path, path: Path, reviewer: str) -> dict:
    """Add a filled-in CSV's decisions to the store, then apply the store."""
    from spinelink.runlock import output_lock

    _, coding = coding_manifest(out)
    known = {s: {v: x["classification"] for v, x in c["specs"].items()}
             for s, c in coding.items()}
    with output_lock(Path(out)):
        kinds = _kinds(out, coding)
        rows = dec.read_csv(Path(path), None, "csv", known, reviewer, error=CodingError,
                            answers=set(kinds))
        stamp = dec.now()
        rows = [dec.CodingDecision(d.decision_id, d.reviewer, d.time or stamp, *d.key,
                                   d.code, d.kind or kinds[d.key], "", "", "csv")
                for d in rows]
        store = dec.store_for(out)
        store.add_many(rows)
        return {"added": len(rows), **reapply(out)}


def reapply_locked(out: Path) -> dict:
    """`reapply` holding the output folder's lock (no run or review server at the same
    time)."""
    from spinelink.runlock import output_lock

    coding_manifest(out)
    with output_lock(Path(out)):
        return reapply(out)


def reapply(out: Path) -> dict:
    """Rewrite the coding outputs and the manifest's coding section from the store."""
    from spinelink import outputs
    from spinelink.backends import open_engine

    man, coding = coding_manifest(out)
    given = dec.store_for(out).effective()
    before = outputs.scan(Path(out))
    engine = open_engine(man.get("backend", "duckdb"))
    result = {}
    try:
        for s, info in coding.items():
            table = _output(Path(out) / "coding" / f"{s}.parquet")
            original, kept = dec.restore(table, s, info["specs"])
            o = decide(original, kept + given, s, info["specs"], Options(**info["options"]))
            write(engine, out, s, o)
            info.update(summary_counts(o.table, info["specs"]))
            info.update({"clerical_queue": int(len(o.queue)), "decisions": o.counts,
                         "verification": o.verification})
            write_summary(out, s, info)
            result[s] = o.counts
    finally:
        engine.close()
    from spinelink import manifest as manifest_io

    if "outputs" in man:  # the files changed here, for `spinelink verify`
        man["outputs"] = outputs.refresh(Path(out), man["outputs"], before)
    manifest_io.write_json(Path(out) / "run_manifest.json", man)
    return result


def summary_counts(table: pd.DataFrame, specs: dict) -> dict:
    """Counts per variable and status, and the automatic share (answers the coder gave a
    code or an NS / VG without a person: any status but clerical, as benchmarks/
    coding_eval.py counts), for the manifest."""
    counts = {var: {s: int(n) for s, n in
                    table[table["variable"] == var]["status"].value_counts().sort_index().items()}
              for var in specs}
    auto = {}
    for var in specs:
        st = table.loc[table["variable"] == var, "original_status"]
        n = int((st != "clerical").sum())
        auto[var] = {"answers": int(len(st)), "automatic": n,
                     "share": round(n / len(st), 4) if len(st) else None}
    # activities derived although an answer was stated (too vague, not codable, or naming
    # several activities): the census-practice fallback, counted apart from missing ones
    notes = table["note"] if "note" in table.columns else pd.Series(None, index=table.index)
    stated = (table["status"] == "derived") & ~notes.fillna("").str.startswith(
        "answer not stated") & notes.notna()
    fallback = {var: int(n) for var, n in table[stated]["variable"].value_counts().items()}
    return {"variables": counts, "automatic": auto, "derived_from_stated": fallback}
