"""Splink's log messages, routed through spinelink's logging.

Splink logs progress and warnings under the `splink` logger ("Level ... not observed in
dataset, unable to train m value", "You are using the default value for `max_pairs`").
spinelink handles what they warn about (unobserved levels get a floor, u is estimated on
a sample sized for the data), so to a spinelink user they are detail. Left alone they
reach the root logger, and a notebook, where no logging is configured, prints them all.

While `splink_through_spinelink()` is active, Splink's records are re-emitted by the
`spinelink.splink` logger: errors at their own level, everything else at DEBUG. They are
shown when spinelink's logging is at DEBUG (`spinelink run --verbose`, or
`logging.getLogger("spinelink").setLevel(logging.DEBUG)` in a notebook), and go to
whatever handlers spinelink's logs go to. Splink's logger is restored afterwards.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

SPLINK = "splink"
TARGET = "spinelink.splink"


class _Forward(logging.Handler):
    """Re-emit a Splink record as a `spinelink.splink` record at spinelink's level."""

    def emit(self, record: logging.LogRecord) -> None:
        level = record.levelno if record.levelno >= logging.ERROR else logging.DEBUG
        target = logging.getLogger(TARGET)
        if not target.isEnabledFor(level):
            return
        routed = logging.makeLogRecord(record.__dict__)
        routed.name = TARGET
        routed.levelno = level
        routed.levelname = logging.getLevelName(level)
        target.handle(routed)


@contextmanager
def splink_through_spinelink() -> Iterator[None]:
    """Route the `splink` logger through `spinelink.splink` for the duration."""
    splink = logging.getLogger(SPLINK)
    saved = (splink.level, splink.propagate, list(splink.handlers))
    detail = logging.getLogger(TARGET).isEnabledFor(logging.DEBUG)
    # records below ERROR are only worth creating when they will be shown
    splink.setLevel(logging.INFO if detail else logging.ERROR)
    splink.handlers = [_Forward()]
    splink.propagate = False
    try:
        yield
    finally:
        splink.setLevel(saved[0])
        splink.propagate = saved[1]
        splink.handlers = saved[2]
