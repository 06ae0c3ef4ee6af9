"""Session 28 (hG) diagnostic: the weight of each address level counted with the truth.

For kept external runs (`benchmarks/external.py --work DIR`), per pair: among true pairs
(m) and among random pairs of different persons (u, a sample of 400 source x 2,500
reference records), the share at each address level: exact, Jaro-Winkler >= 0.9, one
address's words all in the other (the shorter starting with a house number or not), else.
Prints counts and log2(m / u). Usage:
    python benchmarks/tried/s28_address_true_weights.py DIR wic_raised acs_raised ...
"""
import glob
import math
import os
import sys

import duckdb

LEVEL = """CASE WHEN l.a IS NULL OR r.a IS NULL THEN 'null'
  WHEN l.a = r.a THEN 'exact'
  WHEN jaro_winkler_similarity(l.a, r.a) >= 0.9 THEN 'jw'
  WHEN list_has_all(string_split(l.a, ' '), string_split(r.a, ' '))
    OR list_has_all(string_split(r.a, ' '), string_split(l.a, ' ')) THEN
    CASE WHEN regexp_matches(l.a, '^[0-9]') AND regexp_matches(r.a, '^[0-9]')
         THEN 'part_num' ELSE 'part_nonum' END
  ELSE 'else' END"""


def main(base: str, pairs: list[str]) -> None:
    con = duckdb.connect()
    for d in pairs:
        p = f"{base}/{d}/spinelink_out/standardised"
        src = [os.path.basename(f)[:-8] for f in glob.glob(f"{p}/*.parquet")
               if not f.endswith("census.parquet")][0]
        for side, table, truth in (("r", "census", "reference"), ("l", src, "source")):
            con.execute(f"CREATE OR REPLACE VIEW {side} AS SELECT s.record_id, s.address a, "
                        f"t.person_uid uid FROM '{p}/{table}.parquet' s JOIN read_csv("
                        f"'{base}/{d}/truth/{truth}.csv', all_varchar=true) t USING (record_id)")
        m = dict(con.execute(f"SELECT {LEVEL}, count(*) FROM l JOIN r ON l.uid = r.uid "
                             "GROUP BY 1").fetchall())
        u = dict(con.execute(
            f"SELECT {LEVEL}, count(*) FROM (SELECT * FROM l USING SAMPLE 400 ROWS "
            "(reservoir, 1)) l, (SELECT * FROM r USING SAMPLE 2500 ROWS (reservoir, 2)) r "
            "WHERE l.uid <> r.uid GROUP BY 1").fetchall())
        nm = sum(v for k, v in m.items() if k != "null")
        nu = sum(v for k, v in u.items() if k != "null")
        cells = []
        for k in ("exact", "jw", "part_num", "part_nonum", "else"):
            mm, uu = m.get(k, 0), u.get(k, 0)
            w = f"{math.log2((mm / nm) / (uu / nu)):.1f}" if mm and uu else "-"
            cells.append(f"{k} m={mm} u={uu} w={w}")
        print(d, " | ".join(cells))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
