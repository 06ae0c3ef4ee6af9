"""Command line: a thin layer over the library. Errors are one line; --verbose for detail."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from spinelink.errors import SpinelinkError


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s", datefmt="%H:%M:%S",
                        stream=sys.stderr, force=True)
    if not verbose:  # Splink re-enables its own logger; filter at the handler instead
        for handler in logging.getLogger().handlers:
            handler.addFilter(_quiet_libraries)


def _quiet_libraries(record: logging.LogRecord) -> bool:
    return not record.name.startswith(("splink", "py4j")) or record.levelno >= logging.ERROR


class _Command(click.Command):
    def invoke(self, ctx):
        verbose = ctx.params.get("verbose", False)
        _setup_logging(verbose)
        try:
            return super().invoke(ctx)
        except SpinelinkError as e:
            if verbose:
                raise
            click.echo(f"error: {e}", err=True)
            sys.exit(e.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as e:  # noqa: BLE001 - last resort: no traceback, no data
            if verbose:
                raise
            click.echo(f"error: internal error ({type(e).__name__}); rerun with --verbose "
                       "for the trace", err=True)
            sys.exit(70)


verbose_opt = click.option("--verbose", "-v", is_flag=True, help="Show detail and traces.")


@click.group(help="spinelink: link sources to a reference spine and integrate them.")
@click.version_option(package_name="spinelink")
def main() -> None:
    pass


@main.command(cls=_Command, help="Run a job end to end.\n\nExample: spinelink run "
              "sample_data/demo_job.yaml --output-dir out/demo")
@click.argument("job", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--output-dir", default=None, help="Override the job's output_dir.")
@verbose_opt
def run(job: Path, output_dir: str | None, verbose: bool) -> None:
    from spinelink.pipeline import run_job
    from spinelink.summary import print_summary

    result = run_job(job, output_dir)
    print_summary(result)


@main.command(cls=_Command, help="Intake checks only: write quarantine and report.\n\n"
              "Example: spinelink validate sample_data/demo_job.yaml")
@click.argument("job", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--output-dir", default=None, help="Override the job's output_dir.")
@verbose_opt
def validate(job: Path, output_dir: str | None, verbose: bool) -> None:
    from spinelink.pipeline import run_job

    result = run_job(job, output_dir, validate_only=True)
    for name, a in result.accounting.items():
        click.echo(f"{name}: read {a['read']}, accepted {a['accepted']}, "
                   f"quarantined {a['quarantined']}")
    click.echo(f"report: {result.output_dir / 'intake' / 'report.json'}")


@main.command(cls=_Command, help="Generate synthetic census, admin and survey sources with "
              "truth files.\n\nExample: spinelink sample --persons 3000 --seed 42 --out sample_data")
@click.option("--persons", type=click.IntRange(10, 100_000_000), default=3000, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@verbose_opt
def sample(persons: int, seed: int, out_dir: Path, verbose: bool) -> None:
    from spinelink.sample import generate

    summary = generate(persons, seed, out_dir)
    for k, v in summary.items():
        click.echo(f"{k}: {v}")
