"""The leave-partner-out sample of an incremental run: scores carried from the previous run.

Every run keeps what its null sample scored (spinelink.quality.nullcal), under
`quality/null/`: `<source>_pairs.parquet` (`reference_id`, `source_id`, `bf`: every pair
prediction returned for a sampled record, partner pairs included, before the pair floor),
`<source>_records.parquet` (`record_id`, `key`: a hash of the record's blanked row as
scored, its capped blocking keys included, and of its deterministic partners) and
`<source>.json` (what the scores depend on: the model, the standardised reference file,
the pool's size and the prior that cut pairs (1 / the larger of sample and pool), seed,
one-to-one, package versions).

A run `--since` that linked the source incrementally (the previous run's model) draws its
sample as any run does (the same seeded hash of the record id, so the sample is mostly the
previous one's), and scores anew only the sampled records whose key is not among the
previous run's: new records, changed ones, those with another partner or another blanking
draw. The others keep their previous scores. When the conditions differ (another model or
reference, another pool or prior), nothing is carried. The scores a record keeps are
what a fresh scoring gives but for term frequencies, which count both sides' records and
so move with the delivery (the same approximation as the links an incremental run keeps).
The quality summary says for each source how its null sample was made (`basis`).
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from spinelink import atomic, manifest
from spinelink.backends import Engine

log = logging.getLogger("spinelink.quality")
DIR = Path("quality") / "null"
PAIR_COLUMNS = ["reference_id", "source_id", "bf"]


@dataclass
class Carry:
    """Where a run keeps its null scores and, for an incremental run, the previous run's."""
    out: Path
    source: str
    reference: str
    previous: Path | None = None  # run --since with the source linked incrementally

    def conditions(self, model: dict, seed: int, n_pool: int, lam0: float,
                   one_to_one: bool) -> dict:
        ref = self.out / "standardised" / f"{self.reference}.parquet"
        return {"model_sha256": hashlib.sha256(json.dumps(model, sort_keys=True).encode())
                .hexdigest(), "reference_sha256": manifest.file_hash(ref), "seed": int(seed),
                "pool": int(n_pool), "prior": float(lam0),  # (the sample's size: in lam0)
                "one_to_one": bool(one_to_one), "versions": manifest.versions()}

    def carried(self, cond: dict, keys: pd.Series) -> tuple[pd.DataFrame, set, str]:
        """The previous run's pairs of the sampled records whose key it had too, their ids,
        and why nothing was carried (or '')."""
        none = pd.DataFrame(columns=PAIR_COLUMNS)
        if self.previous is None:
            return none, set(), "not an incremental run"
        base = self.previous / DIR
        try:
            old_cond = json.loads((base / f"{self.source}.json").read_text(encoding="utf-8"))
            old_keys = pd.read_parquet(base / f"{self.source}_records.parquet")
            pairs = pd.read_parquet(base / f"{self.source}_pairs.parquet")
        except (OSError, ValueError):
            return none, set(), "the previous run kept no null sample"
        differ = sorted(k for k in cond if old_cond.get(k) != cond[k])
        if differ:
            return none, set(), f"{', '.join(differ)} changed"
        old = old_keys.astype(str).set_index("record_id")["key"]
        common = keys.index.intersection(old.index)
        ids = set(common[keys.reindex(common).to_numpy() == old.reindex(common).to_numpy()])
        return pairs[pairs["source_id"].isin(ids)], ids, ""

    def keep_previous(self) -> None:
        """This run scored no sample (its fit and sample carried, quality.fitcarry): the
        previous run's scores, as they are, for the next run to carry (none if it had
        none)."""
        names = [f"{self.source}{s}" for s in ("_records.parquet", "_pairs.parquet", ".json")]
        base = self.out / DIR
        have = self.previous is not None and all(
            (self.previous / DIR / n).is_file() for n in names)
        for n in names:
            (base / n).unlink(missing_ok=True)
        if have:
            atomic.ensure_dir(base)
            for n in names:  # the json last: it is what says the others are there
                atomic.copy_file(self.previous / DIR / n, base / n)

    def save(self, engine: Engine, cond: dict, keys: pd.Series, pairs: pd.DataFrame) -> None:
        base = self.out / DIR
        for suffix, frame, order in (
                ("_records", pd.DataFrame({"record_id": keys.index.astype(str),
                                           "key": keys.to_numpy().astype(str)}),
                 "record_id"),
                ("_pairs", pairs[PAIR_COLUMNS], "source_id, reference_id")):
            engine.register("__sl_q_null_keep", frame)
            engine.write_parquet(f"SELECT * FROM __sl_q_null_keep ORDER BY {order}",
                                 base / f"{self.source}{suffix}.parquet")
        atomic.write_text(base / f"{self.source}.json",
                          json.dumps(cond, indent=1, sort_keys=True) + "\n")


def record_keys(engine: Engine, table: str, det: pd.DataFrame) -> pd.Series:
    """record_id -> hash of the record's row in `table` (as scored) and its partners."""
    rows = engine.row_hashes(table)
    ids, h = rows["record_id"], rows["h"]
    d = det[["source_id", "reference_id"]].astype(str)
    d = d[d["source_id"].isin(set(ids))].sort_values(["source_id", "reference_id"])
    many = d["source_id"].duplicated(keep=False).to_numpy()  # most have one partner
    partners = pd.concat([d[~many].set_index("source_id")["reference_id"],
                          d[many].groupby("source_id")["reference_id"].agg(";".join)])
    key = h.to_numpy() + "|" + partners.reindex(ids).fillna("").to_numpy()
    return pd.Series(key, index=ids.to_numpy())
