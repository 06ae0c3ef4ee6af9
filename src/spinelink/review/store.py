"""The decisions store: an append-only JSON-lines log under OUT/review/, each line
written and fsynced before the call returns (so closing the browser or killing the
server loses nothing), and its current state materialised to decisions.parquet
atomically (temp file, then rename).

Two kinds of event: a decision (one pair, one round, one reviewer) and an undo (names
the decision it withdraws). The current decision of a pair in a round is its latest
decision not undone; superseded and undone ones stay in the log for audit.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import threading
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from spinelink import atomic

log = logging.getLogger("spinelink.review")

DECISIONS = ("match", "non-match", "unsure")
ROUNDS = ("first", "second", "rereview")
LOG_NAME = "decisions.jsonl"
PARQUET_NAME = "decisions.parquet"
COLUMNS = ["reviewer", "time", "decision", "note", "source", "reference_id", "source_id",
           "round", "origin", "decision_id"]

Pair = tuple[str, str, str]  # source, reference_id, source_id


@dataclass(frozen=True)
class Decision:
    decision_id: str
    reviewer: str
    time: str
    decision: str
    note: str
    source: str
    reference_id: str
    source_id: str
    round: str = "first"
    origin: str = "page"

    @property
    def pair(self) -> Pair:
        return (self.source, self.reference_id, self.source_id)


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


class DecisionStore:
    """Thread-safe within a process; appends are serialised across processes by flock."""

    def __init__(self, review_dir: Path):
        self.dir = Path(review_dir)
        self.log_path = self.dir / LOG_NAME
        self.parquet_path = self.dir / PARQUET_NAME
        self._lock = threading.RLock()
        self._offset = 0
        self._order: list[str] = []             # decision ids in log order
        self._decisions: dict[str, Decision] = {}
        self._undone: set[str] = set()
        self.refresh()

    # -- reading -------------------------------------------------------------------
    def refresh(self) -> None:
        """Read events appended since the last read (by this or another process)."""
        with self._lock:
            if not self.log_path.exists():
                return
            with open(self.log_path, "rb") as f:
                f.seek(self._offset)
                data = f.read()
            end = data.rfind(b"\n") + 1  # ignore a torn last line (killed mid-write)
            for line in data[:end].splitlines():
                if line.strip():
                    try:
                        ev = json.loads(line)
                    except ValueError:  # the torn tail of a killed write, closed off below
                        log.warning("%s: skipped an incomplete line (a write was cut short)",
                                    self.log_path)
                        continue
                    self._apply(ev)
            self._offset += end

    def _apply(self, ev: dict) -> None:
        if ev.get("event") == "undo":
            self._undone.add(ev["undoes"])
            return
        d = Decision(**{k: ev[k] for k in Decision.__dataclass_fields__ if k in ev})
        self._decisions[d.decision_id] = d
        self._order.append(d.decision_id)

    def effective(self) -> list[Decision]:
        """Decisions not undone, oldest first."""
        with self._lock:
            return [self._decisions[i] for i in self._order if i not in self._undone]

    def current(self, round_: str | None = None) -> dict[tuple[Pair, str], Decision]:
        """The latest effective decision per (pair, round)."""
        out: dict[tuple[Pair, str], Decision] = {}
        for d in self.effective():
            if round_ is None or d.round == round_:
                out[(d.pair, d.round)] = d
        return out

    def __len__(self) -> int:
        return len(self.effective())

    # -- writing -------------------------------------------------------------------
    def add(self, reviewer: str, decision: str, source: str, reference_id: str,
            source_id: str, note: str = "", round_: str = "first",
            origin: str = "page") -> Decision:
        return self.add_many([Decision(uuid.uuid4().hex, reviewer, now(), decision, note or "",
                                       source, reference_id, source_id, round_, origin)])[0]

    def add_many(self, decisions: list[Decision]) -> list[Decision]:
        for d in decisions:
            if d.decision not in DECISIONS or d.round not in ROUNDS or not d.reviewer:
                raise ValueError("invalid decision event")
        self._append([{"event": "decision", **asdict(d)} for d in decisions])
        return decisions

    def undo_last(self, reviewer: str, round_: str) -> Decision | None:
        """Withdraw this reviewer's most recent effective decision in this round."""
        with self._lock:
            self.refresh()
            for i in reversed(self._order):
                d = self._decisions[i]
                if i not in self._undone and d.reviewer == reviewer and d.round == round_:
                    self._append([{"event": "undo", "undoes": i, "reviewer": reviewer,
                                   "time": now()}])
                    return d
        return None

    def _append(self, events: list[dict]) -> None:
        payload = b"".join(json.dumps(e, ensure_ascii=False, sort_keys=True).encode() + b"\n"
                           for e in events)
        with self._lock:
            atomic.ensure_dir(self.dir)
            fd = os.open(self.log_path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    # a killed writer left a torn line: end it, so this event starts its own
                    os.write(fd, b"\n")
                os.write(fd, payload)
                os.fsync(fd)
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)
            self.refresh()
            self.materialise()

    def materialise(self) -> Path:
        """Write the current decisions (one per pair and round) to decisions.parquet."""
        with self._lock:
            rows = [asdict(d) for d in self.current().values()]
            frame = pd.DataFrame(rows, columns=COLUMNS).astype(str)
            with atomic.atomic_path(self.parquet_path) as tmp:
                frame[COLUMNS].to_parquet(tmp, index=False)
            return self.parquet_path
