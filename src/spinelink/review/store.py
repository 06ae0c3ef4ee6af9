"""The decisions store: an append-only JSON-lines log under OUT/review/, each line
written and fsynced before the call returns (so closing the browser or killing the
server loses nothing), and its current state materialised to decisions.parquet
atomically (temp file, then rename).

Several processes (review servers, `review import`) may share one log: an append holds
an exclusive `flock` on it, a read a shared one. An append is all or nothing: a write
that fails (a full disk) is cut back off before the error is raised, and the incomplete
last line a writer killed mid-append leaves (never acknowledged) is removed by the next
append and ignored by readers. A decision already in the log (same decision_id) is not
appended or counted again, so a retried import or append cannot duplicate one.

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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from spinelink import atomic, faults

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
            try:
                fd = os.open(self.log_path, os.O_RDONLY)
            except FileNotFoundError:
                return
            try:
                fcntl.flock(fd, fcntl.LOCK_SH)  # no append is half-way through
                self._read_from(fd)
            finally:
                os.close(fd)

    def _read_from(self, fd: int) -> None:
        size = os.fstat(fd).st_size
        if size < self._offset:  # the log was replaced: read it again from the start
            self._offset, self._order, self._decisions, self._undone = 0, [], {}, set()
        data = os.pread(fd, size - self._offset, self._offset) if size > self._offset else b""
        end = data.rfind(b"\n") + 1  # a torn last line (killed mid-write) is not read
        for line in data[:end].splitlines():
            if line.strip():
                try:
                    ev = json.loads(line)
                except ValueError:  # a torn line an older version closed off
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
        if d.decision_id in self._decisions:  # the same decision twice counts once
            return
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
        with self._appending() as append:
            append([{"event": "decision", **asdict(d)} for d in decisions
                    if d.decision_id not in self._decisions])  # already in the log
        return decisions

    def undo_last(self, reviewer: str, round_: str) -> Decision | None:
        """Withdraw this reviewer's most recent effective decision in this round."""
        with self._appending() as append:
            for i in reversed(self._order):
                d = self._decisions[i]
                if i not in self._undone and d.reviewer == reviewer and d.round == round_:
                    append([{"event": "undo", "undoes": i, "reviewer": reviewer,
                             "time": now()}])
                    return d
        return None

    @contextmanager
    def _appending(self) -> Iterator:
        """Hold the log's exclusive lock, with the state read up to its end; yields
        `append(events)`. Then decisions.parquet is written from the same state."""
        with self._lock:
            try:
                atomic.ensure_dir(self.dir)
                fd = os.open(self.log_path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            except OSError as e:
                raise atomic.WriteError(f"{self.log_path}: cannot write "
                                        f"({e.strerror or type(e).__name__})") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                self._drop_torn_tail(fd)
                self._read_from(fd)
                wrote = []
                yield lambda events: wrote.append(self._write(fd, events))
                if any(wrote):
                    self._read_from(fd)
                    self._materialise_quietly()
            finally:
                os.close(fd)  # releases the flock

    def _drop_torn_tail(self, fd: int) -> None:
        """Remove an incomplete last line: an append a killed writer never finished (and
        so never acknowledged)."""
        size = os.fstat(fd).st_size
        start = size
        while start > 0:
            chunk = os.pread(fd, min(65536, start), start - min(65536, start))
            nl = chunk.rfind(b"\n")
            if nl >= 0:
                start = start - len(chunk) + nl + 1
                break
            start -= len(chunk)
        if start < size:
            os.ftruncate(fd, start)
            os.fsync(fd)
            log.warning("%s: removed an incomplete last line (%d bytes) left by a writer "
                        "that was stopped mid-append", self.log_path, size - start)

    def _write(self, fd: int, events: list[dict]) -> bool:
        """Append `events` whole and fsynced, or nothing (the log is cut back on error)."""
        if not events:
            return False
        payload = b"".join(json.dumps(e, ensure_ascii=False, sort_keys=True).encode() + b"\n"
                           for e in events)
        size = os.fstat(fd).st_size
        try:
            head = faults.torn("decisions", payload)  # test-only hook: no cost when unset
            _write_all(fd, head)
            faults.point("decisions", "append")
            _write_all(fd, payload[len(head):])
            os.fsync(fd)
        except BaseException as e:
            try:
                os.ftruncate(fd, size)
                os.fsync(fd)
            except OSError:  # pragma: no cover - the next append removes the torn tail
                pass
            if isinstance(e, OSError):
                raise atomic.WriteError(f"{self.log_path}: cannot write ({e.strerror}); the "
                                        "decision was not saved") from None
            raise
        return True

    def _materialise_quietly(self) -> None:
        """decisions.parquet after an append that is already safe in the log: a failure
        here (a full disk) must not report the decision as lost (it would be made again)."""
        try:
            self.materialise()
        except (OSError, atomic.WriteError) as e:
            log.warning("%s: not updated (%s); it is rewritten at the next decision",
                        self.parquet_path, e.__class__.__name__)

    def materialise(self) -> Path:
        """Write the current decisions (one per pair and round) to decisions.parquet."""
        with self._lock:
            rows = [asdict(d) for d in self.current().values()]
            frame = pd.DataFrame(rows, columns=COLUMNS).astype(str)
            with atomic.atomic_path(self.parquet_path) as tmp:
                frame[COLUMNS].to_parquet(tmp, index=False)
            return self.parquet_path


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
