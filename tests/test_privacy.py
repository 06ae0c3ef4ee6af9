"""Privacy: nothing printed carries personal data; keyed pseudonyms replace ids in the
published outputs; the linkage and content tables can be separated; outputs are readable
by the owner only."""
from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import yaml
from bad_inputs.corpus import FILES, accounting_problems
from conftest import ROOT, run_cli

from spinelink.config import load_job
from spinelink.errors import JobError
from spinelink.privacy import load_key, pseudonym, pseudonyms

SAMPLE = ROOT / "sample_data"
KEY = "k3y-for-tests-only-7f1c9a0e55d2b3"
ENV = "SPINELINK_TEST_KEY"
HEX = re.compile(r"[0-9a-f]{32}")


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPINELINK")}
    return {**env, **extra}


def _sample_values() -> set[str]:
    """Names, dates of birth, NINos, postcodes and addresses of the sample data."""
    census = pd.read_csv(SAMPLE / "census.csv", dtype=str)
    survey = pd.read_csv(SAMPLE / "survey.csv", dtype=str, sep=";", encoding="utf-8-sig")
    benefits = pd.read_parquet(SAMPLE / "benefits.parquet")
    cols = {id(census): ["forename", "middle", "surname", "dob", "ni_number", "postcode",
                         "address_line"],
            id(survey): ["given_name", "family_name", "date_of_birth", "ni_number", "pcode"],
            id(benefits): ["first_name", "last_name", "birth_date", "nino", "post_code",
                           "address"]}
    values: set[str] = set()
    for df in (census, survey, benefits):
        for c in cols[id(df)]:
            values |= {str(v).strip() for v in df[c].dropna()}
    return {v for v in values if len(v) >= 5}  # short values (Li, Ann, 9) are everywhere


def _printed_values(text: str, values: set[str]) -> list[str]:
    """Values printed as a whole word (one-word values) or as a substring (longer ones)."""
    tokens = set(re.findall(r"[\w/.-]+", text))
    return sorted(v for v in values if (v in text if " " in v else v in tokens))


def _modes(out: Path) -> list[str]:
    bad = []
    for p in [out, *out.rglob("*")]:
        mode = stat.S_IMODE(p.stat().st_mode)
        want = 0o700 if p.is_dir() else 0o600
        if mode != want:
            bad.append(f"{p.relative_to(out)}: {oct(mode)}")
    return bad


@pytest.mark.slow
def test_verbose_run_of_the_sample_job_prints_no_personal_data(tmp_path):
    out = tmp_path / "demo"
    r = run_cli("run", str(SAMPLE / "demo_job.yaml"), "--output-dir", str(out), "--verbose",
                env=_env())
    assert r.returncode == 0, r.stderr[-3000:]
    printed = r.stdout + r.stderr
    assert "Executing sql" in printed or "DEBUG" in printed  # Splink's verbose log is on
    leaked = _printed_values(printed, _sample_values())
    assert not leaked, f"personal data printed: {leaked[:10]}"
    assert not _modes(out), _modes(out)[:10]


# ---- pseudonyms ------------------------------------------------------------------------

def _job(privacy: dict | None) -> dict:
    """The corpus's full-run job, with variables and an integrated dataset that holds
    addresses and dates of birth (which the content table must leave out)."""
    job = yaml.safe_load((FILES.parent / "cases.yaml").read_text())["bases"]["run"]["job"]
    job["sources"]["census"].update(subgroups=["ethnic_group"],
                                    variables={"ethnic_group": "ethnic_group"})
    job["sources"]["admin"]["variables"] = {"employment_status": "employment_status"}
    job["integrate"] = {"ethnic_group": {"priority": ["census"]},
                        "employment_status": {"priority": ["admin"]},
                        "address": {"priority": ["census", "admin"]},
                        "date_of_birth": {"priority": ["census", "admin"]}}
    if privacy:
        job["privacy"] = privacy
    return job


def _run(folder: Path, privacy: dict | None, env: dict) -> tuple[Path, object]:
    folder.mkdir()
    (folder / "census.csv").write_bytes((FILES / "run_census.csv").read_bytes())
    (folder / "admin.csv").write_bytes((FILES / "run_admin.csv").read_bytes())
    (folder / "job.yaml").write_text(yaml.safe_dump(_job(privacy)), encoding="utf-8")
    return folder / "out", run_cli("run", str(folder / "job.yaml"), env=env)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("privacy")
    plain, r1 = _run(d / "plain", None, _env())
    assert r1.returncode == 0, r1.stderr[-2000:]
    private, r2 = _run(d / "private", {"pseudonymise": True, "key_env": ENV, "separate": True},
                       _env(**{ENV: KEY}))
    assert r2.returncode == 0, r2.stderr[-2000:]
    return plain, private, r2


def _raw_ids() -> set[str]:
    c = pd.read_csv(FILES / "run_census.csv", dtype=str)["person_id"]
    a = pd.read_csv(FILES / "run_admin.csv", dtype=str)["claim_id"]
    return set(c) | set(a)


def _published(out: Path) -> list[Path]:
    skip = ("intake", "standardised", "quarantine", "models", "review/candidates")
    return [p for p in sorted(out.rglob("*")) if p.is_file() and p.suffix in (".parquet", ".csv")
            and not str(p.relative_to(out)).startswith(skip)]


@pytest.mark.slow
def test_published_ids_are_keyed_pseudonyms(runs):
    plain, private, _ = runs
    key = KEY.encode()
    for folder, cols in (("links", ["reference_id", "source_id"]),
                         ("review", ["reference_id", "source_id"]),
                         ("pairs", ["reference_id", "source_id", "person_ref"]),
                         ("unlinked", ["record_id"])):
        a = pd.read_parquet(plain / folder / "admin.parquet")
        b = pd.read_parquet(private / folder / "admin.parquet")
        for c in cols:
            ns = "census" if c in ("reference_id", "person_ref") else "admin"
            a[c] = pseudonyms(key, [ns] * len(a), a[c].tolist())
        pd.testing.assert_frame_equal(a, b, check_dtype=False)
    assert HEX.fullmatch(pd.read_parquet(private / "links" / "admin.parquet")["source_id"][0])
    raw = _raw_ids()
    for p in _published(private):
        df = pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p, dtype=str)
        cells = {str(v) for c in df.columns if df[c].dtype == object for v in df[c].dropna()}
        assert not cells & raw, f"{p.relative_to(private)} holds source ids"
    for p in private.rglob("*.html"):  # the report: no source id anywhere in its text
        words = set(re.findall(r"[A-Za-z0-9_]+", p.read_text(encoding="utf-8")))
        assert not words & raw, f"{p.name} holds source ids: {sorted(words & raw)[:5]}"
    assert not accounting_problems(private, linked=False)


@pytest.mark.slow
def test_the_key_is_never_written_or_printed(runs):
    _, private, r = runs
    assert KEY not in r.stdout + r.stderr
    for p in private.parent.rglob("*"):
        if p.is_file():
            assert KEY.encode() not in p.read_bytes(), p
    man = json.loads((private / "run_manifest.json").read_text())
    stage = man["stages"]["privacy"]
    assert stage["key_from"] == f"environment variable {ENV}" and len(stage["key_check"]) == 8
    assert "links/admin.parquet" in stage["pseudonymised"]


@pytest.mark.slow
def test_separated_linkage_and_content_tables(runs):
    _, private, _ = runs
    sep = private / "separated"
    linkage = pd.read_parquet(sep / "linkage" / "admin.parquet")
    links = pd.read_parquet(private / "links" / "admin.parquet")
    assert list(linkage.columns) == ["reference_id", "source_id"]
    assert linkage.equals(links[["reference_id", "source_id"]])
    census = pd.read_parquet(sep / "content" / "census.parquet")
    assert census["record_id"].map(lambda v: bool(HEX.fullmatch(v))).all()
    assert set(linkage["reference_id"]) <= set(census["record_id"])
    personal = {v for f in ("run_census.csv", "run_admin.csv")
                for v in pd.read_csv(FILES / f, dtype=str, keep_default_na=False).drop(
                    columns=["employment_status", "ethnic_group"], errors="ignore")
                .stack().tolist() if len(v) >= 4}
    integrated = pd.read_parquet(sep / "content" / "integrated.parquet")
    assert {"ethnic_group", "employment_status"} <= set(integrated.columns)
    assert "ethnic_group" in census.columns
    assert set(integrated["reference_id"]) == set(census["record_id"])
    for p in (sep / "content").glob("*.parquet"):
        df = pd.read_parquet(p)
        bad = {"first_name", "last_name", "dob", "address", "postcode", "forename", "surname"}
        assert not set(df.columns) & bad, p
        cells = {str(v) for c in df.columns for v in df[c].dropna()}
        assert not cells & personal, f"{p.name}: {sorted(cells & personal)[:5]}"


@pytest.mark.slow
def test_outputs_are_readable_by_the_owner_only(runs):
    plain, private, _ = runs
    assert not _modes(plain), _modes(plain)[:10]
    assert not _modes(private), _modes(private)[:10]


def test_run_without_the_key_stops_before_any_work(tmp_path):
    out, r = _run(tmp_path / "nokey", {"pseudonymise": True, "key_env": ENV}, _env())
    assert r.returncode == 2, r.stderr
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and f"environment variable {ENV} is not set" in errors[0]
    assert "key 'privacy.key_env'" in errors[0] and "Traceback" not in r.stderr
    assert "intake:" not in r.stderr and not out.exists()


def test_key_from_a_file_and_key_faults(tmp_path):
    (tmp_path / "key").write_text(KEY + "\n")
    job = _job({"pseudonymise": True, "key_file": "key"})
    (tmp_path / "job.yaml").write_text(yaml.safe_dump(job))
    assert load_key(load_job(tmp_path / "job.yaml")) == KEY.encode()
    (tmp_path / "key").write_text("short\n")
    with pytest.raises(JobError, match="shorter than 16 bytes"):
        load_key(load_job(tmp_path / "job.yaml"))
    for privacy, msg in (({"pseudonymise": True}, "needs key_env"),
                         ({"separate": True}, "separate needs pseudonymise"),
                         ({"pseudonymise": True, "key_env": KEY}, "not the key itself"),
                         ({"pseudonymise": True, "key": KEY}, "unknown key")):
        (tmp_path / "job.yaml").write_text(yaml.safe_dump(_job(privacy)))
        with pytest.raises(JobError, match=msg) as e:
            load_job(tmp_path / "job.yaml")
        assert KEY not in str(e.value)


def test_pseudonyms_are_keyed_per_source_and_stable():
    k1, k2 = b"a" * 16, b"b" * 16
    assert pseudonym(k1, "census", "1") == pseudonym(k1, "census", "1")
    assert pseudonym(k1, "census", "1") != pseudonym(k2, "census", "1")
    assert pseudonym(k1, "census", "1") != pseudonym(k1, "survey", "1")
    assert len(pseudonym(k1, "s", "1", 40)) == 40
    assert pseudonyms(k1, ["s", "s", "s"], ["1", None, "1"]) == [pseudonym(k1, "s", "1"), None,
                                                                 pseudonym(k1, "s", "1")]


def test_an_imputed_values_donor_is_a_pseudonymised_unit_and_no_content(tmp_path):
    """`<var>__donor` (the analysis stage's hot-deck donor) is a reference unit's id: keyed
    as the reference's ids are, and, linking two units, kept out of the content table."""
    from spinelink.privacy.tables import _content_of_integrated, pseudonymise_file

    key = KEY.encode()
    ids = ["C1", "C2", "C3"]
    df = pd.DataFrame({"reference_id": ids, "x": ["a", "a", "b"],
                       "x__status": ["single_source", "imputed:hot_deck", "single_source"],
                       "x__donor": [None, "C1", None]})
    p = tmp_path / "integrated.parquet"
    df.to_parquet(p, index=False)
    assert pseudonymise_file(p, None, "census", {"census"}, key, 32)
    got = pd.read_parquet(p)
    # (a missing donor reads as None on pandas 2, NaN on pandas 3)
    assert [None if pd.isna(v) else v for v in got["x__donor"]] == \
        [None, pseudonym(key, "census", "C1"), None]
    assert got.at[1, "x__donor"] == got.at[0, "reference_id"]
    lj = SimpleNamespace(job=SimpleNamespace(sources={"census": None}))
    assert _content_of_integrated(p, lj, set()).column_names == ["reference_id", "x",
                                                                 "x__status"]
