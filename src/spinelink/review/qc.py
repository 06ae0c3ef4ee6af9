"""Second-review quality control.

A reviewer's first-round decisions, in the order they were made, form batches of
`batch_size`. From each batch a share (default 25%) is drawn for a second reviewer: a
pair is drawn when its seeded hash falls below the share (deterministic, and stable as
the batch fills), and at least one pair per batch. Where the second reviewer disagrees
on a share of a batch's compared pairs at or above `threshold` (default 1%), the whole
batch goes to full re-review; a single disagreeing pair always does. A pair's final
decision is its re-review decision if it has one, none while it waits for re-review,
and otherwise its first decision. Agreement (per reviewer, per batch, overall, with
Cohen's kappa) is written to OUT/review/qc.json.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from spinelink import manifest as manifest_io
from spinelink.review.band import ReviewError, manifest, review_dir
from spinelink.review.store import Decision, DecisionStore, Pair

QC_NAME = "qc.json"


@dataclass(frozen=True)
class QCSettings:
    share: float = 0.25
    threshold: float = 0.01
    batch_size: int = 50
    seed: int = 42

    def __post_init__(self):
        if not 0 <= self.share <= 1 or not 0 < self.threshold <= 1 or self.batch_size < 1:
            raise ReviewError("qc settings: share in [0, 1], threshold in (0, 1], "
                              "batch size at least 1")


def load_settings(out: Path, **overrides) -> QCSettings:
    """Explicit options, else the settings qc.json was written with, else defaults (seed:
    the run's seed)."""
    base = asdict(QCSettings(seed=int(manifest(out).get("seed", 42))))
    path = review_dir(out) / QC_NAME
    if path.exists():
        base.update(json.loads(path.read_text(encoding="utf-8")).get("settings", {}))
    base.update({k: v for k, v in overrides.items() if v is not None})
    return QCSettings(**{k: base[k] for k in asdict(QCSettings())})


def draw(seed: int, pair: Pair) -> float:
    h = hashlib.sha256("\x1f".join((str(seed), *pair)).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


def cohen_kappa(a: list[str], b: list[str]) -> float | None:
    """Cohen's kappa of two raters over the same items (None when undefined)."""
    n = len(a)
    if n == 0:
        return None
    po = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pe = sum((a.count(c) / n) * (b.count(c) / n) for c in set(a) | set(b))
    if pe >= 1:
        return 1.0 if po == 1 else None
    return round((po - pe) / (1 - pe), 6)


@dataclass
class QCState:
    settings: QCSettings
    first: dict[Pair, Decision]
    second: dict[Pair, Decision]
    rereview: dict[Pair, Decision]
    batches: dict[str, list[Pair]] = field(default_factory=dict)
    sampled: list[Pair] = field(default_factory=list)
    flagged: set[str] = field(default_factory=set)
    to_rereview: list[Pair] = field(default_factory=list)

    def compared(self, pairs: list[Pair]) -> list[Pair]:
        return [p for p in pairs if p in self.second
                and self.second[p].reviewer != self.first[p].reviewer]

    def final(self) -> dict[Pair, Decision]:
        waiting = set(self.to_rereview)
        out = {}
        for p, d in self.first.items():
            if p in self.rereview:
                out[p] = self.rereview[p]
            elif p not in waiting:
                out[p] = d
        for p, d in self.rereview.items():
            out.setdefault(p, d)
        return out


def evaluate(store: DecisionStore, settings: QCSettings) -> QCState:
    store.refresh()
    rounds: dict[str, dict[Pair, Decision]] = {"first": {}, "second": {}, "rereview": {}}
    for (pair, round_), d in store.current().items():
        rounds[round_][pair] = d
    st = QCState(settings, rounds["first"], rounds["second"], rounds["rereview"])
    by_reviewer: dict[str, list[Decision]] = {}
    for d in sorted(st.first.values(), key=lambda d: (d.time, d.decision_id)):
        by_reviewer.setdefault(d.reviewer, []).append(d)
    for reviewer in sorted(by_reviewer):
        ds = by_reviewer[reviewer]
        for k in range(0, len(ds), settings.batch_size):
            batch = [d.pair for d in ds[k:k + settings.batch_size]]
            bid = f"{reviewer}#{k // settings.batch_size + 1}"
            st.batches[bid] = batch
            u = {p: draw(settings.seed, p) for p in batch}
            chosen = [p for p in batch if u[p] < settings.share]
            if not chosen and settings.share > 0:
                chosen = [min(batch, key=lambda p: (u[p], p))]
            st.sampled += chosen
            comp = st.compared(batch)
            disagree = [p for p in comp if st.second[p].decision != st.first[p].decision]
            if comp and len(disagree) / len(comp) >= settings.threshold:
                st.flagged.add(bid)
                st.to_rereview += batch
            else:
                st.to_rereview += disagree
    return st


def _agreement(st: QCState, pairs: list[Pair]) -> dict:
    comp = st.compared(pairs)
    a = [st.first[p].decision for p in comp]
    b = [st.second[p].decision for p in comp]
    agree = sum(x == y for x, y in zip(a, b, strict=True))
    return {"compared": len(comp), "agreements": agree, "disagreements": len(comp) - agree,
            "agreement": round(agree / len(comp), 6) if comp else None,
            "kappa": cohen_kappa(a, b)}


def _batch_status(st: QCState, bid: str, pairs: list[Pair], sampled: set[Pair]) -> str:
    if bid in st.flagged:
        return "rereviewed" if all(p in st.rereview for p in pairs) else "rereview"
    waiting = [p for p in pairs if p in sampled and p not in st.second]
    return "pending" if waiting else "ok"


def stats(st: QCState) -> dict:
    sampled = set(st.sampled)
    batches = []
    for bid, pairs in st.batches.items():
        batches.append({"batch": bid, "reviewer": st.first[pairs[0]].reviewer,
                        "decisions": len(pairs), "sampled": len(sampled & set(pairs)),
                        **_agreement(st, pairs),
                        "status": _batch_status(st, bid, pairs, sampled)})
    reviewers = {}
    for r in sorted({d.reviewer for d in st.first.values()}):
        mine = [p for p, d in st.first.items() if d.reviewer == r]
        reviewers[r] = {"decisions": len(mine), "sampled": len(sampled & set(mine)),
                        "second_reviews_made": sum(d.reviewer == r
                                                   for d in st.second.values()),
                        **_agreement(st, mine)}
    return {"schema_version": 1, "settings": asdict(st.settings),
            "overall": {"decisions": len(st.first), "sampled": len(sampled),
                        "second_reviews": len(st.second), **_agreement(st, list(st.first)),
                        "batches": len(st.batches), "batches_flagged": len(st.flagged),
                        "pairs_to_rereview": len(set(st.to_rereview)),
                        "pairs_rereviewed": sum(p in st.rereview for p in set(st.to_rereview))},
            "reviewers": reviewers, "batches": batches}


def write(out: Path, st: QCState) -> dict:
    data = stats(st)
    manifest_io.write_json(review_dir(out) / QC_NAME, data)
    return data


def run(out: Path, **overrides) -> dict:
    """Evaluate QC on the decisions so far and write qc.json; returns its content."""
    out = Path(out)
    st = evaluate(DecisionStore(review_dir(out)), load_settings(out, **overrides))
    return write(out, st)
