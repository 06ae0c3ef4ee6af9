"""Test-only fault injection (tests/test_fault_matrix.py, tests/test_review_store.py).

`SPINELINK_FAULT="<action> <site> <point>"` makes the process fail at one defined point,
so the tests put a fault exactly where they mean to, not where timing lets them:

* site: a pipeline stage (`intake:census`, `link:admin`, `privacy`, ...) or `decisions`
  (the review decisions log);
* point: `start` (the stage has begun, nothing written yet), `middle` (its first output
  is written under its temp name, not yet renamed), `end` (every output written, the
  checkpoint not yet updated); for `decisions`: `append` (half of an append written);
* action: `kill` (SIGKILL: no cleanup, as a kill or a lost machine), `stop` (SIGSTOP, to
  hold a run while a test starts another), `full` (from that point on, writing a file
  beyond 64 bytes fails with EFBIG, as on a full disk).

Unset (always, outside the tests) every check is one comparison with None.
"""
from __future__ import annotations

import os
import signal

SPEC = os.environ.get("SPINELINK_FAULT") or None
_stage: str | None = None
FULL_BYTES = 64


def _hit(site: str, point: str) -> None:
    action, _, where = SPEC.partition(" ")
    if where != f"{site} {point}":
        return
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "stop":
        os.kill(os.getpid(), signal.SIGSTOP)
    elif action == "full":
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an error (EFBIG), not a kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (FULL_BYTES, FULL_BYTES))


def stage_start(stage: str) -> None:
    global _stage
    if SPEC is None:
        return
    _stage = stage
    _hit(stage, "start")


def stage_end(stage: str) -> None:
    global _stage
    if SPEC is None:
        return
    _hit(stage, "end")
    _stage = None


def writing() -> None:
    """An output is complete under its temp name (spinelink.atomic), not yet renamed."""
    if SPEC is None or _stage is None:
        return
    _hit(_stage, "middle")


def torn(site: str, payload: bytes) -> bytes:
    """The part of `payload` to write before `point(site, 'append')` (b"" when unarmed)."""
    if SPEC is None or not SPEC.endswith(f" {site} append"):
        return b""
    return payload[: max(1, len(payload) // 2)]


def point(site: str, where: str) -> None:
    if SPEC is None:
        return
    _hit(site, where)
