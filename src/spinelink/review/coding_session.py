"""The review page's coding mode (`spinelink review serve OUT --coding`): one coded
answer at a time from the open coding work (the clerical queue, the verification
sample, batches queued for re-check; spinelink.coding.workflow), its proposed code and
label, and the classification's neighbours to pick from by number (at most 9): the
coder's candidates, the codes whose texts are most like the answer, then the proposed
code's finer codes, siblings and parent.
Decisions go to the coding store (`OUT/coding/decisions.jsonl`, crash-safe like the
pair review's) and are applied by `spinelink coding apply OUT` or the next run.

Same methods as spinelink.review.session.Session (queue, pair, decide, undo) so the
HTTP layer serves both; an item's number stands where a pair's would."""
from __future__ import annotations

import threading
from pathlib import Path

from spinelink.coding import classification as cls
from spinelink.coding import decisions as dec
from spinelink.coding import workflow
from spinelink.coding.coder import Coder

NEIGHBOURS = 9
SPECIAL = {cls.NOT_STATED: "not stated", cls.VAGUE: "too vague to code (uncodable)"}


class CodingSession:
    mode, blind, page = "coding", False, "coding.html"

    def __init__(self, out: Path, reviewer: str, source: str | None = None):
        self.out, self.reviewer = Path(out), reviewer
        self.items = workflow.open_items(self.out, source).to_dict("records")
        man, coding = workflow.coding_manifest(self.out)
        self.reference = man.get("reference", "")
        self.sources = [source] if source else list(coding)
        self.specs = {s: coding[s]["specs"] for s in coding}
        self.store = dec.store_for(self.out)
        self.index = {(it["source"], it["record_id"], it["variable"]): i
                      for i, it in enumerate(self.items)}
        self._coders: dict[tuple[str, str], Coder] = {}
        self._lock = threading.Lock()

    # -- queue ---------------------------------------------------------------------
    def _decided(self) -> dict:
        self.store.refresh()
        return {self.index[k]: d for k, d in self.store.current().items() if k in self.index}

    def queue(self) -> dict:
        decided = self._decided()
        return {"mode": self.mode, "blind": False, "reviewer": self.reviewer,
                "sources": self.sources, "reference": self.reference,
                "total": len(self.items), "done": len(decided),
                "items": [{"pair": i, "task": it["task"],
                           "decision": decided[i].code if i in decided else None}
                          for i, it in enumerate(self.items)]}

    # -- one answer ----------------------------------------------------------------
    def _label(self, c: cls.Classification, code: str | None) -> str:
        if code is None or code == "":
            return ""
        return SPECIAL.get(code) or c.labels.get(code, "")

    def neighbours(self, it: dict) -> list[dict]:
        spec = self.specs[it["source"]][it["variable"]]
        c = cls.load(spec["classification"])
        key = (it["source"], it["variable"])
        if key not in self._coders:
            self._coders[key] = Coder(c, spec.get("threshold", 0.93), spec.get("margin", 0.03))
        proposed = it["proposed"] or None
        codes: dict[str, str] = {}
        for part in (it.get("candidates") or "").split(";"):  # the coder's candidates
            if part.strip():
                codes.setdefault(part.split()[0], "candidate")
        for code, score in self._coders[key].rank(it["text"], 4):
            if score >= 0.75:
                codes.setdefault(code, "similar text")
        if proposed in c.levels:
            for code in sorted(k for k, p in c.parents.items() if p == proposed):
                codes.setdefault(code, "finer")  # a coarse code: its own subdivisions
            parent = c.parents.get(proposed)
            for code in sorted(k for k, p in c.parents.items() if p == parent and parent):
                codes.setdefault(code, "sibling")
            if parent:
                codes.setdefault(parent, "parent")
        codes.pop(proposed or "", None)
        return [{"key": n + 1, "code": code, "label": self._label(c, code), "why": why}
                for n, (code, why) in enumerate(list(codes.items())[:NEIGHBOURS])]

    def pair(self, i: int) -> dict:
        if not 0 <= i < len(self.items):
            raise KeyError(i)
        it = self.items[i]
        c = cls.load(self.specs[it["source"]][it["variable"]]["classification"])
        d = self._decided().get(i)
        return {"pair": i, "source": it["source"], "record_id": it["record_id"],
                "variable": it["variable"], "classification": it["classification"],
                "task": it["task"], "batch": it["batch"], "text": it["text"],
                "status": it["status"], "method": it["method"],
                "proposed": it["proposed"] or None,
                "proposed_label": self._label(c, it["proposed"]),
                "neighbours": self.neighbours(it),
                "decision": None if d is None else {
                    "code": d.code, "label": self._label(c, d.code), "reviewer": d.reviewer,
                    "time": d.time}}

    # -- decisions -----------------------------------------------------------------
    def decide(self, i: int, decision: str, note: str = "") -> dict:
        """`decision`: accept (the proposed code), uncodable (VG), not_stated (NS), or
        n:<k> (neighbour k) or code:<code> (any code of the classification)."""
        if not 0 <= i < len(self.items):  # not items[-1]: an answer the coder never saw
            raise IndexError(i)
        it = self.items[i]
        spec = self.specs[it["source"]][it["variable"]]
        if decision == "accept":
            code = it["proposed"]
            if not code:
                raise ValueError("nothing proposed to accept")
        elif decision in ("uncodable", "not_stated"):
            code = cls.VAGUE if decision == "uncodable" else cls.NOT_STATED
        elif decision.startswith("n:"):
            k = int(decision[2:])
            if k < 1:
                raise ValueError("neighbours are numbered from 1")
            code = self.neighbours(it)[k - 1]["code"]
        elif decision.startswith("code:"):
            code = decision[5:]
        else:
            raise ValueError("unknown decision")
        code = dec.known_code(spec["classification"], code)
        if code is None:
            raise ValueError("not a code of the classification")
        with self._lock:
            self.store.add(self.reviewer, it["source"], it["record_id"], it["variable"],
                           code, "clerical" if it["task"] == "clerical" else "verify",
                           it["proposed"] or "", note)
        return self.queue()

    def undo(self) -> dict:
        with self._lock:
            d = self.store.undo_last(self.reviewer, "coding")
        q = self.queue()
        q["undone"] = None if d is None else self.index.get(d.key)
        return q
