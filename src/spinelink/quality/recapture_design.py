"""The blocking rules as the recapture estimate sees them (`spinelink.quality.recapture`):
each rule split into atoms (column equalities; a capped key into its columns), the atoms
into field groups, and which rules fire for a pair's agreeing atoms."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Design:
    """The rules as atoms: `atoms[j] = (left column, right column)`; per rule the mask of
    its atoms and the bit of its capped key (-1: not capped); `groups`: one atom mask per
    field group; `caps`: the capped key columns (bit order). The rules are the prediction
    blocking rules and then the deterministic match keys (`keys`: their link methods)."""
    atoms: list[tuple[str, str]]
    rule_atoms: list[int]
    rule_cap: list[int]
    groups: list[int]
    caps: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    occasion: list[bool] = field(default_factory=list)  # per rule: Chao1 counts it (all)

    def counted(self) -> np.ndarray:
        """Per rule (prediction rules, then match keys): Chao1 counts its catches."""
        out = np.ones(len(self.rule_atoms), bool)
        out[:len(self.occasion)] = self.occasion
        return out


def design(rules: list[list[tuple[str, str]]], capped: dict[str, list[str]],
           field_of: dict[str, str], keys: dict[str, list[tuple[str, str]]] | None = None,
           occasion: list[bool] | None = None) -> Design:
    """Atoms, rules and field groups of the prediction rules (`capture_rules.rule_columns`)
    and the deterministic match keys (`keys`: link method -> (reference column, source
    column) pairs). `capped`: capped key column -> the columns it joins; `field_of`:
    column -> field; `occasion`: per prediction rule, whether Chao1 counts it (all).

    >>> d = design([[("k0", "k0")], [("dob", "dob")], [("fn", "ln"), ("ln", "fn")]],
    ...            {"k0": ["fn", "pc"]}, {"fn": "name", "ln": "name", "pc": "pc"})
    >>> d.atoms
    [('fn', 'fn'), ('pc', 'pc'), ('dob', 'dob'), ('fn', 'ln'), ('ln', 'fn')]
    >>> d.rule_atoms, d.rule_cap, sorted(d.groups)
    ([3, 4, 24], [0, -1, -1], [2, 4, 25])
    """
    atoms: list[tuple[str, str]] = []
    caps: list[str] = []
    rule_atoms, rule_cap = [], []
    keys = keys or {}
    for rule in [*rules, *keys.values()]:
        mask, cap = 0, -1
        for a, b in rule:
            if a == b and a in capped:
                cap = caps.index(a) if a in caps else len(caps)
                if a not in caps:
                    caps.append(a)
                parts = [(c, c) for c in capped[a]]
            else:
                parts = [(a, b)]
            for at in parts:
                if at not in atoms:
                    atoms.append(at)
                mask |= 1 << atoms.index(at)
        rule_atoms.append(mask)
        rule_cap.append(cap)
    parent = {}

    def root(x):
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for a, b in atoms:  # an atom reading two fields (a swap) joins them
        parent[root(field_of.get(b, b))] = root(field_of.get(a, a))
    groups: dict[str, int] = {}
    for j, (a, _) in enumerate(atoms):
        g = root(field_of.get(a, a))
        groups[g] = groups.get(g, 0) | (1 << j)
    return Design(atoms, rule_atoms, rule_cap, list(groups.values()), caps, list(keys),
                  list(occasion or []))



def fires(d: Design, agree: np.ndarray, caps: np.ndarray) -> np.ndarray:
    agree, caps = np.asarray(agree, np.int64), np.asarray(caps, np.int64)
    out = np.zeros((len(agree), len(d.rule_atoms)), bool)
    for k, (m, c) in enumerate(zip(d.rule_atoms, d.rule_cap, strict=True)):
        ok = (agree & m) == m
        out[:, k] = ok & (((caps >> c) & 1) == 1) if c >= 0 else ok
    return out


def possible(d: Design, avail: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Per source profile: some rule could catch its match (its columns are there)."""
    return fires(d, avail, caps).any(axis=1)
