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
        n_un = unlinked_src[var].value_counts()
        n_un = _spread_unknown(n_un, src[var].value_counts())
        for v in ordered_values(set(n_ref.index) | set(n_un.index)):
            if v == UNKNOWN:
                continue  # not a subgroup: a person of any group
            k = int(n_lnk.get(v, 0))
            rows.append({"variable": var, "value": v, "n_reference": int(n_ref.get(v, 0)),
                         "n_source": k + _num(n_un.get(v, 0)), "n_linked": k})
    return pd.DataFrame(rows, columns=["variable", "value", "n_reference", "n_source",
                                       "n_linked"])


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
