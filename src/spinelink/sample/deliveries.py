"""A sequence of monthly deliveries of the benefits source against one census spine, with
truth, for the catalogue and incremental linkage (issue 17).

`generate_deliveries(persons, seed, out_dir, n=3, degraded=3)` runs `generate` (census,
benefits, survey, truth), then cuts the benefits file into `n` deliveries under
`out_dir/deliveries/<k>/`:

- delivery 1 (`replaces`): every claim except those held back as later new claims;
- an even delivery (`adds`): only what is new since the previous one: new claims and the
  changed versions of existing ones (same `claim_id`): moves (postcode and address of
  another claim), name changes (another claim's surname), corrections (date of birth and
  surname set to the person's true ones);
- an odd delivery after the first (`replaces`): the whole current file: everything so far
  with the same kinds of changes, new claims, and deaths (claims no longer present).

`degraded` (a delivery number, or None) blanks the date of birth, NINo, postcode and
address of every claim of that delivery whose person lives in `DEGRADED_REGION`: a
subgroup whose link rate falls, for the catalogue to flag. Each delivery folder holds
`benefits.parquet`, `truth.csv` (`record_id,person_uid` of the file's claims),
`changes.csv` (`record_id,change`: new, moved, renamed, corrected, died, degraded) and
`job.yaml` (census and benefits, outputs to `out/<k>`, the catalogue in `catalogue/`).
`deliveries.json` lists them. The same arguments give byte-identical files (every draw
from `stream(seed, ...)`).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import generate
from .people import stream

NEW_SHARE = 0.06  # of the claims, held back as new claims of each later delivery
MOVE, RENAME, CORRECT, DIE = 0.03, 0.01, 0.01, 0.01  # per later delivery, of current claims
DEGRADED_REGION = "West Midlands"
RECEIVED = ["2021-04-01", "2021-05-01", "2021-06-01", "2021-07-01", "2021-08-01",
            "2021-09-01"]
CHANGE_KINDS = ("new", "moved", "renamed", "corrected", "died", "degraded")


def mode_of(k: int) -> str:
    """Delivery k (from 1): the first and every odd one replaces, every even one adds."""
    return "replaces" if k == 1 or k % 2 else "adds"


def generate_deliveries(persons: int, seed: int, out_dir: Path, n: int = 3,
                        degraded: int | None = 3) -> list[dict]:
    """Write the sources, then `n` benefits deliveries and their jobs; returns the list
    written to `out_dir/deliveries.json`."""
    if not 1 <= n <= len(RECEIVED):
        raise ValueError(f"deliveries must be between 1 and {len(RECEIVED)}")
    out = Path(out_dir)
    generate(persons, seed, out)
    claims = pq.read_table(out / "benefits.parquet").to_pandas()
    truth = pd.read_csv(out / "truth" / "benefits.csv", dtype=str, keep_default_na=False)
    persons_t = pd.read_csv(out / "truth" / "persons.csv", dtype=str, keep_default_na=False)
    uid = dict(zip(truth["record_id"], truth["person_uid"], strict=True))
    person = persons_t.set_index("person_uid")
    rng = stream(seed, "deliveries")
    order = rng.permutation(len(claims))
    k_new = round(len(claims) * NEW_SHARE)
    held = [claims.iloc[order[i * k_new:(i + 1) * k_new]] for i in range(n - 1)]
    current = claims.drop(claims.index[order[:k_new * (n - 1)]]).sort_values("claim_id")
    listing = []
    for k in range(1, n + 1):
        changes: list[tuple[str, str]] = []
        mode = mode_of(k)
        if k == 1:
            delivered = current
        else:
            current, changed = _change(current, rng, person, uid, RECEIVED[k - 1], changes,
                                       die=mode == "replaces")
            new = held[k - 2].assign(updated_on=RECEIVED[k - 1])
            changes += [(c, "new") for c in new["claim_id"]]
            current = pd.concat([current, new]).sort_values("claim_id")
            delivered = current if mode == "replaces" else pd.concat(
                [changed, new]).sort_values("claim_id")
        if degraded == k:
            delivered = _degrade(delivered, person, uid, changes)
        listing.append(_write(out, k, mode, delivered.reset_index(drop=True), uid, changes,
                              seed))
    (out / "deliveries.json").write_text(json.dumps(listing, indent=1) + "\n",
                                         encoding="utf-8")
    return listing


def _change(current: pd.DataFrame, rng, person: pd.DataFrame, uid: dict, received: str,
            changes: list, die: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Moves, name changes, corrections (and deaths) among the current claims; returns the
    new current file and the changed claims."""
    cur = current.reset_index(drop=True).copy()
    n = len(cur)
    pick = rng.permutation(n)
    sizes = [round(n * s) for s in (MOVE, RENAME, CORRECT, DIE if die else 0.0)]
    bounds = np.cumsum([0, *sizes])
    moved, renamed, corrected, died = (pick[bounds[i]:bounds[i + 1]] for i in range(4))
    donors = rng.integers(0, n, n)
    for col in ("post_code", "address"):
        cur.loc[moved, col] = cur[col].to_numpy()[donors[moved]]
    cur.loc[renamed, "last_name"] = cur["last_name"].to_numpy()[donors[renamed]]
    for i in corrected:
        p = person.loc[uid[cur.at[i, "claim_id"]]]
        cur.at[i, "birth_date"] = p["dob"] or None
        cur.at[i, "last_name"] = p["surname"] or None
    touched = np.sort(np.concatenate([moved, renamed, corrected]))
    cur.loc[touched, "updated_on"] = received
    for kind, rows in (("moved", moved), ("renamed", renamed), ("corrected", corrected),
                       ("died", died)):
        changes += [(c, kind) for c in cur.loc[np.sort(rows), "claim_id"]]
    changed = cur.loc[touched]
    return cur.drop(index=died), changed


def _degrade(frame: pd.DataFrame, person: pd.DataFrame, uid: dict, changes: list):
    frame = frame.copy()
    region = person["region"].reindex([uid[c] for c in frame["claim_id"]]).to_numpy()
    hit = region == DEGRADED_REGION
    frame.loc[hit, ["birth_date", "nino", "post_code", "address"]] = None
    changes += [(c, "degraded") for c in frame.loc[hit, "claim_id"]]
    return frame


def _write(out: Path, k: int, mode: str, frame: pd.DataFrame, uid: dict, changes: list,
           seed: int) -> dict:
    folder = out / "deliveries" / str(k)
    folder.mkdir(parents=True, exist_ok=True)
    # from_pandas: a missing value is null whether it is None (pandas 2's object columns)
    # or NaN (pandas 3's string columns)
    table = pa.table({c: pa.array(frame[c].tolist(), type=pa.string(), from_pandas=True)
                      for c in frame})
    pq.write_table(table, folder / "benefits.parquet", compression="zstd")
    pd.DataFrame({"record_id": frame["claim_id"],
                  "person_uid": [uid[c] for c in frame["claim_id"]]}).to_csv(
        folder / "truth.csv", index=False)
    ch = pd.DataFrame(sorted(changes), columns=["record_id", "change"])
    ch.to_csv(folder / "changes.csv", index=False)
    (folder / "job.yaml").write_text(delivery_job(k, mode, seed), encoding="utf-8")
    counts = ch["change"].value_counts()
    return {"delivery": k, "mode": mode, "received": RECEIVED[k - 1],
            "path": f"deliveries/{k}/benefits.parquet", "job": f"deliveries/{k}/job.yaml",
            "rows": len(frame), **{c: int(counts.get(c, 0)) for c in CHANGE_KINDS}}


def delivery_job(k: int, mode: str, seed: int) -> str:
    """The job linking delivery k to the census (paths relative to its folder)."""
    return DELIVERY_JOB.format(k=k, mode=mode, received=RECEIVED[k - 1], seed=seed)


DELIVERY_JOB = """\
# Written by spinelink.sample.deliveries: benefits delivery {k} linked to the census spine.
schema_version: 1
name: benefits_delivery_{k}
output_dir: ../../out/{k}
seed: {seed}
reference: census
reference_date: 2021-03-21
sources:
  census:
    role: census
    path: ../../census.csv
    id: person_id
    date_format: "%d/%m/%Y"
    columns: {{first_name: forename, middle_name: middle, last_name: surname,
              date_of_birth: dob, sex: sex, postcode: postcode, address: address_line}}
    identifiers: {{nino: ni_number}}
    subgroups: [ethnic_group, region, disability]
  benefits:
    role: admin
    path: benefits.parquet
    id: claim_id
    date_format: "%Y-%m-%d"
    columns: {{first_name: first_name, last_name: last_name, date_of_birth: birth_date,
              sex: gender, postcode: post_code, address: address}}
    identifiers: {{nino: nino}}
links:
  benefits:
    deterministic: {{direct: [nino], match_keys: default}}
    probabilistic: {{model: auto}}
quality:
  subgroups: [sex, age_band, region]
  min_cell: 10
catalogue:
  path: ../../catalogue
  sources:
    census: {{steward: Office for National Statistics, legal_basis: Census Act 1920,
             description: "Census 2021 (synthetic)"}}
    benefits: {{steward: Department for Work and Pensions, agreement: DSA-2021-017,
               legal_basis: "Digital Economy Act 2017, s.64",
               description: "Benefit claims: monthly extract (synthetic)"}}
  delivery: {{source: benefits, number: {k}, mode: {mode}, received: {received}}}
"""
