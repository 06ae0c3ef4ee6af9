"""The external benchmark's false links, each classified against the truth (issue 11).

    .venv/bin/python benchmarks/external_false_links.py WORK [--only NAME[,NAME]] [--show N]

WORK is an `external.py --work` folder run with `--keep` (the default). Every link whose
reference record is not the source record's person is put in the first of these classes
that holds:

- `absent, relative`: the census lacks the person; the linked record shares surname and
  address with the source record (a relative of the absent person at home);
- `absent, elsewhere`: the census lacks the person; the linked record is not at the source
  record's address with its surname (a namesake elsewhere);
- `present, relative`: the census holds the person; the linked record shares the true
  record's, or the source record's, surname and address (a co-resident relative);
- `present, elsewhere`: the census holds the person; the linked record is someone else.

For each, whether the true record is linked by another source record of the person
(`taken`), the method (key or probabilistic), the match probability, and the field
pattern of the false pair (`fn ln dob sex mi pc ad` agree, `.` differ, `-` missing on a
side; the fields are those of `external_misses.FIELDS`). Per pair, the links by band of
match probability (true / all) show whether the probabilities are calibrated. `--show N`
prints N source record ids per class (ids only).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb
import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from external_misses import FIELDS, pair_dirs  # noqa: E402

CLASSES = ("absent, relative", "absent, elsewhere", "present, relative", "present, elsewhere")
BANDS = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 0.9999, 1.01)


def open_pair(pair_dir: Path) -> tuple[duckdb.DuckDBPyConnection, Path, str]:
    """A connection holding one external pair's truth (`tref`, `tsrc`) and standardised
    records (`r` the reference, `s` the source), its output folder and its source's name."""
    out = pair_dir / "spinelink_out"
    job = yaml.safe_load((pair_dir / "job.yaml").read_text())
    ref = job["reference"]
    src = next(k for k in job["sources"] if k != ref)
    con = duckdb.connect()
    con.register("tref", pd.read_csv(pair_dir / "truth" / "reference.csv", dtype=str))
    con.register("tsrc", pd.read_csv(pair_dir / "truth" / "source.csv", dtype=str))
    con.execute(f"CREATE TABLE r AS SELECT * FROM '{out}/standardised/{ref}.parquet'")
    con.execute(f"CREATE TABLE s AS SELECT * FROM '{out}/standardised/{src}.parquet'")
    return con, out, src


def false_links(pair_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(false links with their class and pattern, all links with `true`)."""
    con, out, src = open_pair(pair_dir)
    con.register("links", pd.read_parquet(out / "links" / f"{src}.parquet"))
    cols = set(con.execute("SELECT * FROM s LIMIT 0").df().columns) & \
        set(con.execute("SELECT * FROM r LIMIT 0").df().columns)
    pattern = [f"CASE WHEN l.{c} IS NULL OR r.{c} IS NULL THEN '-' WHEN {agree} "
               f"THEN '{tag}' ELSE '.' END" for tag, (c, agree) in FIELDS.items() if c in cols]
    pat = "concat_ws(' ', " + ", ".join(pattern) + ")"
    allk = con.execute("""SELECT k.*, ts.person_uid AS s_uid, tr.person_uid AS r_uid,
            ts.person_uid = tr.person_uid AS is_true
        FROM links k JOIN tsrc ts ON ts.record_id = k.source_id
        JOIN tref tr ON tr.record_id = k.reference_id""").df()
    con.register("allk", allk)
    fl = con.execute(f"""
        WITH f AS (SELECT * FROM allk WHERE NOT is_true),
        truer AS (SELECT f.source_id, min(tr.record_id) AS true_ref FROM f
                  JOIN tref tr ON tr.person_uid = f.s_uid GROUP BY 1)
        SELECT f.source_id, f.reference_id, t.true_ref, f.method, f.match_probability,
            {pat} AS pattern,
            l.last_name = r.last_name AND l.address = r.address AS at_home_src,
            tr_.last_name = r.last_name AND tr_.address = r.address AS at_home_true,
            t.true_ref IN (SELECT reference_id FROM allk WHERE is_true) AS taken
        FROM f LEFT JOIN truer t USING (source_id)
        JOIN s l ON l.record_id = f.source_id JOIN r r ON r.record_id = f.reference_id
        LEFT JOIN r tr_ ON tr_.record_id = t.true_ref""").df()

    def cls(x) -> str:
        if pd.isna(x.true_ref):
            return CLASSES[0] if _yes(x.at_home_src) else CLASSES[1]
        return CLASSES[2] if _yes(x.at_home_true) or _yes(x.at_home_src) else CLASSES[3]

    fl["class"] = [cls(x) for x in fl.itertuples()]
    return fl, allk


def _yes(v) -> bool:
    """A nullable boolean, null as False."""
    return bool(v) if pd.notna(v) else False


def report(name: str, fl: pd.DataFrame, allk: pd.DataFrame, show: int = 0,
           patterns: int = 6) -> str:
    n = len(allk)
    lines = [f"{name}: links {n}, false {len(fl)}, precision {1 - len(fl) / max(n, 1):.4f}"]
    for c in CLASSES:
        sub = fl[fl["class"] == c]
        if not len(sub):
            continue
        prob = sub["method"].eq("probabilistic")
        lines.append(f"  {len(sub):5d}  {c}: probabilistic {int(prob.sum())}, true record "
                     f"linked by another row {int(sub['taken'].fillna(False).sum())}, "
                     f"p median {sub['match_probability'].median():.4f}")
        for pat, k in sub["pattern"].value_counts().head(patterns).items():
            lines.append(f"          {k:5d}  {pat}")
        if show:
            lines.append("          e.g. " + ", ".join(sub["source_id"].head(show)))
    p = allk[allk["method"].eq("probabilistic")]
    cut = pd.cut(p["match_probability"], BANDS, right=False)
    tab = p.groupby(cut, observed=True)["is_true"].agg(["sum", "count"])
    lines.append("  probabilistic links by band (true / all): " + ", ".join(
        f"[{b.left:g},{b.right:g}) {int(r['sum'])}/{int(r['count'])}"
        for b, r in tab.iterrows()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("work", type=Path)
    ap.add_argument("--only", help="comma-separated pair names")
    ap.add_argument("--show", type=int, default=0, help="source record ids shown per class")
    a = ap.parse_args(argv)
    for d in pair_dirs(a.work, a.only):
        fl, allk = false_links(d)
        print(report(d.name, fl, allk, a.show), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
