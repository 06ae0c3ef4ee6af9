"""Property tests (hypothesis) for invariants the table-driven tests cannot cover:

* standardisation is idempotent on its own output (names, postcodes, addresses, sex and
  identifiers fed back in come out unchanged) — never-raises and name-cleaning
  idempotence are in test_standardise.py;
* comparisons are symmetric: scoring a pair with left and right swapped gives the same
  comparison levels (gamma) and match weight, term-frequency adjustments included, for
  the comparisons of the `auto` model as Splink runs them on DuckDB;
* record accounting holds on random small CSVs with random faults through intake:
  rows read = accepted + quarantined, each row in exactly one of the two.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import itertools

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spinelink.backends import open_engine
from spinelink.config import CANONICAL_FIELDS, MODELS_DIR, Source, load_job
from spinelink.errors import SpinelinkError
from spinelink.intake import intake_source
from spinelink.model_fields import Fields
from spinelink.model_spec import comparisons_for, load_model_spec
from spinelink.standardise import install_macros, standardise

PROPS = settings(max_examples=12, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture,
                                        HealthCheck.too_slow])
MANY = settings(PROPS, max_examples=40)  # the cheap ones
COLUMNS = {"first_name": "fn", "middle_name": "mn", "last_name": "sn",
           "date_of_birth": "dob", "sex": "sx", "postcode": "pc", "address": "addr"}
NAMES = st.sampled_from(["Jon", "John", "Jonathan", "Anna", "Ann", "Smith", "Smyth", "Lee",
                         "O'Brien", "Olena", "Олена", "Zoë", "Anne-Marie", "Li", ""])
TEXT = st.text(max_size=15)
POSTCODES = st.sampled_from(["SW1A 1AA", "sw1a1aa", "SW1A 1AB", "M1 1AE", "M11AE", "EC1",
                             "B33 8TH", ""])


@pytest.fixture(scope="module")
def engine():
    e = open_engine()
    install_macros(e)
    yield e
    e.close()


def _intake_table(path, rows: list[dict]):
    """An intake table as intake writes it (originals as VARCHAR, _dob as DATE)."""
    data = {"_row": pa.array(range(1, len(rows) + 1), pa.int64()),
            "record_id": pa.array([str(i) for i in range(1, len(rows) + 1)])}
    for c in COLUMNS.values():
        data[c] = pa.array([r.get(c) for r in rows], pa.string())
    data["_dob"] = pa.array([r.get("_dob") for r in rows], pa.date32())
    pq.write_table(pa.table(data), path)
    return path


def _standardise_table(engine, folder, rows: list[dict], tag: str) -> pa.Table:
    src = Source(role="admin", path="x.csv", id="id", columns=COLUMNS)
    out = folder / f"std_{tag}.parquet"
    standardise(engine, _intake_table(folder / f"in_{tag}.parquet", rows), src, out)
    return pq.read_table(out)


def _standardise(engine, folder, rows: list[dict], tag: str) -> list[dict]:
    table = _standardise_table(engine, folder, rows, tag)
    return sorted(table.to_pylist(), key=lambda r: int(r["record_id"]))


# ---- standardisation is idempotent ------------------------------------------------------

@PROPS
@given(st.lists(st.fixed_dictionaries({
    "fn": st.none() | NAMES | TEXT, "mn": st.none() | NAMES, "sn": st.none() | NAMES | TEXT,
    "sx": st.none() | st.sampled_from(["M", "f", "Female", "1", "2", "u", "x", ""]),
    "pc": st.none() | POSTCODES | TEXT, "addr": st.none() | TEXT,
    "_dob": st.none() | st.dates(dt.date(1900, 1, 1), dt.date(2021, 1, 1))}),
    min_size=1, max_size=6))
def test_standardising_standardised_values_changes_nothing(engine, tmp_path_factory, rows):
    folder = tmp_path_factory.mktemp("idem")
    once = _standardise(engine, folder, rows, "1")
    again = _standardise(engine, folder, [
        {"fn": r["first_name"], "mn": r["middle_name"], "sn": r["last_name"], "sx": r["sex"],
         "pc": r["postcode"], "addr": r["address"], "_dob": r["dob"]} for r in once], "2")
    fields = ("first_name", "middle_name", "last_name", "first_name_canon", "first_name_mp",
              "last_name_ny", "sex", "postcode", "postcode_sector", "postcode_district",
              "postcode_area", "address", "dob_iso", "dob_swapped")
    for a, b in zip(once, again, strict=True):
        assert {f: a[f] for f in fields} == {f: b[f] for f in fields}


@PROPS
@given(st.lists(st.none() | TEXT | POSTCODES, max_size=40))
def test_postcode_identifier_and_sex_macros_are_idempotent(engine, values):
    engine.register("__prop_values", pa.table({"v": pa.array(values, pa.string())}))
    bad = engine.scalar("""
        SELECT count(*) FROM __prop_values
        WHERE sl_postcode(sl_postcode(v)) IS DISTINCT FROM sl_postcode(v)
           OR sl_identifier(sl_identifier(v)) IS DISTINCT FROM sl_identifier(v)
           OR sl_sex(sl_sex(v)) IS DISTINCT FROM sl_sex(v)
           OR sl_postcode_outward(sl_postcode(v)) IS DISTINCT FROM
              sl_postcode_outward(sl_postcode(sl_postcode(v)))""")
    assert bad == 0


# ---- comparisons are symmetric ----------------------------------------------------------

@pytest.fixture(scope="module")
def comparisons():
    spec = load_model_spec(MODELS_DIR / "person_auto.yaml")
    every = frozenset(CANONICAL_FIELDS)
    return comparisons_for(spec, Fields(compare=every, block=every))


_SYM = itertools.count()


def _model_with_weights(linker) -> dict:
    """The model's settings with made-up m and u per level (no training needed: symmetry
    is a property of the comparison SQL and of how weights follow from it)."""
    model = linker.misc.save_model_to_json()
    for comp in model["comparisons"]:
        levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
        n = len(levels)
        for k, lv in enumerate(levels):
            lv["m_probability"] = (n - k) / (n * (n + 1) / 2)
            lv["u_probability"] = (k + 1) / (n * (n + 1) / 2)
    model["probability_two_random_records_match"] = 0.001
    return model


@PROPS
@given(st.lists(st.fixed_dictionaries({
    "fn": NAMES, "mn": st.none() | NAMES, "sn": NAMES, "sx": st.sampled_from(["M", "F", ""]),
    "pc": POSTCODES, "addr": st.sampled_from(["1 High St", "1 High Street", "2 Low Rd", ""]),
    "_dob": st.none() | st.dates(dt.date(1980, 1, 1), dt.date(1980, 12, 31)),
    "tf": st.floats(0.0001, 0.5)}), min_size=2, max_size=5))
def test_comparisons_are_symmetric(engine, tmp_path_factory, comparisons, rows):
    from splink import Linker, SettingsCreator

    table = _standardise_table(engine, tmp_path_factory.mktemp("sym"), rows, "1")
    tf = {str(i): r["tf"] for i, r in enumerate(rows, start=1)}
    for c in ("first_name", "last_name", "postcode"):  # term frequencies given per record
        table = table.append_column(f"tf_{c}", pa.array(
            [tf[i] for i in table.column("record_id").to_pylist()], pa.float64()))
    engine.register("__prop_sym", table)
    db = engine.splink_db_api()
    n = next(_SYM)
    left = db.register("__prop_sym", table_name=f"sym_l_{n}")
    right = db.register("__prop_sym", table_name=f"sym_r_{n}")
    settings_ = SettingsCreator(link_type="link_only", unique_id_column_name="record_id",
                                comparisons=comparisons, retain_matching_columns=False,
                                retain_intermediate_calculation_columns=True)
    linker = Linker([left, right], _model_with_weights(Linker([left, right], settings_,
                                                              log_level=None)), log_level=None)
    scored = linker.inference.score_pairs(left, right).as_pandas_dataframe()
    gammas = [c for c in scored.columns if c.startswith(("gamma_", "mw_", "bf_"))]
    by_pair = {(r["record_id_l"], r["record_id_r"]): r for r in scored.to_dict("records")}
    assert len(by_pair) == len(rows) ** 2
    for (a, b), row in by_pair.items():
        swapped = by_pair[(b, a)]
        assert {g: row[g] for g in gammas} == pytest.approx({g: swapped[g] for g in gammas})
        assert row["match_weight"] == pytest.approx(swapped["match_weight"], abs=1e-9)


# ---- record accounting on random inputs ------------------------------------------------

ROW = st.fixed_dictionaries({
    "id": st.sampled_from(["1", "2", "3", "04", "5", "", " ", "x7"]),
    "fn": NAMES | st.text(alphabet="ab\x07\x00é\n,\"", max_size=6),
    "dob": st.sampled_from(["01/02/1980", "31/02/1980", "29252", "01/02/2030", "01/02/1850",
                            "1980-02-01", "", "soon"]),
    "sx": st.sampled_from(["M", "F", "Q", "", "9"]),
    "fault": st.sampled_from([None, None, None, "short", "long", "bad_byte"])})

JOB = """\
schema_version: 1
name: prop
reference: census
reference_date: 2021-03-21
sources:
  census:
    role: census
    path: c.csv
    id: person_id
    date_format: "%d/%m/%Y"
    columns: {first_name: forename, date_of_birth: dob, sex: sex}
    invalid_values: INVALID
"""


def _csv(rows: list[dict], bom: bool) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["person_id", "forename", "dob", "sex"])
    for r in rows:
        rec = [r["id"], r["fn"], r["dob"], r["sx"]]
        if r["fault"] == "short":
            rec = rec[:2]
        elif r["fault"] == "long":
            rec = [*rec, "extra"]
        elif r["fault"] == "bad_byte":
            rec[1] = rec[1] + "\udcff"
        w.writerow(rec)
    body = buf.getvalue().encode("utf-8", errors="surrogateescape")
    return (b"\xef\xbb\xbf" if bom else b"") + body


@MANY
@given(st.lists(ROW, min_size=1, max_size=12), st.booleans(),
       st.sampled_from(["quarantine", "set_missing"]))
def test_record_accounting_holds_on_random_inputs(engine, tmp_path_factory, rows, bom, invalid):
    folder = tmp_path_factory.mktemp("acc")
    (folder / "c.csv").write_bytes(_csv(rows, bom))
    (folder / "job.yaml").write_text(JOB.replace("INVALID", invalid))
    out = folder / "out"
    try:
        res = intake_source(engine, load_job(folder / "job.yaml"), "census", out)
    except SpinelinkError as e:  # a file-level fault: one line, no partial accounting
        assert "\n" not in str(e)
        if (out / "quarantine" / "census.parquet").exists():  # e.g. no usable rows
            q = pq.read_table(out / "quarantine" / "census.parquet")
            assert "no usable rows" in str(e) and q.num_rows >= 1
        return
    accepted = pq.read_table(out / "intake" / "census.parquet").column("_row").to_pylist()
    quarantined = pq.read_table(out / "quarantine" / "census.parquet").column("_row").to_pylist()
    assert res.rows_read == res.accepted + res.quarantined
    assert (len(accepted), len(quarantined)) == (res.accepted, res.quarantined)
    # _row is the line each record starts on (header: line 1; a quoted value may span lines)
    text = (folder / "c.csv").read_bytes().decode("utf-8", "surrogateescape").lstrip("\ufeff")
    reader, starts = csv.reader(io.StringIO(text, newline="")), []
    next(reader)
    while True:
        before = reader.line_num
        if next(reader, None) is None:
            break
        starts.append(before + 1)
    assert sorted(accepted + quarantined) == starts
    assert res.rows_read == len(rows)  # every written row is read (none blank)
