"""Time the quality stage's label-free estimate (`labelfree.estimate`) alone, on the inputs
of a real run, and check two versions' results equal to the bit.

    # a run (or a resumed quality stage) with the estimate's inputs kept in a file
    PYTHONPATH=$PWD/src python benchmarks/quality_estimate_time.py dump INPUTS.pkl \\
        run job_quality.yaml --output-dir OUT [--resume]
    # the estimate on them: process CPU and wall; its result kept for `same`
    PYTHONPATH=$PWD/src python benchmarks/quality_estimate_time.py time INPUTS.pkl RESULT.pkl
    # two results (e.g. of two versions of the code) equal to the bit
    python benchmarks/quality_estimate_time.py same A.pkl B.pkl

The inputs hold the run's candidate pairs and captures (70 MB at a million persons): a
local file for measurements, not a published table."""
from __future__ import annotations

import pickle
import sys
import time

import numpy as np
import pandas as pd


def dump(path: str, args: list[str]) -> None:
    from spinelink.quality import labelfree

    original = labelfree.estimate

    def kept(*a, **k):
        ready = k.pop("ready", None)  # the engine's part on its thread (`quality.beside`)
        if ready is not None:
            ready()
        with open(path, "wb") as f:
            pickle.dump((a, k), f, protocol=5)
        return original(*a, **k)

    labelfree.estimate = kept
    sys.argv = ["spinelink", *args]
    from spinelink.cli import entry

    entry()


def timed(path: str, out: str) -> None:
    from spinelink.quality import labelfree
    from spinelink.quality.stats import one_blas_thread

    with open(path, "rb") as f:
        a, k = pickle.load(f)
    cpu, wall = time.process_time(), time.perf_counter()
    with one_blas_thread():  # as the stage runs it
        est = labelfree.estimate(*a, **k)
    print(f"estimate: process CPU {time.process_time() - cpu:.2f} s, "
          f"wall {time.perf_counter() - wall:.2f} s")
    with open(out, "wb") as f:
        pickle.dump(est, f, protocol=5)


def _equal(x, y, at: str) -> None:
    if isinstance(x, pd.DataFrame):
        pd.testing.assert_frame_equal(x, y, check_exact=True)
    elif isinstance(x, np.ndarray):
        assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True), at
    elif isinstance(x, dict):
        assert x.keys() == y.keys(), at
        for key in x:
            _equal(x[key], y[key], f"{at}[{key}]")
    elif isinstance(x, list | tuple):
        assert len(x) == len(y), at
        for i, (u, v) in enumerate(zip(x, y, strict=True)):
            _equal(u, v, f"{at}[{i}]")
    elif hasattr(x, "__dict__") and not isinstance(x, type):
        _equal(vars(x), vars(y), at)
    elif isinstance(x, float) and np.isnan(x):
        assert np.isnan(y), at
    else:
        assert x == y, (at, x, y)


def same(a: str, b: str) -> None:
    with open(a, "rb") as f, open(b, "rb") as g:
        _equal(pickle.load(f), pickle.load(g), "estimate")
    print("equal to the bit")


if __name__ == "__main__":
    cmd, rest = sys.argv[1], sys.argv[2:]
    if cmd == "dump":
        dump(rest[0], rest[1:])
    elif cmd == "time":
        timed(rest[0], rest[1])
    elif cmd == "same":
        same(rest[0], rest[1])
    else:
        sys.exit("usage: quality_estimate_time.py dump|time|same ...")
