"""The Spark backend gives the DuckDB backend's results.

Needs pyspark (`pip install -e ".[spark]"`) and Java. Skipped, with the reason, when either
is missing outside CI; in CI (the CI variable set) a missing one is a failure.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from spinelink.backends import open_engine

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "sample_data" / "demo_job.yaml"
pytestmark = pytest.mark.spark


def _missing() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install -e '.[spark]')"
    java_home = os.environ.get("JAVA_HOME")
    if not shutil.which("java") and not (java_home and Path(java_home, "bin", "java").exists()):
        return "java is not installed (Spark needs Java 17)"
    return None


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    reason = _missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"the Spark backend must be tested in CI: {reason}")
        pytest.skip(reason)
    engine = open_engine("spark", work_dir=tmp_path_factory.mktemp("spark_work"))
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def duck():
    engine = open_engine("duckdb")
    yield engine
    engine.close()


def _frame(engine, sql, params=None) -> pd.DataFrame:
    df = engine.df(sql, params)
    return df.astype(object).where(df.notna(), None).reset_index(drop=True)


# -- translation ----------------------------------------------------------------------------
SCRIPT_1 = """
CREATE OR REPLACE TEMP TABLE t_links (reference_id VARCHAR, source_id VARCHAR, step INTEGER);
CREATE OR REPLACE TEMP TABLE t_pool AS
    SELECT * FROM (VALUES ('a', 'x1'), ('b', 'x2'), ('c', 'x3'), ('d', NULL)) v(record_id, k);
INSERT INTO t_links SELECT 'r1', 'a', 0;
INSERT INTO t_links SELECT 'r2', record_id, 1 FROM t_pool WHERE k = 'x2'
"""
DELETE = """
DELETE FROM t_pool WHERE $on AND record_id IN (SELECT source_id FROM t_links)
"""
SCRIPT_2 = """
CREATE OR REPLACE TEMP MACRO t_pc(s) AS nullif(regexp_replace(upper(s), '[^A-Z0-9]', '', 'g'), '');
CREATE OR REPLACE TEMP MACRO t_fmt(p) AS
    CASE WHEN length(p) BETWEEN 5 AND 7
         THEN substr(p, 1, length(p) - 3) || ' ' || substr(p, length(p) - 2) ELSE p END;
CREATE OR REPLACE TEMP VIEW t_view AS SELECT t_fmt(t_pc(' sw1a-1aa ')) AS pc
"""


def test_statements_and_macros_match_duckdb(spark, duck):
    for e in (spark, duck):
        e.execute(SCRIPT_1)
        e.execute(DELETE, {"on": True})
        e.execute(SCRIPT_2)
    queries = [
        ("SELECT * FROM t_links ORDER BY step", None),
        ("SELECT * FROM t_pool ORDER BY record_id", None),
        ("SELECT pc, strpos(pc, ' ') AS p, translate(pc, 'SW', 'sw') AS t FROM t_view", None),
        ("SELECT regexp_full_match(v, '[0-9]{5}(\\.[0-9]+)?') AS full, "
         "regexp_matches(v, '[0-9]') AS part, list_contains($codes, v) AS known "
         "FROM (VALUES ('12345'), ('12345.5'), ('123456x'), ('m')) t(v) ORDER BY v",
         {"codes": ["m", "f", "o'k"]}),
        ("SELECT CAST($d - to_years($n) AS DATE) AS d, $s AS s, $x AS x",
         {"d": dt.date(2020, 2, 29), "n": 120, "s": "it's", "x": 1.5}),
        ("SELECT record_id, list(k) AS ks FROM t_pool GROUP BY record_id ORDER BY 1", None),
        ("SELECT nullif(list_position($o, v), 0) AS p, len($o) AS n FROM "
         "(VALUES ('b'), ('z')) t(v) ORDER BY v", {"o": ["a", "b"]}),
        ("SELECT s.record_id FROM read_parquet($p) s ORDER BY 1", None),
    ]
    path = Path(spark._work) / "t_read.parquet"
    duck.write_parquet("SELECT * FROM t_pool", path)
    for sql, params in queries:
        if "read_parquet" in sql:
            params = {"p": str(path)}
        a, b = _frame(spark, sql, params), _frame(duck, sql, params)
        if "ks" in a.columns:
            for f in (a, b):
                f["ks"] = f["ks"].map(lambda v: sorted(v) if v is not None else None)
        assert a.to_dict("records") == b.to_dict("records"), sql


def test_unsupported_sql_is_refused_clearly(spark):
    from spinelink.backends.sql_translate import TranslationError

    with pytest.raises(TranslationError, match="'g' option"):
        spark.df("SELECT regexp_replace('aa', 'a', 'b') AS x")
    with pytest.raises(TranslationError, match="%H"):
        spark.df("SELECT try_strptime('1', '%H') AS x")


DATES = {
    "%d/%m/%Y": ["01/02/1990", "1/2/1990", "32/01/1990", "29/02/1991", "29/02/1992",
                 "01/02/90", "01/02/19900", "01/13/1990", "001/02/1990", " 01/02/1990 ",
                 "01/02/1990x", "00/01/1990", "1/1/1", "", "45123"],
    "%Y-%m-%d": ["1990-01-02", "1990-1-2", "1990-01-02T00:00", "12345-01-02"],
    "%Y%m%d": ["19900102", "1990012", "199001023", "199012"],
    "%d %b %Y": ["01 Jan 1990", "01 JAN 1990", "1 January 1990", "01  Sep 1990",
                 "01Jan1990", "01 Mai 1990"],
    "%d/%m/%y": ["01/02/90", "01/02/20", "01/02/68", "01/02/69", "01/02/1990", "1/2/5"],
    "%d.%m.%Y": ["01.02.1990", "01,02,1990"],
    "%d %B %Y": ["1 January 1990", "01 SEPTEMBER 1990", "01 Sep 1990"],
    "%b %d, %Y": ["Feb 13, 1980", "feb 13, 1980", "Feb 13 1980", "Feb 13,1980",
                  "February 13, 1980"],
    "%B %d, %Y": ["February 13, 1980", "december 1, 1975", "Feb 13, 1980"],
    "%d.%m.%y": ["13.02.81", "1.2.5", "13.02.1981", "13/02/81"],
}


def test_try_strptime_matches_duckdb(spark, duck):
    rows = [(f, v) for f, vs in DATES.items() for v in vs]
    for e in (spark, duck):
        e.register("t_dates", pd.DataFrame(rows, columns=["f", "v"]))
    for fmt in DATES:
        sql = ("SELECT v, CAST(try_strptime(v, $fmt) AS DATE) AS d FROM t_dates "
               "WHERE f = $fmt ORDER BY v")
        assert (_frame(spark, sql, {"fmt": fmt}).to_dict("records")
                == _frame(duck, sql, {"fmt": fmt}).to_dict("records")), fmt


def test_date_parts_match_duckdb(spark, duck):
    days = [dt.date(2000, 1, 31), dt.date(2000, 2, 29), dt.date(2000, 3, 1), dt.date(2001, 2, 28),
            dt.date(2021, 2, 28), dt.date(2021, 3, 21), dt.date(1950, 12, 31), dt.date(2020, 1, 30)]
    rows = [(a, b) for a in days for b in days]
    for e in (spark, duck):
        e.register("t_days", pd.DataFrame(rows, columns=["a", "b"]))
    sql = ("SELECT a, b, date_sub('year', a, b) AS y, date_sub('month', a, b) AS m, "
           "date_sub('day', a, b) AS d, date_diff('year', a, b) AS dy, "
           "date_diff('month', a, b) AS dm FROM t_days ORDER BY a, b")
    assert _frame(spark, sql).to_dict("records") == _frame(duck, sql).to_dict("records")


def test_inclusive_jaro_winkler_runs_on_spark_as_on_duckdb(spark, duck):
    """The one inclusive Jaro-Winkler comparison (`sqlfiles.jaro_winkler_at_least`, in the
    SQL files: finalise/first_name_forms.sql) goes through the Spark translation, and
    Splink's Spark form of the model's levels (its own sqlglot transpilation of the
    DuckDB condition) runs on the session with the jar's similarity: both hold the pairs
    DuckDB holds, "aha" / "ana" (0.8 exactly, computed a hair below) among them."""
    from spinelink.model_fields import Fields
    from spinelink.model_spec import load_model_spec, settings_for
    from spinelink.resources import data_dir
    from spinelink.sqlfiles import expand_similarity

    # (no missing value: the jar's similarity of NULL is 0, not NULL, so a comparison with
    # it is false on Spark and NULL on DuckDB, alike wherever a condition is read as true
    # or not; a model level never sees it, the null level comes first)
    rows = [("aha", "ana"), ("bob", "bib"), ("martha", "marhta"), ("anxe", "ana"),
            ("jon", "john"), ("dwayne", "duane")]
    for e in (spark, duck):
        e.register("t_jw", pd.DataFrame(rows, columns=["a", "b"]))
    sql = expand_similarity("SELECT a, b, jaro_winkler_at_least(a, b, 0.8) AS at80, "
                            "jaro_winkler_at_least(a, b, 0.92) AS at92 FROM t_jw ORDER BY a, b")
    got = _frame(spark, sql).to_dict("records")
    assert got == _frame(duck, sql).to_dict("records")
    assert {(r["a"], r["b"]): r["at80"] for r in got}[("aha", "ana")] is True

    spec = load_model_spec(data_dir("linkage_models") / "person_auto.yaml")
    fields = frozenset({"first_name", "last_name", "postcode", "address"})
    conds = {}
    for dialect in ("spark", "duckdb"):
        settings = settings_for(spec, Fields(compare=fields, block=fields)
                                ).get_settings(dialect).as_dict()
        conds[dialect] = [lv["sql_condition"] for c in settings["comparisons"]
                          for lv in c["comparison_levels"]
                          if "jaro" in lv["sql_condition"].lower()]
    assert len(conds["spark"]) == len(conds["duckdb"]) >= 4
    frame = pd.DataFrame([{f"{c}_{s}": v for c in ("first_name", "last_name", "address",
                                                   "address_rom")
                           for s, v in (("l", a), ("r", b))} | {"postcode_l": "1",
                                                                "postcode_r": "1"}
                          for a, b in rows])
    spark.spark.createDataFrame(frame.astype(object).where(frame.notna(), None)
                                ).createOrReplaceTempView("t_jw_levels")
    con = duckdb.connect()
    con.register("t_jw_levels", frame)
    for on_spark, on_duck in zip(conds["spark"], conds["duckdb"], strict=True):
        a = [r[0] for r in spark.spark.sql(
            f"SELECT ({on_spark}) AS v FROM t_jw_levels ORDER BY first_name_l, "
            "first_name_r").collect()]
        b = [r[0] for r in con.execute(
            f"SELECT ({on_duck}) AS v FROM t_jw_levels ORDER BY first_name_l, "
            "first_name_r").fetchall()]
        assert a == b, on_spark
        assert "ROUND(" in on_spark.upper()


NAMES = ["Jean-Paul", "O'Brien", "Zoë", "Ångström", "Łukasz", "Søren", "Straße", "Þór",
         "İbrahim", "Олександр", "Юлія", "Євген", "Згурський", "Ярослав", "Щербак",
         "Мар'яна", "Иван", "Fyodor Ёлкин", "Ђорђе", "Ñandú", "  mary   ann ", "D'Arcy",
         "ʻOumuamua", "Ǆemal", "ﬁona", "José María", "Nguyễn Văn", "李", "Müller-Lüdenscheidt",
         "", None, "123", "A.B.", "Анна-Марія", "й", "ї", "Ґанна", "MacDonald",
         "Dr. Jan Kowalski", "MRS MARIA", "Prof Dr Olena", "Drew",
         # Latin look-alikes typed inside Cyrillic words (sl_homoglyphs), и before ї / є
         "Кpaвчук", "Iгop", "Pудeнкo", "Київ", "Києва", "Smith Кравчук", "Kyiv Київ"]


def test_clean_names_match_duckdb(spark, duck):
    from spinelink.name_values import clean_names

    assert clean_names(spark, NAMES) == clean_names(duck, NAMES)


def test_write_parquet_is_one_file_with_duckdb_types(spark, duck, tmp_path):
    sql = ("SELECT CAST('a' AS VARCHAR) AS s, CAST(1.5 AS DOUBLE) AS d, "
           "CAST(2 AS BIGINT) AS b, CAST(3 AS INTEGER) AS i, CAST('2020-01-02' AS DATE) AS dt "
           "UNION ALL SELECT NULL, NULL, NULL, NULL, NULL")
    assert spark.write_parquet(sql, tmp_path / "s" / "x.parquet") == 2
    duck.write_parquet(sql, tmp_path / "d" / "x.parquet")
    assert [p.name for p in (tmp_path / "s").iterdir()] == ["x.parquet"]
    a, b = pq.read_table(tmp_path / "s" / "x.parquet"), pq.read_table(tmp_path / "d" / "x.parquet")
    assert [(f.name, f.type) for f in a.schema] == [(f.name, f.type) for f in b.schema]
    assert a.to_pylist() == b.to_pylist()
    assert spark.write_parquet("SELECT * FROM (SELECT 1 AS x) t WHERE x > 1",
                               tmp_path / "s" / "empty.parquet") == 0


def test_incremental_changes_file_matches_duckdb(spark, duck, tmp_path):
    """changes/<source>.parquet (sql/incremental/changes.sql): sorted link sets, the
    listed records and their reasons as on DuckDB."""
    from spinelink.incremental.link import write_changes

    status = pd.DataFrame({"record_id": list("abcde"),
                           "status": ["new", "unchanged", "removed", "changed", "unchanged"]})
    for name, rows in (("old", [("r9", "b", "k"), ("r0", "c", "z"), ("r5", "e", "p")]),
                       ("new", [("r2", "a", "y"), ("r1", "a", "x"), ("r0", "b", "z"),
                                ("r5", "e", "p")])):
        pd.DataFrame(rows, columns=["reference_id", "source_id", "method"]).assign(
            match_probability=1.0, match_weight=1.0).to_parquet(tmp_path / f"{name}.parquet")
    got = {}
    for tag, engine in (("spark", spark), ("duck", duck)):
        counts = write_changes(engine, tmp_path / tag, "s", status, tmp_path / "old.parquet",
                               tmp_path / "new.parquet", pd.Index(list("abcd")))
        got[tag] = (counts, pd.read_parquet(tmp_path / tag / "changes" / "s.parquet"))
    assert got["spark"][0] == got["duck"][0] == {
        "changed record": 1, "new": 1, "relinked": 1, "removed in a replacing delivery": 1}
    pd.testing.assert_frame_equal(got["spark"][1], got["duck"][1])
    assert got["duck"][1][["record_id", "old_links", "new_links", "new_method"]].values.tolist(
    ) == [["a", "", "r1;r2", "x;y"], ["b", "r9", "r0", "z"], ["c", "r0", "", ""],
          ["d", "", "", ""]]


MESSY_JOB = """\
schema_version: 1
name: messy
reference: census
reference_date: 2021-03-21
sources:
  census:
    role: census
    path: c.csv
    id: person_id
    columns: {first_name: forename, last_name: surname, date_of_birth: dob, sex: sex}
    invalid_values: quarantine
  admin:
    role: admin
    path: a.csv
    id: aid
    columns: {first_name: forename, last_name: surname, date_of_birth: dob, sex: sex}
    invalid_values: set_missing
"""
MESSY_ROWS = """\
1,Ann,Lee,01/02/1980,F
1,Bob,Day,01/02/1970,M
,Cat,Ray,01/02/1970,F
4,Dan,Fox,31/02/1980,M
5,Eve,Kim,01/02/2030,F
6,Fay,Lin,01/02/1880,F
7,Gus,Moe,29252,M
8,Hal,Ng,01/02/1980,Q
9,Ivy,Oh,1/2/1981,f
10,Jo,Poe,,
11,Kit,Qi,01/02/1980,F,extra
12,Lou,Rae
13,Максим,Шевченко,05/06/1990,m
14,Una,Vos,01/02/1980 0:00:00,чол.
15,Val,Wu,01/02/1981 12:00:00 AM,Ж.
"""


def test_messy_intake_matches_duckdb(spark, tmp_path):
    from spinelink.pipeline import run_job

    (tmp_path / "job.yaml").write_text(MESSY_JOB, encoding="utf-8")
    (tmp_path / "c.csv").write_text("person_id,forename,surname,dob,sex\n" + MESSY_ROWS,
                                    encoding="utf-8")
    (tmp_path / "a.csv").write_text("aid,forename,surname,dob,sex\n" + MESSY_ROWS,
                                    encoding="utf-8")
    a = run_job(tmp_path / "job.yaml", str(tmp_path / "d"), validate_only=True)
    b = run_job(tmp_path / "job.yaml", str(tmp_path / "s"), validate_only=True,
                backend="spark")
    assert a.accounting == b.accounting
    assert a.accounting["census"]["quarantined"] >= 8
    assert (json.loads((tmp_path / "d" / "intake" / "report.json").read_text())
            == json.loads((tmp_path / "s" / "intake" / "report.json").read_text()))
    files = sorted(p.relative_to(tmp_path / "d") for p in (tmp_path / "d").rglob("*.parquet"))
    assert files == sorted(p.relative_to(tmp_path / "s")
                           for p in (tmp_path / "s").rglob("*.parquet"))
    for rel in files:
        x, y = pq.read_table(tmp_path / "d" / rel), pq.read_table(tmp_path / "s" / rel)
        assert [(f.name, f.type) for f in x.schema] == [(f.name, f.type) for f in y.schema]
        assert x.to_pylist() == y.to_pylist(), rel


def test_two_digit_years_and_lost_zeros_read_as_on_duckdb(spark, tmp_path):
    from spinelink.pipeline import run_job

    rows = {"yy": ("%d.%m.%y", ["03.01.67", "15.06.20", "01.05.21", "29.02.00"]),
            "mdy": ("%m%d%Y", ["12042018", "2172018", "1212015", "10311999"])}
    for name, (fmt, dob) in rows.items():
        pd.DataFrame({"pid": list("abcd"), "fn": ["A"] * 4, "ln": ["B"] * 4,
                      "dob": dob}).to_parquet(tmp_path / f"{name}.parquet")
        (tmp_path / f"{name}.yaml").write_text(
            "schema_version: 1\nname: t\nreference: census\nreference_date: 2021-03-21\n"
            f"sources:\n  census: {{role: census, path: {name}.parquet, id: pid, "
            f"date_format: '{fmt}', columns: {{first_name: fn, last_name: ln, "
            "date_of_birth: dob}}\n")
        got = []
        for backend in ("duckdb", "spark"):
            run_job(tmp_path / f"{name}.yaml", str(tmp_path / f"{name}_{backend}"),
                    validate_only=True, backend=backend)
            a = pd.read_parquet(tmp_path / f"{name}_{backend}" / "intake" / "census.parquet")
            got.append(list(a["_dob"].astype(str).str[:10]))
        assert got[0] == got[1] == {
            "yy": ["1967-01-03", "2020-06-15", "1921-05-01", "2000-02-29"],
            "mdy": ["2018-12-04", "2018-02-17", "2015-01-21", "1999-10-31"]}[name]


def test_mistyped_dates_read_as_on_duckdb(spark, tmp_path):
    """Dates read as mistyped (day and month swapped, digits written as letters) and the
    ones no reading parses: the same dates and flags on both engines."""
    from test_intake_date_repair import CLEAN, MISTYPED

    from spinelink.pipeline import run_job

    dob = CLEAN + [v for v, _ in MISTYPED]
    pd.DataFrame({"pid": [f"p{i}" for i in range(len(dob))], "fn": ["A"] * len(dob),
                  "ln": ["B"] * len(dob), "dob": dob}).to_parquet(tmp_path / "c.parquet")
    (tmp_path / "job.yaml").write_text(
        "schema_version: 1\nname: t\nreference: census\nreference_date: 2021-03-21\n"
        "sources:\n  census: {role: census, path: c.parquet, id: pid, "
        "columns: {first_name: fn, last_name: ln, date_of_birth: dob}}\n")
    got = []
    for backend in ("duckdb", "spark"):
        out = tmp_path / backend
        run_job(tmp_path / "job.yaml", str(out), validate_only=True, backend=backend)
        a = pd.read_parquet(out / "intake" / "census.parquet")
        v = pd.read_parquet(out / "quarantine" / "census_values.parquet")
        got.append(([None if pd.isna(x) else str(x)[:10] for x in a["_dob"]],
                    sorted(zip(v["_row"], v["reason"], v["action"], strict=True))))
    assert got[0] == got[1]
    assert got[0][0][len(CLEAN):] == [w for _, w in MISTYPED]


def test_integration_plan_of_a_job_without_integrate_section(spark, duck, tmp_path):
    """A job with no `integrate:` section has an empty plan; its columns keep their types
    on both engines (an untyped empty boolean once broke Spark's integration SQL)."""
    from spinelink.config import load_job
    from spinelink.integrate.choose import build_plan

    job = yaml.safe_load(DEMO.read_text())
    job.pop("integrate", None)
    job.pop("quality", None)
    job.pop("analysis", None)  # its imputation names integrated variables
    job.pop("integrate_options", None)
    for src in job["sources"].values():
        src["path"] = str((DEMO.parent / src["path"]).resolve())
    (tmp_path / "job.yaml").write_text(yaml.safe_dump(job))
    plan, codes = build_plan(load_job(tmp_path / "job.yaml").job)
    assert plan.empty
    sql = ("SELECT count(*) AS n FROM t_plan WHERE CASE WHEN coded THEN prio + 1 > 0 "
           "ELSE trim END")
    for engine in (spark, duck):
        engine.register("t_plan", plan)
        engine.register("t_codes", codes)
        assert engine.df(sql)["n"].tolist() == [0]


def test_spark_section_of_the_job_file(tmp_path):
    from spinelink.config import load_job
    from spinelink.errors import JobError

    base = MESSY_JOB.replace("name: messy", "name: messy\nbackend: spark")
    (tmp_path / "job.yaml").write_text(
        base + "spark: {master: 'local[1]', config: {spark.sql.shuffle.partitions: 3}}\n")
    job = load_job(tmp_path / "job.yaml").job
    assert job.backend == "spark" and job.spark.master == "local[1]"
    assert job.spark.config == {"spark.sql.shuffle.partitions": 3}
    (tmp_path / "job.yaml").write_text(base + "spark: {mastr: x}\n")
    with pytest.raises(JobError, match="spark.mastr"):
        load_job(tmp_path / "job.yaml")


# -- a whole job ----------------------------------------------------------------------------
def _outputs(out: Path) -> dict[str, list]:
    """Every output file (hidden work folders aside), with column names and types."""
    found = {}
    for p in sorted(out.rglob("*")):
        rel = p.relative_to(out)
        if p.is_dir() or any(part.startswith(".") for part in rel.parts):
            continue
        found[str(rel)] = ([(f.name, str(f.type)) for f in pq.read_schema(p)]
                           if p.suffix == ".parquet" else None)
    return found


def _links(out: Path) -> pd.DataFrame:
    frames = [pd.read_parquet(p).assign(source=p.stem)
              for p in sorted((out / "links").glob("*.parquet"))]
    return pd.concat(frames, ignore_index=True)


def _pairs(df: pd.DataFrame) -> set:
    return set(zip(df["source"], df["reference_id"], df["source_id"], df["method"], strict=True))


def _demo_job(folder: Path, max_pairs_u: float) -> Path:
    """The demo job, with u estimated on fewer random pairs (Spark compares pairs some
    ten times slower than DuckDB on two cores; this keeps the test to a few minutes) and
    fixed thresholds: the engines sample different random pairs for u, and the test
    compares the engines, not the threshold each one's model would choose."""
    job = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    for src in job["sources"].values():
        src["path"] = str((DEMO.parent / src["path"]).resolve())
    for link in job["links"].values():
        if link.get("probabilistic") is not None:
            link["probabilistic"].update(max_pairs_u=max_pairs_u, accept=0.9, review=0.5)
    path = folder / "demo_job.yaml"
    path.write_text(yaml.safe_dump(job, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.slow
def test_demo_job_on_spark_matches_duckdb(spark, tmp_path):
    from spinelink.pipeline import run_job

    job = _demo_job(tmp_path, 3e5)
    duck_out, spark_out = tmp_path / "duckdb", tmp_path / "spark"
    run_job(job, str(duck_out))
    result = run_job(job, str(spark_out), backend="spark")

    man_d = json.loads((duck_out / "run_manifest.json").read_text())
    man_s = json.loads((spark_out / "run_manifest.json").read_text())
    assert man_s["backend"] == "spark" and man_s["overrides"]["backend"] == "spark"
    assert man_d["backend"] == "duckdb"

    # the same files, with the same columns and types
    assert _outputs(spark_out) == _outputs(duck_out)
    assert not (spark_out / ".spark").exists()

    # intake and standardisation give the very same rows
    for folder in ("intake", "quarantine", "standardised"):
        for p in sorted((duck_out / folder).glob("*.parquet")):
            a = pd.read_parquet(p)
            b = pd.read_parquet(spark_out / folder / p.name)
            pd.testing.assert_frame_equal(
                a.sort_values(list(a.columns)).reset_index(drop=True),
                b.sort_values(list(b.columns)).reset_index(drop=True), check_dtype=False)

    # record accounting adds up, and reads/acceptance agree
    for man in (man_d, man_s):
        for name, a in man["accounting"].items():
            assert a["read"] == a["accepted"] + a["quarantined"], name
            if "linked" in a:
                assert a["accepted"] == a["linked"] + a["review"] + a["unlinked"], name
    for name, a in man_d["accounting"].items():
        b = man_s["accounting"][name]
        assert (a["read"], a["accepted"], a["quarantined"]) == (
            b["read"], b["accepted"], b["quarantined"]), name
    assert result.accounting == man_s["accounting"]

    # deterministic links identical; probabilistic links agree on >= 99% of pairs
    ld, ls = _links(duck_out), _links(spark_out)
    det_d = _pairs(ld[ld["method"] != "probabilistic"])
    det_s = _pairs(ls[ls["method"] != "probabilistic"])
    assert det_d == det_s
    prob_d = _pairs(ld[ld["method"] == "probabilistic"])
    prob_s = _pairs(ls[ls["method"] == "probabilistic"])
    assert prob_d, "the demo should make probabilistic links"
    jaccard = len(prob_d & prob_s) / len(prob_d | prob_s)
    assert jaccard >= 0.99, f"probabilistic links agree on {jaccard:.3f} of pairs"


def test_incremental_tables_match_duckdb(spark, duck, tmp_path):
    """What an incremental run builds on the engine, as on DuckDB: the previous run's links
    of the records kept (sql/incremental/kept.sql), the restandardised table's union of
    kept and new rows by column name (Spark has no UNION ALL BY NAME), and the closure's
    seeds (sql/incremental/cascade_keys_seeded.sql)."""
    from spinelink.incremental.state import id_table
    from spinelink.sqlfiles import sql_file

    pd.DataFrame({"reference_id": ["r1", "r2", "r3"], "source_id": ["a", "b", "c"],
                  "method": "key:x"}).to_parquet(tmp_path / "links.parquet")
    pd.DataFrame({"record_id": ["a", "c"], "x": ["1", None], "y": [1.0, 3.0]}).to_parquet(
        tmp_path / "old.parquet")
    pd.DataFrame({"y": [4.0], "record_id": ["d"], "z": ["n"]}).to_parquet(
        tmp_path / "new.parquet")
    got = {}
    for tag, engine in (("spark", spark), ("duck", duck)):
        engine.register("t_drop", id_table(["b", "zz"]))
        engine.create_table("t_kept", sql_file("incremental/kept.sql", drop="t_drop"),
                            {"previous": str(tmp_path / "links.parquet")})
        kept = _frame(engine, "SELECT * FROM t_kept ORDER BY source_id")
        engine.view_parquet("t_old", tmp_path / "old.parquet")
        engine.view_parquet("t_new", tmp_path / "new.parquet")
        union = _frame(engine, f"SELECT * FROM ({engine.union_by_name(['t_old', 't_new'])}) "
                       "ORDER BY record_id")
        engine.register("t_seed", id_table(["c"]))
        seeds = _frame(engine, sql_file("incremental/cascade_keys_seeded.sql", table="t_old",
                                        seeds="t_seed", hashes="1 AS h0")
                       + " ORDER BY record_id")
        got[tag] = (kept, union, seeds)
    for a, b in zip(got["spark"], got["duck"], strict=True):
        pd.testing.assert_frame_equal(a, b, check_dtype=False)
    kept, union, seeds = got["duck"]
    assert kept["source_id"].tolist() == ["a", "c"]
    assert list(union.columns) == ["record_id", "x", "y", "z"]
    assert union.values.tolist() == [["a", "1", 1.0, None], ["c", None, 3.0, None],
                                     ["d", None, 4.0, "n"]]
    assert seeds[["record_id", "seed"]].values.tolist() == [["a", False], ["c", True]]
