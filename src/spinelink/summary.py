"""A short printed summary of a run."""
from __future__ import annotations

import click


def print_summary(result) -> None:
    from spinelink.thresholds import shown

    click.echo(f"output: {result.output_dir}")
    for name, a in result.accounting.items():
        line = (f"{name}: read {a['read']}, quarantined {a['quarantined']}, "
                f"accepted {a['accepted']}")
        if "linked" in a:
            line += f", linked {a['linked']}, review {a['review']}, unlinked {a['unlinked']}"
        click.echo(line)
        d = a.get("delivered")
        if d:  # an added delivery, read with the previous state
            click.echo(f"  {name} delivered file {d['file']}: read {d['read']}, quarantined "
                       f"{d['quarantined']}, accepted {d['accepted']} (the state above: "
                       f"the previous {d['previous_records']} other records with these)")
    for name, s in result.summary.items():
        methods = ", ".join(f"{m} {n}" for m, n in s["links_by_method"].items()) or "none"
        click.echo(f"  {name} links by method: {methods}")
        if s.get("held_as_relatives"):  # spinelink.relatives
            held = ", ".join(f"{m} {n}" for m, n in s["held_as_relatives"].items())
            click.echo(f"  {name} held for review as probable relatives: {held}")
        th = (s.get("probabilistic") or {}).get("thresholds")
        if th:
            inc = s.get("incremental") or {}
            # an incremental run scores only the records it links anew: its estimates are
            # theirs, not the source's (quality/summary.json has the source's)
            scope = (f" of the {inc['linked_anew']} records linked anew:"
                     if inc.get("mode") == "incremental" else "")
            est = ("" if th["est_precision"] is None else
                   f";{scope} estimated precision {th['est_precision']:.4f}, recall "
                   f"{th['est_recall'] if th['est_recall'] is None else round(th['est_recall'], 4)}"
                   f", {th['expected_false_links']:.1f} false links expected")
            click.echo(f"  {name} thresholds: accept {shown(th['accept'])} "
                       f"({th['accept_mode']}), review {shown(th['review'])} "
                       f"({th['review_mode']}){est}")
    _coding_lines(result)
    total = sum(result.timings.values())
    click.echo(f"time: {total:.1f}s; manifest: {result.manifest_path}")


def _coding_lines(result) -> None:
    """Coding counts, failed edit rules and control-total discrepancies, when the job has
    them (spinelink.coding)."""
    import json

    path = getattr(result, "manifest_path", None)
    if path is None or not path.is_file():
        return
    man = json.loads(path.read_text(encoding="utf-8"))
    for name, c in (man.get("coding") or {}).items():
        # as the manifest counts: automatic = every status but clerical (not stated,
        # vague and verified answers included), so that the two add up to the answers
        parts = []
        for var, by in c["variables"].items():
            answers = sum(by.values())
            clerical = by.get("clerical", 0)
            parts.append(f"{var} {answers - clerical} of {answers} automatic, "
                         f"{clerical} clerical")
        waiting = c.get("clerical_queue", 0)
        click.echo(f"  {name} coding ({waiting} answers wait for clerical coding): "
                   f"{'; '.join(parts)}")
    for name, ch in (man.get("checks") or {}).items():
        rules = ch.get("edit_rules") or {}
        failed = {r: v["failed"] for r, v in rules.items() if v["failed"]}
        if rules:
            click.echo(f"  {name} edit rules: " + (", ".join(f"{r} {n} failed" for r, n in
                                                           failed.items()) or "all passed"))
        ct = ch.get("control_totals")
        if ct:
            click.echo(f"  {name} control totals: " + ("reconciled" if ct["reconciled"] else
                       f"{len(ct['discrepancies'])} batch(es) differ, see "
                       f"control_totals/{name}.csv"))
