"""Why a pair scored what it did: the contribution of each comparison to its match
weight, from the saved Splink model (models/<source>.json).

All the band's pairs of a source are scored in one Splink 5 `predict`: each side's
records are put under their pair's key as record_id and the model blocks on record_id,
so exactly the band's pairs are compared, with the run's term-frequency tables and
intermediate columns (`gamma_<c>`, `mw_<c>`, `mw_tf_adj_<c>`) retained. The prior's
share is what is left of the pair's match weight, so the parts add up exactly.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from spinelink.backends import Engine
from spinelink.model_fields import is_linkage_column
from spinelink.probabilistic import tf_columns
from spinelink.sqlfiles import quote_ident, sql_file

log = logging.getLogger("spinelink.review")
Contribution = dict  # {"comparison", "level", "weight", "tf_weight"}


def level_labels(model: dict) -> dict[str, dict[int, str]]:
    """comparison name -> {gamma value: level label} (NULL level -1, then n-1 .. 0)."""
    out = {}
    for comp in model["comparisons"]:
        levels = comp["comparison_levels"]
        non_null = [lv for lv in levels if not lv.get("is_null_level")]
        labels = {-1: next((lv.get("label_for_charts", "NULL") for lv in levels
                            if lv.get("is_null_level")), "NULL")}
        for i, lv in enumerate(non_null):
            labels[len(non_null) - 1 - i] = lv.get("label_for_charts", f"level {i}")
        out[comp.get("output_column_name") or comp["comparison_description"]] = labels
    return out


def _columns(engine: Engine, table: str) -> list[str]:
    return engine.columns(table)


def contributions(engine: Engine, out: Path, reference: str, source: str,
                  band: pd.DataFrame) -> dict[tuple[str, str], list[Contribution]]:
    """(reference_id, source_id) -> contributions, for every pair of `band`."""
    path = Path(out) / "models" / f"{source}.json"
    if band.empty or not path.exists():
        return {}
    model = json.loads(path.read_text(encoding="utf-8"))
    tag = f"__sl_rv_{source}"
    engine.load_parquet(f"{tag}_refall", Path(out) / "standardised" / f"{reference}.parquet")
    engine.load_parquet(f"{tag}_srcall", Path(out) / "standardised" / f"{source}.parquet")
    keyed = band[["reference_id", "source_id"]].reset_index(drop=True)
    keyed = keyed.assign(pair_key=[f"p{i}" for i in range(len(keyed))])
    engine.register(f"{tag}_band", keyed)
    shared = set(_columns(engine, f"{tag}_srcall"))
    cols = [c for c in _columns(engine, f"{tag}_refall") if c in shared and is_linkage_column(c)]
    select = ", ".join(f"t.{quote_ident(c)}" for c in cols)
    for side, id_col in (("ref", "reference_id"), ("src", "source_id")):
        engine.create_table(f"{tag}_{side}", sql_file(
            "review/pair_side.sql", columns=select, band=f"{tag}_band",
            records=f"{tag}_{side}all", id_col=id_col))
    scored = _predict(engine, model, tag)
    labels = level_labels(model)
    by_key = dict(zip(keyed["pair_key"], zip(keyed["reference_id"], keyed["source_id"],
                                             strict=True), strict=True))
    result = {}
    for row in scored.to_dict("records"):
        parts = []
        for name, lab in labels.items():
            gamma = row.get(f"gamma_{name}")
            if gamma is None:
                continue
            parts.append({"comparison": name, "level": lab.get(int(gamma), str(gamma)),
                          "weight": float(row.get(f"mw_{name}") or 0.0),
                          "tf_weight": float(row.get(f"mw_tf_adj_{name}") or 0.0)})
        result[by_key[row["record_id_l"]]] = parts
    return result


def _predict(engine: Engine, model: dict, tag: str) -> pd.DataFrame:
    from spinelink import splink_compat
    from spinelink.splink_import import splink_ready

    splink_ready()
    from splink import Linker

    splink_compat.install()
    settings = {**model, "retain_intermediate_calculation_columns": True,
                "retain_matching_columns": True, "linker_uid": f"{tag}_explain",
                "blocking_rules_to_generate_predictions": [
                    {"blocking_rule": "l.record_id = r.record_id", "sql_dialect": "duckdb"}]}
    db_api = engine.splink_db_api()
    # registered names must not be `left`/`right`: Splink's SQL uses those as aliases
    linker = Linker([db_api.register(f"{tag}_ref", table_name=f"{tag}_ex_ref"),
                     db_api.register(f"{tag}_src", table_name=f"{tag}_ex_src")],
                    settings, log_level=None)
    for col in tf_columns(model):
        tf_table = f"{tag}_tf_{col}"
        engine.create_table(tf_table, sql_file(
            "probabilistic/tf_lookup.sql", col=col, tf_col=f"tf_{col}", ref=f"{tag}_refall",
            src=f"{tag}_srcall"))
        linker.table_management.register_term_frequency_lookup(
            db_api.register(tf_table, table_name=f"{tf_table}_sdf"), col)
    pred = linker.inference.predict(warning_mode="never")
    frame = pred.as_pandas_dataframe()
    pred.drop_table_from_database_and_remove_from_cache()
    # comparisons are symmetric and both sides carry the pair key: no need to orient
    return frame[frame["record_id_l"] == frame["record_id_r"]]
