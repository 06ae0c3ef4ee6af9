"""The prediction blocking rules as the never-compared estimate reads them (`recapture`):
each rule a conjunction of column equalities, split into atoms and field groups
(`recapture_design`), capped keys read as capped-key bits or as the plain rule they cap
(`read_plain`), and the rules Chao1's fallback does not count (`chao1: false`)."""
from __future__ import annotations

import re

from spinelink.quality import recapture_design
from spinelink.quality.nullcal import FIELD_COLUMNS

_EQ = re.compile(r'^l\.("?)([A-Za-z_]\w*)\1\s*=\s*r\.("?)([A-Za-z_]\w*)\3$')
MAX_ATOMS = 62  # capture patterns are bits of one 64-bit integer


def rule_columns(model: dict) -> list[list[tuple[str, str]]] | None:
    """Prediction blocking rules as lists of (left column, right column) equalities, when
    every rule is a conjunction of `l.a = r.b` (else None: the rules cannot be counted).

    >>> rule_columns({"blocking_rules_to_generate_predictions": [
    ...     {"blocking_rule": '(l."x" = r."x") AND (l."y" = r."y")'},
    ...     {"blocking_rule": "l.dob = r.dob_swapped"}]})
    [[('x', 'x'), ('y', 'y')], [('dob', 'dob_swapped')]]
    """
    rules = []
    for br in model.get("blocking_rules_to_generate_predictions", []):
        sql = br["blocking_rule"] if isinstance(br, dict) else str(br)
        cols = []
        for part in re.split(r"\s+AND\s+", sql.strip(), flags=re.IGNORECASE):
            m = _EQ.match(part.strip().strip("()").strip())
            if not m:
                return None
            cols.append((m.group(2), m.group(4)))
        rules.append(cols)
    return rules or None


def capture_design(model: dict, capped: dict[str, list[str]],
                   keys: dict[str, list[tuple[str, str]]] | None = None,
                   plain: dict[str, list[str]] | None = None,
                   not_chao1: set[str] | None = None) -> recapture_design.Design | None:
    """The prediction rules and match keys (link method -> column pairs) as atoms and
    field groups, or None when the rules are not all conjunctions of column equalities
    (or too many to count). `plain`: capped key columns read as the equalities of the
    columns they join, with no capped-key bit (`read_plain` caps); `not_chao1`: capped key
    columns whose rules Chao1 does not count (`recapture_fallback`)."""
    rules = rule_columns(model)
    if not rules:
        return None
    plain = plain or {}
    occasion = [not any(a == b and a in (not_chao1 or ()) for a, b in r) for r in rules]
    rules = [[q for a, b in rule for q in ([(c, c) for c in plain[a]]
                                           if a == b and a in plain else [(a, b)])]
             for rule in rules]
    field_of = {c: f for f, cs in FIELD_COLUMNS.items() for c in cs}
    d = recapture_design.design(rules, capped, field_of, keys, occasion)
    return d if len(d.atoms) <= MAX_ATOMS and len(d.caps) <= MAX_ATOMS else None
