"""The bad-input corpus (tests/bad_inputs/cases.yaml) through the real CLI.

Each case ends with a non-zero exit and one `error:` line naming the file, the row or key
and the field, or with success where the bad rows are quarantined with their reason and
the record accounting holds. Never a traceback; nothing printed holds an input value.
The cases run in parallel once per session (see bad_inputs/corpus.py).
"""
from __future__ import annotations

import os

import pytest
from bad_inputs.corpus import HERE, check, describe, load_cases, run_all

CASES, BASES = load_cases()


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    return run_all(CASES, BASES, tmp_path_factory.mktemp("bad_inputs"),
                   workers=max(2, os.cpu_count() or 2))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_case(outcomes, case):
    o = outcomes[case.id]
    problems = check(case, o)
    assert not problems, f"{case.id} ({describe(case, o)}): " + "; ".join(problems)


def test_corpus_is_large_and_tabulated():
    assert len(CASES) >= 30
    assert sum(c.command == "run" for c in CASES) <= 4  # full runs train a model: keep few
    table = (HERE / "CASES.md").read_text(encoding="utf-8")
    missing = [c.id for c in CASES if f"`{c.id}`" not in table]
    assert not missing, f"run python tests/bad_inputs/corpus.py --write: {missing}"
