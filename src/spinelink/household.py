"""Household dependence: u-probabilities among people who share an address.

The Fellegi-Sunter model takes comparisons as independent given match status, with u
measured on random pairs. Two different people at one address are not random pairs:
relatives share a surname (one pair in two or three, against one in a thousand at
random), twins share a date of birth, parents and children share a middle name. Summed as
independent evidence, a same-address pair of relatives outweighs a first name and a sex
that disagree.

So for a pair whose address agrees, every other comparison is weighed with its u among
*co-residents*: pairs of distinct reference records at the same address, counted by Splink
with the model's own comparison levels over a deterministic sample of household-sized
addresses (institutions with more than `MAX_RESIDENTS` records are left out). Each level's
co-resident u is shrunk towards its random-pair u by `SHRINK` pseudo-pairs, so a reference
without households (or with few) keeps the ordinary model; a level co-residents reach less
often than strangers weighs more at home only as far as the counts show, and disagreeing
never weighs less. Pairs at an institution's address (more than `MAX_RESIDENTS` records,
by the address's term frequency) keep the ordinary model. The address comparison itself,
and every pair whose address does not agree, are unchanged.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from spinelink.backends import Engine
from spinelink.sqlfiles import quote_ident, sql_file

log = logging.getLogger("spinelink.probabilistic")
ADDRESS_COMPARISONS = ("location", "address")
MAX_RESIDENTS = 20
SAMPLE_RECORDS = 50_000
SHRINK = 20.0
UPPER_COUNT = 3.0


@dataclass(frozen=True)
class CoResidentU:
    comparison: str               # the address comparison's output name
    agree: frozenset[float]       # its level weights at which the address agrees
    log2_ratio: dict[str, dict[float, float]]  # comparison -> level weight -> log2(u / u_hh)
    pairs: int                    # co-resident pairs counted
    max_tf: float = 1.0           # address term frequency of a household-sized address
    labels: dict[str, dict[float, str]] = field(default_factory=dict)  # level names

    def summary(self) -> dict:
        """For the manifest: per comparison and level (by its chart label), the log2
        change to its weight at home."""
        return {"comparison": self.comparison, "co_resident_pairs": self.pairs,
                "log2_u_ratio": {c: {self.labels.get(c, {}).get(w, str(w)): round(v, 3)
                                     for w, v in sorted(lv.items(), reverse=True)}
                                 for c, lv in self.log2_ratio.items()}}


def _key(w: float) -> float:
    return round(float(w), 6)


def _levels(comp: dict) -> list[tuple[float, dict]]:
    """(match weight, level) of a comparison's non-null levels with numeric m and u. Splink
    reports each pair's level by its weight (`mw_<comparison>`), not by its number, so a
    level is known here by its weight."""
    out = []
    for lv in comp["comparison_levels"]:
        m, u = lv.get("m_probability"), lv.get("u_probability")
        if lv.get("is_null_level") or not all(isinstance(x, float | int) and x > 0
                                               for x in (m, u)):
            continue
        out.append((_key(math.log2(m / u)), lv))
    return out


def address_comparison(model: dict) -> tuple[str, frozenset[float]] | None:
    for comp in model["comparisons"]:
        name = comp.get("output_column_name")
        if name in ADDRESS_COMPARISONS:
            agree = frozenset(w for w, lv in _levels(comp)
                              if "address" in lv["sql_condition"])
            if agree:
                return name, agree
    return None


def _same_person(df: pd.DataFrame, model: dict) -> np.ndarray:
    """Co-resident pairs that are one person entered twice (a reference's duplicates):
    the first name and the date of birth agree exactly (without a date of birth, the
    first and middle name). Counted as co-residents they would make every agreement look
    common at home. Twins differ in first name, a namesake father and son in date of
    birth and middle name."""
    comps = {c["output_column_name"]: c for c in model["comparisons"]}
    names = ["first_name", "date_of_birth" if "date_of_birth" in comps else "middle_name"]
    same = np.ones(len(df), dtype=bool)
    for name in names:
        levels = _levels(comps[name]) if name in comps else []
        if not levels or f"mw_{name}" not in df:
            return np.zeros(len(df), dtype=bool)
        top = levels[0][0]
        same &= (df[f"mw_{name}"].astype(float).map(_key) == top).to_numpy()
    return same


def co_resident_u(engine: Engine, model: dict, ref_full: str, n_src_full: int, tag: str
                  ) -> CoResidentU | None:
    """Count the model's comparison levels among co-resident reference pairs. None when the
    model has no address comparison."""
    found = address_comparison(model)
    if found is None:
        return None
    from spinelink.splink_import import splink_ready

    splink_ready()
    from splink import Linker, block_on

    house, agree = found
    n = int(engine.scalar(f"SELECT count(*) FROM {quote_ident(ref_full)} "
                          "WHERE address IS NOT NULL"))
    modulus = max(1, math.ceil(n / SAMPLE_RECORDS))
    sample = f"{tag}_hh_sample"
    engine.create_table(sample, "SELECT * FROM (" + sql_file(
        "probabilistic/household_sizes.sql", ref=ref_full) + ") t WHERE __hh_bucket = 0",
        {"modulus": modulus, "max_residents": MAX_RESIDENTS})
    counts: dict[str, pd.Series] = {}
    total = 0
    if int(engine.scalar(f"SELECT count(*) FROM {quote_ident(sample)}")) >= 2:
        comps = [{**c, "comparison_levels": [
            {k: v for k, v in lv.items() if not k.startswith("tf_adjustment")}
            for lv in c["comparison_levels"]]} for c in model["comparisons"]]
        settings = {**model, "comparisons": comps, "link_type": "dedupe_only",
                    "blocking_rules_to_generate_predictions": [block_on("address")],
                    "retain_intermediate_calculation_columns": True,
                    "linker_uid": f"{model.get('linker_uid', 'm')}_hh"}
        db_api = engine.splink_db_api()
        linker = Linker(db_api.register(sample, table_name=f"{sample}_sdf"), settings,
                        log_level=None, validate_settings=False)  # logs never shown
        df = linker.inference.predict().as_pandas_dataframe()
        df = df[~_same_person(df, model)]
        total = len(df)
        for c in model["comparisons"]:
            col = f"mw_{c['output_column_name']}"
            if col in df:
                counts[c["output_column_name"]] = df[col].astype(float).map(_key).value_counts()
    ratio: dict[str, dict[float, float]] = {}
    labels: dict[str, dict[float, str]] = {}
    for c in model["comparisons"]:
        name = c["output_column_name"]
        if name == house:
            continue
        levels = _levels(c)
        got = counts.get(name, pd.Series(dtype=int))
        # pairs at a known level (a null level, or an unestimated one, is not counted)
        n_known = float(sum(got.get(w, 0) for w, _ in levels))
        ratio[name] = {}
        labels[name] = {w: str(lv.get("label_for_charts") or lv["sql_condition"])
                        for w, lv in levels}
        for w, lv in levels:
            u = float(lv["u_probability"])
            u_hh = (float(got.get(w, 0)) + SHRINK * u) / (n_known + SHRINK)
            if u_hh < u:
                # co-residents agree less often than strangers (first names within a
                # family): count no more than the co-resident pairs show, i.e. take u
                # at least as high as a level seen UPPER_COUNT more times would give
                u_hh = min(u, max(u_hh, (got.get(w, 0) + UPPER_COUNT) / (n_known + SHRINK)))
            r = math.log2(u / u_hh)
            # disagreeing never counts for less at home (in-laws, step-families)
            ratio[name][w] = min(r, 0.0) if lv["sql_condition"] == "ELSE" else r
    log.info("%s: household dependence from %d co-resident reference pairs",
             tag.removeprefix("__sl_"), total)
    # an address's term frequency is its share of the reference and source records
    # together (probabilistic.score_residual): a household-sized address has at most
    # MAX_RESIDENTS records on each side
    n_all = int(engine.scalar(f"SELECT count(*) FROM {quote_ident(ref_full)}")) + n_src_full
    return CoResidentU(house, agree, ratio, total, 2 * MAX_RESIDENTS / max(n_all, 1), labels)


def adjust(df: pd.DataFrame, hh: CoResidentU | None) -> np.ndarray:
    """log2 correction to each predicted pair's Bayes factor (Splink output with the
    comparisons' `mw_` and `mw_tf_adj_` columns): for pairs whose address agrees, each
    other comparison's u becomes its co-resident u and its term-frequency adjustment is
    dropped."""
    out = np.zeros(len(df))
    if hh is None or f"mw_{hh.comparison}" not in df:
        return out
    at_home = df[f"mw_{hh.comparison}"].astype(float).map(_key).isin(hh.agree).to_numpy()
    if "tf_address_l" in df:
        # an institution (hostel, care home, barracks) is not a household: its residents
        # are strangers, and the ordinary model holds there
        tf = df[["tf_address_l", "tf_address_r"]].astype(float).min(axis=1).fillna(0.0)
        at_home &= (tf <= hh.max_tf).to_numpy()
    if not at_home.any():
        return out
    for name, by_weight in hh.log2_ratio.items():
        col = f"mw_{name}"
        if col not in df:
            continue
        corr = df[col].astype(float).map(_key).map(by_weight).fillna(0.0).to_numpy(float)
        tf = f"mw_tf_adj_{name}"
        if tf in df:
            corr = corr - df[tf].astype(float).fillna(0.0).to_numpy()
        out += np.where(at_home, corr, 0.0)
    return out
