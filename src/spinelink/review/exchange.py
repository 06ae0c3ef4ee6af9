"""Review outside the page: export the band to CSV, import decisions from CSV.

The export has one row per pair: ids, weights (not with blind), both records' original
values (not with ids_only), and decision, note, reviewer (filled where a first-round
decision exists). It is UTF-8 with a byte-order mark, so that Excel opens accented and
Cyrillic names correctly (pandas and the import skip the mark; `bom=False` leaves it out).
An import takes rows with a decision (blank rows are skipped), checks all of them, then
stores all or none. Every problem is reported at once (the first 20, then a count), one
line naming the file, the row (the line it starts on, the header is line 1) and the
field; values are never echoed (spinelink.filled_in, shared with `spinelink coding
apply`).
"""
from __future__ import annotations

import csv
import re
import uuid
from pathlib import Path

from spinelink import atomic, filled_in
from spinelink.csv_cells import as_text
from spinelink.review import band
from spinelink.review.band import ReviewError
from spinelink.review.records import FIELDS, load_records
from spinelink.review.store import DECISIONS, ROUNDS, Decision, DecisionStore, now

REQUIRED = ("source", "reference_id", "source_id", "decision")
ENCODING = {True: "utf-8-sig", False: "utf-8"}  # with / without the byte-order mark
SPELLINGS = {"match": "match", "nonmatch": "non-match", "unsure": "unsure"}


def export_csv(out: Path, to: Path, source: str | None = None, blind: bool = False,
               ids_only: bool = False, bom: bool = True) -> int:
    out, to = Path(out), Path(to)
    names = band.check_source(out, source)
    pairs = band.all_pairs(out, names)
    store = DecisionStore(band.review_dir(out))
    decided = {p: d for (p, r), d in store.current("first").items()}
    header = ["source", "reference_id", "source_id"]
    header += [] if blind else ["match_probability", "match_weight"]
    raw_cols = [(label.replace(" ", "_"), raw) for label, raw, _ in FIELDS]
    if not ids_only:
        header += [f"{side}_{label}" for label, _ in raw_cols for side in ("ref", "src")]
        ref = load_records(out, band.reference(out), set(pairs["reference_id"]))
        src = {s: load_records(out, s, set(pairs.loc[pairs["source"] == s, "source_id"]))
               for s in names}
    header += ["decision", "note", "reviewer"]
    with atomic.atomic_path(to) as tmp, open(tmp, "w", newline="", encoding=ENCODING[bom]) as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in pairs.to_dict("records"):
            row = [r["source"], r["reference_id"], r["source_id"]]
            if not blind:
                row += [_number(r["match_probability"], ".6f"),
                        _number(r["match_weight"], ".4f")]
            if not ids_only:
                a = ref.get(r["reference_id"]) or {}
                b = src[r["source"]].get(r["source_id"]) or {}
                row += [as_text(x.get(raw) or "") for _, raw in raw_cols for x in (a, b)]
            d = decided.get((r["source"], r["reference_id"], r["source_id"]))
            row += [d.decision, d.note, d.reviewer] if d else ["", "", ""]
            w.writerow(row)
    return len(pairs)


def _number(value, spec: str) -> str:
    """A pair's probability or weight for the reviewer; an empty cell where it has none
    (a pair an identifier put in the band, e.g. born after the reference date), not
    the text "nan"."""
    return "" if value is None or value != value else format(value, spec)


def _decision(value: str) -> str | None:
    """match / non-match / unsure, any case; non_match and "non match" are accepted."""
    return SPELLINGS.get(re.sub(r"[\s_-]", "", value.lower()))


def import_csv(out: Path, path: Path, reviewer: str | None = None,
               round_: str = "first") -> dict:
    out, path = Path(out), Path(path)
    names = band.check_source(out, None)
    known = {(s, r, i) for s, r, i in band.all_pairs(out, names)[
        ["source", "reference_id", "source_id"]].itertuples(index=False)}
    rows, lines = filled_in.read_rows(path, REQUIRED, ReviewError)
    store = DecisionStore(band.review_dir(out))
    current = store.current()
    # who made each pair's first decision: a second review is another reviewer's (qc)
    first_by = {p: d.reviewer for (p, r), d in current.items() if r == "first"}
    seen: dict[tuple, tuple[int, str]] = {}
    batch: list[Decision] = []
    problems: list[str] = []
    skipped = repeated = 0
    for n, row in zip(lines, rows, strict=True):  # n: the row's line, the header is line 1
        found: list[str] = []

        def bad(field: str, problem: str, n=n, found=found) -> None:
            found.append(f"{path}: row {n}, field '{field}': {problem}")

        extra = filled_in.extra_cells(path, n, row)
        if extra:
            problems.append(extra)
            continue
        raw = (row.get("decision") or "").strip()
        if not raw:
            skipped += 1
            continue
        decision = _decision(raw)
        if decision is None:
            bad("decision", f"expected one of {', '.join(DECISIONS)} (or empty to skip)")
        for col in ("source", "reference_id", "source_id"):
            if not (row.get(col) or "").strip():
                bad(col, "is empty")
        pair = tuple((row[c] or "").strip() for c in ("source", "reference_id", "source_id"))
        if pair[0] and pair[0] not in names:
            bad("source", f"no review band for that source (have: {', '.join(names)})")
        elif all(pair) and pair not in known:
            found.append(f"{path}: row {n}, fields 'reference_id', 'source_id': pair "
                         f"{pair[1]} / {pair[2]} is not in the review band of source "
                         f"'{pair[0]}'")
        who = (row.get("reviewer") or "").strip() or reviewer
        if not who:
            bad("reviewer", "is empty and no --reviewer was given")
        rnd = (row.get("round") or "").strip().lower() or round_
        if rnd not in ROUNDS:
            bad("round", f"expected one of {', '.join(ROUNDS)}")
        elif rnd == "second" and who and first_by.get(pair) == who[:100]:
            bad("reviewer", f"{who} made the first decision for this pair; a second "
                            "review is another reviewer's")
        if found:
            problems += found
            continue
        key = (pair, rnd)
        if key in seen:
            first_row, first_decision = seen[key]
            if first_decision != decision:
                problems.append(f"{path}: rows {first_row} and {n}, field 'decision': "
                                f"conflicting decisions for pair {pair[1]} / {pair[2]} of "
                                f"source '{pair[0]}'")
            repeated += 1
            continue
        seen[key] = (n, decision)
        if rnd == "first":
            first_by[pair] = who[:100]
        batch.append(Decision(uuid.uuid4().hex, who[:100], now(), decision,
                              (row.get("note") or "").strip()[:2000], *pair, rnd, "import"))
    if problems:
        raise ReviewError(filled_in.listed(path, problems))
    fresh = [d for d in batch if not _same(current.get((d.pair, d.round)), d)]
    if fresh:
        store.add_many(fresh)
    return {"rows": len(rows), "imported": len(fresh), "unchanged": len(batch) - len(fresh),
            "skipped_blank": skipped, "repeated": repeated}


def _same(old: Decision | None, new: Decision) -> bool:
    return old is not None and (old.decision, old.note, old.reviewer) == (
        new.decision, new.note, new.reviewer)
