"""Engine work run beside the label-free estimate's first Python part (issue 16).

The co-twin term's rates (`twins.take_off`) and the relatives rule read on the candidates
(`named_apart.mark`) are DuckDB queries whose results only the estimate's bootstrap reads;
the estimate's point, check and per-value strata fits before it are single-threaded Python
that read neither. DuckDB releases the interpreter while a query runs, so on a thread the
queries use the core the Python leaves idle. Only the thread touches the engine until
`join`; both parts compute what they did one after the other, so the outputs are the same
to the bit (`SEQUENTIAL` runs them so, for the tests)."""
from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import contextmanager

SEQUENTIAL = False  # True: run the work at once, on the calling thread


class Beside:
    """`fn()` started on a thread (or run at once when SEQUENTIAL); `join()` waits for it
    and gives its result, raising what it raised. Joining again gives the same."""

    def __init__(self, fn: Callable[[], object]):
        self._out: dict = {}
        self._thread = None
        if SEQUENTIAL:
            self._run(fn)
        else:
            self._thread = threading.Thread(target=self._run, args=(fn,),
                                            name="spinelink-quality-beside", daemon=True)
            self._thread.start()

    def _run(self, fn: Callable[[], object]) -> None:
        try:
            self._out["value"] = fn()
        except BaseException as e:  # raised again on the caller's thread, at `join`
            self._out["error"] = e

    def wait(self) -> None:
        """Wait for the work to end (what it raised kept for `join`)."""
        if self._thread is not None:
            self._thread.join()

    def join(self) -> object:
        self.wait()
        if "error" in self._out:
            raise self._out["error"]
        return self._out.get("value")


@contextmanager
def engine_alone(engine, threads: int = 1):
    """The engine's own threads set to `threads` while it runs beside the Python (two
    cores: the engine's two and the estimate's one were three on two); set back after.
    An engine without a DuckDB connection is left as it is."""
    con = getattr(engine, "con", None)
    if SEQUENTIAL or con is None or not hasattr(con, "execute"):
        yield
        return
    was = int(con.execute("SELECT current_setting('threads')").fetchone()[0])
    con.execute(f"SET threads = {int(threads)}")
    try:
        yield
    finally:
        con.execute(f"SET threads = {was}")
