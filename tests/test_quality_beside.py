"""The engine's last queries of the quality stage run on a thread beside the estimate's
fits (`quality.beside`, issue 16): the outputs are those of running them one after the
other, to the bit.

On the harness's `ua_missed_relatives` case (the hand-made Ukrainian register with one of
each pair of look-alike relatives taken out), where both parts that run beside the fits
have work: the co-twin term's links and the candidates the relatives rule names apart
(tests/test_quality_twin_draw.py). The quality stage of one finished run is run again
twice (`benchmarks/quality_resume.py`'s checkpoint rewrite), on the thread and at once.
The leave-partner-out sample and the shared units are on the thread too (session 49):
every file the stage writes is the same, and the sample is made there."""
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
from spinelink.quality import beside, per_source  # noqa: E402

pytestmark = pytest.mark.slow

FILES = ["subgroups.csv", "summary.json", "bias.csv", "threshold.csv"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    case, res, _ = quality_eval.case_frame(tmp_path_factory.mktemp("beside"), "default",
                                           "ua_missed_relatives")
    out = case.bench.dir / "spinelink_out"
    got, made_on = {}, {}
    sample = per_source.null_sample
    mp = pytest.MonkeyPatch()

    def on_thread(*a, **k):  # where the sample is made
        made_on.setdefault(sequential, []).append(threading.current_thread().name)
        return sample(*a, **k)

    try:
        mp.setattr(pipeline, "open_checkpoint", quality_resume.forgetting())
        mp.setattr(per_source, "null_sample", on_thread)
        for sequential in (False, True):
            again = out.parent / f"again_{sequential}"
            shutil.copytree(out, again)
            mp.setattr(beside, "SEQUENTIAL", sequential)
            spinelink.run(case.bench.job, output_dir=again, resume=True)
            got[sequential] = {f: (again / "quality" / f).read_bytes() for f in FILES}
            got[sequential]["all"] = {str(f.relative_to(again)): f.read_bytes()
                                      for d in ("quality", "links", "review", "pairs")
                                      for f in sorted((again / d).rglob("*")) if f.is_file()}
    finally:
        mp.undo()
    return res, got, made_on


def test_both_parts_have_work_here(runs):
    """The premise: the co-twin term holds links (its rates are the thread's queries),
    in the whole run and in both reruns."""
    res, got, _ = runs
    assert res["diagnostics"]["twins"]["links"] >= 8
    for sequential in (False, True):
        summ = json.loads(got[sequential]["summary.json"])
        assert next(iter(summ["sources"].values()))["twins"]["links"] >= 8


@pytest.mark.parametrize("name", FILES)
def test_the_thread_gives_the_sequential_outputs(runs, name):
    _, got, _ = runs
    assert got[False][name] == got[True][name]


def test_the_null_sample_is_made_on_the_thread_with_every_output_the_same(runs):
    """The sample (the stage's longest engine work) beside the estimate's first fits,
    and every file of the stage (with `null/` and `fit/`) the same as made at once."""
    _, got, made_on = runs
    assert made_on[False] == ["spinelink-quality-beside"]
    assert made_on[True] == [threading.main_thread().name]
    assert any(k.startswith("quality/null/") for k in got[False]["all"])
    assert got[False]["all"].keys() == got[True]["all"].keys()
    for k, v in got[False]["all"].items():
        assert v == got[True]["all"][k], k


def test_the_engine_gets_its_threads_back_while_the_python_waits():
    """`engine_back` from the waiting (main) thread gives the engine running beside its
    threads again (set from a cursor: the thread's connection is busy); the thread's
    `engine_alone` sets them back as they were in any case."""
    from spinelink.backends.duckdb_engine import DuckDBEngine

    eng, seen, go = DuckDBEngine(threads=2), [], threading.Event()
    alone = threading.Event()

    def work():
        with beside.engine_alone(eng):
            seen.append(eng.scalar("SELECT current_setting('threads')"))
            alone.set()
            go.wait(10)
            seen.append(eng.scalar("SELECT current_setting('threads')"))

    side = beside.Beside(work)
    assert alone.wait(10)
    beside.engine_back(eng)
    go.set()
    side.join()
    assert [int(v) for v in seen] == [1, 2]
    assert int(eng.scalar("SELECT current_setting('threads')")) == 2
    beside.engine_back(eng)  # after the thread: nothing to give back


def test_the_thread_raises_what_the_work_raised():
    def fails():
        raise ValueError("engine")

    side = beside.Beside(fails)
    side.wait()
    with pytest.raises(ValueError, match="engine"):
        side.join()
    ran = beside.Beside(lambda: threading.current_thread())
    assert ran.join() is not threading.current_thread()
