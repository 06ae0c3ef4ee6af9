"""Progress bars with time estimates for long stages (stderr; counts only, never data)."""
from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")


def steps(items: Iterable[T], desc: str, total: int | None = None) -> Iterator[T]:
    """Iterate with a progress bar on a terminal; quiet for one step or when stderr is
    not a terminal (logs and CI get the stage lines with timings instead)."""
    items = list(items) if total is None else items
    n = total if total is not None else len(items)  # type: ignore[arg-type]
    yield from tqdm(items, desc=desc, total=n, unit="step", file=sys.stderr,
                    disable=n <= 1 or not sys.stderr.isatty(), mininterval=2.0, leave=False,
                    dynamic_ncols=True)
