"""Households: relatives share a surname and an address, so a same-address pair is weighed
with co-resident u-probabilities (spinelink.household), and a person missing from the
reference is not linked to a relative.

The data are hand-made here (not the project's generator): 2,000 three-person households
with their own surname and address, first names from a short list as in a real register;
the source holds one member of each household, names and address only. For half of the
households that member is missing from the reference, so the only candidates at their
address are relatives."""
from __future__ import annotations

import json
import random

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

from spinelink.evaluate import score_links
from spinelink.household import address_comparison, adjust

pytestmark = pytest.mark.slow

FIRST = ["anna", "olena", "maria", "iryna", "tetiana", "natalia", "oksana", "yulia",
         "ivan", "petro", "taras", "andrii", "serhii", "oleh", "mykola", "vasyl", "yurii",
         "dmytro", "pavlo", "roman", "halyna", "larysa", "svitlana", "nadiia"]
N_HOUSEHOLDS = 2000
STREETS = ["shevchenka", "franka", "lesi ukrainky", "sadova", "hrushevskoho", "zelena",
           "shkilna", "myru", "lisova", "tsentralna"]


def _households(seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = random.Random(seed)
    ref, src = [], []
    for h in range(N_HOUSEHOLDS):
        surname = f"{rng.choice(['kovalenko', 'bondar', 'tkachenko', 'shevchuk', 'melnyk'])}" \
                  f"{h:04d}"  # one surname per household, as a family register has
        address = f"{rng.randint(1, 199)} {rng.choice(STREETS)} st flat {h}"
        names = rng.sample(FIRST, 3)
        for k, fn in enumerate(names):
            pid = f"p{h}_{k}"
            if not (k == 0 and h % 2 == 1):  # odd households: member 0 missing
                ref.append({"id": f"R{len(ref)}", "first": fn, "last": surname,
                            "addr": address, "pid": pid})
        src.append({"id": f"S{h}", "first": names[0], "last": surname, "addr": address,
                    "pid": f"p{h}_0"})
    return pd.DataFrame(ref), pd.DataFrame(src)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("households")
    ref, src = _households()
    ref.drop(columns="pid").to_csv(d / "ref.csv", index=False)
    src.drop(columns="pid").to_csv(d / "src.csv", index=False)
    cols = "{first_name: first, last_name: last, address: addr}"
    (d / "job.yaml").write_text(f"""\
schema_version: 1
name: households
output_dir: out
seed: 1
reference: ref
sources:
  ref: {{role: census, path: ref.csv, id: id, columns: {cols}}}
  src: {{role: admin, path: src.csv, id: id, columns: {cols}}}
quality: {{enabled: false}}
links:
  src: {{probabilistic: {{model: auto, household: true}}}}
""", encoding="utf-8")
    r = run_cli("run", str(d / "job.yaml"))
    assert r.returncode == 0, r.stderr[-2000:]
    links = pd.read_parquet(d / "out" / "links" / "src.parquet")
    man = json.loads((d / "out" / "run_manifest.json").read_text())
    truth = (ref.rename(columns={"id": "record_id", "pid": "person_uid"}),
             src.rename(columns={"id": "record_id", "pid": "person_uid"}))
    return links, man["links"]["src"]["probabilistic"], truth


def test_a_person_missing_from_the_reference_is_not_linked_to_a_relative(run):
    links, _, (ref, src) = run
    acc = score_links(links, ref[["record_id", "person_uid"]], src[["record_id", "person_uid"]])
    # 1,000 source people are in the reference; 1,000 have only relatives there
    assert acc.linkable == N_HOUSEHOLDS // 2
    assert acc.recall >= 0.99, acc.as_dict()
    assert acc.links - acc.true_links <= 5, acc.as_dict()


def test_the_surname_counts_for_little_at_home(run):
    _, prob, _ = run
    hh = prob["household"]
    assert hh["comparison"] == "address" and hh["co_resident_pairs"] >= 4000
    ratio = hh["log2_u_ratio"]
    # every co-resident pair shares the surname: agreeing on it at home is worth almost
    # nothing (the exact level's u rises from ~1/2,000 to ~1)
    assert ratio["last_name"]["Exact match on last_name"] < -8
    # no two members of a household share a first name: agreeing on it at home says
    # more than between strangers, as far as 4,000 pairs can show
    assert 3 < ratio["first_name"]["Exact match on first_name"] < 8
    # disagreeing never weighs less at home
    assert ratio["first_name"]["All other comparisons"] <= 0


def test_adjust_changes_only_pairs_whose_address_agrees():
    model = {"comparisons": [
        {"output_column_name": "address", "comparison_levels": [
            {"is_null_level": True, "sql_condition": "address_l IS NULL"},
            {"sql_condition": "address_l = address_r", "m_probability": 0.8,
             "u_probability": 0.001},
            {"sql_condition": "ELSE", "m_probability": 0.2, "u_probability": 0.999}]}]}
    name, agree = address_comparison(model)
    assert name == "address" and agree == {round(np.log2(0.8 / 0.001), 6)}
    from spinelink.household import CoResidentU
    hh = CoResidentU("address", agree, {"last_name": {10.0: -7.0, -5.0: 0.0}}, 100)
    df = pd.DataFrame({"mw_address": [np.log2(0.8 / 0.001), np.log2(0.2 / 0.999), 0.0],
                       "mw_last_name": [10.0, 10.0, 10.0],
                       "mw_tf_adj_last_name": [1.5, 1.5, 1.5]})
    # at home: the surname's u is the co-resident one and its term-frequency bonus goes
    assert list(adjust(df, hh)) == [-8.5, 0.0, 0.0]
