"""Turn clerical decisions into links, and the clerical stage of `spinelink run`.

For each source: pairs whose final decision (after second-review QC) is `match` become
links with method `clerical`, unless the source record has more than one such match or,
with one_to_one, the reference unit would get a second record (those pairs stay in
review and are counted as conflicts). Decided pairs leave the review band, as do the
other candidates of a newly linked record; the unlinked table and the record accounting
(`accepted = linked + review + unlinked`) are rebuilt; every match / non-match decision
is written to review/labels.csv for the quality stage. Applying again gives the same
result: links start from the run's non-clerical links and the band from its snapshot.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from spinelink import atomic, checkpoint, outputs, stages
from spinelink import manifest as manifest_io
from spinelink.backends import Engine, open_engine
from spinelink.review import band, qc
from spinelink.review.band import LINK_COLUMNS, ReviewError
from spinelink.review.store import DecisionStore
from spinelink.runlock import output_lock
from spinelink.sqlfiles import sql_file

log = logging.getLogger("spinelink.review")
LABELS_NAME = "labels.csv"


def _apply_source(engine: Engine, out: Path, source: str, final: dict,
                  one_to_one: bool) -> dict:
    cand = band.candidates(out, source)
    keys = list(zip(cand["reference_id"], cand["source_id"], strict=True))
    dec = pd.Series([getattr(final.get((source, r, s)), "decision", None) for r, s in keys],
                    index=cand.index, dtype=object)
    links = pd.read_parquet(out / "links" / f"{source}.parquet")
    links = links[links["method"] != "clerical"].astype(
        {"reference_id": str, "source_id": str})
    match = cand[dec == "match"]
    bad = match["source_id"].duplicated(keep=False)
    if one_to_one:
        taken = set(links["reference_id"])
        bad |= match["reference_id"].duplicated(keep=False) | match["reference_id"].isin(taken)
    clerical = match[~bad].assign(method="clerical")[LINK_COLUMNS]
    conflicts = match[bad]
    new_links = pd.concat([links[LINK_COLUMNS], clerical], ignore_index=True).astype(
        {"match_probability": float, "match_weight": float})
    new_links = new_links.sort_values(["source_id", "reference_id"]).reset_index(drop=True)
    gone = dec.isin(["match", "non-match"]) & ~cand.index.isin(conflicts.index)
    gone |= cand["source_id"].isin(set(clerical["source_id"]))
    if one_to_one:
        gone |= cand["reference_id"].isin(set(clerical["reference_id"]))
    remaining = cand[~gone][LINK_COLUMNS].sort_values(["source_id", "reference_id"])
    for folder, frame in (("links", new_links), ("review", remaining)):
        engine.register("__sl_rv_out", frame.reset_index(drop=True))
        engine.write_parquet("SELECT * FROM __sl_rv_out", out / folder / f"{source}.parquet")
    engine.register("__sl_rv_linked", new_links[["source_id"]])
    engine.register("__sl_rv_band", remaining[["source_id"]])
    # the reasons the link stage gave (read before the file is rewritten)
    prev = out / "unlinked" / f"{source}.parquet"
    reasons = pd.read_parquet(prev) if prev.exists() else pd.DataFrame()
    if "reason" not in reasons.columns:  # written before reasons were
        reasons = pd.DataFrame({"record_id": pd.Series(dtype=str),
                                "reason": pd.Series(dtype=str)})
    engine.register("__sl_rv_reasons", reasons[["record_id", "reason"]].astype(str))
    n_unlinked = engine.write_parquet(sql_file("review/unlinked.sql",
                                               reasons="__sl_rv_reasons"),
                                      out / "unlinked" / f"{source}.parquet",
                                      {"intake": str(out / "intake" / f"{source}.parquet")})
    decided = int(dec.notna().sum())
    by_method = new_links["method"].value_counts().sort_index()
    return {"accounting": {"linked": int(new_links["source_id"].nunique()),
                           "review": int(remaining["source_id"].nunique()),
                           "unlinked": int(n_unlinked)},
            "links_by_method": {k: int(v) for k, v in by_method.items()},
            "clerical": {"band_pairs": len(cand), "decided_pairs": decided,
                         "match": int((dec == "match").sum()),
                         "non_match": int((dec == "non-match").sum()),
                         "unsure": int((dec == "unsure").sum()),
                         "clerical_links": len(clerical), "conflicts": len(conflicts)}}


def write_labels(out: Path, final: dict) -> int:
    rows = [{"reference_id": d.reference_id, "source": d.source, "source_id": d.source_id,
             "is_match": int(d.decision == "match")}
            for d in final.values() if d.decision in ("match", "non-match")]
    frame = pd.DataFrame(rows, columns=["reference_id", "source", "source_id", "is_match"])
    frame = frame.sort_values(["source", "reference_id", "source_id"])
    atomic.write_text(band.review_dir(out) / LABELS_NAME,
                      frame.to_csv(index=False, lineterminator="\n"))
    return len(frame)


def apply_decisions(engine: Engine, out: Path, one_to_one: dict[str, bool],
                    accounting: Mapping) -> dict:
    """Apply to every source with a band. The record accounting and link counts this
    changes are returned under `changes` (spinelink.stages.apply_changes), not written
    into `accounting`: a resumed run replays them from the recorded result."""
    store = DecisionStore(band.review_dir(out))
    st = qc.evaluate(store, qc.load_settings(out))
    qc_stats = qc.write(out, st)
    final = st.final()
    names = band.sources(out)
    in_band = set()
    result = {"decisions": len(store), "sources": {}}
    changes: dict = {"accounting": {}, "links": {}}
    for s in names:
        band.snapshot(out, s)
        in_band |= {(s, r, i) for r, i in band.candidates(out, s)[
            ["reference_id", "source_id"]].itertuples(index=False)}
        info = _apply_source(engine, out, s, final, one_to_one.get(s, False))
        changes["accounting"][s] = info["accounting"]
        changes["links"][s] = {"accounting": info["accounting"],
                               "links_by_method": info["links_by_method"]}
        result["sources"][s] = {**info["clerical"], **info["accounting"]}
    result["decisions_not_in_band"] = sum(p not in in_band for p in final)
    result["labels"] = write_labels(out, final)
    result["qc"] = {k: qc_stats["overall"][k] for k in
                    ("compared", "agreement", "kappa", "batches", "batches_flagged",
                     "pairs_to_rereview")}
    result["changes"] = changes
    after = stages.apply_changes(accounting, {}, changes)[0]
    manifest_io.check_accounting({k: v for k, v in after.items() if "read" in v})
    q = result["qc"]
    log.info("clerical: %d decisions, %s; qc: %d compared, kappa %s, %d of %d batches "
             "flagged", result["decisions"], ", ".join(
                 f"{s} +{v['clerical_links']} links ({v['conflicts']} conflicts)"
                 for s, v in result["sources"].items()),
             q["compared"], q["kappa"], q["batches_flagged"], q["batches"])
    return result


def _one_to_one(out: Path, job: Path | None) -> dict[str, bool]:
    if job is not None:
        from spinelink.config import load_job

        return {s: lk.one_to_one for s, lk in load_job(job).job.links.items()}
    settings = band.band_settings(out)
    if not settings:
        raise ReviewError(f"{band.review_dir(out) / band.SETTINGS_NAME}: does not exist; "
                          "pass --job JOB.yaml (or re-run the job with this version)")
    return {s: bool(v.get("one_to_one")) for s, v in settings.items()}


def apply(out: Path, job: Path | None = None) -> dict:
    """`spinelink review apply OUT`: apply decisions and update run_manifest.json. Holds
    the output folder's lock (spinelink.runlock), as a run does: it refuses while a run or
    a review server uses the folder."""
    out = Path(out)
    band.manifest(out)  # the folder of a finished run, before a lock file is made in it
    with output_lock(out):
        return _apply(out, job)


def _apply(out: Path, job: Path | None) -> dict:
    man = band.manifest(out)
    band.check_source(out, None)
    if band.pseudonymised(out):
        raise ReviewError(f"{out}: the published outputs carry pseudonyms; apply decisions by "
                          "running the job again (`spinelink run`), whose clerical stage "
                          "applies them before pseudonymisation")
    one_to_one = _one_to_one(out, job)
    before = outputs.scan(out)
    engine = open_engine(man.get("backend", "duckdb"))
    try:
        result = apply_decisions(engine, out, one_to_one, man["accounting"])
    finally:
        engine.close()
    man["accounting"], man["links"] = stages.apply_changes(
        man["accounting"], man.get("links", {}), result["changes"])
    man.setdefault("stages", {})["clerical"] = result
    if "outputs" in man:  # the files changed here, for `spinelink verify`
        man["outputs"] = outputs.refresh(out, man["outputs"], before)
    manifest_io.write_json(out / "run_manifest.json", man)
    # `run --resume` runs again the stages whose files this rewrote (from the first
    # linkage stage: the clerical stage needs the band as linkage wrote it), not reporting
    # them as changed files
    checkpoint.forget_from(out, outputs.changed(before, outputs.scan(out))[0])
    # stages after this one read the links: their outputs predate these decisions
    later = [k for k in man["stages"] if k not in ("clerical", "privacy")]
    return {**result, "stale_stages": later}


def _thresholds(ctx, source: str, link) -> dict:
    """The accept and review thresholds the run used (chosen ones for `auto`)."""
    if link.probabilistic is None:
        return {"accept": None, "review": None}
    chosen = ctx.links.get(source, {}).get("probabilistic", {}).get("thresholds", {})
    return {"accept": chosen.get("accept", link.probabilistic.accept),
            "review": chosen.get("review", link.probabilistic.review)}


def run_stage(ctx) -> dict:
    """The clerical stage of `spinelink run`: snapshot the fresh band, record the link
    settings, and apply the decisions already made (if any)."""
    out, job = ctx.out, ctx.lj.job
    manifest_io.write_json(band.review_dir(out) / band.SETTINGS_NAME, {
        "schema_version": 1, "reference": job.reference,
        "sources": {s: {"one_to_one": lk.one_to_one, **_thresholds(ctx, s, lk)}
                    for s, lk in job.links.items()}})
    for s in job.links:
        if (band.review_dir(out) / f"{s}.parquet").exists():
            band.snapshot(out, s, force=True)
    if len(DecisionStore(band.review_dir(out))) == 0:
        return {"decisions": 0}
    return apply_decisions(ctx.engine, out, {s: lk.one_to_one for s, lk in job.links.items()},
                           ctx.accounting)
