"""Coverage from both sides: who each source holds that the reference lacks, the counts
a dual-system estimate needs, and reference-by-source tables of shared variables.

All counts here are exact (internal); the stage publishes them through disclosure
control.

- profile: per source and variable (the source's own value: sex, age band, its
  subgroups and variables), the source's records, how many link to a reference unit and
  how many link to none (the people the reference may have missed);
- dual-system counts: per subgroup of a variable both sides carry, n_reference
  (reference units), n_linked (reference units the source links to) and n_source
  (persons in the source: the linked units, each once however many records link to it,
  plus the source records linked to none); a linked person is counted in the reference
  unit's subgroup (the two sources may record a variable differently), a record linked
  to none in its own; records linked to none whose value the source leaves blank are
  spread over the subgroups like the others linked to none (a fraction each);
- concordance: per shared variable, reference value by source value over the linked
  units (the source record that supplies the unit's values).

>>> ref = pd.DataFrame({"sex": ["F", "F", "M"]}, index=pd.Index(["r1", "r2", "r3"]))
>>> src = pd.DataFrame({"sex": ["F", "M", "M"]}, index=pd.Index(["s1", "s2", "s3"]))
>>> links = pd.DataFrame({"reference_id": ["r1"], "source_id": ["s1"]})
>>> dual_counts(ref, src, links, ["sex"]).to_dict("records")[1]
{'variable': 'sex', 'value': 'M', 'n_reference': 1, 'n_source': 2, 'n_linked': 0}
>>> links = pd.DataFrame({"reference_id": ["r3", "r3"], "source_id": ["s2", "s3"]})
>>> dual_counts(ref, src, links, ["sex"]).to_dict("records")[1]
{'variable': 'sex', 'value': 'M', 'n_reference': 1, 'n_source': 1, 'n_linked': 1}
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from spinelink.quality.groups import UNKNOWN, ordered_values


def profile(src: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """variable, value, n_source, n_linked, n_unlinked (source records) per variable of
    the source's group table (index: source record id)."""
    linked = src.index.isin(pd.Index(links["source_id"].astype(str).unique()))
    rows = []
    for var in src.columns:
        g = pd.DataFrame({"value": src[var].to_numpy(), "linked": linked}).groupby(
            "value")["linked"].agg(["size", "sum"])
        for v in ordered_values(g.index):
            n, k = int(g.loc[v, "size"]), int(g.loc[v, "sum"])
            rows.append({"variable": var, "value": v, "n_source": n, "n_linked": k,
                         "n_unlinked": n - k})
    return pd.DataFrame(rows, columns=["variable", "value", "n_source", "n_linked",
                                       "n_unlinked"])


def dual_counts(ref: pd.DataFrame, src: pd.DataFrame, links: pd.DataFrame,
                variables: list[str]) -> pd.DataFrame:
    """n_reference, n_source, n_linked per value of each variable both tables have."""
    lk = links.astype({"reference_id": str, "source_id": str})
    linked_units = pd.Index(lk["reference_id"].unique())
    unlinked_src = src[~src.index.isin(pd.Index(lk["source_id"].unique()))]
    rows = []
    for var in variables:
        if var not in ref.columns or var not in src.columns:
            continue
        n_ref = ref[var].value_counts()
        n_lnk = ref.loc[ref.index.isin(linked_units), var].value_counts()
        n_un = _reclassify(unlinked_src[var].value_counts(), var,
                           concordance_shares(ref[var], src[var], lk))
        n_un = _spread_unknown(n_un, src[var].value_counts())
        for v in ordered_values(set(n_ref.index) | set(n_un.index)):
            if v == UNKNOWN:
                continue  # not a subgroup: a person of any group
            k = int(n_lnk.get(v, 0))
            rows.append({"variable": var, "value": v, "n_reference": int(n_ref.get(v, 0)),
                         "n_source": k + _num(n_un.get(v, 0)), "n_linked": k})
    return pd.DataFrame(rows, columns=["variable", "value", "n_reference", "n_source",
                                       "n_linked"])


def concordance_shares(ref_values: pd.Series, src_values: pd.Series, links: pd.DataFrame
                       ) -> pd.DataFrame:
    """P(reference value | source value) over the linked pairs (rows: source values,
    columns: reference values; unknowns left out), each row shrunk towards its own value
    by one pair. A source record linked to none is a person the reference would record
    by this table: a source that codes a group differently (benefits' 2011 ethnic
    groups have no Roma: they are `other White` there) would otherwise count its
    unlinked persons in another subgroup than the reference's.

    >>> r = pd.Series(["A", "A", "B"], index=["r1", "r2", "r3"])
    >>> s = pd.Series(["A", "B", "B"], index=["s1", "s2", "s3"])
    >>> lk = pd.DataFrame({"reference_id": ["r1", "r2", "r3"], "source_id": s.index})
    >>> concordance_shares(r, s, lk).round(2).to_dict("index")
    {'A': {'A': 1.0, 'B': 0.0}, 'B': {'A': 0.33, 'B': 0.67}}
    """
    a = src_values.reindex(links["source_id"].astype(str)).to_numpy()
    b = ref_values.reindex(links["reference_id"].astype(str)).to_numpy()
    ok = pd.notna(a) & pd.notna(b) & (a != UNKNOWN) & (b != UNKNOWN)
    t = pd.crosstab(pd.Series(a[ok], name="source"), pd.Series(b[ok], name="reference"))
    t = t.astype(float)
    for v in t.index.intersection(t.columns):
        t.loc[v, v] += 1.0
    return t.div(t.sum(axis=1), axis=0)


def _reclassify(counts: pd.Series, var: str, shares: pd.DataFrame) -> pd.Series:
    """Counts indexed by `var` (among others) moved onto the reference's values of var by
    `concordance_shares`; a value the linked pairs never show stays as it is."""
    if counts.empty or shares.empty:
        return counts
    names = list(counts.index.names)
    df = counts.rename("n").reset_index()
    m = shares.stack().rename("p").reset_index()
    m.columns = [var, "to", "p"]
    m = m[m["p"] > 0]
    x = df.merge(m, on=var, how="left")
    x[var] = x["to"].where(x["to"].notna(), x[var])
    x["n"] = x["n"] * x["p"].fillna(1.0)
    out = x.groupby(names, sort=False)["n"].sum()
    if isinstance(counts.index, pd.MultiIndex) and not isinstance(out.index, pd.MultiIndex):
        # cells of one variable: grouping by [var] gives a plain index, which the cells'
        # other counts (a MultiIndex) would not align with by name (post_strata)
        out.index = pd.MultiIndex.from_arrays([out.index], names=names)
    return out


def dual_cells(ref: pd.DataFrame, src: pd.DataFrame, links: pd.DataFrame,
               variables: list[str]) -> pd.DataFrame:
    """The same counts by post-stratum: every combination of the variables' values (the
    cross-classification both tables carry), counted as `dual_counts` counts. A margin's
    estimate is the sum of its cells' (`dual_system.estimates`): the two captures need to
    be independent only within a cell, not within a whole margin (within `sex = F` the
    people both the census and a register miss more often, for example young migrants,
    make the one-way estimate fall short).

    An unlinked source record whose value of some variable is unknown is spread over the
    cells that agree with it on the others, like the unlinked records with every value
    (else like all of them); a reference unit keeps its own `unknown` cell.

    >>> ref = pd.DataFrame({"sex": ["F", "M"], "age": ["a", "a"]}, index=["r1", "r2"])
    >>> src = pd.DataFrame({"sex": ["F", "M", UNKNOWN], "age": ["a", "a", "a"]},
    ...                    index=["s1", "s2", "s3"])
    >>> links = pd.DataFrame({"reference_id": ["r1"], "source_id": ["s1"]})
    >>> dual_cells(ref, src, links, ["sex", "age"])["n_source"].tolist()
    [1.0, 2.0]
    """
    return post_strata(ref, src, links, variables)[0]


def post_strata(ref: pd.DataFrame, src: pd.DataFrame, links: pd.DataFrame,
                variables: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`dual_cells`' table, and per margin (variable, value) the variance of the counts
    that were allocated to it rather than observed in it: a record whose value is
    unknown, spread over the cells agreeing with its known values, and a source record
    linked to none read through the linked pairs' concordance, each belong to one
    margin value, not to a fraction of each. Drawn as the spread assumes (each record on
    its own, with the spread's shares), a margin's allocated count has the binomial
    variance sum(k p (1 - p)) over the allocated records (k of them with share p), times
    1 + k / K where the share was estimated from K known records (the spread's). Kept
    apart by the kind of record, which moves the estimate differently: `var_reference`
    (reference units the source does not link to), `var_linked` (linked units),
    `var_source` (source records linked to none). The estimate's interval adds them
    (`dual_system.estimate`); left out, a subgroup with many blank values has an
    interval as narrow as one whose members are all known.

    >>> ref = pd.DataFrame({"sex": ["F", "M", UNKNOWN]}, index=["r1", "r2", "r3"])
    >>> src = pd.DataFrame({"sex": ["F"]}, index=["s1"])
    >>> links = pd.DataFrame({"reference_id": ["r1"], "source_id": ["s1"]})
    >>> post_strata(ref, src, links, ["sex"])[1].to_dict("records")[0]
    {'variable': 'sex', 'value': 'F', 'var_reference': 0.375, 'var_linked': 0.0, 'var_source': 0.0}
    """
    vs = [v for v in variables if v in ref.columns and v in src.columns]
    cols = [*vs, "n_reference", "n_source", "n_linked"]
    if not vs:
        return pd.DataFrame(columns=cols), _allocation([], {}, vs)
    lk = links.astype({"reference_id": str, "source_id": str})
    r = ref[vs].astype(str)
    linked = r.index.isin(pd.Index(lk["reference_id"].unique()))
    n_ref = r.value_counts().rename("n_reference")
    n_lnk = r[linked].value_counts().rename("n_linked")
    un = src.loc[~src.index.isin(pd.Index(lk["source_id"].unique())), vs].astype(str)
    n_un = un.value_counts()
    spreads: list = []  # (cell keys with their shares, (reference, linked, source) counts)
    recoded: dict = {}  # (variable, value) -> variance of the recoded source records
    for v in vs:
        shares = concordance_shares(r[v], src[v].astype(str), lk)
        _recoding_variance(un[v].value_counts(), v, shares, recoded)
        n_un = _reclassify(n_un, v, shares)
    n_un = _spread_unknown_cells(n_un, src[vs].astype(str).value_counts(), vs, spreads)
    t = pd.concat([n_ref, n_lnk, n_un.rename("n_unlinked")], axis=1).fillna(0)
    t["n_source"] = t["n_linked"] + t["n_unlinked"]
    cells = _spread_unknown_units(t.reset_index()[cols], vs, spreads)
    return cells, _allocation(spreads, recoded, vs)


def _spread_unknown_units(t: pd.DataFrame, vs: list[str], spreads: list) -> pd.DataFrame:
    """Reference units whose value of some variable is unknown are people of some group
    too (left out, every subgroup of that variable falls short by the reference's
    non-response): each such cell's counts are spread over the known cells agreeing on
    its known values, in proportion to their reference units (else dropped)."""
    f = t[vs]
    unknown = (f == UNKNOWN).any(axis=1).to_numpy()
    if not unknown.any():
        return t
    known = t[~unknown].reset_index(drop=True)
    num = ["n_reference", "n_source", "n_linked"]
    add = np.zeros((len(known), 3))
    for key, counts in zip(f[unknown].to_numpy(), t.loc[unknown, num].to_numpy(float),
                           strict=True):
        w = known["n_reference"].to_numpy(float) * _agreeing(known, vs, key)
        if w.sum() > 0:
            add += np.outer(w / w.sum(), counts)
            n_ref, n_src, n_lnk = counts
            grow = 1 + n_ref / w.sum()  # the shares are estimated from w.sum() units
            spreads.append((known[vs].assign(share=w / w.sum()),
                            (grow * (n_ref - n_lnk), grow * n_lnk, grow * (n_src - n_lnk))))
    known[num] = known[num].to_numpy(float) + add
    return known


def _spread_unknown_cells(unlinked: pd.Series, every: pd.Series, vs: list[str],
                          spreads: list) -> pd.Series:
    """Counts by cell with the cells holding an `unknown` moved onto the known cells
    agreeing on the known values, in proportion to the unlinked (else all) records."""
    if unlinked.empty:
        return unlinked.astype(float)
    idx = unlinked.index.to_frame(index=False)
    unknown = (idx == UNKNOWN).any(axis=1).to_numpy()
    known = unlinked[~unknown].astype(float)
    pools = [known, every[~(every.index.to_frame(index=False) == UNKNOWN).any(axis=1)
                          .to_numpy()].astype(float)]
    frames = [pool.index.to_frame(index=False) for pool in pools]
    out = known.copy()
    for key, k in unlinked[unknown].items():
        key = key if isinstance(key, tuple) else (key,)
        for pool, f in zip(pools, frames, strict=True):
            ok = _agreeing(f, vs, key)
            part = pool[ok]
            if part.sum() > 0:
                out = out.add(k * part / part.sum(), fill_value=0)
                grow = 1 + k / part.sum()  # shares estimated from part.sum() records
                spreads.append((f[ok].assign(share=(part / part.sum()).to_numpy()),
                                (0.0, 0.0, grow * float(k))))
                break
    return out


def _recoding_variance(counts: pd.Series, var: str, shares: pd.DataFrame,
                       into: dict) -> None:
    """Adds to `into` the variance of the source records (counts by the source's value of
    var) moved onto the reference's values by `concordance_shares`."""
    if counts.empty or shares.empty:
        return
    n = counts.reindex(shares.index).fillna(0).to_numpy(float)
    p = shares.to_numpy(float)
    for value, x in zip(shares.columns, (n[:, None] * p * (1 - p)).sum(axis=0),
                        strict=True):
        into[(var, value)] = into.get((var, value), 0.0) + float(x)


def _allocation(spreads: list, recoded: dict, vs: list[str]) -> pd.DataFrame:
    """variable, value, var_reference, var_linked, var_source (see `post_strata`)."""
    acc: dict = {key: np.array([0.0, 0.0, x]) for key, x in recoded.items()}
    for keys, counts in spreads:
        for v in vs:
            p = keys.groupby(v)["share"].sum()
            for value, x in (p * (1 - p)).items():
                acc[(v, value)] = acc.get((v, value), np.zeros(3)) + x * np.array(counts)
    rows = [{"variable": v, "value": value, "var_reference": a[0], "var_linked": a[1],
             "var_source": a[2]} for (v, value), a in sorted(acc.items())]
    return pd.DataFrame(rows, columns=["variable", "value", "var_reference", "var_linked",
                                       "var_source"])


def _agreeing(frame: pd.DataFrame, vs: list[str], key) -> np.ndarray:
    """Rows of frame (columns vs) that agree with key on every value key knows."""
    ok = np.ones(len(frame), dtype=bool)
    for v, x in zip(vs, key, strict=True):
        if x != UNKNOWN:
            ok &= (frame[v] == x).to_numpy()
    return ok


def _spread_unknown(unlinked: pd.Series, every: pd.Series) -> pd.Series:
    """The unlinked records whose value the source does not record (`unknown`) are people
    of some group too: spread over the values like the unlinked records with one (else
    like all the source's records). Left out, they would be missing from every
    subgroup's source count and bias each estimate down (benefits leaves 9% of ethnic
    groups blank).

    >>> _spread_unknown(pd.Series({"A": 3, "B": 1, UNKNOWN: 2}), None).to_dict()
    {'A': 4.5, 'B': 1.5}
    """
    k = float(unlinked.get(UNKNOWN, 0))
    if not k:
        return unlinked
    known = unlinked.drop(UNKNOWN)
    base = known if known.sum() > 0 else every.drop(UNKNOWN, errors="ignore")
    if base.sum() <= 0:
        return unlinked
    share = (base / base.sum()).reindex(known.index.union(base.index), fill_value=0)
    return known.reindex(share.index, fill_value=0).astype(float) + k * share


def _num(x) -> int | float:
    x = float(x)
    return int(x) if x.is_integer() else round(x, 4)


def concordance(ref_values: pd.Series, src_values: pd.Series, pairs: pd.DataFrame,
                variable: str) -> pd.DataFrame:
    """variable, reference_value, source_value, n over the linked pairs (reference_id,
    source_id); missing values as `unknown`. Every combination of a value the reference
    holds and a value the source holds has a row, zeros included (a zero left out would
    be a known zero that disclosure control could not suppress)."""
    a = ref_values.reindex(pairs["reference_id"].astype(str)).fillna(UNKNOWN).to_numpy()
    b = src_values.reindex(pairs["source_id"].astype(str)).fillna(UNKNOWN).to_numpy()
    t = pd.DataFrame({"reference_value": a, "source_value": b}).value_counts()
    full = pd.MultiIndex.from_product(
        [ordered_values(set(ref_values) | set(a)), ordered_values(set(src_values) | set(b))],
        names=["reference_value", "source_value"])
    t = t.reindex(full, fill_value=0).rename("n").reset_index()
    return t.assign(variable=variable)[["variable", "reference_value", "source_value", "n"]]
