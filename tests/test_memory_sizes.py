"""One reading of memory sizes (spinelink.memory_sizes) for the job's check, Spark's
setting and DuckDB's report: each gives exactly what the three parsers it replaced gave
(kept here, as they were, as the reference) on every form of a grid of numbers, units,
cases and spaces; the one difference is a DuckDB text `5 iB` (no prefix), which raised
ValueError and is now no size."""
from __future__ import annotations

import itertools
import re

import pytest

from spinelink import memory_sizes
from spinelink.jobspec.run_settings import Resources

# ---- the three parsers as they were (run_settings._SIZE, spark_support._memory,
# memory.size_bytes at 22c5fd0) ----------------------------------------------------------
_OLD_JOB = re.compile(r"\s*\d+(\.\d+)?\s*([KMGT]i?B|[KMGT]|%)\s*", re.I)


def old_job_ok(v) -> bool:
    return isinstance(v, str) and bool(_OLD_JOB.fullmatch(v))


def old_spark(limit):
    if not limit:
        return None
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT])i?B?\s*", str(limit), re.I)
    if not m:
        return None
    n, unit = float(m.group(1)), m.group(2).lower()
    if n != int(n):
        n, unit = n * 1024, {"t": "g", "g": "m", "m": "k"}.get(unit, unit)
    return f"{int(n)}{unit}"


_OLD_DUCK = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?i?B|bytes)?\s*$", re.IGNORECASE)


def old_duckdb(text):
    m = _OLD_DUCK.match(str(text))
    if not m:
        return None
    unit = (m.group(2) or "B").upper()
    scale = 1 if unit in ("B", "BYTES") else \
        (1024 if "I" in unit else 1000) ** ("KMGT".index(unit[0]) + 1)
    return int(float(m.group(1)) * scale)


# ---- the grid ---------------------------------------------------------------------------
NUMBERS = ["8", "512", "0", "1.5", "1.8", "476.8", "12.", ".5", "1.2.3", "-1", "1e3", "", "x"]
UNITS = ["", "B", "b", "bytes", "BYTES", "iB", "i", "%", "K", "k", "KB", "kb", "Kb", "KiB",
         "kib", "Ki", "M", "MB", "MiB", "mib", "G", "g", "GB", "gb", "GiB", "Gi", "T", "TB",
         "TiB", "P", "PB", "GBB", "GiBB", "KiBytes", "Gbytes", "G B", "% %", "GB%", "x"]
SPACES = [("", "", ""), (" ", " ", " "), ("", " ", ""), ("\t", "", "\n")]
FORMS = [f"{a}{n}{b}{u}{c}" for n, u, (a, b, c) in itertools.product(NUMBERS, UNITS, SPACES)]


def test_the_grid_has_forms_each_parser_accepts_and_rejects():
    job = [old_job_ok(f) for f in FORMS]
    spark = [old_spark(f) is not None for f in FORMS]
    duck = []
    for f in FORMS:
        try:
            duck.append(old_duckdb(f) is not None)
        except ValueError:
            duck.append(False)
    assert 50 < sum(job) < len(FORMS) - 50 and 50 < sum(spark) and 50 < sum(duck)


def test_the_job_accepts_exactly_the_forms_it_accepted():
    for f in FORMS:
        assert memory_sizes.job_size_ok(f) == old_job_ok(f), repr(f)
    for v in (8, 8.0, None, ["8GB"], True):
        assert memory_sizes.job_size_ok(v) is False


def test_the_job_model_takes_the_accepted_forms_and_refuses_the_others():
    from pydantic import ValidationError

    for f in FORMS[::7]:  # a spread of the grid through the job's model itself
        if old_job_ok(f):
            assert Resources(memory_limit=f).memory_limit == f
        else:
            with pytest.raises(ValidationError, match="a memory size such as 8GB"):
                Resources(memory_limit=f)
    assert Resources(memory_limit=None).memory_limit is None
    with pytest.raises(ValidationError):
        Resources(memory_limit=8)


def test_spark_gets_what_it_got_but_a_fraction_of_a_kilobyte_in_bytes():
    mended = 0
    for f in [*FORMS, None, ""]:
        want, s = old_spark(f), memory_sizes.parse(f) if f else None
        if want and s.prefix == "K" and float(s.number) != int(float(s.number)):
            want, mended = want[:-1] + "b", mended + 1  # the old parser's 1.5K was 1536k
        assert memory_sizes.spark_memory(f) == want, repr(f)
    assert mended
    assert memory_sizes.spark_memory("4GB") == "4g" and memory_sizes.spark_memory("80%") is None
    assert memory_sizes.spark_memory("1.5K") == "1536b"
    assert memory_sizes.spark_memory("1.5GB") == "1536m"


def test_duckdbs_report_reads_as_it_did_but_a_unit_without_prefix_is_no_size():
    raised = []
    for f in FORMS:
        try:
            want = old_duckdb(f)
        except ValueError:  # "5 iB": "KMGT".index("I")
            raised.append(f)
            want = None
        assert memory_sizes.duckdb_bytes(f) == want, repr(f)
    assert raised and all(re.fullmatch(r"\s*[\d.]+\s*iB\s*", f, re.I) for f in raised)
    assert memory_sizes.duckdb_bytes("1.8 GiB") == 1932735283
    assert memory_sizes.duckdb_bytes("476.8 MiB") == 499961036
