"""Bare Splink 5 baseline: a plain, standard link_only model with simple cleaning.

Runnable on its own; `compare.py` runs it in a subprocess so that its wall time and peak
memory are measured separately from spinelink's.

    python benchmarks/bare_splink.py --spec spec.json --out links.parquet --timings t.json

The spec (JSON) names the two inputs and maps canonical fields to their columns:

    {"reference": {"name": "census", "path": "census.csv", "id": "person_id",
                   "date_format": "%d/%m/%Y", "delimiter": ",",
                   "columns": {"first_name": "forename", "surname": "surname",
                               "dob": "dob", "sex": "sex", "postcode": "postcode"}},
     "source": {...same keys...},
     "postcode_style": "uk",            # "uk" -> cl.PostcodeComparison, else ExactMatch
     "blocking": "standard",            # or "tuned" (see PREDICT_RULES, EM_RULES)
     "seed": 42}

Canonical fields: first_name, surname, dob, sex, postcode (any may be absent; only
fields present on both sides are compared). Cleaning is deliberately simple: names are
lower-cased and trimmed, dates parsed with the given format and written as ISO strings
(unparseable dates become NULL), sex reduced to m/f, postcodes upper-cased with a single
space before the inward code.

Output: Parquet with reference_id, source_id, match_probability, match_weight for every
predicted pair with match probability >= 0.5, and a JSON of timings (seconds).
"""
from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import duckdb

FIELDS = ("first_name", "surname", "dob", "sex", "postcode")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _reader(side: dict) -> str:
    path = str(Path(side["path"]).resolve())
    if path.endswith(".parquet"):
        return f"read_parquet({_lit(path)})"
    delim = side.get("delimiter", ",")
    # all_varchar: keep ids, codes and dates as written; utf-8-sig BOMs are handled
    return (f"read_csv({_lit(path)}, delim={_lit(delim)}, header=true, all_varchar=true, "
            "quote='\"')")


def _clean_sql(side: dict, fields: list[str]) -> str:
    cols = side["columns"]
    out = [f"CAST({_q(side['id'])} AS VARCHAR) AS unique_id"]
    for f in fields:
        c = f"NULLIF(TRIM(CAST({_q(cols[f])} AS VARCHAR)), '')"
        if f in ("first_name", "surname"):
            expr = f"LOWER({c})"
        elif f == "dob":
            fmt = side.get("date_format", "%Y-%m-%d")
            expr = f"strftime(try_strptime({c}, {_lit(fmt)}), '%Y-%m-%d')"
        elif f == "sex":
            expr = (f"CASE WHEN LOWER({c}) IN ('m', 'male', '1') THEN 'm' "
                    f"WHEN LOWER({c}) IN ('f', 'female', '2') THEN 'f' END")
        else:  # postcode
            pc = f"UPPER(REPLACE({c}, ' ', ''))"
            expr = (f"CASE WHEN LENGTH({pc}) BETWEEN 5 AND 7 "
                    f"THEN LEFT({pc}, LENGTH({pc}) - 3) || ' ' || RIGHT({pc}, 3) "
                    f"ELSE NULLIF({pc}, '') END")
        out.append(f"{expr} AS {f}")
    return f"SELECT {', '.join(out)} FROM {_reader(side)}"


# Blocking: "standard" is the rule set of Splink's tutorials (first name + surname, date of
# birth); "tuned" is what a Splink user picks after checking pair counts on names as
# concentrated as the generator's (first name + surname gives 204M pairs at 1M persons):
# two-field rules of about a million pairs each, for prediction and for EM.
PREDICT_RULES = {
    "standard": [("first_name", "surname"), ("dob",), ("surname", "postcode")],
    "tuned": [("first_name", "dob"), ("surname", "dob"), ("postcode", "dob"),
              ("first_name", "postcode"), ("surname", "postcode")],
}
EM_RULES = {
    "standard": [("first_name", "surname"), ("dob",)],
    "tuned": [("surname", "dob"), ("first_name", "postcode")],
}


def _rules(kind: str, table: dict, fields: list[str]):
    from splink import block_on

    if kind not in table:
        raise SystemExit(f"bare_splink: blocking must be one of {sorted(table)}")
    rules = [r for r in table[kind] if set(r) <= set(fields)]
    if kind == "tuned" and len(rules) < len(table[kind]):
        raise SystemExit("bare_splink: tuned blocking needs first_name, surname, dob, postcode")
    return [block_on(*r) for r in rules]


def build_settings(fields: list[str], postcode_style: str, blocking: str = "standard"):
    import splink.comparison_library as cl
    from splink import SettingsCreator

    comparisons = []
    if "first_name" in fields:
        comparisons.append(cl.NameComparison("first_name"))
    if "surname" in fields:
        comparisons.append(cl.NameComparison("surname"))
    if "dob" in fields:
        comparisons.append(cl.DateOfBirthComparison("dob", input_is_string=True))
    if "sex" in fields:
        comparisons.append(cl.ExactMatch("sex"))
    if "postcode" in fields:
        comparisons.append(cl.PostcodeComparison("postcode") if postcode_style == "uk"
                           else cl.ExactMatch("postcode").configure(
                               term_frequency_adjustments=True))
    rules = _rules(blocking, PREDICT_RULES, fields)
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=rules,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def run(spec: dict, out: Path, timings_path: Path | None = None) -> dict:
    from splink import DuckDBAPI, Linker, block_on

    t0 = time.perf_counter()
    ref, src = spec["reference"], spec["source"]
    fields = [f for f in FIELDS if f in ref["columns"] and f in src["columns"]]
    if not {"first_name", "surname", "dob"} <= set(fields):
        raise SystemExit("bare_splink: first_name, surname and dob are required on both sides")
    seed = int(spec.get("seed", 42))

    con = duckdb.connect()
    con.execute(f"CREATE TABLE ref_clean AS {_clean_sql(ref, fields)}")
    con.execute(f"CREATE TABLE src_clean AS {_clean_sql(src, fields)}")
    db_api = DuckDBAPI(connection=con)
    # display names become source_dataset values; never 'left'/'right'
    ref_name, src_name = f"ref_{ref['name']}", f"src_{src['name']}"
    sdf_ref = db_api.register("ref_clean", table_name=ref_name)
    sdf_src = db_api.register("src_clean", table_name=src_name)
    t_load = time.perf_counter()

    blocking = spec.get("blocking", "standard")
    settings = build_settings(fields, spec.get("postcode_style", "uk"), blocking)
    linker = Linker([sdf_ref, sdf_src], settings, log_level=logging.WARNING)
    tr = linker.training
    tr.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob")], recall=0.7)
    tr.estimate_u_using_random_sampling(max_pairs=1e7, seed=seed)
    t_u = time.perf_counter()
    for rule in _rules(blocking, EM_RULES, fields):
        tr.estimate_parameters_using_expectation_maximisation(rule)
    t_train = time.perf_counter()

    pred = linker.inference.predict(threshold_match_probability=0.5)
    links = con.sql(f"""
        SELECT CASE WHEN source_dataset_l = {_lit(ref_name)} THEN unique_id_l
                    ELSE unique_id_r END AS reference_id,
               CASE WHEN source_dataset_l = {_lit(ref_name)} THEN unique_id_r
                    ELSE unique_id_l END AS source_id,
               match_probability, match_weight
        FROM {pred.physical_name}
        WHERE match_probability >= 0.5
    """)
    out.parent.mkdir(parents=True, exist_ok=True)
    links.write_parquet(str(out))
    t_pred = time.perf_counter()

    n_links = con.execute(f"SELECT COUNT(*) FROM read_parquet({_lit(str(out))})").fetchone()[0]
    timings = {
        "load_s": t_load - t0,
        "train_s": t_train - t_load,
        "u_s": t_u - t_load,
        "blocking": blocking,
        "predict_s": t_pred - t_train,
        "link_s": t_pred - t_load,  # training + prediction (incl. writing links)
        "total_s": t_pred - t0,
        "links": int(n_links),
        "ref_rows": con.execute("SELECT COUNT(*) FROM ref_clean").fetchone()[0],
        "src_rows": con.execute("SELECT COUNT(*) FROM src_clean").fetchone()[0],
        "fields": fields,
    }
    if timings_path:
        timings_path.write_text(json.dumps(timings, indent=2))
    return timings


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spec", required=True, type=Path, help="JSON spec (see module doc)")
    ap.add_argument("--out", required=True, type=Path, help="links Parquet to write")
    ap.add_argument("--timings", type=Path, default=None, help="timings JSON to write")
    args = ap.parse_args(argv)
    spec = json.loads(args.spec.read_text())
    base = args.spec.resolve().parent
    for side in ("reference", "source"):  # paths relative to the spec file
        p = Path(spec[side]["path"])
        spec[side]["path"] = str(p if p.is_absolute() else base / p)
    t = run(spec, args.out, args.timings)
    print(json.dumps(t))


if __name__ == "__main__":
    main()
