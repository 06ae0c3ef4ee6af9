"""Prediction chunks sized by the pairs the blocking rules make (issue 16): the count is
each rule's pairs exactly, and the pairs scored do not depend on the number of chunks."""
from __future__ import annotations

import pandas as pd
import pytest
import yaml
from conftest import ROOT

import spinelink.chunks as prob
from spinelink.backends import open_engine
from spinelink.pipeline import run_job
from spinelink.sample import generate


def _pairs(ref: pd.DataFrame, src: pd.DataFrame, lcols: list[str], rcols: list[str]) -> int:
    a = ref.dropna(subset=lcols).groupby(lcols).size().rename("a")
    b = src.dropna(subset=rcols).groupby(rcols).size().rename("b")
    b.index.names = lcols
    both = pd.concat([a, b], axis=1, join="inner")
    return int((both["a"] * both["b"]).sum())


def test_blocked_pairs_counts_each_rule_and_declines_what_it_cannot():
    ref = pd.DataFrame({"fn": ["ann", "ann", "bob", None, "cy", "ann"],
                        "ln": ["lee", "lee", "ray", "lee", "cy", None],
                        "dob": ["2000-01-02", "2000-01-02", "1990-05-06", None, "1981-11-03",
                                "2000-02-01"]})
    src = pd.DataFrame({"fn": ["ann", "bob", "lee", "ann", None],
                        "ln": ["lee", "ray", "ann", "lee", "ray"],
                        "dob": ["2000-01-02", "1990-05-06", "1990-05-06", "1990-05-06", None],
                        "dob_swapped": ["2000-02-01", "1990-06-05", None, "1990-06-05", None]})
    engine = open_engine()
    engine.register("r", ref)
    engine.register("s", src)
    rules = ['(l."fn" = r."fn") AND (l."ln" = r."ln")', 'l."dob" = r."dob"',
             "l.dob = r.dob_swapped", "l.fn = r.ln AND l.ln = r.fn"]
    model = {"blocking_rules_to_generate_predictions":
             [{"blocking_rule": r, "sql_dialect": "duckdb"} for r in rules]}
    want = (_pairs(ref, src, ["fn", "ln"], ["fn", "ln"]) + _pairs(ref, src, ["dob"], ["dob"])
            + _pairs(ref, src, ["dob"], ["dob_swapped"])
            + _pairs(ref, src, ["fn", "ln"], ["ln", "fn"]))
    assert want == 5 + 5 + 1 + 2  # the data above: every rule makes pairs, nulls none
    assert prob.blocked_pairs(engine, model, "r", "s") == want
    model["blocking_rules_to_generate_predictions"].append(
        {"blocking_rule": "levenshtein(l.fn, r.fn) <= 1", "sql_dialect": "duckdb"})
    assert prob.blocked_pairs(engine, model, "r", "s") is None
    assert prob.prediction_chunks(None, 10**6, 10**5) == 5  # the sides' product instead
    assert prob.prediction_chunks(0.0, 10**6, 10**5) == 1
    assert prob.prediction_chunks(prob.PAIRS_PER_CHUNK * 2.5, 10, 10) == 3


@pytest.mark.slow
def test_pairs_scored_do_not_depend_on_the_chunks(tmp_path, monkeypatch):
    generate(600, 11, tmp_path / "data")
    job = yaml.safe_load((ROOT / "sample_data" / "demo_job.yaml").read_text())
    job["sources"]["census"]["expect_rows"] = {"min": 1}
    (tmp_path / "data" / "job.yaml").write_text(yaml.safe_dump(job))
    chunks = []
    real = prob.predict_in_chunks

    def counted(linker, n, tag):
        chunks.append(n)
        return real(linker, n, tag)

    monkeypatch.setattr(prob, "predict_in_chunks", counted)
    outs = {}
    for n in (1, 3):
        monkeypatch.setattr(prob, "prediction_chunks", lambda pairs, a, b, n=n: n)
        run_job(tmp_path / "data" / "job.yaml", output_dir=str(tmp_path / f"out{n}"))
        outs[n] = {f: pd.read_parquet(tmp_path / f"out{n}" / d / f"{s}.parquet")
                   for d in ("pairs", "links") for s in ("benefits", "survey")
                   for f in [f"{d}/{s}"]}
    # each run: two probabilistic links, and the quality stage's scoring
    half = len(chunks) // 2
    assert half >= 2 and chunks == [1] * half + [3] * half
    for f, frame in outs[1].items():
        assert len(frame) > 0, f
        pd.testing.assert_frame_equal(frame, outs[3][f], obj=f)
