"""The review page's coding mode in a real headless browser (Debian's chromium, driven by
Playwright): the real `spinelink review serve OUT --coding` CLI, answers decided by
keyboard only (uncodable, not stated, a neighbour by number, skip, accept, undo), the
stored decisions checked, a reload resuming at the first open answer, and the decisions
applied by `spinelink coding apply OUT`.

Skipped only when chromium is not installed and CI is not set; in CI it must run.
"""
from __future__ import annotations

import pandas as pd
import pytest
from browser_support import (
    browser_page,
    open_page,
    press_and_wait_saved,
    skip_without_chromium,
    start_server,
    stop,
)
from conftest import run_cli
from test_coding import CODING, _job

from spinelink.pipeline import run_job

pytestmark = pytest.mark.slow
skip_without_chromium()


@pytest.fixture
def out(tmp_path):
    run_job(_job(tmp_path, CODING + "coding_options: {verify_share: 1.0}\n"))
    return tmp_path / "out"


@pytest.fixture
def serve(out):
    url, proc = start_server(out, "--coding", "--reviewer", "kbd")
    yield url, proc
    stop(proc)


@pytest.fixture
def page():
    with browser_page() as pg:
        yield pg


_open, _press = open_page, press_and_wait_saved


def _ids(page) -> tuple[str, str]:
    source_rec, var = page.inner_text("#ids").split(" · ")
    return source_rec.split(" ")[1], var


def test_answers_decided_by_keyboard_are_stored_and_applied(out, serve, page):
    url, server = serve
    _open(page, url)
    page.evaluate("""() => { window.__mouse = 0;
        for (const t of ['mousedown', 'click', 'pointerdown'])
          document.addEventListener(t, () => window.__mouse++, true); }""")
    sample = pd.read_parquet(out / "coding" / "census_verification.parquet")
    assert page.inner_text("#total") == str(4 + len(sample))   # P08's 4 clerical answers
    expected = {}
    assert _ids(page) == ("P08", "birthplace") and page.inner_text("#text") == "Zxqwv Plm"
    assert page.inner_text("#proposed") == "—"                  # nothing proposed
    _press(page, "x", 1)                                         # uncodable
    expected[("P08", "birthplace")] = "VG"
    assert _ids(page) == ("P08", "language")
    _press(page, "s", 2)                                         # not stated
    expected[("P08", "language")] = "NS"
    assert _ids(page) == ("P08", "occupation")
    first = page.get_attribute("#neighbours li:nth-child(1)", "data-code")
    _press(page, "1", 3)                                         # neighbour 1
    expected[("P08", "occupation")] = first
    assert _ids(page) == ("P08", "activity")
    page.keyboard.press(" ")                                     # skip
    page.wait_for_function("() => document.getElementById('ids').textContent"
                           ".startsWith('census P01 · birthplace')")
    assert page.inner_text("#proposed") == "BLR" and page.inner_text("#done") == "3"
    _press(page, "a", 4)                                         # accept BLR
    expected[("P01", "birthplace")] = "BLR"
    second = _ids(page)
    proposed = page.inner_text("#proposed")
    pick = page.get_attribute("#neighbours li:nth-child(2)", "data-code")
    _press(page, "2", 5)                                         # a neighbour, then undo
    _press(page, "z", 4)
    assert _ids(page) == second and page.get_attribute("#status", "data-decision") == ""
    _press(page, "Enter", 5)                                     # accept instead
    expected[second] = proposed
    assert pick != proposed

    assert page.evaluate("window.__mouse") == 0                  # keyboard only
    store = pd.read_parquet(out / "coding" / "decisions.parquet")
    got = dict(zip(zip(store["record_id"], store["variable"], strict=True), store["code"],
                   strict=True))
    assert got == expected and set(store["reviewer"]) == {"kbd"}
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert page.inner_text("#done") == "5"
    assert _ids(page) == ("P08", "activity")                     # the first open answer
    page.keyboard.press("ArrowRight")                            # to a decided one
    page.wait_for_function("() => document.getElementById('status').dataset.decision "
                           "=== 'BLR'")
    assert page.inner_text("#status").startswith("BLR Belarus — kbd")
    assert page.errors == []

    busy = run_cli("coding", "apply", str(out))
    assert busy.returncode == 2 and "review server" in busy.stderr  # not while it serves
    server.terminate()
    server.wait(timeout=20)
    applied = run_cli("coding", "apply", str(out))
    assert applied.returncode == 0, applied.stderr
    t = pd.read_parquet(out / "coding" / "census.parquet").set_index(["record_id", "variable"])
    for key, code in expected.items():
        assert t.loc[key, "code"] == code and t.loc[key, "decided_via"] == "page"
        assert t.loc[key, "status"] == ("clerical" if key[0] == "P08" else "verified")
    assert pd.isna(t.loc[("P08", "activity"), "code"])           # skipped: still open
