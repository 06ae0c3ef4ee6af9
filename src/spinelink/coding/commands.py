"""`spinelink coding ...`: the clerical coding queue, the verification sample and batches
to re-check as CSVs to fill in, and applying a filled-in CSV (spinelink.coding.workflow).
The review page's coding mode is `spinelink review serve OUT --coding`."""
from __future__ import annotations

import getpass
from pathlib import Path

import click

from spinelink.cli_support import _Command, out_arg, verbose_opt

source_opt = click.option("--source", default=None, help="Only this source (default: all "
                          "coded sources).")
to_opt = click.option("--to", "to", type=click.Path(dir_okay=False, path_type=Path),
                      default=None, help="Write the answers to this CSV, with an empty "
                      "`code` column to fill in.")


@click.group(help="Clerical coding and verification of coded free text after a run: the "
             "queue, the verification sample, and applying a coder's or verifier's codes.\n\n"
             "Example: spinelink coding queue out/demo --to queue.csv")
def coding() -> None:
    pass


def _list(out: Path, source, to, tasks: tuple[str, ...]) -> None:
    from spinelink.coding import workflow

    items = workflow.open_items(out, source, tasks)
    for (s, task, var), n in items.groupby(["source", "task", "variable"]).size().items():
        click.echo(f"{s} {var}: {n} open ({task})")
    if not len(items):
        click.echo("nothing open")
    if to is not None:
        workflow.export(out, to, source, tasks)
        click.echo(f"wrote {len(items)} answers to {to}; fill in `code` and run "
                   f"`spinelink coding apply {out} {to}`")


@coding.command("queue", cls=_Command, help="The answers in clerical coding (no automatic "
                "step coded them with confidence), with the coder's best candidates.\n\n"
                "Example: spinelink coding queue out/demo --to queue.csv")
@out_arg
@source_opt
@to_opt
@verbose_opt
def queue(out: Path, source, to, verbose) -> None:
    _list(out, source, to, ("clerical",))


@coding.command("verify-sample", cls=_Command, help="The automatic codings drawn for "
                "verification (the job's verify_share of each batch) and every answer of a "
                "batch whose verified error rate reached error_threshold, not yet decided.\n\n"
                "Example: spinelink coding verify-sample out/demo --to verify.csv")
@out_arg
@source_opt
@to_opt
@verbose_opt
def verify_sample(out: Path, source, to, verbose) -> None:
    _list(out, source, to, ("verify", "recheck"))


@coding.command("apply", cls=_Command, help="Add a filled-in CSV (columns source, record_id, "
                "variable, code; optionally reviewer), if given, to OUT/coding/decisions.jsonl "
                "and apply every decision there (the review page's coding mode's too) to "
                "OUT/coding/ and run_manifest.json: clerical codes, verified and corrected "
                "codes (the coder's kept as original_code), error "
                "rates and batches to re-check. Rows with an empty code are skipped. Run "
                "the job again with --resume to carry the codes into integration and the "
                "report.\n\nExample: spinelink coding apply out/demo verify.csv --reviewer bob")
@out_arg
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                required=False)
@click.option("--reviewer", default=None, help="For rows without a reviewer (default: your "
              "login name).")
@verbose_opt
def apply(out: Path, file: Path, reviewer, verbose) -> None:
    from spinelink.coding import workflow

    if file is None:
        r = workflow.reapply_locked(out)
    else:
        r = workflow.apply_file(out, file, reviewer or getpass.getuser())
        click.echo(f"{file}: {r.pop('added')} decisions added")
    for s, c in r.items():
        click.echo(f"{s}: {c['clerical']} clerical codes, {c['confirmed']} confirmed, "
                   f"{c['corrected']} corrected, {c['rederived']} activities derived again, "
                   f"{c['ignored']} ignored")
    click.echo("run the job again with --resume to carry the codes into integration and "
               "the report")
