"""The three-list estimate's residue keys on external data (issue 15): two sources that
`benchmarks/external.py` linked, each with spinelink's defaults, to the same census; their
records linked to no census record are matched by `spinelink.analysis.residues.
residue_matches` (the analysis stage's person keys) and checked against the truth.

    .venv/bin/python benchmarks/external.py --skip-bare --work DIR   # keeps the outputs
    .venv/bin/python benchmarks/residue_keys.py DIR ss_default:w2_default \\
        w2_default:tax1040_default w2_raised:tax1040_raised

Prints per pair: residue records of each source, persons both residues hold (the truth's
n011), how many of them the keys find, and the pairs found with how many are wrong.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from spinelink.analysis import residues
from spinelink.backends import open_engine


def one_pair(root: Path, a: str, b: str) -> str:
    tmp = Path(tempfile.mkdtemp(prefix="spinelink_residues_"))
    (tmp / "standardised").mkdir()
    links, truth = {}, {}
    for name in (a, b):
        out = root / name / "spinelink_out"
        std = [p for p in (out / "standardised").glob("*.parquet") if p.stem != "census"]
        shutil.copy(std[0], tmp / "standardised" / f"{name}.parquet")
        links[name] = pd.read_parquet(next((out / "links").glob("*.parquet"))).astype(
            {"source_id": str, "reference_id": str})
        truth[name] = pd.read_csv(root / name / "truth" / "source.csv",
                                  dtype=str).set_index("record_id")["person_uid"]
    got = residues.residue_matches(SimpleNamespace(engine=open_engine("duckdb"), out=tmp),
                                   a, links[a], b, links[b])
    shutil.rmtree(tmp)
    residue = {n: truth[n][~truth[n].index.isin(links[n]["source_id"])] for n in (a, b)}
    both = set(residue[a]) & set(residue[b])
    right = (truth[a].reindex(got["a_id"]).to_numpy()
             == truth[b].reindex(got["b_id"]).to_numpy())
    found = set(truth[a].reindex(got["a_id"][right])) & both
    return (f"{a} x {b}: residue records {len(residue[a])} / {len(residue[b])}; persons in "
            f"both residues {len(both)}; found {len(found)} "
            f"({len(found) / max(len(both), 1):.1%}); pairs {len(got)}, wrong "
            f"{int((~right).sum())}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("work", type=Path, help="external.py's --work folder")
    ap.add_argument("pairs", nargs="+", help="A:B, two data sets linked to one census")
    args = ap.parse_args()
    for pair in args.pairs:
        print(one_pair(args.work, *pair.split(":")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
