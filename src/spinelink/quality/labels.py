"""Label-based precision and recall, and a labels file built from known truth.

A labels file (`quality.labels`, CSV or Parquet) has columns `reference_id, source,
source_id, is_match` (1/0, true/false, yes/no, match/non-match): clerical decisions or a
truth file. Precision of a group is the share of its labelled links that are matches;
recall is the share of labelled-linkable source records (those with at least one matching
label) that carry a link to a matching reference record. Both with Wilson intervals;
groups as in the label-free estimates (the linked reference record's value for precision,
the matching reference record's value for recall).

To build labels from the sample generator's truth files (`truth/<source>.csv`:
`record_id, person_uid`) for a finished run:

    >>> from spinelink.quality.labels import truth_labels  # doctest: +SKIP
    >>> truth_labels("data/truth", "out/demo", "census", ["benefits"]).to_csv(
    ...     "labels.csv", index=False)  # doctest: +SKIP

which lists every true pair (`is_match` 1) and every link or review pair of the run that
is not true (`is_match` 0).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from spinelink import filled_in
from spinelink.errors import JobError
from spinelink.quality.stats import wilson

LABEL_COLUMNS = ["reference_id", "source", "source_id", "is_match"]
_TRUE = {"1", "true", "t", "yes", "y", "match"}
_FALSE = {"0", "false", "f", "no", "n", "non-match", "non_match", "nonmatch"}


def read_labels(path: Path) -> pd.DataFrame:
    """The labels file, checked whole: every row whose `is_match` is not a yes or a no is
    reported at once (its row: the line a CSV row starts on, the header being line 1; a
    Parquet row counted from 1), and no label is read."""
    if not path.exists():
        raise JobError(f"{path}: key 'quality.labels': labels file does not exist")
    if path.suffix.lower() == ".parquet":
        df = pd.read_parquet(path)
        rows = list(range(1, len(df) + 1))
    else:  # comma-, semicolon- or tab-separated, as a spreadsheet saves it
        try:
            records, rows = filled_in.read_rows(path, tuple(LABEL_COLUMNS), JobError)
        except JobError as e:
            raise JobError(f"{e} (key 'quality.labels')") from None
        df = pd.DataFrame.from_records(
            [{c: (r.get(c) or "") for c in LABEL_COLUMNS} for r in records],
            columns=LABEL_COLUMNS)
    missing = [c for c in LABEL_COLUMNS if c not in df.columns]
    if missing:
        raise JobError(f"{path}: key 'quality.labels': expected columns {LABEL_COLUMNS}, "
                       f"missing {missing}")
    v = df["is_match"].astype(str).str.strip().str.lower()
    bad = np.flatnonzero(~v.isin(_TRUE | _FALSE).to_numpy())
    if len(bad):
        raise JobError(filled_in.listed(
            path, [f"{path}: row {rows[i]}, field 'is_match': expected 1/0, true/false"
                   for i in bad], "no label was read (key 'quality.labels')"))
    out = df[LABEL_COLUMNS[:3]].astype(str).apply(lambda s: s.str.strip())
    out["is_match"] = v.isin(_TRUE).to_numpy()
    return out.drop_duplicates(["reference_id", "source", "source_id"], keep="last")


def truth_labels(truth_dir, out_dir, reference: str, sources: list[str]) -> pd.DataFrame:
    """Labels for a run from truth files (record_id, person_uid per source)."""
    truth_dir, out_dir = Path(truth_dir), Path(out_dir)
    ref = pd.read_csv(truth_dir / f"{reference}.csv", dtype=str).rename(
        columns={"record_id": "reference_id"})
    frames = []
    for s in sources:
        src = pd.read_csv(truth_dir / f"{s}.csv", dtype=str).rename(
            columns={"record_id": "source_id"})
        true = ref.merge(src, on="person_uid")[["reference_id", "source_id"]]
        true_set = set(zip(true["reference_id"], true["source_id"], strict=True))
        seen = [pd.read_parquet(out_dir / folder / f"{s}.parquet")
                for folder in ("links", "review") if (out_dir / folder / f"{s}.parquet").exists()]
        cand = pd.concat(seen)[["reference_id", "source_id"]].astype(str) if seen else \
            true.iloc[:0]
        wrong = cand[[(r, i) not in true_set for r, i in
                      zip(cand["reference_id"], cand["source_id"], strict=True)]]
        frames.append(pd.concat([true.assign(is_match=1), wrong.assign(is_match=0)])
                      .assign(source=s))
    out = pd.concat(frames, ignore_index=True)[LABEL_COLUMNS].drop_duplicates()
    return out.sort_values(LABEL_COLUMNS[:3]).reset_index(drop=True)


def label_rows(labels: pd.DataFrame, links: pd.DataFrame, source: str,
               codes: dict[str, tuple[list[str], pd.Series, str]]) -> pd.DataFrame:
    """Label-based rows for one source. `codes`: variable -> (values, value by record id,
    side 'reference' or 'source')."""
    lab = labels[labels["source"] == source]
    key = ["reference_id", "source_id"]
    lk = links.astype({"reference_id": str, "source_id": str})[key].drop_duplicates()
    judged = lk.merge(lab, on=key, how="inner")
    true = lab[lab["is_match"]].drop_duplicates("source_id")
    found = set(lk.merge(lab[lab["is_match"]], on=key)["source_id"])
    true = true.assign(found=true["source_id"].isin(found))
    rows = []
    for var, (values, by_id, side) in codes.items():
        col = "reference_id" if side == "reference" else "source_id"
        gj, gt = (_group(by_id, f[col], side) for f in (judged, true))
        for v in values:
            mj = judged["is_match"].to_numpy()[np.asarray(gj) == v] if len(judged) else []
            mt = true["found"].to_numpy()[np.asarray(gt) == v] if len(true) else []
            rows.append(_row(var, v, np.asarray(mj, bool), np.asarray(mt, bool)))
    return pd.DataFrame(rows)


def _group(by_id: pd.Series, ids: pd.Series, side: str) -> np.ndarray:
    if side == "all":
        return np.full(len(ids), "all", dtype=object)
    return by_id.reindex(ids).fillna("unknown").to_numpy() if len(ids) else np.array([])


def _row(var: str, value: str, judged: np.ndarray, found: np.ndarray) -> dict:
    pk, pn = int(judged.sum()), len(judged)
    rk, rn = int(found.sum()), len(found)
    plo, phi = wilson(pk, pn)
    rlo, rhi = wilson(rk, rn)
    return {"variable": var, "value": value,
            "est_precision": pk / pn if pn else np.nan, "est_precision_low": plo,
            "est_precision_high": phi, "est_recall": rk / rn if rn else np.nan,
            "est_recall_low": rlo, "est_recall_high": rhi,
            "labelled_links": pn, "labelled_linkable": rn}
