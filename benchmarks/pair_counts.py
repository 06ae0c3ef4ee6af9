"""Pairs each prediction blocking rule of the `auto` model generates, from a run's outputs.

    python benchmarks/pair_counts.py OUT SOURCE [--reference NAME] [--json PATH]

Reads OUT/standardised/<reference>.parquet and <SOURCE>.parquet and OUT/links/<SOURCE>.parquet,
takes the residual (source records without a deterministic link; the probabilistic stage
scores them against the whole reference, as with `one_to_one: false`), and counts for each
rule of linkage_models/person_auto.yaml the pairs it generates (before the rules are
combined; a pair several rules generate counts once per rule) and the largest block.
Prints a table and writes OUT/pair_counts.json (or --json PATH). Used for docs/scaling.md.
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import duckdb
import yaml

ROOT = Path(__file__).resolve().parents[1]
SWAP = re.compile(r"^\s*l\.(\w+)\s*=\s*r\.(\w+)\s*$")


def _rules(spec: dict) -> list[dict]:
    out = []
    for r in spec["blocking"]:
        if isinstance(r, list):
            out.append({"name": "+".join(r), "ref": r, "src": r, "cap": None})
        elif "columns" in r:
            out.append({"name": "+".join(r["columns"]) + f" (max_block {r['max_block']})",
                        "ref": r["columns"], "src": r["columns"], "cap": r["max_block"]})
        else:
            ms = [SWAP.match(part) for part in r["sql"].split(" AND ")]
            if not all(ms):
                raise SystemExit(f"pair_counts: cannot count rule {r['sql']!r}")
            out.append({"name": r["sql"], "ref": [m.group(1) for m in ms],
                        "src": [m.group(2) for m in ms], "cap": None, "group": r.get("group")})
    return out


def _populated(con, table: str, col: str) -> bool:
    cols = {x[0] for x in con.execute(f"DESCRIBE {table}").fetchall()}
    return col in cols and con.execute(f"SELECT count({col}) > 0 FROM {table}").fetchone()[0]


def _used(con, rules: list[dict]) -> list[dict]:
    """The rules whose columns are populated on both sides; of a `group`, the first such."""
    out, groups = [], set()
    for r in rules:
        ok = (all(_populated(con, "ref", c) for c in r["ref"])
              and all(_populated(con, "res", c) for c in r["src"]))
        if ok and r.get("group") not in groups:
            out.append(r)
            if r.get("group"):
                groups.add(r["group"])
    return out


def count(out: Path, source: str, reference: str) -> dict:
    con = duckdb.connect()
    std = out / "standardised"
    con.execute(f"CREATE VIEW ref AS SELECT * FROM read_parquet('{std / reference}.parquet')")
    con.execute(f"""CREATE TABLE res AS SELECT s.* FROM read_parquet('{std / source}.parquet') s
        WHERE s.record_id NOT IN (SELECT source_id FROM read_parquet('{out}/links/{source}.parquet')
                                  WHERE method <> 'probabilistic')""")
    n_ref = con.execute("SELECT count(*) FROM ref").fetchone()[0]
    n_res = con.execute("SELECT count(*) FROM res").fetchone()[0]
    spec = yaml.safe_load((ROOT / "linkage_models" / "person_auto.yaml").read_text())
    rows = []
    for r in _used(con, _rules(spec)):
        def agg(table, cols):
            keys = ", ".join(f"{c} AS k{i}" for i, c in enumerate(cols))
            nn = " AND ".join(f"{c} IS NOT NULL" for c in cols)
            return f"SELECT {keys}, count(*) AS n FROM {table} WHERE {nn} GROUP BY ALL"
        on = " AND ".join(f"a.k{i} = b.k{i}" for i in range(len(r["ref"])))
        cap = f"WHERE a.n <= {int(r['cap'])}" if r["cap"] else ""
        pairs, biggest, keys = con.execute(f"""
            SELECT coalesce(sum(a.n * b.n), 0), coalesce(max(a.n), 0), count(*)
            FROM ({agg('ref', r['ref'])}) a JOIN ({agg('res', r['src'])}) b ON {on} {cap}
        """).fetchone()
        rows.append({"rule": r["name"], "pairs": int(pairs), "largest_ref_block": int(biggest),
                     "keys": int(keys)})
    return {"reference_records": n_ref, "residual_records": n_res, "rules": rows}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("source")
    ap.add_argument("--reference", default="census")
    ap.add_argument("--json", type=Path, help="where to write the counts (OUT/pair_counts.json)")
    args = ap.parse_args(argv)
    res = count(args.out, args.source, args.reference)
    print(f"reference {res['reference_records']:,}, residual {res['residual_records']:,}")
    for r in res["rules"]:
        print(f"  {r['rule']:<58}{r['pairs']:>14,}  largest block {r['largest_ref_block']:,}")
    print(f"  {'sum over rules':<58}{sum(r['pairs'] for r in res['rules']):>14,}")
    (args.json or args.out / "pair_counts.json").write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
