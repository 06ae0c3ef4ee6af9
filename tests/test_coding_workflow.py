"""Coding work after a run (issue 14 item 1-2): clerical codes and a verifier's
corrections read back through `spinelink coding ...`, applied with the coder's original
kept, a corrected occupation deriving its activity again, the next run and integration
seeing the corrected codes; the batch re-check rule end to end at the default 1%."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from conftest import write_files
from test_coding import CODING, _job

from spinelink.errors import JobError
from spinelink.pipeline import run_job

INTEGRATE = ("integrate:\n  occupation: {priority: [census]}\n"
             "  activity: {priority: [census]}\n")


def _cli(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "spinelink", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, env=os.environ.copy(), timeout=300)


@pytest.fixture(scope="module")
def worked(tmp_path_factory):
    """A run, its queue and verification sample exported, filled in and applied by CLI."""
    folder = tmp_path_factory.mktemp("coding_work")
    job = _job(folder, CODING + INTEGRATE + "coding_options: {verify_share: 1.0}\n")
    run_job(job)
    out = folder / "out"
    q = _cli("coding", "queue", out, "--to", folder / "queue.csv")
    assert q.returncode == 0, q.stderr
    v = _cli("coding", "verify-sample", out, "--to", folder / "verify.csv")
    assert v.returncode == 0, v.stderr
    queue = pd.read_csv(folder / "queue.csv", dtype=str, keep_default_na=False)
    verify = pd.read_csv(folder / "verify.csv", dtype=str, keep_default_na=False)
    # the clerical coder: P08's gibberish birthplace is not stated, the rest left open
    queue.loc[(queue["record_id"] == "P08") & (queue["variable"] == "birthplace"), "code"] = "NS"
    # the verifier confirms every proposed code but corrects P02's occupation (83 -> 22)
    verify["code"] = verify["proposed"]
    verify.loc[(verify["record_id"] == "P02") & (verify["variable"] == "occupation"),
               "code"] = "22"
    # ... and leaves P02's derived activity to follow the occupation (an explicit code
    # for it would win over the derivation)
    verify.loc[(verify["record_id"] == "P02") & (verify["variable"] == "activity"),
               "code"] = ""
    queue.to_csv(folder / "queue.csv", index=False)
    verify.to_csv(folder / "verify.csv", index=False)
    applied = [_cli("coding", "apply", out, folder / name, "--reviewer", who)
               for name, who in (("queue.csv", "carol"), ("verify.csv", "victor"))]
    for a in applied:
        assert a.returncode == 0, a.stderr
    return folder, job, out, queue, verify, applied


def _coded(out) -> pd.DataFrame:
    return pd.read_parquet(out / "coding" / "census.parquet").set_index(
        ["record_id", "variable"])


def test_exported_lists_hold_the_open_answers(worked):
    folder, _, out, queue, verify, _ = worked
    assert set(zip(queue["record_id"], queue["variable"], strict=True)) == {
        ("P08", "birthplace"), ("P08", "language"), ("P08", "occupation"),
        ("P08", "activity")}
    assert (queue["task"] == "clerical").all()
    t = _coded(out)  # share 1.0: every automatic coding is drawn
    auto = t["original_status"].isin(["exact", "alias", "fuzzy", "derived"])
    assert len(verify) == auto.sum() and (verify["task"] == "verify").all()
    # once coded, the clerical answer joins the sample for verification
    sample = pd.read_parquet(out / "coding" / "census_verification.parquet")
    assert len(sample) == auto.sum() + 1 and "P08" in set(sample["record_id"])
    assert set(verify["proposed"]) >= {"UKR", "83", "H"}


def test_decisions_are_applied_with_the_original_kept(worked):
    _, _, out, _, verify, applied = worked
    t = _coded(out)
    ns = t.loc[("P08", "birthplace")]
    assert (ns["code"], ns["status"], ns["original_status"], ns["decided_by"],
            ns["decided_via"]) == ("NS", "clerical", "clerical", "carol", "csv")
    assert pd.isna(ns["original_code"]) and ns["decided_at"].startswith("20")
    occ = t.loc[("P02", "occupation")]
    assert (occ["code"], occ["status"], occ["original_code"], occ["original_status"],
            occ["decided_by"]) == ("22", "verified", "83", "alias", "victor")
    ok = t.loc[("P01", "birthplace")]
    assert (ok["code"], ok["status"], ok["original_code"]) == ("BLR", "verified", "BLR")
    assert t.loc[("P08", "language"), "status"] == "clerical"  # left open
    assert pd.isna(t.loc[("P08", "language"), "code"])
    assert "1 corrected" in applied[1].stdout


def test_a_corrected_occupation_derives_the_activity_again(worked):
    _, _, out, *_ = worked
    act = _coded(out).loc[("P02", "activity")]
    # drivers (83) -> transport (H); health professionals (22) -> health (Q)
    assert (act["code"], act["status"], act["original_code"]) == ("Q", "derived", "H")
    assert act["decided_by"] == "derived from occupation (victor)"


def test_error_rates_and_open_answers_after_apply(worked):
    _, _, out, _, verify, _ = worked
    man = json.loads((out / "run_manifest.json").read_text())["coding"]["census"]
    v = man["verification"]
    assert v["checked"] == (verify["code"] != "").sum() == len(verify) - 1
    assert v["errors"] == 1
    assert v["by_variable"]["occupation"] == {"checked": 5, "errors": 1,
                                              "error_rate": 0.2}
    assert v["by_method"]["alias"]["errors"] == 1  # 83 for водій came from the index
    assert set(v["by_method"]) <= {"exact", "alias", "fuzzy", "contained", "derived",
                                   "clerical"}
    assert v["batches_queued"] == ["occupation#1"]  # 1 of 5: over 1%
    assert man["decisions"]["corrected"] == 1 and man["decisions"]["rederived"] == 1
    # coded without a person: all but P08's gibberish (its later clerical code does not count)
    assert man["automatic"]["birthplace"] == {"answers": 8, "automatic": 7, "share": 0.875}
    assert man["variables"]["birthplace"]["clerical"] == 1  # P08, now coded NS by carol
    left = _cli("coding", "queue", out)
    assert "census birthplace" not in left.stdout and "census language: 1 open" in left.stdout
    # the re-check batch: the occupation answers, all decided already, so nothing open
    rest = _cli("coding", "verify-sample", out)
    assert rest.stdout.splitlines() == ["census activity: 1 open (verify)",  # P02's
                                        "census birthplace: 1 open (verify)"]  # P08's NS


def test_spinelink_verify_accepts_the_applied_outputs(worked):
    from spinelink.verify import verify_run

    _, _, out, *_ = worked
    check = verify_run(out)  # coding apply recorded the files it rewrote
    assert check.differences == [] and check.outputs > 0


def test_the_next_run_and_integration_see_the_corrected_codes(worked):
    _, job, out, *_ = worked
    run_job(job, resume=True)
    t = _coded(out)
    assert t.loc[("P02", "occupation"), "code"] == "22"
    std = pd.read_parquet(out / "standardised" / "census.parquet").set_index("record_id")
    assert std.loc["P02", "occupation"] == "22" and std.loc["P02", "activity"] == "Q"
    integ = pd.read_parquet(out / "integrated.parquet").set_index("reference_id")
    assert integ.loc["P02", "occupation"] == "22" and integ.loc["P02", "activity"] == "Q"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Free-text coding" in html and "occupation#1" in html


def test_a_decision_outside_the_classification_names_file_row_and_field(worked, tmp_path):
    _, _, out, *_ = worked
    write_files(tmp_path, {"bad.csv": "source,record_id,variable,code\n"
                           "census,P08,language,xx-klingon\n"})
    r = _cli("coding", "apply", out, tmp_path / "bad.csv")
    assert r.returncode == 6, (r.returncode, r.stderr)
    assert "bad.csv: row 2, field 'code': not a code of the language" in r.stderr
    assert "klingon" not in r.stderr
    write_files(tmp_path, {"gone.csv": "source,record_id,variable,code\n"
                           "census,P99,language,ukr\n"})
    r = _cli("coding", "apply", out, tmp_path / "gone.csv")
    assert r.returncode == 6 and r.stderr.strip() == (
        f"error: {tmp_path / 'gone.csv'}: row 2, fields 'source', 'record_id', 'variable': "
        "answer P99 / language of source 'census' is not one this run has")


def test_coding_apply_reports_every_bad_row_and_imports_nothing(worked, tmp_path):
    """`coding apply FILE` stopped at the first bad row with the job-file code (2): a
    clerk fixed one row per attempt. Now every bad row is listed at once (file, the line
    the row starts on, field; the first 20 after a count, then how many more), nothing
    is added to the store, and it exits 6 (clerical work), never echoing a value."""
    _, _, out, *_ = worked
    answers = pd.read_parquet(out / "coding" / "census.parquet",
                              columns=["record_id", "variable"])
    lang = sorted(answers.loc[answers["variable"] == "language", "record_id"])
    a, b = lang[0], lang[1]
    store = out / "coding" / "decisions.jsonl"
    before = store.read_bytes()
    rows = ["source,record_id,variable,code,note",
            f'census,{a},language,ukr,"a note\nover two lines"',   # lines 2-3, fine
            "census,P08,language,xx-klingon,",                      # 4: code
            "benefits,P01,language,ukr,",                           # 5: source
            "census,P01,shoe_size,ukr,",                            # 6: variable
            "census,P99,language,ukr,",                             # 7: no such answer
            "census,P02,language,ukr,,surplus",                     # 8: extra cell
            "census,P03,language,,",                                # 9: open, skipped
            f"census,{b},language,ukr,",                            # 10
            f"census,{b},language,rus,",                            # 11: a second one
            ",,language,ukr,"]                                      # 12: source, id
    rows += [f"census,Z{i:02d},language,ukr," for i in range(15)]   # 13-27: no answers
    write_files(tmp_path, {"many.csv": "\n".join(rows) + "\n"})
    f = tmp_path / "many.csv"
    r = _cli("coding", "apply", out, f)
    assert r.returncode == 6, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert lines[0] == f"error: {f}: 23 problems; nothing was imported"
    assert lines[1:8] == [f"error: {f}: {x}" for x in (
        "row 4, field 'code': not a code of the language classification",
        "row 5, field 'source': not a coded source of this run",
        "row 6, field 'variable': not a coded variable of source census",
        "row 7, fields 'source', 'record_id', 'variable': answer P99 / language of "
        "source 'census' is not one this run has",
        "row 8: more cells than header columns",
        f"rows 10 and 11: two decisions for answer {b} / language of source 'census'",
        "row 12, field 'record_id': is empty")]
    assert lines[8] == f"error: {f}: row 12, field 'source': not a coded source of this run"
    assert len(lines) == 1 + 20 + 1 and lines[-1] == f"error: {f}: ... and 3 more problems"
    assert "klingon" not in r.stderr and "note" not in r.stderr
    assert store.read_bytes() == before  # all or nothing


def test_a_job_decisions_file_lists_every_bad_row_as_a_job_problem(tmp_path):
    """`coding_options.decisions` in a job: still a job problem (exit 2), now with every
    bad row; another run's source is no problem there."""
    from conftest import run_cli

    write_files(tmp_path, {"decisions.csv": "source,record_id,variable,code\n"
                           "census,P08,birthplace,ATLANTIS\n"
                           "benefits,P01,birthplace,UKR\n"
                           "census,P01,shoe_size,UKR\n"
                           "census,P01,birthplace,UKR\n"
                           "census,P01,birthplace,POL\n"})
    job = _job(tmp_path, CODING + "coding_options: {decisions: decisions.csv}\n")
    with pytest.raises(JobError) as err:
        run_job(job)
    f = tmp_path / "decisions.csv"
    assert err.value.exit_code == 2
    assert str(err.value).splitlines() == [
        f"{f}: 3 problems",  # found when the job loads (test below), all listed
        f"{f}: row 2, field 'code': not a code of the territory classification",
        f"{f}: row 4, field 'variable': not a coded variable of source census",
        f"{f}: rows 5 and 6: two decisions for answer P01 / birthplace of source 'census'"]
    r = run_cli("run", job)
    assert r.returncode == 2 and "3 problems" in r.stderr and "ATLANTIS" not in r.stderr


@pytest.mark.parametrize("fault", ["bad rows", "missing", "no code column", "not UTF-8"])
@pytest.mark.parametrize("key", ["decisions", "clerical"])
def test_a_job_decisions_file_is_checked_when_the_job_loads(tmp_path, fault, key):
    """A job's coding decision file was read only by the coding stage, after intake had
    run (and, with more sources, the linkage work before it was wasted); `spinelink
    validate` passed it. Now the job load reads it with the stage's reader: `validate`
    and the start of `run` fail (exit 2) naming the file, row and field, and the run
    writes nothing; no value is echoed."""
    from conftest import run_cli

    body = {"bad rows": "source,record_id,variable,code\ncensus,P01,birthplace,UKR\n"
                        "census,P08,birthplace,ATLANTIS\ncensus,P02,shoe_size,UKR\n",
            "no code column": "source,record_id,variable\ncensus,P01,birthplace\n"}
    if fault in body:
        write_files(tmp_path, {"dec.csv": body[fault]})
    elif fault == "not UTF-8":
        (tmp_path / "dec.csv").write_bytes(b"source,record_id,variable,code\n"
                                           b"census,P01,birthplace,\xff\n")
    job = _job(tmp_path, CODING + f"coding_options: {{{key}: dec.csv}}\n")
    f, j = tmp_path / "dec.csv", tmp_path / "job.yaml"
    expected = {
        "bad rows": [f"error: {f}: 2 problems",
                     f"error: {f}: row 3, field 'code': not a code of the territory "
                     "classification",
                     f"error: {f}: row 4, field 'variable': not a coded variable of source "
                     "census"],
        "missing": [f"error: {j}: key 'coding_options.{key}': {f}: does not exist"],
        "no code column": [f"error: {j}: key 'coding_options.{key}': {f}: missing column "
                           "'code' (the header needs source, record_id, variable, code)"],
        "not UTF-8": [f"error: {j}: key 'coding_options.{key}': {f}: row 2: not valid "
                      'UTF-8; save it as "CSV UTF-8" (in Excel: Save As, CSV UTF-8)']}[fault]
    v = run_cli("validate", job)
    assert v.returncode == 2, v.stderr
    assert v.stderr.strip().splitlines() == expected
    r = run_cli("run", job)
    assert r.returncode == 2 and r.stderr.strip().splitlines()[-len(expected):] == expected
    assert not (tmp_path / "out" / "intake").exists()  # before any work
    assert "ATLANTIS" not in v.stderr + r.stderr


# --- the batch re-check rule at the default threshold (1%) -----------------------------

def _many(n: int) -> str:
    head = "person_id,forename,surname,dob,sex,postcode,ni_number,birth_place\n"
    return head + "".join(f"Q{i:03d},Ann,Lee{i},01/01/1980,F,01001,AB{i:06d}A,Україна\n"
                          for i in range(n))


@pytest.mark.parametrize("batch_size, queued", [(100, ["birthplace#1"]), (150, [])])
def test_a_batch_reaching_one_percent_is_queued_whole_one_below_is_not(
        tmp_path, batch_size, queued):
    """150 answers, every one verified, one corrected: in batches of 100 the first batch's
    error rate is 1/100 = 1% (reaches the threshold: all 100 answers queued, the second
    batch of 50 not); as one batch of 150 it is 0.67% (nothing queued)."""
    job = _job(tmp_path, "coding:\n  census:\n    birthplace: {text: birth_place, "
               "classification: territory}\n"
               f"coding_options: {{verify_share: 1.0, batch_size: {batch_size}, "
               "decisions: decisions.csv}\n", census=_many(150))
    rows = [f"census,Q{i:03d},birthplace,{'POL' if i == 7 else 'UKR'}" for i in range(150)]
    write_files(tmp_path, {"decisions.csv": "source,record_id,variable,code\n"
                           + "\n".join(rows) + "\n"})
    run_job(job)
    v = json.loads((tmp_path / "out" / "run_manifest.json").read_text())[
        "coding"]["census"]["verification"]
    assert v["checked"] == 150 and v["errors"] == 1
    assert v["batches_queued"] == queued
    recheck = pd.read_parquet(tmp_path / "out" / "coding" / "census_recheck.parquet")
    assert len(recheck) == (100 if queued else 0)
    if queued:
        assert set(recheck["batch"]) == {"birthplace#1"}
        assert v["by_batch"]["birthplace#1"]["error_rate"] == 0.01
        assert v["by_batch"]["birthplace#2"]["error_rate"] == 0.0
    else:
        assert v["by_batch"]["birthplace#1"]["error_rate"] == round(1 / 150, 4)


def test_coding_commands_on_a_run_without_coding_say_so_in_one_line(tmp_path):
    run_job(_job(tmp_path))
    for args in (("coding", "queue", tmp_path / "out"),
                 ("review", "serve", tmp_path / "out", "--coding")):
        r = _cli(*args)
        assert r.returncode == 6 and "Traceback" not in r.stderr  # clerical work: exit 6
        assert r.stderr.strip().endswith("the run coded nothing (no `coding:` in its job)")


def test_coding_commands_exit_with_documented_codes(worked, tmp_path):
    """`coding queue` exited 1 (the base error class's code, documented nowhere) when it
    could not list the queue: a folder that is no run, a source the run did not code. Those
    are clerical work that cannot proceed (6, as `review`); a coding output gone missing
    is an output that differs from its run's record (7); a listing exits 0."""
    _, _, out, *_ = worked
    for cmd in ("queue", "verify-sample"):
        r = _cli("coding", cmd, out, "--source", "census")
        assert r.returncode == 0, r.stderr
        r = _cli("coding", cmd, tmp_path)  # no run_manifest.json
        assert r.returncode == 6, (r.returncode, r.stderr)
        assert r.stderr.strip() == (f"error: {tmp_path / 'run_manifest.json'}: does not "
                                    "exist; run `spinelink run` on the job first")
        r = _cli("coding", cmd, out, "--source", "benefits")
        assert r.returncode == 6, (r.returncode, r.stderr)
        assert r.stderr.strip() == ("error: source 'benefits': not coded in this run "
                                    "(coded: census)")
    r = _cli("coding", "apply", tmp_path)
    assert r.returncode == 6, (r.returncode, r.stderr)
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    (copy / "coding" / "census_clerical.parquet").unlink()
    r = _cli("coding", "queue", copy)
    assert r.returncode == 7, (r.returncode, r.stderr)
    assert r.stderr.strip().startswith(
        f"error: {copy / 'coding' / 'census_clerical.parquet'}: missing")
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_answers_that_read_as_formulas_are_exported_as_text(tmp_path):
    """A delivery's answer beginning with = + - @ would run as a formula in the coder's
    spreadsheet (CSV injection): the queue holds it with a leading apostrophe, and the
    file, coded, applies as any other."""
    from test_coding import CENSUS

    bad = '=HYPERLINK("http://x.invalid","click")'
    census = CENSUS.replace("Zxqwv Plm", '"' + bad.replace('"', '""') + '"').replace(
        "klingon", "@SUM(1)")
    job = _job(tmp_path, CODING, census=census)
    run_job(job)
    out = tmp_path / "out"
    q = _cli("coding", "queue", out, "--to", tmp_path / "queue.csv")
    assert q.returncode == 0, q.stderr
    queue = pd.read_csv(tmp_path / "queue.csv", dtype=str, keep_default_na=False)
    text = dict(zip(queue["variable"], queue["text"], strict=True))
    assert text["birthplace"] == "'" + bad and text["language"] == "'@SUM(1)"
    assert not any(t.startswith(("=", "+", "-", "@")) for t in queue["text"])
    queue.loc[queue["variable"] == "birthplace", "code"] = "NS"
    queue.to_csv(tmp_path / "queue.csv", index=False)
    a = _cli("coding", "apply", out, tmp_path / "queue.csv", "--reviewer", "carol")
    assert a.returncode == 0, a.stderr
    coded = _coded(out)
    assert coded.loc[("P08", "birthplace"), "code"] == "NS"
    # the coder's table keeps the answer as delivered
    assert coded.loc[("P08", "birthplace"), "text"] == bad


def test_a_code_written_in_another_case_is_the_classifications_code(tmp_path):
    """A coder types the code as the form showed it in the other list's case: pol for the
    territory POL, UKR for the language ukr, ns for not stated. They were refused as 'not
    a code of the classification' (the clerk had to retype them); now each is read as the
    classification's code. A code that is none in any case (2341 for a territory) is still
    refused, naming file, row and field."""
    from spinelink.coding.decisions import checked_csv

    write_files(tmp_path, {"codes.csv": "source,record_id,variable,code\n"
                           "census,P01,birthplace,pol\ncensus,P02,language,UKR\n"
                           "census,P03,citizenship,ns\ncensus,P04,birthplace,2341\n"})
    f = tmp_path / "codes.csv"
    got, problems = checked_csv(f, "clerical", "csv", {"census": {
        "birthplace": "territory", "citizenship": "territory", "language": "language"}},
        reviewer="carol")
    assert [(d.record_id, d.code) for d in got] == [("P01", "POL"), ("P02", "ukr"),
                                                   ("P03", "NS")]
    assert problems == [f"{f}: row 5, field 'code': not a code of the territory "
                        "classification"]
