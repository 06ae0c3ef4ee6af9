"""Coding decisions: the codes a clerical coder gives to queued answers and a verifier's
codes for sampled (or re-checked) automatic ones, and how they are applied.

A decision names one answer (source, record_id, variable) and the code a person gives it
(a code of the variable's classification, `NS` not stated or `VG` too vague to code).
Decisions come from the job file's CSVs (`coding_options: clerical / decisions`, origin
`job`) and from the store `OUT/coding/decisions.jsonl` (the review page's coding mode and
`spinelink coding apply`; crash-safe like the pair review's store, whose code it reuses);
a store decision overrides a job-file one for the same answer, and within the store the
latest decision not undone counts.

Applying never overwrites what the automatic coder said: `original_code` and
`original_status` keep it, `decided_by`, `decided_at` and `decided_via` say who changed
it, when and how. An answer that was in clerical coding becomes status `clerical` with
the coder's code; a verifier's code (for an automatic answer or a clerical code) makes
it `verified` (the same code confirmed, or a correction). A derived activity whose
occupation was corrected is derived again from the new occupation code (status
`derived`, decided_by naming the occupation's decider). A decision for an answer the
table does not have is counted as ignored; a clerical-kind decision for an answer that
was never in clerical coding too.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from spinelink import atomic, filled_in
from spinelink.coding import classification as cls
from spinelink.errors import JobError, SpinelinkError
from spinelink.review.store import DecisionStore, now

KINDS = ("clerical", "verify")
STORE_COLUMNS = ["reviewer", "time", "source", "record_id", "variable", "code", "kind",
                 "proposed", "note", "origin", "decision_id"]
TRACE_COLUMNS = ["original_code", "original_status", "decided_by", "decided_at",
                 "decided_via"]
Key = tuple[str, str, str]  # source, record_id, variable


@dataclass(frozen=True)
class CodingDecision:
    decision_id: str
    reviewer: str
    time: str
    source: str
    record_id: str
    variable: str
    code: str
    kind: str = "verify"         # clerical: for an answer in clerical coding
    proposed: str = ""           # the code the person was shown ("" for none)
    note: str = ""
    origin: str = "page"         # page, csv (spinelink coding apply), job (job-file CSV)
    round: str = "coding"        # one round: undo withdraws the reviewer's last decision

    @property
    def key(self) -> Key:
        return (self.source, self.record_id, self.variable)


class CodingStore(DecisionStore):
    """`OUT/coding/decisions.jsonl` (+ decisions.parquet): append-only, fsynced, flock'd,
    torn last lines dropped (spinelink.review.store.DecisionStore)."""

    def __init__(self, coding_dir: Path):  # noqa: D107 - the parent's fields, other files
        import threading

        self.dir = Path(coding_dir)
        self.log_path = self.dir / "decisions.jsonl"
        self.parquet_path = self.dir / "decisions.parquet"
        self._lock = threading.RLock()
        self._offset = 0
        self._order: list[str] = []
        self._decisions: dict[str, CodingDecision] = {}
        self._undone: set[str] = set()
        self.refresh()

    def _apply(self, ev: dict) -> None:
        if ev.get("event") == "undo":
            self._undone.add(ev["undoes"])
            return
        d = CodingDecision(**{k: ev[k] for k in CodingDecision.__dataclass_fields__
                              if k in ev})
        if d.decision_id not in self._decisions:
            self._decisions[d.decision_id] = d
            self._order.append(d.decision_id)

    def current(self, round_: str | None = None) -> dict[Key, CodingDecision]:
        """The latest effective decision per answer."""
        return {d.key: d for d in self.effective()}

    def add(self, reviewer: str, source: str, record_id: str, variable: str, code: str,
            kind: str, proposed: str = "", note: str = "",
            origin: str = "page") -> CodingDecision:
        import uuid

        return self.add_many([CodingDecision(uuid.uuid4().hex, reviewer, now(), source,
                                             record_id, variable, code, kind, proposed,
                                             note, origin)])[0]

    def add_many(self, decisions: list) -> list:
        for d in decisions:
            if d.kind not in KINDS or not d.reviewer or not d.code:
                raise ValueError("invalid coding decision")
        with self._appending() as append:
            append([{"event": "decision", **asdict(d)} for d in decisions
                    if d.decision_id not in self._decisions])
        return decisions

    def materialise(self) -> Path:
        with self._lock:
            frame = pd.DataFrame([asdict(d) for d in self.current().values()],
                                 columns=STORE_COLUMNS).astype(str)
            with atomic.atomic_path(self.parquet_path) as tmp:
                frame[STORE_COLUMNS].to_parquet(tmp, index=False)
            return self.parquet_path


def store_for(out: Path) -> CodingStore:
    return CodingStore(Path(out) / "coding")


def check_code(classification: str, code: str) -> bool:
    c = cls.load(classification)
    return code in c.levels or code in (cls.NOT_STATED, cls.VAGUE)


def known_code(classification: str, code: str) -> str | None:
    """The classification's code a person wrote, in the classification's own case (a coder
    types pol for POL, UKR for ukr, ns for NS: the codes differ in more than case), else
    None."""
    if check_code(classification, code):
        return code
    c = cls.load(classification)
    same = [k for k in [*c.levels, cls.NOT_STATED, cls.VAGUE] if k.casefold() == code.casefold()]
    return same[0] if len(same) == 1 else None


COLUMNS = ("source", "record_id", "variable", "code")  # of a decisions CSV


def read_csv(path: Path, kind: str | None, origin: str, classifications: dict[str, dict],
             reviewer: str = "", error: type[SpinelinkError] = JobError,
             answers: set[Key] | None = None) -> list[CodingDecision]:
    """Decisions from a CSV a person filled in: columns source, record_id, variable, code
    (and optionally reviewer, time, kind). `classifications`: source -> variable ->
    classification name; `answers`: the answers the run has, when the decisions must name
    one of them. The whole file is checked first: every row naming no source known here,
    a variable the source does not code, a code outside its classification, an answer the
    run does not have, or a second decision for one answer is reported at once with file,
    row and field (never the value: spinelink.filled_in), as `error` (a job's file: a job
    problem; `spinelink coding apply`: clerical work), and nothing is returned. Rows with
    an empty code are skipped (answers left open)."""
    out, problems = checked_csv(path, kind, origin, classifications, reviewer, error,
                                answers)
    if problems:
        raise error(filled_in.listed(path, problems, "nothing was imported" if origin != "job"
                                     else "no decision of the file was applied"))
    return out


def checked_csv(path: Path, kind: str | None, origin: str, classifications: dict[str, dict],
                reviewer: str = "", error: type[SpinelinkError] = JobError,
                answers: set[Key] | None = None) -> tuple[list[CodingDecision], list[str]]:
    """`read_csv`'s decisions and every problem of its rows (one line each, naming file,
    row and field), not raised: the job load lists them with the job's other problems. A
    file that cannot be read at all (missing, not UTF-8, no CSV, a column missing) raises
    `error`."""
    rows, lines = filled_in.read_rows(Path(path), COLUMNS, error)
    seen: dict[Key, int] = {}
    problems: list[str] = []
    out = []
    for line, r in zip(lines, rows, strict=True):  # the line a row starts on, header 1
        extra = filled_in.extra_cells(path, line, r)
        if extra:
            problems.append(extra)
            continue
        r = {k: (v or "").strip() for k, v in r.items()}
        code = r["code"]
        if not code:
            continue
        found: list[str] = []

        def bad(field: str, problem: str, line=line, found=found) -> None:
            found.append(f"{path}: row {line}, field '{field}': {problem}")

        source, rid, var = r["source"], r["record_id"], r["variable"]
        if not rid:
            bad("record_id", "is empty")
        if source not in classifications:
            if origin == "job":  # a job file's CSV may hold other runs' sources
                continue
            bad("source", "not a coded source of this run")
        elif (name := classifications[source].get(var)) is None:
            bad("variable", f"not a coded variable of source {source}")
        elif (known := known_code(name, code)) is None:
            bad("code", f"not a code of the {name} classification")
        else:
            code = known
        task = r.get("task") or ""  # the column `spinelink coding` exports
        k = kind or r.get("kind") or (
            ("clerical" if task == "clerical" else "verify") if task else "")
        if k and k not in KINDS:
            bad("kind", "clerical or verify")
        key = (source, rid, var)
        if not found and answers is not None and key not in answers:
            found.append(f"{path}: row {line}, fields 'source', 'record_id', 'variable': "
                         f"answer {rid} / {var} of source '{source}' is not one this run "
                         "has")
        if found:
            problems += found
            continue
        if key in seen:
            problems.append(f"{path}: rows {seen[key]} and {line}: two decisions for answer "
                            f"{rid} / {var} of source '{source}'")
            continue
        seen[key] = line
        who = r.get("reviewer") or reviewer or "job file"
        ident = hashlib.sha256("\0".join([origin, str(Path(path).name), *key, code, who,
                                          r.get("time") or ""]).encode()).hexdigest()
        out.append(CodingDecision(ident[:32], who, r.get("time") or "",
                                  *key, code, k, "", "", origin))
    return out, problems


def apply(table: pd.DataFrame, decisions: list[CodingDecision], source: str,
          variables: dict[str, dict]) -> tuple[pd.DataFrame, dict]:
    """Apply decisions (later ones win) to a coding table as the coder wrote it.
    `variables`: variable -> {"classification", "derive_from"}. Returns the table with
    the trace columns and the counts."""
    t = table.copy().reset_index(drop=True)
    t["original_code"], t["original_status"] = t["code"], t["status"]
    for c in ("decided_by", "decided_at", "decided_via"):
        t[c] = None
    where = {(r, v): i for i, (r, v) in enumerate(zip(t["record_id"], t["variable"],
                                                      strict=True))}
    final: dict[str, dict[tuple[str, str], CodingDecision]] = {"clerical": {}, "verify": {}}
    ignored = 0
    for d in decisions:
        i = where.get((d.record_id, d.variable)) if d.source == source else None
        if i is None or (d.kind == "clerical" and t.at[i, "original_status"] != "clerical"):
            ignored += d.source == source
            continue
        final[d.kind][(d.record_id, d.variable)] = d
    counts = {"clerical": 0, "confirmed": 0, "corrected": 0, "rederived": 0,
              "ignored": int(ignored)}
    for kind in ("clerical", "verify"):  # a clerical code, then its verification
        for (rid, var), d in final[kind].items():
            i = where[(rid, var)]
            if kind == "clerical":
                counts["clerical"] += 1
            else:
                counts["corrected" if d.code != t.at[i, "code"] else "confirmed"] += 1
            level = cls.load(variables[var]["classification"]).level(d.code)
            t.loc[i, ["code", "level", "status", "decided_by", "decided_at",
                      "decided_via"]] = [d.code, level,
                                         "clerical" if kind == "clerical" else "verified",
                                         d.reviewer, d.time or None, d.origin]
    final = {**final["clerical"], **final["verify"]}
    counts["rederived"] = _rederive(t, final, variables, where)
    return t, counts


def _rederive(t: pd.DataFrame, final: dict, variables: dict, where: dict) -> int:
    """A derived activity follows its occupation's corrected code."""
    from spinelink.coding.coder import Coded, Coder
    from spinelink.coding.derive import derive

    n = 0
    for var, spec in variables.items():
        occ = spec.get("derive_from")
        if not occ:
            continue
        for (rid, v), d in list(final.items()):
            if v != occ or (rid, var) in final or (rid, var) not in where:
                continue
            i, j = where[(rid, var)], where[(rid, occ)]
            if t.at[i, "original_status"] != "derived" or t.at[j, "code"] == t.at[
                    j, "original_code"]:
                continue
            text, occ_code = t.at[i, "text"], t.at[j, "code"]
            tuning = {k: spec[k] for k in ("threshold", "margin") if spec.get(k)}
            coder_said = Coder(cls.load(spec["classification"]), **tuning).code(
                None if pd.isna(text) else text)
            got = derive(coder_said, Coded(occ_code, None, "verified", None),
                         spec["classification"], variables[occ]["classification"], occ)
            t.loc[i, ["code", "level", "status", "note", "decided_by", "decided_at",
                      "decided_via"]] = [got.code, got.level, got.status, got.note,
                                         f"derived from {occ} ({d.reviewer})",
                                         d.time or None, d.origin]
            n += 1
    return n


def restore(table: pd.DataFrame, source: str,
            variables: dict) -> tuple[pd.DataFrame, list[CodingDecision]]:
    """A coding table as the coder wrote it, and the job-file decisions applied to it
    (so `spinelink coding apply` can apply the store's decisions again from scratch)."""
    t = table.copy()
    if "note" not in t.columns:  # a run coded before derivation notes were written
        t["note"] = None
    job = t[(t["decided_via"] == "job") & (t["status"] != "derived")]
    kept = [CodingDecision(f"job-{i}", r.decided_by, r.decided_at or "", source,
                           r.record_id, r.variable, r.code,
                           "clerical" if r.original_status == "clerical" else "verify",
                           origin="job")
            for i, r in enumerate(job.itertuples())]
    t["code"], t["status"] = t["original_code"], t["original_status"]
    t["level"] = [None if code is None else cls.load(variables[v]["classification"]).level(code)
                  for code, v in zip(t["code"], t["variable"], strict=True)]
    return t[[c for c in t.columns if c not in TRACE_COLUMNS]], kept
