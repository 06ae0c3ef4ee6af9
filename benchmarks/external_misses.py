"""Where the external benchmark's missed true pairs went (issue 11).

    .venv/bin/python benchmarks/external_misses.py WORK [--only NAME[,NAME]] [--show N]

WORK is an `external.py --work` folder run with `--keep` (the default). For each pair, every
linkable source record without a correct link (the recall's misses) is put in the first
of these that holds, with counts:

- `quarantined`: the record was quarantined at intake;
- `linked wrong (key)` / `linked wrong (probabilistic)`: linked to another reference record,
  deterministically or probabilistically;
- `scored >= accept, not linked`: a true pair was scored at or above the source's accepted
  threshold but the one-link rules or `sql/finalise/` left it out;
- `scored < accept, in review` / `scored < accept`: the best true pair was scored below the
  threshold, with or without the record in the review band;
- `compared, dropped`: a prediction blocking rule holds the true pair, but it is not among
  the scored pairs (left out by `spinelink.evidence`, or below the pair floor);
- `never compared`: no prediction blocking rule holds any true pair of the record.

The blocking check reads the prediction rules from the saved model and recomputes the
frequency-capped keys (`max_block`) on the standardised reference, as
`spinelink.capped_keys.add_capped_keys` does. For each category, the fields that agree,
differ or are missing on the record's first true pair are counted (`fn` first name, `ln`
surname, `dob`, `sex`, `mi` middle initial, `pc` postcode, `ad` address; `-` missing on a
side, `.` different). `--show N` prints N record ids per category (ids only).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb
import pandas as pd
import yaml

HERE = Path(__file__).resolve().parent
AUTO_SPEC = HERE.parent / "linkage_models" / "person_auto.yaml"
ORDER = ("quarantined", "linked wrong (key)", "linked wrong (probabilistic)",
         "scored >= accept, not linked", "scored < accept, in review", "scored < accept",
         "compared, dropped", "never compared")
FIELDS = {"fn": ("first_name", "l.first_name = r.first_name"),
          "ln": ("last_name", "l.last_name = r.last_name"),
          "dob": ("dob_iso", "l.dob_iso = r.dob_iso"),
          "sex": ("sex", "l.sex = r.sex"),
          "mi": ("middle_name", "substr(l.middle_name, 1, 1) = substr(r.middle_name, 1, 1)"),
          "pc": ("postcode", "l.postcode = r.postcode"),
          "ad": ("address", "l.address = r.address")}


def _accept(manifest: dict, source: str) -> float:
    pr = manifest["links"][source]["probabilistic"]
    return float(pr["thresholds"]["accept"])


def _capped_keys(con, spec: dict, columns: set[str]) -> None:
    """blk_capped_<i> on tables r and s, as add_capped_keys makes them."""
    for i, rule in enumerate(spec["blocking"]):
        if not (isinstance(rule, dict) and "columns" in rule):
            continue
        cols = rule["columns"]
        if not set(cols) <= columns:
            continue
        key = "concat_ws('|', " + ", ".join(f"CAST(t.{c} AS VARCHAR)" for c in cols) + ")"
        present = " AND ".join(f"t.{c} IS NOT NULL" for c in cols)
        con.execute(f"CREATE OR REPLACE TABLE c{i} AS SELECT {key} AS k, count(*) AS n "
                    f"FROM r t WHERE {present} GROUP BY 1")
        for t in ("r", "s"):
            con.execute(f"""CREATE OR REPLACE TABLE {t} AS SELECT t.*,
                CASE WHEN c.n <= {int(rule['max_block'])} THEN c.k END AS blk_capped_{i}
                FROM {t} t LEFT JOIN c{i} c ON c.k = {key}""")


def held_by_rules(con, model_path: Path, table: str) -> set[tuple[str, str]]:
    """(source_id, reference_id) of `table`'s pairs that a prediction blocking rule of the
    saved model holds (capped keys recomputed; `r`, `s`: the standardised tables)."""
    if not model_path.exists() or not con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]:
        return set()
    model = json.loads(model_path.read_text())
    rules = [b["blocking_rule"] for b in model["blocking_rules_to_generate_predictions"]]
    if not any(c.startswith("blk_capped_")
               for c in con.execute("SELECT * FROM s LIMIT 0").df().columns):
        cols = set(con.execute("SELECT * FROM s LIMIT 0").df().columns)
        _capped_keys(con, yaml.safe_load(AUTO_SPEC.read_text()), cols)
    cond = " OR ".join(f"coalesce(({r}), false)" for r in rules) or "false"
    return set(con.execute(f"""SELECT t.source_id, t.reference_id FROM {table} t
        JOIN s l ON l.record_id = t.source_id JOIN r r ON r.record_id = t.reference_id
        WHERE {cond}""").fetchall())


def account(pair_dir: Path, con=None) -> dict:
    """{"linkable", "found", "accept", "missed": DataFrame(source_id, reference_id,
    category, best_p, pattern)} for one pair folder of external.py."""
    out = pair_dir / "spinelink_out"
    job = yaml.safe_load((pair_dir / "job.yaml").read_text())
    ref = job["reference"]
    src = next(k for k in job["sources"] if k != ref)
    tref = pd.read_csv(pair_dir / "truth" / "reference.csv", dtype=str)
    tsrc = pd.read_csv(pair_dir / "truth" / "source.csv", dtype=str)
    links = pd.read_parquet(out / "links" / f"{src}.parquet")
    manifest = json.loads((out / "run_manifest.json").read_text())
    model_path = out / "models" / f"{src}.json"
    con = con or duckdb.connect()
    for name, frame in {"tref": tref, "tsrc": tsrc, "links": links}.items():
        con.register(name, frame)
    con.execute(f"CREATE TABLE r AS SELECT * FROM '{out}/standardised/{ref}.parquet'")
    con.execute(f"CREATE TABLE s AS SELECT * FROM '{out}/standardised/{src}.parquet'")
    for name in ("pairs", "review"):
        f = out / name / f"{src}.parquet"
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM '{f}'" if f.exists() else
                    f"CREATE TABLE {name} (reference_id VARCHAR, source_id VARCHAR, "
                    "match_probability DOUBLE)")
    q = out / "quarantine" / f"{src}.parquet"
    con.execute(f"CREATE TABLE quar AS SELECT record_id FROM '{q}'" if q.exists() else
                "CREATE TABLE quar (record_id VARCHAR)")
    # true pairs of the linkable source records, and those records found
    con.execute("""CREATE TABLE tp AS SELECT a.record_id AS source_id, b.record_id AS reference_id
        FROM tsrc a JOIN tref b USING (person_uid)""")
    found = {x for (x,) in con.execute("""SELECT DISTINCT k.source_id FROM links k
        JOIN tp ON tp.source_id = k.source_id AND tp.reference_id = k.reference_id""").fetchall()}
    linkable = con.execute("SELECT count(DISTINCT source_id) FROM tp").fetchone()[0]
    accept = _accept(manifest, src) if model_path.exists() else float("nan")
    con.execute("CREATE TABLE mt AS SELECT * FROM tp WHERE source_id NOT IN "
                "(SELECT source_id FROM links k JOIN tp USING (source_id, reference_id))")
    blocked = {s for s, _ in held_by_rules(con, model_path, "mt")}
    cols = set(con.execute("SELECT * FROM s LIMIT 0").df().columns) & \
        set(con.execute("SELECT * FROM r LIMIT 0").df().columns)
    pattern = []
    for tag, (col, agree) in FIELDS.items():
        if col in cols:
            pattern.append(f"CASE WHEN l.{col} IS NULL OR r.{col} IS NULL THEN '-' "
                           f"WHEN {agree} THEN '{tag}' ELSE '.' END")
    pat = "concat_ws(' ', " + ", ".join(pattern) + ")" if pattern else "''"
    rows = con.execute(f"""
        SELECT mt.source_id, min(mt.reference_id) AS reference_id,
               max(p.match_probability) AS best_p,
               bool_or(mt.source_id IN (SELECT record_id FROM quar)) AS quarantined,
               any_value(k.method) AS wrong_method,
               bool_or(mt.source_id IN (SELECT source_id FROM review)) AS in_review,
               arg_min({pat}, mt.reference_id) AS pattern
        FROM mt
        LEFT JOIN pairs p ON p.source_id = mt.source_id AND p.reference_id = mt.reference_id
        LEFT JOIN links k ON k.source_id = mt.source_id
        LEFT JOIN s l ON l.record_id = mt.source_id LEFT JOIN r r ON r.record_id = mt.reference_id
        GROUP BY mt.source_id""").df()

    def category(x) -> str:
        if x.quarantined:
            return ORDER[0]
        if isinstance(x.wrong_method, str):
            return ORDER[1] if x.wrong_method.startswith("key") else ORDER[2]
        if pd.notna(x.best_p):
            if x.best_p >= accept:
                return ORDER[3]
            return ORDER[4] if x.in_review else ORDER[5]
        return ORDER[6] if x.source_id in blocked else ORDER[7]

    rows["category"] = [category(x) for x in rows.itertuples()]
    return {"linkable": int(linkable), "found": len(found), "accept": accept,
            "missed": rows[["source_id", "reference_id", "category", "best_p", "pattern"]]}


def report(name: str, acc: dict, show: int = 0, patterns: int = 5) -> str:
    m = acc["missed"]
    lines = [f"{name}: linkable {acc['linkable']}, found {acc['found']}, missed {len(m)}, "
             f"accept {acc['accept']:.4f}"]
    for cat in ORDER:
        sub = m[m["category"] == cat]
        if not len(sub):
            continue
        lines.append(f"  {len(sub):6d}  {cat}")
        for pat, n in sub["pattern"].value_counts().head(patterns).items():
            lines.append(f"          {n:5d}  {pat}")
        if show:
            lines.append("          e.g. " + ", ".join(sub["source_id"].head(show)))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("work", type=Path)
    ap.add_argument("--only", help="comma-separated pair names")
    ap.add_argument("--show", type=int, default=0, help="record ids shown per category")
    a = ap.parse_args(argv)
    for d in pair_dirs(a.work, a.only):
        print(report(d.name, account(d), a.show), flush=True)
    return 0


def pair_dirs(work: Path, only: str | None) -> list[Path]:
    """The pairs' folders of an `external.py --work` folder that kept spinelink's links,
    by name; `only`: comma-separated names."""
    wanted = {w.strip() for w in (only or "").split(",") if w.strip()}
    return [d for d in sorted(p for p in work.iterdir() if (p / "spinelink_out" / "links").is_dir())
            if not wanted or d.name in wanted]


if __name__ == "__main__":
    sys.exit(main())
