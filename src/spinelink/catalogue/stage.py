"""The `catalogue` stage (after quality, before the report) and the run's recording.

The stage compares each linked source's quality indicators (`quality/subgroups.csv`, the
label-free `model` rows) with the previous delivery of the same source in the catalogue and
writes `catalogue/comparison.json`: per source the delivery id, the previous one and the
flags (an indicator whose 95% interval now lies wholly below the previous one's). The flags
are logged as warnings, go to the manifest (`stages.catalogue`) and to the report. Once the
manifest is written, `record_run` adds the run to the catalogue in one transaction.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pandas as pd

from spinelink import manifest
from spinelink.catalogue import store

log = logging.getLogger("spinelink")
COMPARISON = Path("catalogue") / "comparison.json"


def _delivery(lj, name: str) -> dict:
    """Id, number, mode, scope and received date of source `name`'s file in this run.
    Scope `full`: the run's outputs cover all the source's records (a replacing delivery,
    or an incremental run, whose outputs are the whole state); `increment`: a run on an
    added delivery alone."""
    cat = lj.job.catalogue
    d = cat.delivery if cat.delivery and cat.delivery.source == name else None
    path = getattr(lj, "delivered", {}).get(name) or lj.source_path(name)
    sha = manifest.file_hash(path)
    received = (d.received if d and d.received else None) or dt.date.today()
    return {"delivery_id": f"{name}#{d.number}" if d else f"{name}@{sha[:12]}",
            "number": d.number if d else None, "mode": d.mode if d else "replaces",
            "scope": "increment" if d and d.mode == "adds" and not incremental(lj) else "full",
            "received": received, "file_name": path.name,
            "file_sha256": sha}


def indicators(out: Path, name: str) -> pd.DataFrame:
    path = out / "quality" / "subgroups.csv"
    if not path.exists():
        return pd.DataFrame(columns=store.INDICATORS)
    q = pd.read_csv(path, dtype={"value": str, "variable": str}, keep_default_na=False,
                    na_values=[""])
    q = q[(q["source"] == name) & (q["basis"] == "model")
          & (q["suppressed"].astype(str).str.lower() != "true")]
    return q[store.INDICATORS].reset_index(drop=True)


def run_stage(ctx) -> dict:
    lj, out = ctx.lj, ctx.out
    if lj.job.catalogue is None:
        return {}
    result = {}
    with store.connect(lj.resolve(lj.job.catalogue.path), read_only=True) as con:
        for name in lj.job.links:
            d = _delivery(lj, name)
            prev = (store.previous(con, name, d["delivery_id"], d["received"], d["number"])
                    if con is not None else None)
            flags = (store.compare(con, prev, indicators(out, name),
                                   rates=d["scope"] == "full") if prev
                     else pd.DataFrame())
            rows = json.loads(flags.to_json(orient="records", double_precision=6))
            for f in rows:
                log.warning("catalogue: %s %s: %s=%s fell from %.4f [%.4f, %.4f] in %s to "
                            "%.4f [%.4f, %.4f]", d["delivery_id"], f["indicator"],
                            f["variable"], f["value"], f["previous"], f["previous_low"],
                            f["previous_high"], prev, f["current"], f["current_low"],
                            f["current_high"])
            result[name] = {"delivery_id": d["delivery_id"], "previous_id": prev,
                            "flags": rows}
    manifest.write_json(out / COMPARISON, result)
    return {"sources": result, "flags": sum(len(r["flags"]) for r in result.values())}


def record_run(lj, out: Path, man: dict) -> None:
    """Add this run to the catalogue (nothing when the job has none)."""
    cat = lj.job.catalogue
    if cat is None:
        return
    comparison = json.loads((out / COMPARISON).read_text()) if (out / COMPARISON).exists() \
        else {}
    sources = [{"source": n, **(cat.sources[n].model_dump() if n in cat.sources else
                               {"steward": None, "legal_basis": None, "agreement": None,
                                "description": None})} for n in lj.job.sources]
    deliveries, inds, flags = [], [], []
    for name in lj.job.sources:
        d = _delivery(lj, name)
        acc = man["accounting"].get(name, {})
        # what the delivered file held; the run's outputs cover the state (an added
        # delivery merged with the previous state), counted in state_*
        got = acc.get("delivered") or acc
        comp = comparison.get(name, {})
        inc = man["links"].get(name, {}).get("incremental")  # an incremental run's changes
        ind = indicators(out, name)
        overall = ind[ind["variable"] == "all"]
        first = overall.iloc[0] if len(overall) else None
        deliveries.append({
            **d, "source": name, "job_name": lj.job.name, "output_dir": str(out),
            "rows_read": got.get("read"), "accepted": got.get("accepted"),
            "quarantined": got.get("quarantined"), "state_rows": acc.get("read"),
            "state_accepted": acc.get("accepted"),
            "state_quarantined": acc.get("quarantined"), "linked": acc.get("linked"),
            "review": acc.get("review"), "unlinked": acc.get("unlinked"),
            "link_rate": _num(first, "link_rate"),
            "est_precision": _num(first, "est_precision"),
            "est_recall": _num(first, "est_recall"),
            "previous_id": comp.get("previous_id"), "flags": len(comp.get("flags", [])),
            "changes": json.dumps(inc["changes"], sort_keys=True) if inc else None,
            "manifest_sha256": manifest.file_hash(out / "run_manifest.json")})
        inds.append(ind.assign(delivery_id=d["delivery_id"], source=name))
        flags += [{**f, "delivery_id": d["delivery_id"], "source": name,
                   "previous_id": comp["previous_id"]} for f in comp.get("flags", [])]
    with store.connect(lj.resolve(cat.path)) as con:
        store.record(con, sources, deliveries, pd.concat(inds, ignore_index=True),
                     pd.DataFrame(flags))
    log.info("catalogue: recorded %s in %s", ", ".join(d["delivery_id"] for d in deliveries),
             lj.resolve(cat.path) / store.FILE)


def incremental(lj) -> bool:
    """Whether this run updates an earlier run's outputs (`--since`)."""
    return bool(lj.overrides.get("since"))


def _num(row, col):
    if row is None or pd.isna(row[col]):
        return None
    return float(row[col])
