"""The review server over HTTP (in-process): token and host checks, the JSON API,
weights that add up, blind mode, and the second-review queue."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pandas as pd
import pytest
from test_review_support import fresh_copy

from spinelink.review import qc
from spinelink.review.server import STATIC, ReviewServer
from spinelink.review.session import Session

pytestmark = pytest.mark.slow


@pytest.fixture
def out(tmp_path):
    return fresh_copy(tmp_path / "p")


@pytest.fixture
def server(out):
    servers = []

    def start(**kw):
        srv = ReviewServer(Session(out, kw.pop("reviewer", "alice"), **kw))
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.shutdown()
        srv.server_close()


def _call(srv, path, body=None, token=None, host=None):
    port = srv.server_address[1]
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                 data=None if body is None else json.dumps(body).encode(),
                                 method="GET" if body is None else "POST")
    req.add_header("X-Review-Token", srv.token if token is None else token)
    if host:
        req.add_header("Host", host)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_local_only_and_token_required(server):
    srv = server()
    assert srv.server_address[0] == "127.0.0.1"
    assert "token=" in srv.url and len(srv.token) >= 32
    assert _call(srv, "/api/queue", token="")[0] == 403
    assert _call(srv, "/api/queue", token="x" * 32)[0] == 403
    assert _call(srv, "/", token="")[0] == 403
    assert _call(srv, "/api/queue", host="evil.example:80")[0] == 403  # DNS rebinding
    status, body = _call(srv, "/")
    assert status == 200 and b"Clerical review" in body
    for name in ("index.html", "common.js", "app.js", "app.css"):  # offline: nothing external
        text = (STATIC / name).read_text()
        assert "http:" not in text and "https:" not in text and "//cdn" not in text
    assert _call(srv, "/static/app.js")[0] == 200
    assert _call(srv, "/static/../server.py")[0] == 404
    assert _call(srv, "/api/pair/999999")[0] == 404
    assert _call(srv, "/api/decision", {"pair": 0, "decision": "maybe"})[0] == 400


def test_pair_detail_weights_add_up_and_decisions_are_stored(server, out):
    srv = server()
    q = json.loads(_call(srv, "/api/queue")[1])
    assert q["total"] >= 20 and q["done"] == 0  # a band with work in it
    p = json.loads(_call(srv, "/api/pair/0")[1])
    assert {f["field"] for f in p["fields"]} >= {"first name", "last name", "date of birth"}
    w = p["weight"]
    parts = sum(c["weight"] + c["tf_weight"] for c in w["parts"])
    assert len(w["parts"]) >= 5 and w["prior"] < 0
    assert parts + w["prior"] == pytest.approx(w["match_weight"])
    # the prior is the same for every pair of a source: the parts reproduce each weight
    priors = {json.loads(_call(srv, f"/api/pair/{i}")[1])["weight"]["prior"]
              for i in range(5) if q["items"][i]["source"] == q["items"][0]["source"]}
    assert max(priors) - min(priors) < 1e-6
    status, body = _call(srv, "/api/decision", {"pair": 0, "decision": "match",
                                                "note": "same person"})
    assert status == 200 and json.loads(body)["done"] == 1
    dec = pd.read_parquet(out / "review" / "decisions.parquet")
    assert dec[["reviewer", "decision", "note", "reference_id", "source_id"]].values.tolist() \
        == [["alice", "match", "same person", p["reference_id"], p["source_id"]]]
    undone = json.loads(_call(srv, "/api/undo", {})[1])
    assert undone["undone"] == 0 and undone["done"] == 0
    assert pd.read_parquet(out / "review" / "decisions.parquet").empty


def test_blind_mode_hides_weights(server):
    srv = server(blind=True)
    p = json.loads(_call(srv, "/api/pair/0")[1])
    assert "weight" not in p
    assert all("match_weight" not in o for o in p["others_ref"] + p["others_src"])


def test_second_review_queue_is_a_share_of_another_reviewers_decisions(out):
    first = Session(out, "alice", blind=True)
    for it in first.queue()["items"]:
        first.decide(it["pair"], "match")
    settings = qc.QCSettings(share=0.25, threshold=0.01, batch_size=20, seed=5)
    mine = Session(out, "alice", mode="second", blind=True, qc_settings=settings)
    assert mine.queue()["total"] == 0                  # not one's own decisions
    bob = Session(out, "bob", mode="second", blind=True, qc_settings=settings)
    q = bob.queue()
    n = len(first.queue()["items"])
    assert 0 < q["total"] < n / 2
    assert bob.pair(q["items"][0]["pair"])["decision"] is None  # first decision not shown
    for k, it in enumerate(q["items"]):
        bob.decide(it["pair"], "non-match" if k == 0 else "match")
    stats = qc.run(out, share=0.25, threshold=0.01, batch_size=20, seed=5)
    assert stats["overall"]["compared"] == q["total"]
    assert stats["overall"]["batches_flagged"] == 1
    flagged = [b for b in stats["batches"] if b["status"] == "rereview"]
    assert len(flagged) == 1 and flagged[0]["disagreements"] == 1
    alice = stats["reviewers"]["alice"]
    assert alice["agreement"] < 1 and alice["kappa"] == 0.0   # all 'match': chance level
    carol = Session(out, "carol", mode="rereview", blind=True, qc_settings=settings)
    assert carol.queue()["total"] == flagged[0]["decisions"]
    detail = carol.pair(carol.queue()["items"][0]["pair"])
    assert {e["round"] for e in detail["earlier"]} <= {"first", "second"}


def test_a_decision_names_a_pair_of_the_queue(server, out):
    """Session 27: pair -1 decided the band's last pair (a Python index from the end), and
    a second reviewer could post a decision for a pair outside their queue (their own)."""
    srv = server()
    n = json.loads(_call(srv, "/api/queue")[1])["total"]
    for bad in (-1, n, "x", None):
        assert _call(srv, "/api/decision", {"pair": bad, "decision": "match"})[0] == 400
    assert not (out / "review" / "decisions.parquet").exists() or \
        pd.read_parquet(out / "review" / "decisions.parquet").empty
    alice = Session(out, "alice", blind=True)
    alice.decide(0, "match")
    mine = Session(out, "alice", mode="second", blind=True)
    with pytest.raises(ValueError, match="not in this reviewer's queue"):
        mine.decide(0, "non-match")
    assert len(pd.read_parquet(out / "review" / "decisions.parquet")) == 1
