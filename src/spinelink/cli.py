"""Command line: a thin layer over the library. Errors are one line; --verbose for detail."""
from __future__ import annotations

import gc
import logging
import os
import sys
from pathlib import Path

import click

from spinelink.cli_support import _Command, out_arg, verbose_opt
from spinelink.coding.commands import coding


def entry() -> None:
    """The `spinelink` program: `main`, then exit without the interpreter's teardown.
    Native thread pools (DuckDB, Arrow) can abort the process while it tears down
    ("terminate called without an active exception", exit -6) after a run has finished
    and said so; every output is closed by then, so the exit code must be the run's."""
    code = 0
    # The modules a command imports (pandas, DuckDB, Splink, sqlglot) make about a million
    # objects that live as long as the process; the cyclic collector would scan them again
    # and again (0.15 s of a small incremental run). It is off while they are imported,
    # then they are set aside (`collect_from_here`).
    gc.disable()
    try:
        main()
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


@click.group(help="spinelink: link sources to a reference spine and integrate them.")
@click.version_option(package_name="spinelink")
@click.pass_context
def main(ctx: click.Context) -> None:
    if ctx.invoked_subcommand != "run":  # `run` does so once its modules are imported
        collect_from_here()


def collect_from_here() -> None:
    """The cyclic collector on again: what exists now is kept out of its passes
    (`gc.freeze`), and it runs every 10,000 new objects rather than 700 (a run frees nearly
    all it makes by reference counting). Nothing to do where `entry` did not turn it off
    (the commands called in a test process)."""
    if gc.isenabled():
        return
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    gc.enable()


@main.command(cls=_Command, help="Run a job end to end.\n\nExample: spinelink run "
              "sample_data/demo_job.yaml --output-dir out/demo")
@click.argument("job", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--output-dir", default=None, help="Override the job's output_dir.")
@click.option("--backend", type=click.Choice(["duckdb", "spark"]), default=None,
              help="Override the job's backend (recorded in run_manifest.json).")
@click.option("--resume", is_flag=True,
              help="Continue an interrupted run in the same output folder: stages it "
                   "finished are reused when the job, inputs and versions are unchanged.")
@click.option("--since", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder of an earlier run: link only the new and changed "
                   "records of this delivery, with that run's model (see README, "
                   "Monthly deliveries).")
@click.option("--retrain", is_flag=True,
              help="With --since: train the model again instead of reusing the earlier one.")
@verbose_opt
def run(job: Path, output_dir: str | None, backend: str | None, resume: bool,
        since: Path | None, retrain: bool, verbose: bool) -> None:
    # run_job reads the job and every file it names, and the pseudonymisation key (if
    # asked), before any work: each problem is found there once
    from spinelink.pipeline import run_job
    collect_from_here()
    from spinelink.summary import print_summary

    if retrain and not since:
        raise click.UsageError("--retrain goes with --since")
    result = run_job(job, output_dir, backend=backend, resume=resume, since=since,
                     retrain=retrain)
    print_summary(result)


@main.command(cls=_Command, help="Check the job and every file it names (match keys, "
              "models, code lists, each source's header and columns), reporting every "
              "problem at once before any data is read; then run the intake checks: "
              "write quarantine and report.\n\n"
              "Example: spinelink validate sample_data/demo_job.yaml")
@click.argument("job", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--output-dir", default=None, help="Override the job's output_dir.")
@verbose_opt
def validate(job: Path, output_dir: str | None, verbose: bool) -> None:
    from spinelink.config import load_job

    # every problem in the job and the files it names, at once, before any data is read
    # (only each source file's header), the engine or Splink load
    load_job(job, inputs=True)
    from spinelink.pipeline import run_job

    result = run_job(job, output_dir, validate_only=True)
    for name, a in result.accounting.items():
        click.echo(f"{name}: read {a['read']}, accepted {a['accepted']}, "
                   f"quarantined {a['quarantined']}")
    click.echo(f"report: {result.output_dir / 'intake' / 'report.json'}")


@main.command(cls=_Command, help="Generate synthetic census, admin and survey sources with "
              "truth files, and a job file that links them (OUT/job.yaml, outputs to "
              "OUT/out/). `python -m spinelink.sample` is the same command.\n\nExample: "
              "spinelink sample --persons 3000 --seed 42 --out data && spinelink run "
              "data/job.yaml")
@click.option("--persons", type=click.IntRange(10, 100_000_000), default=3000, show_default=True,
              help="Size of the population (the census has about 97% of them).")
@click.option("--seed", type=int, default=42, show_default=True,
              help="Random seed: the same persons and seed give byte-identical files.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for the sources, truth/ and job.yaml (created if needed).")
@click.option("--deliveries", type=click.IntRange(0, 6), default=0, show_default=True,
              metavar="N",
              help="Also cut benefits into this many monthly deliveries, each with its job "
                   "(OUT/deliveries/<k>/job.yaml; see README, Monthly deliveries).")
@click.option("--degraded", type=int, default=None, metavar="K",
              help="With --deliveries: the delivery whose claims in one region lose date "
                   "of birth, NINo, postcode and address.")
@verbose_opt
def sample(persons: int, seed: int, out_dir: Path, deliveries: int, degraded: int | None,
           verbose: bool) -> None:
    from spinelink.sample import generate
    from spinelink.sample.job import write_job

    if degraded is not None and not 1 <= degraded <= deliveries:
        # it degraded nothing, silently: a demo of the flag without the flag
        raise click.BadParameter(
            f"{degraded}: the delivery to degrade must be one of the --deliveries "
            f"(1 to {deliveries})" if deliveries else
            f"{degraded}: goes with --deliveries N (the delivery to degrade, 1 to N)",
            param_hint="--degraded")
    if deliveries:
        from spinelink.sample.deliveries import generate_deliveries

        for d in generate_deliveries(persons, seed, out_dir, deliveries, degraded):
            click.echo(f"delivery {d['delivery']} ({d['mode']}, {d['rows']} rows): "
                       f"{d['job']}")
    summary = generate(persons, seed, out_dir)
    for k, v in summary.items():
        click.echo(f"{k}: {v}")
    job = write_job(out_dir, seed)
    click.echo(f"job: {job} (run it: spinelink run {job})")


@main.command(cls=_Command, help="Check a finished run's outputs (and its inputs, where "
              "they are reachable) against the sizes and SHA-256 hashes in its "
              "run_manifest.json; one line per file that is missing, changed or "
              "unreadable, and a non-zero exit on any.\n\nExample: spinelink verify out/demo")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@verbose_opt
def verify(out: Path, verbose: bool) -> None:
    from spinelink.errors import OutputError
    from spinelink.verify import verify_run

    result = verify_run(out)
    for note in result.notes:
        click.echo(note, err=True)
    for line in result.differences:
        click.echo(line)
    if result.differences:
        raise OutputError(f"{out}: {len(result.differences)} of the files recorded in "
                          "run_manifest.json differ")
    click.echo(f"OK: {result.outputs} outputs and {result.inputs} inputs match "
               "run_manifest.json")


# -- clerical review (spinelink.review) ---------------------------------------------------


@main.group(help="Clerical review of the pairs between the review and accept thresholds: "
            "a local web page, CSV export/import, second-review QC, and apply.\n\n"
            "Example: spinelink review serve out/demo --reviewer alice")
def review() -> None:
    pass


@review.command("serve", cls=_Command, help="Serve the review page on 127.0.0.1 (the URL "
                "with its access token is printed); decisions are saved as they are made.\n\n"
                "Examples:\n\n  spinelink review serve out/demo --reviewer alice\n\n"
                "  spinelink review serve out/demo --reviewer bob --second   # QC queue\n\n"
                "  spinelink review serve out/demo --source survey --blind --port 8700")
@out_arg
@click.option("--source", default=None, help="Only this source's band (default: all).")
@click.option("--reviewer", default=None, help="Name stored with each decision "
              "(default: your login name).")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port on 127.0.0.1; 0 picks a free one.")
@click.option("--blind", is_flag=True, help="Hide match weights and field contributions.")
@click.option("--second", is_flag=True, help="Second-review (QC) queue: a share of other "
              "reviewers' decisions.")
@click.option("--rereview", is_flag=True, help="Re-review queue: batches QC flagged.")
@click.option("--coding", is_flag=True, help="Coding mode: coded free-text answers (clerical "
              "queue, verification sample, re-check batches) instead of pairs.")
@verbose_opt
def review_serve(out: Path, source, reviewer, port, blind, second, rereview, coding,
                 verbose) -> None:
    import getpass

    from spinelink.review import serve

    if second + rereview + coding > 1:
        raise click.UsageError("choose one of --second, --rereview and --coding")
    mode = ("second" if second else "rereview" if rereview else "coding" if coding
            else "first")
    serve(out, reviewer or getpass.getuser(), source, port, blind, mode, announce=click.echo)


@review.command("export", cls=_Command, help="Write the review band (with both records' "
                "values and any decisions) to CSV for review outside the page.\n\n"
                "Example: spinelink review export out/demo --to review.csv --source benefits")
@out_arg
@click.option("--to", "to", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--source", default=None, help="Only this source's band (default: all).")
@click.option("--blind", is_flag=True, help="Leave out match probability and weight.")
@click.option("--ids-only", is_flag=True, help="Leave out the records' values.")
@verbose_opt
def review_export(out: Path, to: Path, source, blind, ids_only, verbose) -> None:
    from spinelink.review import export_csv

    n = export_csv(out, to, source, blind, ids_only)
    click.echo(f"exported {n} pairs to {to}")


@review.command("import", cls=_Command, help="Import decisions from a CSV (columns source, "
                "reference_id, source_id, decision, and optionally note, reviewer, round); "
                "rows with an empty decision are skipped; the file is checked whole first.\n\n"
                "Example: spinelink review import out/demo review.csv --reviewer alice")
@out_arg
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--reviewer", default=None, help="For rows without a reviewer.")
@click.option("--round", "round_", type=click.Choice(["first", "second", "rereview"]),
              default="first", show_default=True, help="For rows without a round.")
@verbose_opt
def review_import(out: Path, file: Path, reviewer, round_, verbose) -> None:
    from spinelink.review import import_csv

    r = import_csv(out, file, reviewer, round_)
    click.echo(f"{file}: {r['rows']} rows: {r['imported']} decisions imported, "
               f"{r['unchanged']} unchanged, {r['repeated']} repeating an earlier row's "
               f"decision, {r['skipped_blank']} without a decision skipped")


@review.command("apply", cls=_Command, help="Turn match decisions into links (method "
                "clerical), shrink the review band, update accounting and run_manifest.json, "
                "write review/labels.csv and review/qc.json.\n\n"
                "Example: spinelink review apply out/demo")
@out_arg
@click.option("--job", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The job file, only for outputs of a run without the clerical stage.")
@verbose_opt
def review_apply(out: Path, job, verbose) -> None:
    from spinelink.review import apply

    r = apply(out, job)
    for s, v in r["sources"].items():
        click.echo(f"{s}: {v['clerical_links']} clerical links, {v['conflicts']} conflicts, "
                   f"linked {v['linked']}, review {v['review']}, unlinked {v['unlinked']}")
    click.echo(f"decisions {r['decisions']}, labels {r['labels']}; "
               f"qc: kappa {r['qc']['kappa']}, batches flagged {r['qc']['batches_flagged']}")
    if r["stale_stages"]:
        click.echo(f"note: {', '.join(r['stale_stages'])} ran before these decisions; run the "
                   "job again to refresh them (the run applies the decisions first; "
                   "with --resume it reuses intake and standardisation)")


@review.command("qc", cls=_Command, help="Second-review quality control: draw the share of "
                "each reviewer's decisions for a second reviewer, compare, flag batches for "
                "re-review; write review/qc.json.\n\n"
                "Example: spinelink review qc out/demo --share 0.25 --threshold 0.01")
@out_arg
@click.option("--share", type=click.FloatRange(0, 1), default=None,
              help="Share drawn for second review [default 0.25].")
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True), default=None,
              help="Disagreement share that flags a batch [default 0.01].")
@click.option("--batch-size", type=click.IntRange(1), default=None,
              help="Decisions per batch [default 50].")
@click.option("--seed", type=int, default=None, help="[default: the run's seed]")
@verbose_opt
def review_qc(out: Path, share, threshold, batch_size, seed, verbose) -> None:
    from spinelink.review import run_qc

    r = run_qc(out, share=share, threshold=threshold, batch_size=batch_size, seed=seed)
    o = r["overall"]
    click.echo(f"decisions {o['decisions']}, drawn {o['sampled']}, compared {o['compared']}, "
               f"agreement {o['agreement']}, kappa {o['kappa']}; batches {o['batches']}, "
               f"flagged {o['batches_flagged']}, pairs to re-review {o['pairs_to_rereview']}")
    click.echo(f"written: {out / 'review' / 'qc.json'}")


# -- coding work (spinelink.coding.commands) ----------------------------------------------

main.add_command(coding)


# -- the catalogue of sources and deliveries (spinelink.catalogue) -------------------------
cat_arg = click.argument("catalogue", type=click.Path(file_okay=False, path_type=Path))


@main.group(help="The catalogue of sources and deliveries a job's `catalogue: {path: ...}` "
            "names: each run records its deliveries, their indicators and the flags "
            "against the previous delivery of the source.\n\n"
            "Example: spinelink catalogue list catalogue/")
def catalogue() -> None:
    pass


@catalogue.command("list", cls=_Command, help="Sources, then every delivery with its "
                   "counts, link rate, estimated precision and recall and flags.\n\n"
                   "Example: spinelink catalogue list catalogue/ --source benefits")
@cat_arg
@click.option("--source", default=None, help="Only this source's deliveries.")
@verbose_opt
def catalogue_list(catalogue: Path, source: str | None, verbose: bool) -> None:
    from spinelink.catalogue.show import list_lines

    click.echo("\n".join(list_lines(catalogue, source)))


@catalogue.command("show", cls=_Command, help="One delivery: its row, its source, its "
                   "indicators by subgroup and its flags.\n\n"
                   "Example: spinelink catalogue show catalogue/ 'benefits#3'")
@cat_arg
@click.argument("delivery")
@verbose_opt
def catalogue_show(catalogue: Path, delivery: str, verbose: bool) -> None:
    from spinelink.catalogue.show import show_lines

    click.echo("\n".join(show_lines(catalogue, delivery)))


@catalogue.command("compare", cls=_Command, help="Two deliveries' indicators side by side, "
                   "with the change.\n\n"
                   "Example: spinelink catalogue compare catalogue/ 'benefits#1' 'benefits#3'")
@cat_arg
@click.argument("first")
@click.argument("second")
@verbose_opt
def catalogue_compare(catalogue: Path, first: str, second: str, verbose: bool) -> None:
    from spinelink.catalogue.show import compare_lines

    click.echo("\n".join(compare_lines(catalogue, first, second)))
