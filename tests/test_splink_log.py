"""Splink's log messages go through spinelink's logging at DEBUG (spinelink.splink_log):
hidden at spinelink's usual level, shown with --verbose / DEBUG, errors kept; a notebook
running a job sees no Splink chatter."""
from __future__ import annotations

import logging
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

from spinelink.splink_log import splink_through_spinelink

EM = "splink.internals.expectation_maximisation"
NOT_OBSERVED = "WARNING:\nLevel x on comparison y not observed in dataset, unable to train m"


def _spinelink_records(caplog) -> list[tuple[str, int, str]]:
    return [(r.name, r.levelno, r.getMessage()) for r in caplog.records
            if r.name.startswith(("splink", "spinelink"))]


def test_splink_warnings_are_hidden_at_spinelinks_usual_level(caplog):
    caplog.set_level(logging.INFO)
    with splink_through_spinelink():
        logging.getLogger(EM).warning(NOT_OBSERVED)
        logging.getLogger(EM).info("[EM sampling] probe")
        logging.getLogger(EM).error("boom")
        logging.getLogger("spinelink").info("spinelink's own message")
    assert _spinelink_records(caplog) == [("spinelink.splink", logging.ERROR, "boom"),
                                          ("spinelink", logging.INFO, "spinelink's own message")]


def test_splink_messages_show_as_debug_when_spinelink_is_at_debug(caplog):
    caplog.set_level(logging.WARNING)
    caplog.set_level(logging.DEBUG, logger="spinelink")
    with splink_through_spinelink():
        logging.getLogger(EM).warning(NOT_OBSERVED)
        logging.getLogger(EM).info("[EM sampling] probe %d", 3)
    assert _spinelink_records(caplog) == [("spinelink.splink", logging.DEBUG, NOT_OBSERVED),
                                          ("spinelink.splink", logging.DEBUG,
                                           "[EM sampling] probe 3")]


def test_splinks_logger_is_restored_afterwards():
    splink = logging.getLogger("splink")
    mine = logging.NullHandler()
    splink.addHandler(mine)
    before = (splink.level, splink.propagate, list(splink.handlers))
    try:
        with pytest.raises(RuntimeError), splink_through_spinelink():
            assert splink.handlers != before[2] and splink.propagate is False
            raise RuntimeError("stage failed")
        assert (splink.level, splink.propagate, list(splink.handlers)) == before
    finally:
        splink.removeHandler(mine)


@pytest.mark.slow
def test_a_notebook_running_the_demo_sees_no_splink_messages(tmp_path):
    """As in a notebook: no logging configured, spinelink.run on the demo job (which
    trains Splink models); stderr holds none of Splink's warnings."""
    shutil.copytree(ROOT / "sample_data", tmp_path / "job")
    code = ("import spinelink; r = spinelink.run('job/demo_job.yaml', output_dir='out'); "
            "print(r.accounting['benefits']['linked'])")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                       text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    assert int(r.stdout.split()[-1]) > 0
    for splink_text in ("not observed in dataset", "max_pairs", "[EM sampling]"):
        assert splink_text not in r.stderr, r.stderr[-3000:]
