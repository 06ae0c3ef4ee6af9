"""What every command of the command line shares: logging, one-line errors with their
exit codes (`_Command`), and the common options. Command groups kept in their own modules
(spinelink.coding.commands) import it from here, not from spinelink.cli."""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path

import click

from spinelink.errors import SpinelinkError

verbose_opt = click.option("--verbose", "-v", is_flag=True, help="Show detail and traces.")
out_arg = click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s", datefmt="%H:%M:%S",
                        stream=sys.stderr, force=True)
    if not verbose:  # Splink re-enables its own logger; filter at the handler instead
        for handler in logging.getLogger().handlers:
            handler.addFilter(_quiet_libraries)


def _quiet_libraries(record: logging.LogRecord) -> bool:
    return (not record.name.startswith(("splink", "py4j", "numexpr"))
            or record.levelno >= logging.ERROR)


INTERRUPTED_EXIT = 130  # the shell's code for a process ended by Ctrl-C (128 + SIGINT)
_interrupted = threading.Event()


def _on_interrupt(signum, frame):
    """Ctrl-C: noted, then Python's KeyboardInterrupt. A query running in the engine ends
    with the engine's own error instead ("Query interrupted", which Splink wraps in its
    SplinkException); the note tells it from an internal error."""
    _interrupted.set()
    signal.default_int_handler(signum, frame)


def _interrupted_exit() -> None:
    click.echo("error: interrupted (Ctrl-C); `spinelink run JOB.yaml --resume` continues "
               "an interrupted run from its last finished stage", err=True)
    sys.exit(INTERRUPTED_EXIT)


class _Command(click.Command):
    def invoke(self, ctx):
        verbose = ctx.params.get("verbose", False)
        _setup_logging(verbose)
        os.umask(0o077)  # outputs may hold personal data: files 0600, folders 0700
        _interrupted.clear()
        main = threading.current_thread() is threading.main_thread()
        before = signal.signal(signal.SIGINT, _on_interrupt) if main else None
        try:
            return self._invoke(ctx, verbose)
        finally:
            if main and before is not None:
                signal.signal(signal.SIGINT, before)

    def _invoke(self, ctx, verbose: bool):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            if verbose:
                raise
            _interrupted_exit()
        except SpinelinkError as e:
            if verbose:
                raise
            for line in str(e).splitlines():  # a job's problems: one line each
                click.echo(f"error: {line}", err=True)
            sys.exit(e.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as e:  # noqa: BLE001 - last resort: no traceback, no data
            if verbose:
                raise
            if _interrupted.is_set():  # the engine's error for a query Ctrl-C ended
                _interrupted_exit()
            if type(e).__name__ in ("OutOfMemoryException", "MemoryError"):
                click.echo("error: out of memory (the job's resources.memory_limit, or "
                           "the machine's): raise resources.memory_limit, or lower "
                           "resources.threads, or give resources.temp_dir a disk with room "
                           "to spill; then `spinelink run --resume` continues from the "
                           "last finished stage", err=True)
                sys.exit(70)
            click.echo(f"error: internal error ({type(e).__name__}); rerun with --verbose "
                       "for the trace", err=True)
            sys.exit(70)
