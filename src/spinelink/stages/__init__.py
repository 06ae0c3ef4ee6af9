"""The contract every stage keeps (the stages, in order, are listed in one place:
spinelink.stages.plan).

A stage is a function `run(ctx: StageContext) -> dict | None`, per source (intake,
coding, standardise and link of one source: `ctx.source`) or for the whole run (clerical,
integrate, quality, report, privacy, ...). The context is read-only: the record
accounting and the link summary come as read-only views, so a stage cannot change what
the run has counted behind its back. A stage that changes them says so in its result,
under `changes` (intake counts what it read, accepted and quarantined; linkage what it
linked, sent to review and left unlinked, with its link summary; the clerical stage turns
reviewed pairs into links):

    {"changes": {"accounting": {source: {"linked": .., "review": .., "unlinked": ..}},
                 "links": {source: {"accounting": {..}, "links_by_method": {..}}}}}

and the pipeline applies it with `apply_changes`, whether the stage ran now or its
result was recorded by an interrupted run and reused by `--resume`: the accounting and
the link summary are built only by applying stage results, so the two give the same
manifest by construction.

>>> acc, links = apply_changes({"a": {"read": 3, "linked": 1}}, {},
...                            {"accounting": {"a": {"linked": 2}}})
>>> acc, links
({'a': {'read': 3, 'linked': 2}}, {})
>>> view = read_only({"a": {"linked": 1}})
>>> view["a"]["linked"] = 2
Traceback (most recent call last):
...
TypeError: 'mappingproxy' object does not support item assignment
"""
from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from spinelink.backends import Engine
from spinelink.config import LoadedJob

CHANGE_KINDS = ("accounting", "links")


def std_table(source: str) -> str:
    """The engine table holding a source's standardised records (the standardise stage
    loads it; linkage reads it)."""
    return f"__sl_std_{source}"


def published(result: Mapping) -> dict:
    """A stage's result without its `changes` (what the manifest and reports show)."""
    return {k: v for k, v in result.items() if k != "changes"}


def read_only(value: Any) -> Any:
    """A read-only view of nested dicts (lists become tuples)."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: read_only(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(read_only(v) for v in value)
    return value


def plain(value: Any) -> Any:
    """The inverse of read_only: plain dicts and lists, e.g. to write as JSON."""
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    return value


def apply_changes(accounting: Mapping, links: Mapping,
                  changes: Mapping | None) -> tuple[dict, dict]:
    """New accounting and link summary: `changes` (a stage's result's `changes`) merged
    per source into copies of the two; the inputs are not modified."""
    acc, summary = copy.deepcopy(plain(accounting)), copy.deepcopy(plain(links))
    unknown = set(changes or {}) - set(CHANGE_KINDS)
    if unknown:
        raise ValueError(f"a stage returned changes of unknown kind {sorted(unknown)}; "
                         f"expected {list(CHANGE_KINDS)}")
    for target, kind in ((acc, "accounting"), (summary, "links")):
        for source, values in (changes or {}).get(kind, {}).items():
            target.setdefault(source, {}).update(plain(values))
    return acc, summary


@dataclass(frozen=True)
class StageContext:
    """What a stage gets: the engine, the job, the output folder, and (read-only) what
    earlier stages produced: the record accounting, the link summary per source, the stage
    timings so far and the results of the stages before it (by stage name). A per-source
    stage gets its `source`; `clock` (the run's timer, `with ctx.clock.stage(name):`) is
    for a stage that times its own parts (linkage: deterministic, probabilistic)."""
    engine: Engine
    lj: LoadedJob
    out: Path
    accounting: Mapping
    links: Mapping
    timings: Mapping
    results: Mapping = field(default_factory=lambda: MappingProxyType({}))
    source: str | None = None
    clock: Any = None

    @classmethod
    def of(cls, engine: Engine, lj: LoadedJob, out: Path, accounting: dict, links: dict,
           timings: dict, results: dict, source: str | None = None,
           clock: Any = None) -> StageContext:
        return cls(engine, lj, out, read_only(accounting), read_only(links),
                   read_only(timings), read_only(results), source, clock)
