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
        th = (s.get("probabilistic") or {}).get("thresholds")
        if th:
            est = ("" if th["est_precision"] is None else
                   f"; estimated precision {th['est_precision']:.4f}, recall "
                   f"{th['est_recall'] if th['est_recall'] is None else round(th['est_recall'], 4)}"
                   f", {th['expected_false_links']:.1f} false links expected")
            click.echo(f"  {name} thresholds: accept {th['accept']:.4g} ({th['accept_mode']}), "
                       f"review {th['review']:.4g} ({th['review_mode']}){est}")
    total = sum(result.timings.values())
    click.echo(f"time: {total:.1f}s; manifest: {result.manifest_path}")
