"""Splink, imported once per process with spinelink's work-arounds in place, and imported
early on a background thread by a run.

`splink_ready()` is called before any Splink comparison, settings object or linker is
made: it imports Splink and installs the parse caches (`splink_compat.install_caches`).
Nothing imports Splink at module level, so a command that does not link never pays for
it.

`import_in_background()`: Splink and sqlglot take about 0.2 s to import (sqlglot's parser
alone 0.09 s), all of it Python holding the interpreter's lock. A run starts that import on
a thread while its first stages (intake, standardisation, the deterministic cascade) work
in the engine, which releases the lock while a query runs: the import overlaps their
queries instead of following them. The first stage that needs Splink waits for the thread
(the import lock, then `splink_ready`'s). A failed import on the thread is left for that
stage to raise, where it is reported as any other.
"""
from __future__ import annotations

import gc
import logging
import threading

log = logging.getLogger("spinelink")
_lock = threading.Lock()
_ready = False
_thread: threading.Thread | None = None


def splink_ready() -> None:
    """Import Splink and install the parse caches, once per process."""
    global _ready
    if _ready:
        return
    with _lock:
        if not _ready:
            from spinelink import splink_compat

            splink_compat.install_caches()  # each column name and condition parsed once
            _ready = True


def import_in_background() -> None:
    """Start importing Splink and the SQL dialect it parses and writes, on a thread."""
    global _thread
    if _ready or _thread is not None:
        return
    _thread = threading.Thread(target=_import, name="spinelink-import", daemon=True)
    _thread.start()


def _import() -> None:
    try:
        splink_ready()
        import splink.blocking_rule_library  # noqa: F401
        import splink.comparison_level_library  # noqa: F401
        import splink.comparison_library  # noqa: F401
        import splink.internals.linker  # noqa: F401
        import sqlglot.dialects.duckdb  # noqa: F401
        import sqlglot.generators.duckdb  # noqa: F401
        import sqlglot.parsers.duckdb  # noqa: F401
    except Exception:  # the stage that needs Splink imports it again and reports
        log.debug("Splink not imported in the background", exc_info=True)
        return
    # what the import made lives as long as the process: out of the collector's passes,
    # where the program set aside the modules it imported first (cli.collect_from_here;
    # not in a notebook or test process, whose collector is left as it is)
    if gc.get_freeze_count():
        gc.freeze()
