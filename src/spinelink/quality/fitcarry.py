"""The label-free estimate of an incremental run: what is fitted over the whole state,
carried from the run that fitted it.

A full estimate (`labelfree.estimate`) fits the matches no blocking rule compared
(capture-recapture over the rules, refitted within subgroup values) and bootstraps the
intervals: work over every pair and record, most of an incremental run's time. Every run
keeps, under `quality/fit/`, per source `<source>.parquet` (`variable`, `value`,
`never_compared`, `caught`: the expected matches blocking caught, the links found and the
matches missed among candidates; `precision_below`, `precision_above`, `recall_below`,
`recall_above`: how far the 95% interval reaches from each point estimate) and
`<source>.json` (the conditions the fit depends on, the run that made it, its residual
records and links; `fitted_in` null for the run's own fit, else the folder of the run
that made it) and `<source>_null.parquet` (the fit's leave-partner-out sample,
spinelink.quality.nullcal: `kind` null or partner, `record`, `bf`: each null pair's Bayes
factor by sampled record, and each scored partner's).

A run `--since` that linked the source incrementally (the previous run's model), under the
same conditions, with the residual records and the links each within
`quality.carry_within` (default CARRY_WITHIN) of the fit's, does not refit: it recomputes
every sum over records (links, posteriors, expected false links, matches missed among
candidates, link rates, coverage) and takes from the fit
- each subgroup value's never-compared matches, scaled by its caught matches now over
  then (a caught match stands for as many never-compared ones as in the fit:
  Horvitz-Thompson with the fit's catch chances);
- the intervals' reach below and above the point estimate;
- the leave-partner-out sample, re-weighted at this run's prior: its null check and its
  partner checks are the fit run's sample's (same model, same reference; under the
  default calibration `model` the sample is a check, not the estimate), and nothing is
  scored (the sample's per-record scores, `quality/null/`, are copied for the next run).
A value the fit lacks gets its variable's never-compared ratio and widest reach. The
carried files name the run that fitted them, so a chain of incremental runs scales from
one fit, and the summary says for each source which it was (`estimate`). Anything else
refits in full and says why.

What this leaves out: the agreement patterns of the delivery's new and changed records
are not learnt. Where they are missed by blocking more often than the fit's records (the
movers of a delivery), a refit finds more never-compared matches than the scaled figure:
on the generator at 1M persons, two deliveries (residual records +19%) after the fit, 567
carried against 1,199 refitted, estimated recall 0.0008 higher (benchmarks/RESULTS.md,
"Session 18").
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from spinelink import atomic, manifest

DIR = Path("quality") / "fit"
CARRY_WITHIN = 0.25  # default of quality.carry_within: moved by more than this, refit
REACH = ["precision_below", "precision_above", "recall_below", "recall_above"]
COLUMNS = ["variable", "value", "never_compared", "caught", *REACH]
NULL_COLUMNS = ["kind", "record", "bf"]


@dataclass
class Fitted:
    """A fit to carry: its table (indexed by variable, value), what it says of itself and
    its leave-partner-out sample (NULL_COLUMNS; None when it had none)."""
    table: pd.DataFrame
    meta: dict
    null: pd.DataFrame | None = None
    files: dict[str, bytes] | None = None  # the files read, as read (`FitCarry.keep`)

    def null_sample(self, prior: float):
        """The fit's leave-partner-out sample, its weights at `prior` (this run's)."""
        from spinelink.quality.nullcal import NullSample

        m = self.meta.get("null")
        if not m or self.null is None:
            return None
        shift = math.log2(prior / (1 - prior))
        kind = self.null["kind"].astype(str).to_numpy()
        bf = self.null["bf"].to_numpy(float)
        n = int(m["records"])
        return NullSample(n, self.null["record"].to_numpy(np.int64)[kind == "null"],
                          bf[kind == "null"] + shift, bf[kind == "partner"] + shift,
                          float("nan") if m["partner_scored"] is None
                          else float(m["partner_scored"]), int(m["rival_above"]),
                          {"records": n, "scored_now": 0, "carried": n, "with_fit": True,
                           "carried_from": self.meta.get("fitted_in")})

    def never_compared(self, variable: str, values: list, caught: np.ndarray) -> np.ndarray:
        """Per value: the fit's never-compared matches times caught now over then."""
        t = self._of(variable)
        ratio = float(t["never_compared"].sum() / t["caught"].sum()) \
            if len(t) and t["caught"].sum() > 0 else 0.0
        per = t["never_compared"] / t["caught"].where(t["caught"] > 0)
        r = per.reindex(_index(values)).fillna(ratio).to_numpy(float)
        return np.asarray(caught, float) * r

    def reach(self, variable: str, values: list) -> pd.DataFrame:
        """Per value: the interval's reach below and above (the variable's widest for a
        value the fit lacks)."""
        t = self._of(variable)
        widest = t[REACH].max() if len(t) else pd.Series(0.0, index=REACH)
        return t[REACH].reindex(_index(values)).fillna(widest).fillna(0.0)

    def _of(self, variable: str) -> pd.DataFrame:
        t = self.table[self.table["variable"] == variable]
        return t.set_index(t["value"].astype(str).astype(object))


def _index(values) -> pd.Index:
    """Subgroup values as the carry table keeps them (text)."""
    return pd.Index([str(v) for v in values], dtype=object)


@dataclass
class FitCarry:
    """Where a run keeps its fit and, for an incremental run, the previous run's."""
    out: Path
    source: str
    reference: str
    previous: Path | None = None  # run --since with the source linked incrementally

    def conditions(self, model: dict, calibration: str, n_boot: int, seed: int,
                   variables: list[str], one_to_one: bool, household: bool) -> dict:
        ref = self.out / "standardised" / f"{self.reference}.parquet"
        return {"model_sha256": hashlib.sha256(json.dumps(model, sort_keys=True).encode())
                .hexdigest(), "reference_sha256": manifest.file_hash(ref),
                "calibration": calibration, "bootstrap": int(n_boot), "seed": int(seed),
                "variables": sorted(variables), "one_to_one": bool(one_to_one),
                "household": bool(household), "versions": manifest.versions()}

    def carried(self, cond: dict, residual: int, links: int,
                within: float = CARRY_WITHIN) -> tuple[Fitted | None, str]:
        """The previous run's fit when it can be carried, else None and why not."""
        if self.previous is None:
            return None, "not an incremental run"
        if within <= 0:
            return None, "quality.carry_within is 0"
        if cond["calibration"] != "model":
            return None, "quality.calibration null refits its calibration every run"
        base = self.previous / DIR
        try:
            meta = json.loads((base / f"{self.source}.json").read_text(encoding="utf-8"))
            files = {f"{self.source}.parquet": (base / f"{self.source}.parquet").read_bytes()}
            if meta.get("null"):
                files[f"{self.source}_null.parquet"] = (
                    base / f"{self.source}_null.parquet").read_bytes()
            table = pd.read_parquet(io.BytesIO(files[f"{self.source}.parquet"]))
            null = pd.read_parquet(io.BytesIO(files[f"{self.source}_null.parquet"])) \
                if meta.get("null") else None
        except (OSError, ValueError):
            return None, "the previous run kept no fit"
        differ = sorted(k for k in cond if meta.get("conditions", {}).get(k) != cond[k])
        if differ:
            return None, f"{', '.join(differ)} changed"
        for what, now in (("residual_records", residual), ("links", links)):
            then = int(meta.get(what) or 0)
            if then <= 0 or abs(now / then - 1) > within:
                return None, (f"{what.replace('_', ' ')} moved by more than "
                              f"{within:.0%} since the fit")
        # a run's own fit names no folder (outputs do not depend on where they are written)
        meta["fitted_in"] = meta.get("fitted_in") or str(self.previous.resolve())
        return Fitted(table, meta, null, files), ""

    def save(self, cond: dict, est, residual: int, links: int, null=None,
             prior: float | None = None) -> None:
        """Keeps this run's own fit (`est`: a full `labelfree.Estimate`) and its
        leave-partner-out sample (`null`, weights at `prior`)."""
        meta = {"conditions": cond, "fitted_in": None,  # this run: see `carried`
                "residual_records": int(residual), "links": int(links),
                "never_compared": float(est.blocked),
                "never_compared_between": [float(x) for x in est.blocked_interval],
                "null": None}
        frame = None
        if null is not None and prior:
            ps = float(null.partner_scored)
            meta["null"] = {"records": int(null.n_records), "rival_above": int(null.rival_above),
                            "partner_scored": None if math.isnan(ps) else ps}
            shift = math.log2(prior / (1 - prior))  # kept as Bayes factors: any prior
            frame = pd.DataFrame({
                "kind": ["null"] * len(null.weight) + ["partner"] * len(null.partner_weight),
                "record": np.r_[np.asarray(null.record, np.int64),
                                np.full(len(null.partner_weight), -1, np.int64)],
                "bf": np.r_[np.asarray(null.weight, float),
                            np.asarray(null.partner_weight, float)] - shift})
        self._write(fit_table(est.rows, est.blocked_by)[COLUMNS], meta, frame)

    def keep(self, fitted: Fitted) -> None:
        """Keeps the carried fit as it was (the next run scales from the same fit): its
        files as read, when it was read from files (writing its tables anew took longer)."""
        if fitted.files is None:
            self._write(fitted.table[COLUMNS], fitted.meta, fitted.null)
            return
        base = self.out / DIR
        atomic.ensure_dir(base)
        if f"{self.source}_null.parquet" not in fitted.files:
            (base / f"{self.source}_null.parquet").unlink(missing_ok=True)
        for name, data in fitted.files.items():
            atomic.write_bytes(base / name, data)
        self._write_meta(fitted.meta)

    def _write(self, table: pd.DataFrame, meta: dict, null: pd.DataFrame | None) -> None:
        base = self.out / DIR
        atomic.ensure_dir(base)
        with atomic.atomic_path(base / f"{self.source}.parquet") as tmp:
            table.to_parquet(tmp, index=False)
        if null is None:
            (base / f"{self.source}_null.parquet").unlink(missing_ok=True)
        else:
            with atomic.atomic_path(base / f"{self.source}_null.parquet") as tmp:
                null[NULL_COLUMNS].to_parquet(tmp, index=False)
        self._write_meta(meta)

    def _write_meta(self, meta: dict) -> None:
        atomic.write_text(self.out / DIR / f"{self.source}.json",
                          json.dumps(meta, indent=1, sort_keys=True) + "\n")


def fit_table(rows: pd.DataFrame, blocked_by: dict[str, np.ndarray]) -> pd.DataFrame:
    """The carry table of a full estimate: its rows (variable, value, point estimates,
    intervals, expected linkable) and the never-compared matches per breakdown."""
    out = rows[["variable", "value"]].astype({"value": str}).copy()
    blk = np.concatenate([np.asarray(blocked_by[v], float)
                          for v in pd.unique(rows["variable"])])
    out["never_compared"] = blk
    out["caught"] = rows["expected_linkable"].to_numpy(float) - blk
    for m in ("precision", "recall"):
        p = rows[f"est_{m}"].to_numpy(float)
        out[f"{m}_below"] = p - rows[f"est_{m}_low"].to_numpy(float)
        out[f"{m}_above"] = rows[f"est_{m}_high"].to_numpy(float) - p
    return out.reset_index(drop=True)


def clear(out: Path, source: str) -> None:
    """Drops a source's kept fit (a run that estimated nothing for it)."""
    for suffix in (".parquet", ".json", "_null.parquet"):
        (out / DIR / f"{source}{suffix}").unlink(missing_ok=True)
    if (out / DIR).exists() and not any((out / DIR).iterdir()):
        shutil.rmtree(out / DIR, ignore_errors=True)
