"""The address's house number or street word with the middle initial as prediction blocks
(issue 11, item 6): a record that lost its names and date of birth but kept part of its
address and its middle initial is compared with its reference record. On the external
benchmark's W-2 and 1040 pairs such records were most of the true pairs no rule compared
(benchmarks/RESULTS.md, session 51 helper B)."""
from __future__ import annotations

import re

import pandas as pd
from test_prediction_chunks import _keyed
from test_standardise import run

import spinelink.chunks as prob
from spinelink.backends import open_engine
from spinelink.config import MODELS_DIR
from spinelink.jobspec.files import AUTO_SPEC
from spinelink.model_spec import CappedBlock, blocking_rule, load_model_spec

COLUMNS = {"first_name": "fn", "middle_name": "mn", "last_name": "ln", "address": "addr"}

# the reference's records, then the source's: the same two persons. The source's first
# record lost its names and has a typo in its street ("ashburn" / "axburn"); the second
# lost its names, writes the address in Russian (Ukrainian in the reference) and has
# another house number. Neither has a date of birth, postcode or the same address.
REFERENCE = [{"id": "r1", "fn": "Blaze", "mn": "R", "ln": "Archie", "addr": "2506 Ashburn Ln"},
             {"id": "r2", "fn": "Олена", "mn": "Іванівна", "ln": "Коваленко",
              "addr": "вул. Хмельницького, 23, кв. 111, м. Київ"}]
SOURCE = [{"id": "s1", "mn": "Robert", "addr": "2506 Axburn Lane"},
          {"id": "s2", "mn": "Ivanovna", "addr": "ул. Хмельницкого 25, кв. 111, г. Киев"}]


def _standardised(tmp_path, rows, name):
    (tmp_path / name).mkdir()
    out = run(open_engine(), tmp_path / name, [dict(r) for r in rows], columns=COLUMNS)
    return pd.DataFrame(list(out.values()))


def test_house_number_and_street_word_survive_a_typo_and_the_russian_form(tmp_path):
    ref = _standardised(tmp_path, REFERENCE, "ref").set_index("record_id")
    src = _standardised(tmp_path, SOURCE, "src").set_index("record_id")
    assert ref.loc["r1", "address_number"] == src.loc["s1", "address_number"] == "2506"
    assert ref.loc["r1", "address_word"] != src.loc["s1", "address_word"]  # the typo
    # the street's romanisation key: Khmelnytskoho / Khmelnitskogo
    assert ref.loc["r2", "address_word"] == src.loc["s2", "address_word"]
    assert (ref.loc["r2", "address_number"], src.loc["s2", "address_number"]) == ("23", "25")
    # no digits word, no word of three letters that is no street type: missing
    (tmp_path / "few").mkdir()
    few = run(open_engine(), tmp_path / "few", [{"id": "a", "addr": "se 89th ave"},
                                                {"id": "b", "addr": "PO Box 6846"}],
              columns={"address": "addr"})
    assert (few["a"]["address_number"], few["a"]["address_word"]) == (None, None)
    assert few["b"]["address_number"] == "6846"


def test_a_record_with_part_of_its_address_and_its_initial_is_compared(tmp_path):
    """The auto model's whole blocking on the standardised records: each true pair held by
    one of the two rules, by no other (without them, none)."""
    spec = load_model_spec(MODELS_DIR / AUTO_SPEC)
    cols = sorted({c for r in spec.blocking for c in (
        r.columns if isinstance(r, CappedBlock) else r if isinstance(r, list)
        else re.findall(r"[lr]\.(\w+)", r.sql))})
    ref, src = (_standardised(tmp_path, rows, name)[cols].astype(object)
                for rows, name in ((REFERENCE, "ref"), (SOURCE, "src")))
    new = [i for i, r in enumerate(spec.blocking) if isinstance(r, CappedBlock)
           and r.columns[0] in ("address_number", "address_word")]
    assert [spec.blocking[i].columns for i in new] == [
        ["address_number", "middle_name_initial"], ["address_word", "middle_name_initial"]]

    def pairs(keep):
        engine = _keyed(spec, ref, src)
        model = {"blocking_rules_to_generate_predictions": [
            {"blocking_rule": blocking_rule(i, r).get_blocking_rule("duckdb")
             .blocking_rule_sql, "sql_dialect": "duckdb"}
            for i, r in enumerate(spec.blocking) if keep(i)]}
        return prob.blocked_pairs(engine, model, "r", "s")

    assert pairs(lambda i: i in new) == 2  # s1-r1 by the number, s2-r2 by the street
    assert pairs(lambda i: True) == 2
    assert pairs(lambda i: i not in new) == 0
