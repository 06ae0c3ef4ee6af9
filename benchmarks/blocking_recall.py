"""Blocking recall on the external benchmark's truth (issue 11, item 6).

    .venv/bin/python benchmarks/blocking_recall.py WORK [--only NAME[,NAME]] [--candidates]

WORK is an `external.py --work` folder run with `--keep`. For each pair, a linkable
source record counts as compared when one of its true pairs was linked (by any stage),
scored, or is held by a prediction blocking rule of the saved model (capped keys
recomputed as `benchmarks/external_misses.py` does). The rest are never compared; they
are tallied by what their first true pair's fields do: `fn` / `ln` (first name, surname:
`eq` equal, `ph` same Metaphone, `rom` same romanised key, `nick` same nickname root,
`ini` same initial, `-` missing on a side, `ne` other), `dob` (`eq`, `-` missing, else the
parts that agree: `y` year, `m` month, `d` day, `sw` day and month swapped), `mi` (middle
initial), `sex`, `pc` (postcode), `ad` (address).

`--union a,b` (with `--candidates`, repeatable) counts the records any of the named
candidates holds, and their pairs summed.

`--candidates` also counts, for each candidate rule of `CANDIDATES` (columns, cap on the
reference's block size), the never-compared records it would hold and the pairs it would
add (residual source records, i.e. not linked deterministically, by reference records in
blocks within the cap; pairs other rules already hold are counted too, so it is an upper
bound of the rule's added pairs).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from external_false_links import open_pair  # noqa: E402
from external_misses import held_by_rules, pair_dirs  # noqa: E402

CANDIDATES = {
    "fn_mp+mi": (["first_name_mp", "middle_name_initial"], 30),
    "fn_mp+mi+sex": (["first_name_mp", "middle_name_initial", "sex"], 30),
    "fn_mp+mi+ln_ini": (["first_name_mp", "middle_name_initial", "last_initial"], 30),
    "fn_mp+ln_p3": (["first_name_mp", "last_name_p3"], 30),
    "fn_mp+ln_ini": (["first_name_mp", "last_initial"], 30),
    "fn_mp+dob_m+dob_d": (["first_name_mp", "dob_month", "dob_day"], 30),
    "mi+dob_iso": (["middle_name_initial", "dob_iso"], 10),
    "hno+mi": (["address_number", "middle_name_initial"], 30),
    "street+mi": (["address_word", "middle_name_initial"], 30),
    "hno+street": (["address_number", "address_word"], 30),
    "hno+fi": (["address_number", "first_initial"], 30),
    "hno+ln_ini": (["address_number", "last_initial"], 30),
    "hno+fn_mp": (["address_number", "first_name_mp"], 30),
    "hno+ln_mp": (["address_number", "last_name_mp"], 30),
    "street+fn_mp": (["address_word", "first_name_mp"], 30),
    "street+ln_mp": (["address_word", "last_name_mp"], 30),
}


def _name(col: str) -> str:
    c, rom = f"{col}_mp", {"first_name": "first_name_canon_rom", "last_name": "last_name_rom"}[col]
    nick = ("EXISTS (SELECT 1 FROM (VALUES (l.first_name_root1), (l.first_name_root2), "
            "(l.first_name_root3), (l.first_name_canon)) a(x) WHERE a.x IS NOT NULL AND "
            "a.x IN (r.first_name_root1, r.first_name_root2, r.first_name_root3, "
            "r.first_name_canon))") if col == "first_name" else "false"
    return (f"CASE WHEN l.{col} IS NULL OR r.{col} IS NULL THEN '-' "
            f"WHEN l.{col} = r.{col} THEN 'eq' WHEN l.{c} = r.{c} THEN 'ph' "
            f"WHEN l.{rom} = r.{rom} THEN 'rom' WHEN {nick} THEN 'nick' "
            f"WHEN left(l.{col}, 1) = left(r.{col}, 1) THEN 'ini' ELSE 'ne' END")


def _pattern_sql(cols: set[str]) -> str:
    parts = [f"'fn:' || {_name('first_name')}", f"'ln:' || {_name('last_name')}"]
    parts.append("'dob:' || CASE WHEN l.dob_iso IS NULL OR r.dob_iso IS NULL THEN '-' "
                 "WHEN l.dob_iso = r.dob_iso THEN 'eq' WHEN l.dob_iso = r.dob_swapped THEN 'sw' "
                 "ELSE concat(CASE WHEN l.dob_year = r.dob_year THEN 'y' ELSE '' END, "
                 "CASE WHEN l.dob_month = r.dob_month THEN 'm' ELSE '' END, "
                 "CASE WHEN l.dob_day = r.dob_day THEN 'd' ELSE '' END, '.') END")
    for tag, col in (("mi", "middle_name_initial"), ("sex", "sex"), ("pc", "postcode"),
                     ("ad", "address")):
        if col in cols:
            parts.append(f"'{tag}:' || CASE WHEN l.{col} IS NULL OR r.{col} IS NULL THEN '-' "
                         f"WHEN l.{col} = r.{col} THEN 'eq' ELSE 'ne' END")
    return "concat_ws(' ', " + ", ".join(parts) + ")"


def _extra_columns(con) -> None:
    """Candidate keys' columns: initials, and where the run's standardised tables lack them
    (code without `addresses.number_and_word`) the house number and street word, nearly
    as it makes them (first word of digits; first word of 3+ letters of the address key)."""
    have = set(con.execute("SELECT * FROM r LIMIT 0").df().columns)
    address = "" if "address_number" in have or "address_rom" not in have else """,
        nullif(regexp_extract(address_rom, '(^| )([0-9]+)( |$)', 2), '') AS address_number,
        nullif(regexp_extract(address_rom, '(^| )([a-z]{3,})( |$)', 2), '') AS address_word"""
    for t in ("r", "s"):
        con.execute(f"""CREATE OR REPLACE TABLE {t} AS SELECT *,
            left(last_name, 1) AS last_initial, left(first_name, 3) AS first_name_p3{address}
            FROM {t}""")


def measure(pair_dir: Path, candidates: bool, unions=()) -> dict:
    con, out, src = open_pair(pair_dir)
    con.execute(f"CREATE TABLE links AS SELECT * FROM '{out}/links/{src}.parquet'")
    f = out / "pairs" / f"{src}.parquet"
    con.execute(f"CREATE TABLE pairs AS SELECT source_id, reference_id FROM '{f}'" if f.exists()
                else "CREATE TABLE pairs (source_id VARCHAR, reference_id VARCHAR)")
    con.execute("""CREATE TABLE tp AS SELECT DISTINCT a.record_id AS source_id,
        b.record_id AS reference_id FROM tsrc a JOIN tref b USING (person_uid)
        WHERE a.record_id IN (SELECT record_id FROM s)
          AND b.record_id IN (SELECT record_id FROM r)""")
    held = held_by_rules(con, out / "models" / f"{src}.json", "tp")
    con.register("held", pd.DataFrame(list(held), columns=["source_id", "reference_id"]))
    con.execute("""CREATE TABLE cmp AS SELECT source_id, reference_id FROM tp
        WHERE (source_id, reference_id) IN (SELECT source_id, reference_id FROM links)
           OR (source_id, reference_id) IN (SELECT source_id, reference_id FROM pairs)
           OR (source_id, reference_id) IN (SELECT source_id, reference_id FROM held)""")
    linkable = con.execute("SELECT count(DISTINCT source_id) FROM tp").fetchone()[0]
    con.execute("""CREATE TABLE never AS SELECT source_id, min(reference_id) AS reference_id
        FROM tp WHERE source_id NOT IN (SELECT source_id FROM cmp) GROUP BY 1""")
    n_never = con.execute("SELECT count(*) FROM never").fetchone()[0]
    cols = set(con.execute("SELECT * FROM s LIMIT 0").df().columns) & \
        set(con.execute("SELECT * FROM r LIMIT 0").df().columns)
    pats = con.execute(f"""SELECT {_pattern_sql(cols)} AS p FROM never n
        JOIN s l ON l.record_id = n.source_id JOIN r r ON r.record_id = n.reference_id""").df()
    res = {"pair": pair_dir.name, "linkable": linkable, "never": n_never,
           "share": 1 - n_never / linkable if linkable else float("nan"), "patterns": pats["p"]}
    if candidates and n_never:
        _extra_columns(con)
        con.execute("""CREATE TABLE resid AS SELECT * FROM s WHERE record_id NOT IN
            (SELECT source_id FROM links WHERE method <> 'probabilistic')""")
        res["cand"] = {}
        for name, (rc, cap) in CANDIDATES.items():
            if not set(rc) <= set(con.execute("SELECT * FROM s LIMIT 0").df().columns):
                continue
            on = " AND ".join(f"x.{c} = y.{c}" for c in rc)
            nn = " AND ".join(f"{c} IS NOT NULL" for c in rc)
            con.execute(f"""CREATE OR REPLACE TABLE kr AS SELECT * FROM r WHERE {nn}
                QUALIFY count(*) OVER (PARTITION BY {', '.join(rc)}) <= {cap}""")
            caught = con.execute(f"""SELECT count(DISTINCT n.source_id) FROM tp n
                JOIN never USING (source_id) JOIN s x ON x.record_id = n.source_id
                JOIN kr y ON y.record_id = n.reference_id WHERE {on}""").fetchone()[0]
            pairs = con.execute(f"SELECT count(*) FROM resid x JOIN kr y ON {on}").fetchone()[0]
            res["cand"][name] = (caught, pairs)
            con.execute(f"""CREATE OR REPLACE TABLE "c_{name}" AS SELECT DISTINCT n.source_id
                FROM tp n JOIN never USING (source_id) JOIN s x ON x.record_id = n.source_id
                JOIN kr y ON y.record_id = n.reference_id WHERE {on}""")
        for union in unions:
            have = [u for u in union if u in res["cand"]]
            q = " UNION ".join(f'SELECT source_id FROM "c_{u}"' for u in have)
            res["cand"]["U " + "+".join(union)] = (
                con.execute(f"SELECT count(*) FROM ({q})").fetchone()[0] if have else 0,
                sum(res["cand"][u][1] for u in have))
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("work", type=Path)
    ap.add_argument("--only", help="comma-separated pair names")
    ap.add_argument("--candidates", action="store_true")
    ap.add_argument("--patterns", type=int, default=12)
    ap.add_argument("--union", action="append", default=[],
                    help="candidate names joined by commas: the records any of them holds")
    a = ap.parse_args(argv)
    print("| pair | linkable | never compared | compared share |\n|---|---|---|---|")
    unions = [u.split(",") for u in a.union]
    results = [measure(d, a.candidates, unions) for d in pair_dirs(a.work, a.only)]
    for x in results:
        print(f"| {x['pair']} | {x['linkable']} | {x['never']} | {x['share']:.4%} |")
    for x in results:
        if not x["never"]:
            continue
        print(f"\n{x['pair']}: {x['never']} never compared")
        for p, n in x["patterns"].value_counts().head(a.patterns).items():
            print(f"  {n:5d}  {p}")
        for part in ("fn", "ln", "dob", "mi", "sex", "pc", "ad"):
            v = x["patterns"].str.extract(rf"\b{part}:(\S+)")[0].value_counts()
            print(f"  {part}: " + ", ".join(f"{k} {n}" for k, n in v.items()))
        for name, (caught, pairs) in x.get("cand", {}).items():
            print(f"  cand {name:22s} holds {caught:4d}  pairs {pairs:8d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
