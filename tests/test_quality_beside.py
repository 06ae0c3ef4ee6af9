"""The engine's last queries of the quality stage run on a thread beside the estimate's
fits (`quality.beside`, issue 16): the outputs are those of running them one after the
other, to the bit.

On the harness's `ua_missed_relatives` case (the hand-made Ukrainian register with one of
each pair of look-alike relatives taken out), where both parts that run beside the fits
have work: the co-twin term's links and the candidates the relatives rule names apart
(tests/test_quality_twin_draw.py). The quality stage of one finished run is run again
twice (`benchmarks/quality_resume.py`'s checkpoint rewrite), on the thread and at once."""
from __future__ import annotations

import json
import shutil
import sys
import threading

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import quality_eval  # noqa: E402
import quality_resume  # noqa: E402

import spinelink  # noqa: E402
from spinelink import pipeline  # noqa: E402
from spinelink.quality import beside  # noqa: E402

pytestmark = pytest.mark.slow

FILES = ["subgroups.csv", "summary.json", "bias.csv", "threshold.csv"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    case, res, _ = quality_eval.case_frame(tmp_path_factory.mktemp("beside"), "default",
                                           "ua_missed_relatives")
    out = case.bench.dir / "spinelink_out"
    got = {}
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(pipeline, "open_checkpoint", quality_resume.forgetting())
        for sequential in (False, True):
            again = out.parent / f"again_{sequential}"
            shutil.copytree(out, again)
            mp.setattr(beside, "SEQUENTIAL", sequential)
            spinelink.run(case.bench.job, output_dir=again, resume=True)
            got[sequential] = {f: (again / "quality" / f).read_bytes() for f in FILES}
    finally:
        mp.undo()
    return res, got


def test_both_parts_have_work_here(runs):
    """The premise: the co-twin term holds links (its rates are the thread's queries),
    in the whole run and in both reruns."""
    res, got = runs
    assert res["diagnostics"]["twins"]["links"] >= 8
    for sequential in (False, True):
        summ = json.loads(got[sequential]["summary.json"])
        assert next(iter(summ["sources"].values()))["twins"]["links"] >= 8


@pytest.mark.parametrize("name", FILES)
def test_the_thread_gives_the_sequential_outputs(runs, name):
    _, got = runs
    assert got[False][name] == got[True][name]


def test_the_thread_raises_what_the_work_raised():
    def fails():
        raise ValueError("engine")

    side = beside.Beside(fails)
    side.wait()
    with pytest.raises(ValueError, match="engine"):
        side.join()
    ran = beside.Beside(lambda: threading.current_thread())
    assert ran.join() is not threading.current_thread()
