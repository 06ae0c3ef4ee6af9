"""A short printed summary of a run."""
from __future__ import annotations

import click


def print_summary(result) -> None:
    from spinelink.thresholds import described

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
    quality = (_read_json(result.output_dir / "quality" / "summary.json") or {}).get(
        "sources") or {}
    withheld = _withheld(result.output_dir / "quality" / "subgroups.csv")
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
            # and otherwise those of its probabilistic links only, not of all its links
            # (the quality line below has those)
            n_prob = s["links_by_method"].get("probabilistic", 0)
            scope = (f" of the {inc['linked_anew']} records linked anew:"
                     if inc.get("mode") == "incremental" else
                     f" of its {n_prob} probabilistic links:")
            rec = th["est_recall"]
            est = ("" if th["est_precision"] is None else
                   f";{scope} estimated precision {th['est_precision']:.4f}, recall "
                   f"{rec if rec is None else format(rec, '.4f')}"
                   f", {th['expected_false_links']:.1f} false links expected")
            click.echo(f"  {name} thresholds: {described(th)}{est}")
        _quality_line(name, quality.get(name), name in withheld)
    _coding_lines(result)
    _output_lines(result)
    total = sum(result.timings.values())
    click.echo(f"time: {total:.1f}s; manifest: {result.manifest_path}")


def _read_json(path):
    import json

    if path is None or not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _interval(d: dict, key: str) -> str:
    lo, hi = d.get(f"{key}_low"), d.get(f"{key}_high")
    return "" if lo is None or hi is None else f" ({lo:.4f}-{hi:.4f})"


def _withheld(path) -> set[str]:
    """Sources whose overall row (`all`, basis `model`) the published subgroups.csv
    withholds (disclosure control)."""
    import csv

    if not path.is_file():
        return set()
    with path.open(newline="", encoding="utf-8") as f:
        return {r["source"] for r in csv.DictReader(f) if r.get("variable") == "all"
                and r.get("basis") == "model" and r.get("suppressed") == "true"}


def _quality_line(name: str, src: dict | None, withheld: bool = False) -> None:
    """A source's estimated precision and recall of all its links (deterministic,
    probabilistic and clerical), from quality/summary.json: the figures to compare with
    the source linked alone or with the truth; the thresholds line has only the
    probabilistic links' (spinelink.quality)."""
    ov = (src or {}).get("overall") or {}
    if ov.get("est_precision") is None:
        return
    rec = ov.get("est_recall")
    recall = ("recall not estimated" if rec is None else
              f"recall {rec:.4f}{_interval(ov, 'est_recall')}")
    n = src.get("links")
    # a count under quality.min_cell is "suppressed" in quality/summary.json
    of = ("" if n is None else f" of all {n} links" if isinstance(n, int)
          else " of all its links (their number suppressed: under quality.min_cell)")
    # FEBRL4: 3 of 5,000 unlinked, under min_cell: the published row is blank
    where = ("quality/summary.json; its row of the published quality/subgroups.csv is "
             "withheld by disclosure control" if withheld else "quality/subgroups.csv")
    click.echo(f"  {name} quality{of}: "
               f"estimated precision {ov['est_precision']:.4f}"
               f"{_interval(ov, 'est_precision')}, {recall} ({where})")


def _output_lines(result) -> None:
    """Where the integrated table and the report are, with the units by status."""
    man = _read_json(getattr(result, "manifest_path", None)) or {}
    integ = (man.get("stages") or {}).get("integrate") or {}
    if integ.get("units") is not None:
        status = ", ".join(f"{k} {v}" for k, v in (integ.get("unit_status") or {}).items())
        click.echo(f"integrated: {integ['units']} reference units ({status}) in "
                   f"{integ.get('outputs', {}).get('integrated', 'integrated.parquet')}")
    if (result.output_dir / "report.html").is_file():
        click.echo(f"report: {result.output_dir / 'report.html'}")


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
