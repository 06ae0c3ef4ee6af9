"""Bare Splink 5 baseline: a plain, standard link_only model with simple cleaning.

Runnable on its own; `compare.py` runs it in a subprocess so that its wall time and peak
memory are measured separately from spinelink's.

    python benchmarks/bare_splink.py --spec spec.json --out links.parquet --timings t.json

The spec (JSON) names the two inputs and maps canonical fields to their columns:

    {"reference": {"name": "census", "path": "census.csv", "id": "person_id",
                   "date_format": "%d/%m/%Y", "delimiter": ",",
                   "columns": {"first_name": "forename", "surname": "surname",
                               "dob": "dob", "sex": "sex", "postcode": "postcode"},
                   "identifiers": {"ssn": "ssn_col"},  # optional
                   "sex_map": {"ч": "m", "ж": "f"},     # optional extra sex codes
                   "dob_is_number": false},              # true: 19800131.0 -> 19800131
     "source": {...same keys...},
     "postcode_style": "uk",            # "uk" -> cl.PostcodeComparison, else ExactMatch
     "blocking": "standard",            # or "tuned" (see PREDICT_RULES, EM_RULES)
     "link_rule": "all",                # or "best": each source record's best pair only
     "transliterate": false,            # true: Cyrillic to Latin (KMU 2010) before comparing
     "seed": 42}

Canonical fields: first_name, middle_name, surname, dob, sex, postcode, address (any may
be absent; only fields present on both sides are compared), plus identifiers both sides
declare. Cleaning is deliberately simple: names and addresses are lower-cased and trimmed
(addresses also lose punctuation), dates parsed with the given format and written as ISO
strings (unparseable dates become NULL), sex reduced to m/f, postcodes upper-cased (5-7
characters: one space before the last three, UK style), identifiers upper-cased without spaces or
dashes.

Output: Parquet with reference_id, source_id, match_probability, match_weight for every
predicted pair with match probability >= 0.5 (`link_rule: all`), or only each source
record's best such pair (`link_rule: best`: highest match weight, then lowest
reference_id), and a JSON of timings (seconds).
"""
from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import duckdb

FIELDS = ("first_name", "middle_name", "surname", "dob", "sex", "postcode", "address")
SEX_CODES = {"m": "m", "male": "m", "1": "m", "f": "f", "female": "f", "2": "f"}

# Cyrillic to Latin, Ukraine's national system (KMU 2010) without its word-initial forms:
# what a user without a transliteration library would write as a lookup table.
TRANSLIT = dict(zip("абвгґдеєжзиіїйклмнопрстуфхцчшщьюяыэёъ'’",
                    ["a", "b", "v", "h", "g", "d", "e", "ie", "zh", "z", "y", "i", "i", "i",
                     "k", "l", "m", "n", "o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch",
                     "sh", "shch", "", "iu", "ia", "y", "e", "e", "", "", ""], strict=True))


def _translit(value: str | None) -> str | None:
    if value is None:
        return None
    return "".join(TRANSLIT.get(ch, ch) for ch in value)


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


def _clean_expr(side: dict, f: str, translit: bool) -> str:
    c = f"NULLIF(TRIM(CAST({_q(side['columns'][f])} AS VARCHAR)), '')"
    if f in ("first_name", "middle_name", "surname"):
        expr = f"LOWER({c})"
        return f"bl_translit({expr})" if translit else expr
    if f == "address":
        expr = f"NULLIF(TRIM(regexp_replace(LOWER({c}), '[^\\p{{L}}\\p{{N}}]+', ' ', 'g')), '')"
        return f"bl_translit({expr})" if translit else expr
    if f == "dob":
        fmt = side.get("date_format", "%Y-%m-%d")
        if side.get("dob_is_number"):  # a number column: 19800131.0 -> '19800131'
            c = f"regexp_replace({c}, '\\.0*$', '')"
        return f"strftime(try_strptime({c}, {_lit(fmt)}), '%Y-%m-%d')"
    if f == "sex":
        codes = {**SEX_CODES, **{k.lower(): v for k, v in side.get("sex_map", {}).items()}}
        whens = " ".join(f"WHEN LOWER({c}) = {_lit(k)} THEN {_lit(v)}"
                         for k, v in sorted(codes.items()))
        return f"CASE {whens} END"
    pc = f"UPPER(REPLACE({c}, ' ', ''))"  # postcode (the same form on both sides)
    return (f"CASE WHEN LENGTH({pc}) BETWEEN 5 AND 7 "
            f"THEN LEFT({pc}, LENGTH({pc}) - 3) || ' ' || RIGHT({pc}, 3) "
            f"ELSE NULLIF({pc}, '') END")


def _clean_sql(side: dict, fields: list[str], idents: list[str],
               translit: bool = False) -> str:
    out = [f"CAST({_q(side['id'])} AS VARCHAR) AS unique_id"]
    out += [f"{_clean_expr(side, f, translit)} AS {f}" for f in fields]
    for name in idents:
        col = _q(side["identifiers"][name])
        out.append(f"NULLIF(regexp_replace(UPPER(CAST({col} AS VARCHAR)), '[\\s-]+', '', 'g'),"
                   f" '') AS {_q('id_' + name)}")
    return f"SELECT {', '.join(out)} FROM {_reader(side)}"


# Blocking: "standard" is the rule set of Splink's tutorials (first name + surname, date of
# birth; surname + postcode and the exact address where those exist; each shared
# identifier); "tuned" is what a Splink user picks after checking pair counts on names as
# concentrated as the generator's (first name + surname gives 204M pairs at 1M persons):
# two-field rules of about a million pairs each, for prediction and for EM.
PREDICT_RULES = {
    "standard": [("first_name", "surname"), ("dob",), ("surname", "postcode"), ("address",)],
    "tuned": [("first_name", "dob"), ("surname", "dob"), ("postcode", "dob"),
              ("first_name", "postcode"), ("surname", "postcode")],
}
EM_RULES = {
    "standard": [("first_name", "surname"), ("dob",)],
    "tuned": [("surname", "dob"), ("first_name", "postcode")],
}
# without a date of birth, the second EM session blocks on the first of these whose pair
# count is moderate (a Splink user counts pairs before training; 00000 zip codes or one
# town for everyone would give a cartesian product)
EM_FALLBACK = [("postcode",), ("address",), ("surname",), ("first_name",)]
EM_PAIRS = (1_000, 5_000_000)


def _rules(kind: str, table: dict, fields: list[str], idents: tuple[str, ...] = ()):
    from splink import block_on

    if kind not in table:
        raise SystemExit(f"bare_splink: blocking must be one of {sorted(table)}")
    rules = [r for r in table[kind] if set(r) <= set(fields)]
    if kind == "tuned" and len(rules) < len(table[kind]):
        raise SystemExit("bare_splink: tuned blocking needs first_name, surname, dob, postcode")
    return [block_on(*r) for r in rules] + [block_on(f"id_{i}") for i in idents]


def _middle_name_comparison():
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name="middle_name",
        comparison_levels=[
            cll.NullLevel("middle_name"),
            cll.ExactMatchLevel("middle_name"),
            cll.CustomLevel("substr(middle_name_l, 1, 1) = substr(middle_name_r, 1, 1)",
                            label_for_charts="initial agrees"),
            cll.ElseLevel(),
        ])


def build_settings(fields: list[str], postcode_style: str, blocking: str = "standard",
                   idents: tuple[str, ...] = ()):
    import splink.comparison_library as cl
    from splink import SettingsCreator

    comparisons = []
    if "first_name" in fields:
        comparisons.append(cl.NameComparison("first_name"))
    if "middle_name" in fields:
        comparisons.append(_middle_name_comparison())
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
    if "address" in fields:
        comparisons.append(cl.JaroWinklerAtThresholds("address", [0.95, 0.85]).configure(
            term_frequency_adjustments=True))
    comparisons += [cl.ExactMatch(f"id_{i}") for i in idents]
    rules = _rules(blocking, PREDICT_RULES, fields, idents)
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=rules,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def _pair_count(con, cols: tuple[str, ...]) -> int:
    keys = ", ".join(cols)
    nonnull = " AND ".join(f"{c} IS NOT NULL" for c in cols)
    return con.execute(f"""
        SELECT COALESCE(SUM(r.n * s.n), 0) FROM
          (SELECT {keys}, COUNT(*) AS n FROM ref_clean WHERE {nonnull} GROUP BY ALL) r
          JOIN (SELECT {keys}, COUNT(*) AS n FROM src_clean WHERE {nonnull} GROUP BY ALL) s
          USING ({keys})""").fetchall()[0][0]


def _em_rules(con, blocking: str, fields: list[str]) -> list[tuple[str, ...]]:
    rules = [r for r in EM_RULES[blocking] if set(r) <= set(fields)]
    if blocking == "standard" and "dob" not in fields:
        for cand in EM_FALLBACK:
            if set(cand) <= set(fields) and cand not in rules and \
                    EM_PAIRS[0] <= _pair_count(con, cand) <= EM_PAIRS[1]:
                rules.append(cand)
                break
    return rules


def _prior_rule(fields: list[str]) -> tuple[str, ...]:
    for extra in ("dob", "postcode", "address"):
        if extra in fields:
            return ("first_name", "surname", extra)
    return ("first_name", "surname")


LINK_SQL = {
    "all": "SELECT reference_id, source_id, match_probability, match_weight FROM oriented",
    # the one-link rule: each source record's best pair (ties: lowest reference_id)
    "best": """SELECT reference_id, source_id, match_probability, match_weight
               FROM oriented QUALIFY ROW_NUMBER() OVER (
                   PARTITION BY source_id
                   ORDER BY match_weight DESC, match_probability DESC, reference_id) = 1""",
}


def run(spec: dict, out: Path, timings_path: Path | None = None) -> dict:
    from splink import DuckDBAPI, Linker, block_on

    t0 = time.perf_counter()
    ref, src = spec["reference"], spec["source"]
    fields = [f for f in FIELDS if f in ref["columns"] and f in src["columns"]]
    idents = tuple(sorted(set(ref.get("identifiers", {})) & set(src.get("identifiers", {}))))
    if not {"first_name", "surname"} <= set(fields):
        raise SystemExit("bare_splink: first_name and surname are required on both sides")
    seed = int(spec.get("seed", 42))
    rule = spec.get("link_rule", "all")
    if rule not in LINK_SQL:
        raise SystemExit(f"bare_splink: link_rule must be one of {sorted(LINK_SQL)}")
    postcode_style = spec.get("postcode_style", "uk")
    translit = bool(spec.get("transliterate", False))

    con = duckdb.connect()
    if translit:
        con.create_function("bl_translit", _translit, ["VARCHAR"], "VARCHAR")
    for name, side in (("ref_clean", ref), ("src_clean", src)):
        con.execute(f"CREATE TABLE {name} AS "
                    f"{_clean_sql(side, fields, list(idents), translit)}")
    db_api = DuckDBAPI(connection=con)
    # display names become source_dataset values; never 'left'/'right'
    ref_name, src_name = f"ref_{ref['name']}", f"src_{src['name']}"
    sdf_ref = db_api.register("ref_clean", table_name=ref_name)
    sdf_src = db_api.register("src_clean", table_name=src_name)
    t_load = time.perf_counter()

    blocking = spec.get("blocking", "standard")
    settings = build_settings(fields, postcode_style, blocking, idents)
    linker = Linker([sdf_ref, sdf_src], settings, log_level=logging.WARNING)
    tr = linker.training
    tr.estimate_probability_two_random_records_match(
        [block_on(*_prior_rule(fields))], recall=0.7)
    tr.estimate_u_using_random_sampling(max_pairs=1e7, seed=seed)
    t_u = time.perf_counter()
    em_rules = _em_rules(con, blocking, fields)
    for r in em_rules:
        tr.estimate_parameters_using_expectation_maximisation(block_on(*r))
    t_train = time.perf_counter()

    pred = linker.inference.predict(threshold_match_probability=0.5)
    con.execute(f"""
        CREATE TABLE oriented AS
        SELECT CASE WHEN source_dataset_l = {_lit(ref_name)} THEN unique_id_l
                    ELSE unique_id_r END AS reference_id,
               CASE WHEN source_dataset_l = {_lit(ref_name)} THEN unique_id_r
                    ELSE unique_id_l END AS source_id,
               match_probability, match_weight
        FROM {pred.physical_name}
        WHERE match_probability >= 0.5
    """)
    out.parent.mkdir(parents=True, exist_ok=True)
    con.sql(LINK_SQL[rule]).write_parquet(str(out))
    t_pred = time.perf_counter()

    n_links = con.execute(f"SELECT COUNT(*) FROM read_parquet({_lit(str(out))})").fetchall()[0][0]
    timings = {
        "load_s": t_load - t0,
        "train_s": t_train - t_load,
        "u_s": t_u - t_load,
        "blocking": blocking,
        "em_rules": [list(r) for r in em_rules],
        "link_rule": rule,
        "predict_s": t_pred - t_train,
        "link_s": t_pred - t_load,  # training + prediction (incl. writing links)
        "total_s": t_pred - t0,
        "links": int(n_links),
        "ref_rows": con.execute("SELECT COUNT(*) FROM ref_clean").fetchall()[0][0],
        "src_rows": con.execute("SELECT COUNT(*) FROM src_clean").fetchall()[0][0],
        "fields": fields,
        "identifiers": list(idents),
    }
    if timings_path:
        timings_path.write_text(json.dumps(timings, indent=2))
    return timings


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spec", required=True, type=Path, help="JSON spec (see module doc)")
    ap.add_argument("--out", required=True, type=Path, help="links Parquet to write")
    ap.add_argument("--timings", type=Path, default=None, help="timings JSON to write")
    ap.add_argument("--rule", choices=sorted(LINK_SQL), default=None,
                    help="override the spec's link_rule")
    args = ap.parse_args(argv)
    spec = json.loads(args.spec.read_text())
    if args.rule:
        spec["link_rule"] = args.rule
    base = args.spec.resolve().parent
    for side in ("reference", "source"):  # paths relative to the spec file
        p = Path(spec[side]["path"])
        spec[side]["path"] = str(p if p.is_absolute() else base / p)
    t = run(spec, args.out, args.timings)
    print(json.dumps(t))


if __name__ == "__main__":
    main()
