"""A short printed summary of a run."""
from __future__ import annotations

import click


def print_summary(result) -> None:
    click.echo(f"output: {result.output_dir}")
    for name, a in result.accounting.items():
        line = (f"{name}: read {a['read']}, quarantined {a['quarantined']}, "
                f"accepted {a['accepted']}")
        if "linked" in a:
            line += f", linked {a['linked']}, review {a['review']}, unlinked {a['unlinked']}"
        click.echo(line)
    for name, s in result.summary.items():
        methods = ", ".join(f"{m} {n}" for m, n in s["links_by_method"].items())
        click.echo(f"  {name} links by method: {methods}")
    total = sum(result.timings.values())
    click.echo(f"time: {total:.1f}s; manifest: {result.manifest_path}")
