"""The matches among the pairs the evidence rule dropped (issue 12).

Blocking made the pair, and `evidence.personal_evidence` took it out (no personal field
above its lowest level: on a source without a date of birth, a first name that differs
entirely). On the W-2 and 1040 sets 70 to 80% of the true matches no candidate holds are
such pairs (benchmarks/RESULTS.md, session 36 helpers A and B); the recapture models
(Horvitz-Thompson, Chao1) model the matches no rule caught, not these. The probabilistic
stage keeps aside those it dropped on the first name alone (`evidence.first_name_alone`:
no date of birth or identifier could be compared) in
`pairs/evidence_dropped/<source>.parquet`, each with the probability that it is its
source record's match **under the record-level model** (`weigh`): the pair a candidate
beside the record's kept candidates, at its reference class's share (free, or claimed by
the source's deterministic links), its Bayes factor with surname and address together
weighed as relatives at home are (`home_scale`: nothing personal agrees on these pairs),
and the records of one unit read together (`persons_apart`: a dependant's pair to the
census record its parent's own record holds loses it). Splink's own probability has the
prior of two random records, and treats a shared surname and address as two independent
agreements: on the 1040 it put 45% of the term on persons the census lacks, paired with
a relative at the address (session 36 helper F).

The term (`mass`): per source record with no link, the sum of its dropped pairs'
probabilities, each placed on its reference record; a pair whose reference record a link
took counts only when the linked source record holds the same identifier value (one
person on two forms: a dependant on two returns); else that record is another record's
person.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = ["reference_id", "source_id", "match_probability"]
# The term's bounds, two readings of what the point (`match_probability`) assumes and no
# label-free figure can check: `home_probability`, every pair with its at-home term (the
# source person as likely one the reference lacks, living with relatives it holds, in an
# enumerated household too); `plain_probability`, none (surname and address two
# independent agreements, as the Fellegi-Sunter model reads them). A bootstrap replicate
# draws the term uniformly between them (`labelfree.estimate`), as the never-compared
# figure between Horvitz-Thompson and Chao1 (`recapture_fallback.between`).
READINGS = ("home_probability", "plain_probability")


def path(out: Path, name: str) -> Path:
    return out / "pairs" / "evidence_dropped" / f"{name}.parquet"


def pairs(df: pd.DataFrame, factors: pd.DataFrame, log_x: np.ndarray) -> pd.DataFrame:
    """Splink's pairs the evidence rule dropped (`df`) as reference_id, source_id, their
    log2 Bayes factors (`factors`, `probabilistic._bayes_factors` of `df`), the log2 x
    of `home_scale.log_x` (-inf where it does not apply) and Splink's own probability
    (`pair_probability`, at the prior of two random records: kept in the file for
    comparison, session 36's reading)."""
    return factors.assign(home_log_x=np.asarray(log_x, float),
                          pair_probability=df["match_probability"].to_numpy(float))


def weigh(dropped: pd.DataFrame | None, kept: pd.DataFrame, kept_claimed: np.ndarray | None,
          dropped_claimed: np.ndarray | None, shares: tuple[float, ...], sizes: tuple[int, ...],
          scale: float, units: pd.Series | None = None
          ) -> pd.DataFrame | None:
    """The dropped pairs (`pairs`) with the probability that each is its source record's
    match (COLUMNS; module doc). `kept`: the record model's pairs (reference_id,
    source_id, bf: log2 factors, and home_log_x when those are before the
    surname-at-home scale); `*_claimed`: per pair, whether its
    reference record is in the claimed class (None: one class); `shares`, `sizes`: the
    classes' shares and sizes (`record_level.RecordModel.shares`); `scale`: the source's
    co-residence scale (`home_scale.fit`, 1 without one).

    >>> d = pd.DataFrame({"reference_id": ["a", "b"], "source_id": ["1", "2"],
    ...                   "bf": [14.0, 14.0], "home_log_x": [-np.inf, 4.0]})
    >>> k = pd.DataFrame({"reference_id": ["c"], "source_id": ["2"], "bf": [16.0]})
    >>> w = weigh(d, k, None, None, (0.5,), (2 ** 13,), 1.0)
    >>> w["match_probability"].round(3).tolist()
    [0.667, 0.013]
    """
    if dropped is None or dropped.empty or sum(shares) <= 0:
        return None
    pi = float(sum(shares))
    ln_a = np.log(np.maximum(np.asarray(shares, float), 1e-300) / np.asarray(sizes, float))
    lx = dropped["home_log_x"].to_numpy(float)
    ls = math.log2(scale) if scale > 0 else -math.inf  # 0: no at-home term (`plain`)
    bf = dropped["bf"].to_numpy(float) - np.logaddexp2(0.0, lx + ls)
    both = pd.concat([dropped[["reference_id", "source_id"]],
                      kept[["reference_id", "source_id"]]], ignore_index=True)
    cls = np.concatenate([_cls(dropped_claimed, len(dropped)), _cls(kept_claimed, len(kept))])
    kbf = kept["bf"].to_numpy(float)
    if "home_log_x" in kept:
        kbf = kbf - np.logaddexp2(0.0, kept["home_log_x"].to_numpy(float) + ls)
    ln_w = ln_a[np.minimum(cls, len(ln_a) - 1)] + np.concatenate([bf, kbf]) * math.log(2)
    codes, _ = pd.factorize(both["source_id"])
    top = np.full(codes.max() + 1, -np.inf)
    np.maximum.at(top, codes, ln_w)
    ln_sum = top + np.log(np.bincount(codes, weights=np.exp(ln_w - top[codes])))
    ln_den = np.logaddexp(math.log1p(-min(pi, 1 - 1e-12)), ln_sum)
    both["person_ref"] = both["reference_id"]
    both["match_probability"] = np.exp(ln_w - ln_den[codes])
    if units is not None and not units.empty:
        from spinelink import persons_apart
        both = persons_apart.adjust(both, units)[0]
    return both.iloc[:len(dropped)][COLUMNS].reset_index(drop=True).assign(
        pair_probability=dropped["pair_probability"].to_numpy(float)
        if "pair_probability" in dropped else np.nan)


def enumerated(dropped: pd.DataFrame, links: pd.DataFrame, units: pd.Series,
               address: pd.Series) -> pd.DataFrame:
    """`dropped` (`pairs`) without the surname-at-home term (home_log_x -inf) on the pairs
    whose reference record lives where a link of another record of the source record's
    unit took its person: the unit's household is one the reference enumerated, and a
    household is enumerated whole (`home_scale`), so the source person is not one the
    reference lacks living with its relatives there.

    >>> d = pd.DataFrame({"reference_id": ["a", "b"], "source_id": ["2", "3"],
    ...                   "bf": [9.0, 9.0], "home_log_x": [4.0, 4.0]})
    >>> links = pd.DataFrame({"reference_id": ["p"], "source_id": ["1"]})
    >>> units = pd.Series({"1": "T1", "2": "T1", "3": "T2"})
    >>> addr = pd.Series({"a": "1 high st", "b": "1 high st", "p": "1 high st"})
    >>> enumerated(d, links, units, addr)["home_log_x"].tolist()
    [-inf, 4.0]
    """
    lk = pd.DataFrame({"unit": links["source_id"].astype(str).map(units).to_numpy(),
                       "address": links["reference_id"].astype(str).map(address).to_numpy()})
    home = set(lk.dropna().itertuples(index=False, name=None))
    unit = dropped["source_id"].astype(str).map(units).to_numpy()
    at = dropped["reference_id"].astype(str).map(address).to_numpy()
    hit = np.array([(u, a) in home for u, a in zip(unit, at, strict=True)], bool) \
        & pd.notna(unit) & pd.notna(at)
    return dropped.assign(home_log_x=np.where(hit, -np.inf,
                                              dropped["home_log_x"].to_numpy(float)))


def _cls(claimed: np.ndarray | None, n: int) -> np.ndarray:
    return np.zeros(n, int) if claimed is None else np.asarray(claimed, bool).astype(int)


def write(out: Path, name: str, dropped: pd.DataFrame | None) -> None:
    """This run's dropped pairs; no file when there are none (an incremental run keeps
    none of the earlier run's: the term is then 0)."""
    p = path(out, name)
    if dropped is None or dropped.empty:
        p.unlink(missing_ok=True)
        return
    p.parent.mkdir(parents=True, exist_ok=True)
    cols = COLUMNS + [c for c in (*READINGS, "pair_probability") if c in dropped]
    dropped[cols].sort_values(["source_id", "reference_id"]).to_parquet(p, index=False)


def read(out: Path, name: str) -> pd.DataFrame | None:
    p = path(out, name)
    return pd.read_parquet(p).astype({"reference_id": str, "source_id": str}) \
        if p.exists() else None


def identifier(out: Path, name: str) -> pd.Series | None:
    """Per source record its first declared identifier (the standardised `id_` column
    first by name), or None when the source has none."""
    import pyarrow.parquet as pq

    f = out / "standardised" / f"{name}.parquet"
    cols = sorted(c for c in pq.read_schema(f).names if c.startswith("id_")) \
        if f.exists() else []
    if not cols:
        return None
    t = pq.read_table(f, columns=["record_id", cols[0]]).to_pandas()
    return pd.Series(t[cols[0]].to_numpy(), index=t["record_id"].astype(str)).dropna()


def counted(dropped: pd.DataFrame | None, links: pd.DataFrame,
            same_id: pd.Series | None = None) -> pd.DataFrame:
    """The dropped pairs the term counts (COLUMNS): those of source records with no link,
    to a reference record no link took or one a link from a record of the same identifier
    value took (`same_id`: source record id -> its identifier value; None: none).

    >>> d = pd.DataFrame({"reference_id": ["a", "b", "c", "a", "c"],
    ...                   "source_id": ["1", "1", "2", "3", "4"],
    ...                   "match_probability": [0.6, 0.3, 0.9, 0.5, 0.7]})
    >>> links = pd.DataFrame({"reference_id": ["c", "z"], "source_id": ["9", "3"]})
    >>> ids = pd.Series({"9": "x", "4": "x", "2": "y"})
    >>> counted(d, links, ids)[["source_id", "reference_id"]].values.tolist()
    [['1', 'a'], ['1', 'b'], ['4', 'c']]
    """
    if dropped is None or dropped.empty:
        return pd.DataFrame(columns=COLUMNS)
    src, ref = links["source_id"].astype(str), links["reference_id"].astype(str)
    d = dropped[~dropped["source_id"].isin(set(src))]
    took = d["reference_id"].isin(set(ref))
    if same_id is not None and took.any():
        ids = same_id.dropna().astype(str)
        held = {(r, v) for r, v in zip(ref, src.map(ids), strict=True) if isinstance(v, str)}
        dup = np.array([isinstance(v, str) and (r, v) in held for r, v in
                        zip(d["reference_id"], d["source_id"].map(ids), strict=True)], bool)
        took &= ~dup
    return d[~took.to_numpy()].sort_values(["source_id", "reference_id"])


def mass(dropped: pd.DataFrame | None, links: pd.DataFrame,
         same_id: pd.Series | None = None, column: str = "match_probability") -> pd.Series:
    """Per reference record: the matches it stands for among the dropped pairs
    (`counted`), read from `column` (`plain_probability`: without the at-home term).

    >>> d = pd.DataFrame({"reference_id": ["a", "b", "c", "a"], "source_id": ["1", "1", "2", "3"],
    ...                   "match_probability": [0.6, 0.3, 0.9, 0.5]})
    >>> mass(d, pd.DataFrame({"reference_id": ["c"], "source_id": ["9"]})).to_dict()
    {'a': 1.1, 'b': 0.3}
    """
    b = counted(dropped, links, same_id)
    return b.groupby("reference_id")[column].sum() if len(b) else \
        pd.Series(dtype=float)


def by_value(m: pd.Series, codes: np.ndarray, k: int) -> np.ndarray:
    """The mass per value of a breakdown (`codes`: per entry of `m`, its value; k values)."""
    if not len(m):
        return np.zeros(k)
    return np.bincount(codes, weights=m.to_numpy(float), minlength=k)[:k]
