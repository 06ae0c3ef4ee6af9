"""After each stage the pipeline gives back the memory Arrow's allocator keeps freed
(`pipeline.return_freed_memory`): Arrow's mimalloc pool held 150-260 MB after each
standardisation at a million records, into the probabilistic stage whose peak is the
run's."""
from __future__ import annotations

import gc

import pyarrow as pa
import pyarrow.compute as pc

from spinelink.pipeline import return_freed_memory


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        return next(int(x.split()[1]) for x in fh if x.startswith("VmRSS:")) / 1024


def test_memory_arrow_freed_is_given_back():
    return_freed_memory()
    # many mid-sized buffers, as a standardisation's queries leave them: freed, but kept
    # by the allocator
    parts = [pc.add(pa.array(range(200_000)), 1) for _ in range(150)]  # ~240 MB
    del parts
    gc.collect()
    held = _rss_mb()
    return_freed_memory()
    assert _rss_mb() < held - 100
