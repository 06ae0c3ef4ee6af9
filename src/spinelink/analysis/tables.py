"""The analysis stage's published tables, described for the coordinated disclosure step
(spinelink.quality.protect): what population each count column counts, under which
conditions, so that a cell shown here is the same cell as in the quality tables (and is
suppressed in both or neither).

- `analysis_coverage_profile`: per source, the source's records by their own values
  (sex, age band, the source's subgroups and variables): records, linked, linked to none;
- `analysis_dual_system`: per source and subgroup, reference persons and the dual-system
  estimate of the population with its 95% interval (the counts of the source's persons
  and of the linked ones are internal, `_n_source`, `_n_linked`: with the reference's
  they would give away the records linked to none, mostly small counts);
- `analysis_concordance_<source>_<variable>`: reference value by source value over the
  linked units;
- `analysis_weighted_margins`: per weighted source and characteristic, reference units,
  linked units and the linked units' summed weights.
"""
from __future__ import annotations

import pandas as pd

from spinelink.quality.protect import (
    REFERENCE,
    PublishedTable,
    linked,
    records,
    unlinked,
)

SRC = "{source}"


# the reference's persons: its units, a probable duplicate counted once with its original
REFERENCE_PERSONS = "reference units (probable duplicates once)"


def describe(raw: dict[str, pd.DataFrame]) -> dict[str, PublishedTable]:
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
        for c in ("est_population", "est_population_low", "est_population_high"):
            d[c] = d[c].round()
        out["analysis_dual_system"] = PublishedTable(
            d, {"n_reference": REFERENCE_PERSONS},
            stacked=("variable", "value"), keep=["source"],
            description="dual-system (capture-recapture, Chapman) estimates of the "
                        "population by subgroup, adjusted for estimated false and missed "
                        "links, with 95% intervals (the captures' counts are internal)",
            columns={"est_population": ("estimated population of the subgroup", "persons"),
                     "est_population_low": ("lower end of its 95% interval", "persons"),
                     "est_population_high": ("upper end of its 95% interval", "persons")})
    for (s, var), g in raw.get("concordance", pd.DataFrame(
            columns=["source", "variable"])).groupby(["source", "variable"], sort=False):
        col = f"{var} ({s})"
        data = pd.DataFrame({"source": s, var: g["reference_value"].to_numpy(),
                             col: g["source_value"].to_numpy(), "n": g["n"].to_numpy()})
        out[f"analysis_concordance_{s}_{var}"] = PublishedTable(
            data, {"n": linked(REFERENCE, SRC)}, dims=[var, col], keep=["source"],
            description=f"{var} as the reference records it by {var} as {s} records it, "
                        f"over the reference units {s} links")
    if "weighted_margins" in raw:
        out["analysis_weighted_margins"] = PublishedTable(
            raw["weighted_margins"],
            {"n_reference": REFERENCE, "n_linked": linked(REFERENCE, SRC)},
            stacked=("variable", "value"), keep=["source"],
            description="linkage weights by characteristic: reference units, linked units "
                        "and the linked units' weights summed (equal to the reference "
                        "units once raked)",
            columns={"weighted_linked": ("sum of the linked units' weights", "units")})
    return out
