"""The analysis stage's published tables, described for the coordinated disclosure step
(spinelink.quality.protect): what population each count column counts, under which
conditions, so that a cell shown here is the same cell as in the quality tables (and is
suppressed in both or neither).

- `analysis_coverage_profile`: per source, the source's records by their own values
  (sex, age band, the source's subgroups and variables): records, linked, linked to none;
- `analysis_dual_system`: per source and subgroup, reference persons and the dual-system
  estimate of the population with its 95% interval, or none where the source links nobody
  in the subgroup (`estimate_status` `no_links`) (the counts of the source's persons
  and of the linked ones are internal, `_n_source`, `_n_linked`: with the reference's
  they would give away the records linked to none, mostly small counts);
- `analysis_concordance_<source>_<variable>`: reference value by source value over the
  linked units;
- `analysis_weighted_margins`: per weighted source and characteristic, reference units,
  linked units and the linked units' summed weights (blank where units of the value were
  left out of the raking: the shortfall would be their count);
- `analysis_imputation`: per imputed variable and subgroup of the reference units
  (`variable = all`: every unit), units, units whose value was missing and units whose
  value was imputed, and the imputation rate (imputed / units). The imputed units are the
  integration table's units of status `imputed:<method>` in the subgroup, the missing
  ones those and the units of status `missing` (`PublishedTable.ties`): the same cells,
  suppressed in both or neither (as separate populations, the imputed 17 shown here gave
  away the integration table's hidden `imputed:model` 17, `(none)` 17 and `agree` 529).
"""
from __future__ import annotations

import pandas as pd

from spinelink.quality.protect import (
    REFERENCE,
    PublishedTable,
    linked,
    records,
    source_value,
    unlinked,
)

SRC = "{source}"


# the reference's persons: its units, a probable duplicate counted once with its original
REFERENCE_PERSONS = "reference units (probable duplicates once)"
# the reference units a variable's imputation concerns (the variable from the row)
MISSING = "reference units missing {imputed_variable}"
IMPUTED = "reference units with {imputed_variable} imputed"
STATUS = "{imputed_variable}__status"  # the integration table's status of the variable


def describe(raw: dict[str, pd.DataFrame],
             statuses: dict[str, list[str]] | None = None) -> dict[str, PublishedTable]:
    """The stage's tables described. `statuses`: {`<var>__status`: every value} of the
    imputed variables in integrated.parquet (`integrated_values`), as the integration
    table will list them."""
    out: dict[str, PublishedTable] = {}
    if "coverage_profile" in raw:
        out["analysis_coverage_profile"] = PublishedTable(
            raw["coverage_profile"],  # totals: the record accounting (exact)
            {"n_source": records(SRC), "n_linked": linked(records(SRC), SRC),
             "n_unlinked": unlinked(records(SRC), SRC)},
            stacked=("variable", "value"), keep=["source"],
            description="each source's records by their own values: how many link to a "
                        "reference unit and how many to none (people the reference may "
                        "have missed)",
            columns={"n_unlinked": ("source records linked to no reference unit",
                                    "records")})
    if "dual_system" in raw:
        # the captures' counts stay internal: with the reference count they would give
        # away the records linked to none, mostly small; the estimate is published whole
        d = raw["dual_system"].rename(columns={"n_source": "_n_source",
                                               "n_linked": "_n_linked"})
        for c in [c for c in d.columns if c.startswith("est_population")]:
            d[c] = d[c].round()
        out["analysis_dual_system"] = PublishedTable(
            d, {"n_reference": REFERENCE_PERSONS},
            stacked=("variable", "value"), keep=["source"],
            description="dual-system (capture-recapture, Chapman) estimates of the "
                        "population by subgroup, adjusted for estimated false and missed "
                        "links, with 95% intervals that take in the three-list estimate's "
                        "(with a second source: the dependence two captures cannot see); "
                        "the captures' counts are internal",
            columns={"est_population": ("estimated population of the subgroup; blank "
                                        "where estimate_status is no_links", "persons"),
                     "estimate_status": (
                         "estimated, or no_links: the source links nobody in the subgroup, "
                         "so two captures that share no one give no estimate", "status"),
                     "est_population_low": ("lower end of its 95% interval", "persons"),
                     "est_population_high": ("upper end of its 95% interval", "persons"),
                     "est_population_three_lists": (
                         "three-list (log-linear, no three-way interaction) estimate with "
                         "the reference and another source; blank where too few persons",
                         "persons"),
                     "est_population_three_lists_low": ("lower end of its 95% interval",
                                                        "persons"),
                     "est_population_three_lists_high": ("upper end of its 95% interval",
                                                         "persons")})
    for (s, var), g in raw.get("concordance", pd.DataFrame(
            columns=["source", "variable"])).groupby(["source", "variable"], sort=False):
        col = source_value(var, s)
        data = pd.DataFrame({"source": s, var: g["reference_value"].to_numpy(),
                             col: g["source_value"].to_numpy(), "n": g["n"].to_numpy()})
        out[f"analysis_concordance_{s}_{var}"] = PublishedTable(
            data, {"n": linked(REFERENCE, SRC)}, dims=[var, col], keep=["source"],
            description=f"{var} as the reference records it by {var} as {s} records it, "
                        f"over the reference units {s} links")
    if "weighted_margins" in raw:
        # a category holding units left out of the raking (in a category the source links
        # nobody in): its weighted sum is the reference count less exactly those units, a
        # cross-classified count (e.g. 2 persons of one small group aged 65+) published by
        # difference; the sum is withheld there (exact in the operators' copy)
        m = raw["weighted_margins"].copy()
        m["_weighted_linked"] = m["weighted_linked"]
        if "_n_outside" in m:
            m.loc[m["_n_outside"] > 0, "weighted_linked"] = float("nan")
        out["analysis_weighted_margins"] = PublishedTable(
            m,
            {"n_reference": REFERENCE, "n_linked": linked(REFERENCE, SRC)},
            stacked=("variable", "value"), keep=["source"],
            description="linkage weights by characteristic: reference units, linked units "
                        "and the linked units' weights summed (equal to the reference "
                        "units once raked; blank where some of the value's units are in a "
                        "category the source links nobody in, left out of the raking)",
            columns={"weighted_linked": ("sum of the linked units' weights; blank where "
                                         "units of the value were left out of the raking",
                                         "units")})
    if "imputation" in raw:
        out["analysis_imputation"] = PublishedTable(
            raw["imputation"],
            {"n_units": REFERENCE, "n_missing": MISSING, "n_imputed": IMPUTED},
            stacked=("variable", "value"), keep=["imputed_variable", "method"],
            ties={"n_imputed": [(REFERENCE, {STATUS: "imputed:{method}"})],
                  "n_missing": [(REFERENCE, {STATUS: "missing"}),
                                (REFERENCE, {STATUS: "imputed:{method}"})]},
            categories=dict(statuses or {}),
            description="imputation by variable and subgroup of the reference units: "
                        "units, units no source supplied a value for, units given an "
                        "imputed value (integrated status imputed:<method>)",
            columns={"imputed_variable": ("the integrated variable imputed", "name"),
                     "method": ("the imputation method used (imputed:<method>)", "name"),
                     "n_missing": ("reference units whose value no source supplied",
                                   "units"),
                     "n_imputed": ("reference units given an imputed value", "units"),
                     "imputation_rate": ("n_imputed / n_units", "share")})
    # columns the quality tables share, with their meaning there (tables/dictionary.csv
    # had "est precision" and no unit for them)
    from spinelink.quality.tables import MEANINGS
    shared = {"source": ("the source the row is about (its name in the job)", "name"),
              **{c: MEANINGS[c] for c in MEANINGS if c.startswith(("est_precision",
                                                                     "est_recall"))}}
    for t in out.values():
        for c in t.data.columns:
            if c in shared and c not in t.columns:
                t.columns[c] = shared[c]
    return out


def imputation_table(summary: dict) -> pd.DataFrame:
    """The manifest's imputation rates (`imputation.run`'s variables) as one long table:
    per imputed variable, the total row (`variable = all`) then each subgroup."""
    rows = []
    for var, r in summary.items():
        base = {"imputed_variable": var, "method": r["method"]}
        rows.append({**base, "variable": "all", "value": "all", "n_units": r["units"],
                     "n_missing": r["missing"], "n_imputed": r["imputed"]})
        for by, vals in r["by_subgroup"].items():
            for v, c in vals.items():
                rows.append({**base, "variable": by, "value": v, "n_units": c["units"],
                             "n_missing": c["missing"], "n_imputed": c["imputed"]})
    df = pd.DataFrame(rows, columns=["imputed_variable", "method", "variable", "value",
                                     "n_units", "n_missing", "n_imputed"])
    rate = df["n_imputed"] / df["n_units"].where(df["n_units"] > 0)
    return df.assign(imputation_rate=rate.round(4))


def finish(shown: dict[str, pd.DataFrame], rounding: int | None) -> dict[str, pd.DataFrame]:
    """With `rounding`, the figures worked out from counts, from the published (rounded)
    ones, as the quality tables' rates are (spinelink.quality.tables.finish): the
    imputation rate from the rounded units and imputed units, and the summed weights (a
    count of persons: the reference units once raked) rounded like the counts. From the
    exact counts they gave the rounding away (a rate times the rounded units, or the
    weights' sum itself, was the exact count)."""
    from spinelink.quality import disclosure

    out = dict(shown)
    if not rounding:
        return out
    for name, df in shown.items():
        ok = ~df["suppressed"].astype(bool).to_numpy()
        if name == "analysis_imputation":
            df = df.copy()
            units = pd.to_numeric(df["n_units"], errors="coerce").astype(float)
            rate = pd.to_numeric(df["n_imputed"], errors="coerce").astype(float) \
                / units.where(units > 0)
            df.loc[ok, "imputation_rate"] = rate[ok].round(4)
            out[name] = df
        elif name == "analysis_weighted_margins" and "weighted_linked" in df.columns:
            df = df.copy()
            rounded = disclosure.round_counts(df["weighted_linked"], rounding).astype("Float64")
            df["weighted_linked"] = df["weighted_linked"].astype("Float64")
            df.loc[ok, "weighted_linked"] = rounded[ok]
            out[name] = df
    return out
