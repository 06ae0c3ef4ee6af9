"""The quality stage's published tables, described for coordinated disclosure control
(`protect`), and finished after it (rates from the published, possibly rounded, counts).

- `quality_subgroups`: one-way link rates and estimates per source, variable and value
  (`variable = all`: the source's total), per basis;
- `quality_cross_<variables>`: the same for each intersectional table the job lists
  (`quality.crosses`), one column per variable;
- `quality_bias`: linked and unlinked reference units by variable and value;
- `quality_threshold`: links, estimated precision and recall against the threshold;
- `record_accounting`: records read, accepted, quarantined, linked, in review and
  unlinked per source: operational, published exact (it must add up), yet known to an
  attacker, so the other tables are protected against it.

A row's counts are cells of populations (`protect.REFERENCE`, `records(s)`, and the
linked / not linked parts of each): the reference units of a group are one cell however
many sources' rows show them.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from spinelink.quality import coverage, groups
from spinelink.quality.protect import (
    REFERENCE,
    PublishedTable,
    linked,
    records,
    unlinked,
)

KEYS = ["source", "variable", "value"]
ACCOUNTING = ["read", "accepted", "quarantined", "linked", "review", "unlinked"]
ROW_COUNTS = {"n_reference": "{_pop}", "n_linked": linked("{_pop}", "{source}"),
              "_n_unlinked": unlinked("{_pop}", "{source}")}
RATE = ("link_rate", "link_rate_low", "link_rate_high")
MEASURES = ["n_reference", "n_linked", *RATE, "est_precision", "est_precision_low",
            "est_precision_high", "est_recall", "est_recall_low", "est_recall_high", "basis"]
INTERNAL = ["_n_unlinked", "_pop"]  # protected with the row, never written
MEANINGS = {
    "source": ("the linked source", "name"),
    "basis": ("model: label-free estimates; labels: from the job's labelled pairs", "name"),
    "n_reference": ("units in the group: reference units (for a variable only the source "
                    "carries: the source's records)", "units"),
    "n_linked": ("of them, linked by the source", "units"),
    "n_unlinked": ("of them, not linked by the source", "units"),
    "link_rate": ("n_linked / n_reference", "proportion"),
    "link_rate_low": ("link rate, 95% Wilson interval, lower end", "proportion"),
    "link_rate_high": ("link rate, 95% Wilson interval, upper end", "proportion"),
    "est_precision": ("estimated share of the group's links that are correct", "proportion"),
    "est_precision_low": ("estimated precision, 95% interval, lower end", "proportion"),
    "est_precision_high": ("estimated precision, 95% interval, upper end", "proportion"),
    "est_recall": ("estimated share of the group's linkable records that are linked",
                   "proportion"),
    "est_recall_low": ("estimated recall, 95% interval, lower end", "proportion"),
    "est_recall_high": ("estimated recall, 95% interval, upper end", "proportion"),
    "share_linked": ("the value's share among linked reference units", "proportion"),
    "share_unlinked": ("the value's share among unlinked reference units", "proportion"),
    "std_diff": ("standardised difference of the two shares (|d| > 0.1: imbalance)",
                 "standard deviations"),
    "threshold": ("accept threshold (model match probability)", "probability"),
    "links": ("links at the threshold", "links"),
    "model_precision": ("the model's own precision at the threshold", "proportion"),
    "role": ("the source's role", "name"),
    **{k: (f"records {k}" if k != "review" else "records in clerical review", "records")
       for k in ACCOUNTING},
}


def _with_population(cov: pd.DataFrame, source_vars: set[str]) -> pd.DataFrame:
    out = cov.copy()
    out["_n_unlinked"] = out["n_reference"] - out["n_linked"]
    src_side = out["variable"].isin(source_vars)
    out["_pop"] = np.where(src_side, out["source"].map(records), REFERENCE)
    return out


def _with_estimates(results: dict, cov: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for s, r in results.items():
        for basis, est in (("model", r.estimates), ("labels", r.label_rows)):
            if est is not None:
                parts.append(cov[cov["source"] == s].merge(
                    est.assign(source=s), on=KEYS, how="left").assign(basis=basis))
    return pd.concat(parts, ignore_index=True)


def build(results: dict, source_vars: dict[str, list[str]], crosses: list[list[str]],
          accounting: dict | None = None, roles: dict | None = None,
          reference: str | None = None) -> dict[str, PublishedTable]:
    """Every table the quality stage publishes, with exact counts."""
    cov = pd.concat([r.coverage.assign(source=s) for s, r in results.items()],
                    ignore_index=True)
    only_src = {v for vs in source_vars.values() for v in vs}
    cov = coverage.add_link_rates(_with_population(cov, only_src))
    names = {groups.cross_name(c): c for c in crosses}
    full = _with_estimates(results, cov)[[*KEYS, *MEASURES, *INTERNAL]]
    desc = "link rates and estimated precision and recall by subgroup, per source"
    tables = {"quality_subgroups": PublishedTable(
        full[~full["variable"].isin(names)].reset_index(drop=True), ROW_COUNTS,
        stacked=("variable", "value"), keep=["source", "basis", "_pop"],
        description=desc, columns=MEANINGS)}
    for name, cross in names.items():
        rows = full[full["variable"] == name]
        tables[f"quality_cross_{'_'.join(cross)}"] = PublishedTable(
            groups.split_cross(rows, cross).reset_index(drop=True), ROW_COUNTS,
            dims=list(cross), keep=["source", "basis", "_pop"],
            description=f"{desc}: {name} (intersectional)", columns=MEANINGS)
    bias = [r.bias.assign(source=s) for s, r in results.items() if len(r.bias)]
    if bias:
        b = pd.concat(bias, ignore_index=True)
        b = b[~b["variable"].isin(names)].assign(_pop=REFERENCE)
        tables["quality_bias"] = PublishedTable(
            coverage.add_shares(b).reset_index(drop=True),
            {"n_linked": ROW_COUNTS["n_linked"], "n_unlinked": ROW_COUNTS["_n_unlinked"]},
            stacked=("variable", "value"), keep=["source", "_pop"],
            description="linked versus unlinked reference units by variable and value",
            columns=MEANINGS)
    curve = [r.curve.assign(source=s) for s, r in results.items()]
    tables["quality_threshold"] = PublishedTable(
        pd.concat(curve, ignore_index=True) if curve else pd.DataFrame(
            columns=["source", "threshold", "links"]),
        {"links": "{source} links at threshold {threshold}"},
        keep=["source", "threshold"],
        description="links and estimated precision and recall against the accept "
                    "threshold", columns=MEANINGS)
    if accounting:
        tables["record_accounting"] = accounting_table(accounting, roles or {}, results,
                                                       reference)
    return tables


def accounting_table(accounting: dict, roles: dict, linked_sources,
                     reference: str | None = None) -> PublishedTable:
    """Operational: exact, never suppressed (it adds up: read = accepted + quarantined,
    accepted = linked + review + unlinked). The reference's accepted records are the
    reference units; every other source's, linked or not (a source without an entry under
    `links`), are its records."""
    rows = []
    for s, a in accounting.items():
        rows.append({"source": s, "role": roles.get(s, ""),
                     **{k: a.get(k) for k in ACCOUNTING}})
    df = pd.DataFrame(rows, columns=["source", "role", *ACCOUNTING])
    df[ACCOUNTING] = df[ACCOUNTING].astype("Int64")
    df["_records"] = [REFERENCE if s == reference or (reference is None
                                                      and s not in linked_sources)
                      else records(s) for s in df["source"]]
    return PublishedTable(df, {"accepted": "{_records}",
                               "linked": linked("{_records}", "{source}")},
                          keep=["source", "role", "_records"], exact=True,
                          description="record accounting per source (operational, exact)",
                          columns=MEANINGS)


def finish(shown: dict[str, pd.DataFrame], rounding: int | None) -> dict[str, pd.DataFrame]:
    """Rates and shares from the published counts (rounded ones, when asked)."""
    out = dict(shown)
    if not rounding:
        return out
    for name, df in shown.items():
        sup = df["suppressed"].to_numpy()
        if {"n_reference", "n_linked"} <= set(df.columns):
            df = df.copy()
            ok = ~sup
            part = coverage.add_link_rates(df.loc[ok, ["n_reference", "n_linked"]].astype(float))
            for c in RATE:
                df.loc[ok, c] = part[c].to_numpy()
            out[name] = df
        if name == "quality_bias":
            ok = df.loc[~sup]
            part = coverage.add_shares(ok.drop(columns=["share_linked", "share_unlinked",
                                                        "std_diff"]).astype(
                {"n_linked": float, "n_unlinked": float}))
            df = df.copy()
            for c in ("share_linked", "share_unlinked", "std_diff"):
                df.loc[~sup, c] = part[c].to_numpy()
            out[name] = df
    return out
