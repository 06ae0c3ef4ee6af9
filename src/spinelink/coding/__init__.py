"""Coding free-text answers to classifications, edit rules between variables and control
totals (issue 14). `classification` (the files in linkage_models/classifications/),
`coder` (exact, alias, fuzzy, not stated, clerical), `stage` (per source after intake;
`coding/<source>.parquet`; coded columns in the standardised table), `edits` (edit rules
after intake), `totals` (control totals), `spec` (the job file's sections), `expressions`
(edit-rule SQL, parsed and checked), `build_classifications` (territory and language
from pycountry)."""
from __future__ import annotations


def intake_checked(engine, lj, name: str, out):
    """Intake, then the source's edit rules and control totals (each only when declared);
    their summaries go into the intake result's `checks`. The file as read is released
    after the control totals have counted it."""
    from spinelink.coding.edits import apply_edit_rules
    from spinelink.coding.totals import reconcile
    from spinelink.intake import intake_source, raw_table

    result = intake_source(engine, lj, name, out)
    checks = {}
    edits = apply_edit_rules(engine, lj, name, out, result)
    if edits:
        checks["edit_rules"] = edits
    totals = reconcile(engine, lj, name, out, result.rows_read)
    engine.release(raw_table(name))  # the file as read: not held through the run
    if totals:
        checks["control_totals"] = totals
    if checks:
        result.checks = checks
    return result
