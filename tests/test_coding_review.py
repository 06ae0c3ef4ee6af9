"""The review page's coding mode over HTTP (in-process): the open answers, one answer with
its proposed code and neighbours, decisions (accept, a neighbour, uncodable, not stated),
undo, the crash-safe store, and the decisions applied to the coding outputs."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pandas as pd
import pytest
from test_coding import CODING, _job

from spinelink.coding import workflow
from spinelink.pipeline import run_job
from spinelink.review.coding_session import CodingSession
from spinelink.review.server import ReviewServer


@pytest.fixture
def out(tmp_path):
    run_job(_job(tmp_path, CODING + "coding_options: {verify_share: 0.5}\n"))
    return tmp_path / "out"


@pytest.fixture
def server(out):
    srv = ReviewServer(CodingSession(out, "cora"))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _call(srv, path, body=None, token=None):
    req = urllib.request.Request(f"http://127.0.0.1:{srv.server_address[1]}{path}",
                                 data=None if body is None else json.dumps(body).encode(),
                                 method="GET" if body is None else "POST")
    req.add_header("X-Review-Token", srv.token if token is None else token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read().decode()
            return r.status, json.loads(raw) if raw.startswith(("{", "[")) else raw
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode())


def _find(srv, q, **want):
    for it in q["items"]:
        _, a = _call(srv, f"/api/pair/{it['pair']}")
        if all(a[k] == v for k, v in want.items()):
            return a
    raise AssertionError(want)


def test_the_page_is_the_coding_page_and_needs_the_token(server):
    assert _call(server, "/api/queue", token="wrong")[0] == 403
    status, html = _call(server, "/")
    assert status == 200 and "coding.js" in html and "app.js" not in html


def test_queue_holds_the_clerical_answers_then_the_sample(server, out):
    _, q = _call(server, "/api/queue")
    sample = pd.read_parquet(out / "coding" / "census_verification.parquet")
    clerical = pd.read_parquet(out / "coding" / "census_clerical.parquet")
    assert q["total"] == len(sample) + len(clerical) and q["done"] == 0
    tasks = [it["task"] for it in q["items"]]
    assert tasks == ["clerical"] * len(clerical) + ["verify"] * len(sample)


def test_an_answer_shows_its_code_label_and_neighbours(server):
    _, q = _call(server, "/api/queue")
    a = _find(server, q, record_id="P03", variable="birthplace")  # Молдавія -> MDA
    assert a["text"] == "Молдавія" and a["proposed"] == "MDA"
    assert a["proposed_label"] == "Moldova" and a["status"] == "alias"
    codes = [n["code"] for n in a["neighbours"]]
    assert 1 <= len(codes) <= 9 and "MDA" not in codes
    assert [n["key"] for n in a["neighbours"]] == list(range(1, len(codes) + 1))
    assert all(n["label"] for n in a["neighbours"])
    occ = _find(server, q, record_id="P06", variable="occupation")  # менеджер -> 1
    assert occ["proposed"] == "1"
    assert {"11", "12", "13", "14"} <= {n["code"] for n in occ["neighbours"]}  # finer
    clerical = _find(server, q, record_id="P08", variable="language")  # klingon
    assert clerical["proposed"] is None and clerical["task"] == "clerical"


def test_decisions_undo_and_apply(server, out):
    _, q = _call(server, "/api/queue")
    queue_ids = {it["pair"]: it for it in q["items"]}
    p08 = _find(server, q, record_id="P08", variable="birthplace")
    p03 = _find(server, q, record_id="P03", variable="birthplace")
    assert _call(server, "/api/decision", {"pair": p08["pair"], "decision": "accept"})[0] == 400
    assert _call(server, "/api/decision", {"pair": p08["pair"], "decision": "n:0"})[0] == 400
    _call(server, "/api/decision", {"pair": p08["pair"], "decision": "uncodable"})
    pick = p03["neighbours"][1]["code"]
    _, q = _call(server, "/api/decision", {"pair": p03["pair"], "decision": "n:2"})
    assert q["done"] == 2
    verify = [i for i, it in queue_ids.items() if it["task"] == "verify"
              and i != p03["pair"]][0]
    _call(server, "/api/decision", {"pair": verify, "decision": "accept"})
    _, q = _call(server, "/api/undo", {})
    assert q["undone"] == verify and q["done"] == 2
    store = pd.read_parquet(out / "coding" / "decisions.parquet")
    got = dict(zip(zip(store["record_id"], store["variable"], strict=True), store["code"],
                   strict=True))
    assert got == {("P08", "birthplace"): "VG", ("P03", "birthplace"): pick}
    assert set(store["reviewer"]) == {"cora"} and set(store["origin"]) == {"page"}
    assert dict(zip(store["record_id"], store["kind"], strict=True)) == {
        "P08": "clerical", "P03": "verify"}
    server.shutdown()
    workflow.reapply(out)  # as `spinelink coding apply OUT`
    t = pd.read_parquet(out / "coding" / "census.parquet").set_index(["record_id", "variable"])
    assert (t.loc[("P08", "birthplace"), "code"], t.loc[("P08", "birthplace"), "status"]) == (
        "VG", "clerical")
    p3 = t.loc[("P03", "birthplace")]
    assert (p3["code"], p3["status"], p3["original_code"], p3["decided_via"]) == (
        pick, "verified", "MDA", "page")


def test_the_coding_store_survives_a_torn_line_and_undoes(tmp_path):
    """The coding store is the pair review's crash-safe log: a last line a killed writer
    left half-written is ignored by readers and cut off by the next append."""
    from spinelink.coding.decisions import CodingStore

    store = CodingStore(tmp_path / "coding")
    store.add("ann", "census", "P01", "birthplace", "UKR", "verify", "UKR")
    store.add("ann", "census", "P02", "birthplace", "POL", "verify", "UKR")
    log = tmp_path / "coding" / "decisions.jsonl"
    with open(log, "ab") as f:
        f.write(b'{"event": "decision", "code": "RU')            # killed mid-write
    again = CodingStore(tmp_path / "coding")
    assert {k[1]: d.code for k, d in again.current().items()} == {"P01": "UKR", "P02": "POL"}
    again.add("bob", "census", "P03", "language", "ukr", "clerical")
    assert len(log.read_bytes().splitlines()) == 3                # the torn line is gone
    assert again.undo_last("bob", "coding").record_id == "P03"
    assert set(k[1] for k in CodingStore(tmp_path / "coding").current()) == {"P01", "P02"}
    with pytest.raises(ValueError):
        again.add("bob", "census", "P04", "language", "ukr", "guess")   # not a kind


def test_a_decision_names_an_answer_of_the_queue(server, out):
    """Session 27: answer -1 coded the queue's last answer (a Python index from the end)."""
    n = _call(server, "/api/queue")[1]["total"]
    for bad in (-1, n):
        assert _call(server, "/api/decision", {"pair": bad, "decision": "uncodable"})[0] == 400
    assert _call(server, "/api/queue")[1]["done"] == 0
