"""What every command of the command line shares: logging, one-line errors with their
exit codes (`_Command`), and the common options. Command groups kept in their own modules
(spinelink.coding.commands) import it from here, not from spinelink.cli."""
from __future__ import annotations

import logging
import os
import sys
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


class _Command(click.Command):
    def invoke(self, ctx):
        verbose = ctx.params.get("verbose", False)
        _setup_logging(verbose)
        os.umask(0o077)  # outputs may hold personal data: files 0600, folders 0700
        try:
            return super().invoke(ctx)
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
