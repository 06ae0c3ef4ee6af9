"""The stage list (spinelink.stages.plan) and the one contract (issue 13 item 1): the plan
of the crash-test job is the stages a run of it records, in order, and covers the stages
and outputs the fault matrix lists (the table was written by runs of the pipeline before
the stages were listed in one place), and a run's
accounting and link summary are exactly what replaying every recorded stage result's
`changes` gives: intake and linkage report their counts the way clerical review does."""
from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_crash_safety import clean_run, run_job  # noqa: E402

from spinelink.checkpoint import _content_hash  # noqa: E402
from spinelink.config import load_job  # noqa: E402
from spinelink.stages import apply_changes  # noqa: E402
from spinelink.stages.plan import plan  # noqa: E402

TABLE = Path(__file__).with_name("fault_matrix.md")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return clean_run(tmp_path_factory, "plan")


def test_the_plan_is_the_stages_a_run_records(run, tmp_path):
    folder, out = run
    lj = load_job(folder / "job.yaml")
    steps = plan(lj, tmp_path / "out")
    order = json.loads((out / "checkpoint.json").read_text())["order"]
    assert [s.name for s in steps] == order
    # the sources in the job's order, each kind before the next
    names = list(lj.job.sources)
    assert len(names) == 2 and list(lj.job.links) == ["admin"]
    assert [s.name for s in steps][:5] == [*(f"intake:{n}" for n in names),
                                           *(f"standardise:{n}" for n in names),
                                           "link:admin"]
    killed = set(re.findall(r"^\| `kill/(.+)/start` \|", TABLE.read_text(encoding="utf-8"),
                            re.M))
    assert killed and killed <= set(order)
    # each file a per-source stage must leave for --resume is one the matrix tampers with
    listed = set(re.findall(r"^\| `delete/(.+?)` \|", TABLE.read_text(encoding="utf-8"),
                            re.M))
    outputs = {p.relative_to(tmp_path / "out").as_posix() for s in steps for p in s.outputs}
    assert outputs and outputs <= listed, sorted(outputs - listed)
    assert {s.kind for s in steps if s.source} == {"intake", "standardise", "link"}
    assert [s.name for s in steps if s.load] == [f"standardise:{n}" for n in names]


def test_accounting_and_links_are_the_replayed_stage_results(run):
    _, out = run
    ck = json.loads((out / "checkpoint.json").read_text())
    man = json.loads((out / "run_manifest.json").read_text())
    acc, links = {}, {}
    for stage in ck["order"]:
        acc, links = apply_changes(acc, links, ck["done"][stage].get("changes"))
    assert acc == man["accounting"] and links == man["links"]
    assert man["accounting"]["admin"]["linked"] > 0
    # naive replays fail: only the stages after linkage, or only intake
    later = [s for s in ck["order"] if ":" not in s]
    acc2, links2 = {}, {}
    for stage in later:
        acc2, links2 = apply_changes(acc2, links2, ck["done"][stage].get("changes"))
    assert acc2 != man["accounting"] and links2 != man["links"]
    intake_only = {}
    for stage in [s for s in ck["order"] if s.startswith("intake:")]:
        intake_only = apply_changes(intake_only, {}, ck["done"][stage]["changes"])[0]
    assert intake_only != man["accounting"]
    # the intake report and the manifest show results without their `changes`
    report = json.loads((out / "intake" / "report.json").read_text())
    assert "changes" not in report["admin"] and "changes" not in man["links"]["admin"]
    assert report["admin"]["rows_read"] == man["accounting"]["admin"]["read"]


def test_a_checkpoint_without_the_counts_of_intake_is_not_resumed(run, tmp_path):
    """A checkpoint an earlier version wrote (intake results without `changes`, same
    package version) would give a manifest without counts: --resume refuses it."""
    folder, clean = run
    out = tmp_path / "out"
    shutil.copytree(clean, out)
    path = out / "checkpoint.json"
    ck = json.loads(path.read_text())
    first = ck["order"][0]
    assert first.startswith("intake:")
    del ck["done"][first]["changes"]
    ck["sha256"] = _content_hash(ck)
    path.write_text(json.dumps(ck))
    r = run_job(folder, out, "--resume")
    assert r.returncode == 2, r.stderr[-2000:]
    assert f"'{first}' stage was recorded by an earlier version" in r.stderr
    assert "Traceback" not in r.stderr
