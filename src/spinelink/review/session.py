"""One reviewer's session over the band: the queue for a round (first review, second
review for QC, or re-review of flagged batches), the detail of a pair, decisions and
undo. Everything the page shows is prepared here once (records, weights); the HTTP layer
only calls these methods."""
from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd

from spinelink.backends import open_engine
from spinelink.review import band, qc
from spinelink.review.explain import contributions
from spinelink.review.records import compare, load_records
from spinelink.review.store import DECISIONS, DecisionStore, Pair

MODES = {"first": "first", "second": "second", "rereview": "rereview"}


class Session:
    def __init__(self, out: Path, reviewer: str, source: str | None = None,
                 mode: str = "first", blind: bool = False, qc_settings=None):
        self.out, self.reviewer, self.mode, self.blind = Path(out), reviewer, mode, blind
        self.round = MODES[mode]
        self.sources = band.check_source(self.out, source)
        self.reference = band.reference(self.out)
        self.pairs = band.all_pairs(self.out, self.sources)
        self.keys: list[Pair] = list(zip(self.pairs["source"], self.pairs["reference_id"],
                                         self.pairs["source_id"], strict=True))
        self.index = {k: i for i, k in enumerate(self.keys)}
        self.store = DecisionStore(band.review_dir(self.out))
        self.qc_settings = qc_settings or qc.load_settings(self.out)
        self._lock = threading.Lock()
        self._load_records()
        self.parts = {} if blind else self._explain()

    def _load_records(self) -> None:
        p = self.pairs
        self.ref_records = load_records(self.out, self.reference, set(p["reference_id"]))
        self.src_records = {s: load_records(self.out, s, set(p.loc[p["source"] == s,
                                                                   "source_id"]))
                            for s in self.sources}
        links = []
        for s in ([] if band.pseudonymised(self.out) else self.sources):
            path = self.out / "links" / f"{s}.parquet"
            if path.exists():
                lk = pd.read_parquet(path, columns=["reference_id", "source_id", "method"])
                lk = lk[lk["reference_id"].astype(str).isin(set(p["reference_id"]))]
                links.append(lk.astype(str).assign(source=s))
        self.links = pd.concat(links, ignore_index=True) if links else pd.DataFrame(
            columns=["reference_id", "source_id", "method", "source"])

    def _explain(self) -> dict:
        engine = open_engine("duckdb")
        try:
            parts = {}
            for s in self.sources:
                sub = self.pairs[self.pairs["source"] == s]
                for (r, i), v in contributions(engine, self.out, self.reference, s,
                                               sub).items():
                    parts[(s, r, i)] = v
            return parts
        finally:
            engine.close()

    # -- queue ---------------------------------------------------------------------
    def _decided(self) -> dict[Pair, object]:
        return {p: d for (p, r), d in self.store.current(self.round).items() if r == self.round}

    def _members(self) -> list[int]:
        if self.mode == "first":
            return list(range(len(self.keys)))
        st = qc.evaluate(self.store, self.qc_settings)
        if self.mode == "second":
            wanted = [p for p in st.sampled if st.first[p].reviewer != self.reviewer]
        else:
            wanted = list(dict.fromkeys(st.to_rereview))
        return [self.index[p] for p in wanted if p in self.index]

    def queue(self) -> dict:
        with self._lock:
            self.store.refresh()
            decided = self._decided()
            items = [{"pair": i, "source": self.keys[i][0],
                      "decision": getattr(decided.get(self.keys[i]), "decision", None)}
                     for i in self._members()]
        done = sum(it["decision"] is not None for it in items)
        return {"reviewer": self.reviewer, "mode": self.mode, "blind": self.blind,
                "reference": self.reference, "sources": self.sources, "items": items,
                "done": done, "total": len(items)}

    # -- one pair ------------------------------------------------------------------
    def pair(self, i: int) -> dict:
        if not 0 <= i < len(self.keys):
            raise KeyError(i)
        s, ref_id, src_id = self.keys[i]
        row = self.pairs.iloc[i]
        decided = self._decided()
        ref, src = self.ref_records.get(ref_id), self.src_records[s].get(src_id)
        out = {"pair": i, "source": s, "reference": self.reference, "reference_id": ref_id,
               "source_id": src_id, "fields": compare(ref, src),
               "decision": _public(decided.get(self.keys[i])),
               "others_ref": self._others(i, "reference_id", ref_id, decided),
               "others_src": self._others(i, "source_id", src_id, decided),
               "linked_ref": self.links[(self.links["reference_id"] == ref_id)
                                        & (self.links["source"] == s)][
                   ["source_id", "method"]].to_dict("records")}
        if not self.blind and pd.notna(row["match_weight"]):  # (none: a deterministic
            parts = self.parts.get(self.keys[i], [])          # link held for review)
            mw = float(row["match_weight"])
            out["weight"] = {"match_weight": mw,
                             "match_probability": float(row["match_probability"]),
                             "parts": parts,
                             "prior": mw - sum(p["weight"] + p["tf_weight"] for p in parts)}
        if self.mode == "rereview":
            st = qc.evaluate(self.store, self.qc_settings)
            out["earlier"] = [_public(d) for d in (st.first.get(self.keys[i]),
                                                   st.second.get(self.keys[i])) if d]
        return out

    def _others(self, i: int, col: str, value: str, decided) -> list[dict]:
        s = self.keys[i][0]
        p = self.pairs
        rows = p[(p[col] == value) & (p["source"] == s) & (p.index != i)]
        other_col = "source_id" if col == "reference_id" else "reference_id"
        out = []
        for j, r in rows.iterrows():
            rec = (self.src_records[s] if other_col == "source_id"
                   else self.ref_records).get(r[other_col]) or {}
            item = {"pair": int(j), "id": r[other_col], "summary": _summary(rec),
                    "decision": getattr(decided.get(self.keys[j]), "decision", None)}
            if not self.blind and pd.notna(r["match_weight"]):
                item["match_weight"] = float(r["match_weight"])
            out.append(item)
        return out

    # -- decisions -----------------------------------------------------------------
    def decide(self, i: int, decision: str, note: str = "") -> dict:
        if decision not in DECISIONS:
            raise ValueError("decision must be one of " + ", ".join(DECISIONS))
        if not 0 <= i < len(self.keys):  # not keys[-1]: a pair the reviewer never saw
            raise IndexError(i)
        if self.mode != "first" and i not in self._members():
            raise ValueError(f"pair {i} is not in this reviewer's queue")
        s, r, src = self.keys[i]
        self.store.add(self.reviewer, decision, s, r, src, note=note[:2000],
                       round_=self.round)
        return self.queue()

    def undo(self) -> dict:
        d = self.store.undo_last(self.reviewer, self.round)
        q = self.queue()
        q["undone"] = self.index.get(d.pair) if d else None
        return q


def _public(d) -> dict | None:
    if d is None:
        return None
    return {"decision": d.decision, "reviewer": d.reviewer, "time": d.time, "note": d.note,
            "round": d.round}


def _summary(rec: dict) -> str:
    parts = [rec.get("raw_first_name"), rec.get("raw_last_name"),
             rec.get("raw_date_of_birth"), rec.get("raw_postcode")]
    return " · ".join(p for p in parts if p)
