"""The report's free-text coding section: per source and variable the share coded
automatically and the statuses now (after clerical coding and verification), the
verification error rates per variable, method and batch, and the batches queued for
re-check. Read from `coding/<source>_summary.json` (the coding stage's summary, also in
the manifest). Counts of answers, not of persons' values: nothing to suppress."""
from __future__ import annotations

import json
from html import escape
from pathlib import Path

import pandas as pd

from spinelink.report.html import table, warning

STATUSES = ["exact", "alias", "fuzzy", "derived", "clerical", "verified", "not_stated",
            "uncodable"]


def _rates(by: dict, key: str) -> pd.DataFrame:
    return pd.DataFrame([{key: k, **v} for k, v in by.items()],
                        columns=[key, "checked", "errors", "error_rate"])


def section(out: Path, sources: list[str]) -> str | None:
    """The section's HTML, or None when the run coded nothing."""
    parts = []
    for s in sources:
        path = Path(out) / "coding" / f"{s}_summary.json"
        if not path.exists():
            continue
        info = json.loads(path.read_text(encoding="utf-8"))
        rows = []
        for var, by in info["variables"].items():
            auto = info["automatic"][var]
            rows.append({"variable": var, "classification":
                         info["specs"][var]["classification"], "answers": auto["answers"],
                         "automatic share": auto["share"],
                         **{st: by.get(st, 0) for st in STATUSES}})
        parts.append(f"<h3>{s}</h3>" + table(pd.DataFrame(rows),
                                               text_cols=("variable", "classification")))
        fallback = info.get("derived_from_stated") or {}
        if fallback:
            parts.append("<p>Activities derived from the occupation although an answer was "
                         "given (too vague, not codable, or naming several activities; "
                         "the answer and the reason are in coding/" + escape(s)
                         + ".parquet): " + ", ".join(f"{escape(v)} {n}" for v, n
                                                    in sorted(fallback.items()))
                         + ".</p>")
        d = info.get("decisions") or {}
        parts.append(f"<p>Clerical queue: {info['clerical_queue']} answers open; decisions "
                     f"applied: {d.get('clerical', 0)} clerical codes, "
                     f"{d.get('confirmed', 0)} codes confirmed, {d.get('corrected', 0)} "
                     f"corrected, {d.get('rederived', 0)} activities derived again.</p>")
        v = info["verification"]
        parts.append(f"<p>Verification sample: {v['sampled']} answers drawn from "
                     f"{v['batches']} batches ({info['options']['share']:.0%} of each; a "
                     f"batch is re-checked whole at an error rate of "
                     f"{info['options']['threshold']:.0%}).</p>")
        if "checked" not in v:
            parts.append("<p class='note'>No verification decisions yet.</p>")
            continue
        parts.append(f"<p>Checked {v['checked']}, errors {v['errors']}.</p>")
        for title, key, by in (("by variable", "variable", v["by_variable"]),
                               ("by method", "method", v["by_method"]),
                               ("by batch", "batch", v["by_batch"])):
            parts.append(f"<h4>Verification error rates {title}</h4>"
                         + table(_rates(by, key), text_cols=(key,)))
        if v["batches_queued"]:
            parts.append(warning(f"batches queued for full re-check: "
                                 f"{', '.join(v['batches_queued'])}"))
        else:
            parts.append("<p>No batch reached the error threshold.</p>")
    return "\n".join(parts) if parts else None
