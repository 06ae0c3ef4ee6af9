"""Where the blocking rules' captures of each other say nothing (`recapture`): source
records every rule that can catch them reads one same field group.

Capture-recapture learns how often a field group disagrees among matches from the matches
a rule *not reading* that group caught. For a record whose non-missing fields leave only
rules that all read one group (a benefits record with names and sex alone: every rule it
can meet reads the names), a match whose names disagree is caught by no rule, and nothing
among that record's own matches tells how often that happens: the Horvitz-Thompson figure
then rests only on the patterns learnt from records of other profiles (other fields, other
deliveries, other regions), which the record's own shortfall need not follow. This is
decided per source profile (which columns the record carries, which capped keys are small
enough) from the rules alone, not from any data set's figures.

There the never-compared matches are taken as the earlier estimator took every record's:
somewhere between a low and a high figure, the middle for the point estimate and uniform in
the bootstrap. The low figure is the Horvitz-Thompson one; the high one is Chao1 on those
records' likely matches (posterior at least LIKELY) caught by exactly one (f1) and exactly
two (f2) rules, f1^2 / (2 f2), where it is higher. Chao1 is a lower bound of the missed
count when catch chances vary between matches, and rules that all read one field group
catch the same matches (positively dependent lists), which lowers it further: a Chao1
above the Horvitz-Thompson figure says that figure is too low; one below it says nothing
against it (the figure is kept). The missed matches beyond the Horvitz-Thompson figure are
placed on the likely matches one rule caught (those nearest to being missed), and all of
these records' missed matches stay on their own candidates (not on the matches elsewhere
that taught the patterns)."""
from __future__ import annotations

import zlib

import numpy as np

from spinelink.quality.recapture_design import fires

LIKELY = 0.5  # posterior from which a candidate counts in Chao1


def uncovered(d, avail: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Per source profile (`avail`: the atoms whose source column is present, `caps`: the
    capped keys small enough): some rule can catch its match and every rule that can reads
    one same field group (`d`: `recapture_design.Design`)."""
    can = fires(d, avail, caps)  # the rules whose columns the record carries
    atoms = np.array(d.rule_atoms, np.int64)
    out = np.zeros(len(can), bool)
    for g in d.groups:
        reads = (atoms & g) != 0
        out |= can.any(axis=1) & ~(can & ~reads).any(axis=1)
    return out


def between(rec_wt: np.ndarray | None) -> float:
    """Where between the low and the high figure: the middle at the point estimate, uniform
    in a bootstrap replicate (drawn from a seed of its source-record weights: the same
    every time the replicate asks, in every subgroup fit)."""
    if rec_wt is None:
        return 0.5
    seed = zlib.crc32(np.asarray(rec_wt, float).tobytes()) ^ 0x5EED
    return float(np.random.default_rng(seed).random())


def chao1(w: np.ndarray, n_fire: np.ndarray) -> tuple[float, np.ndarray]:
    """Chao1 from weighted likely matches (`w`, zero for the others) and the rules that
    caught each; with each one-rule match's share of it."""
    one = np.where(n_fire == 1, w, 0.0)
    f1, f2 = float(one.sum()), float(w[n_fire == 2].sum())
    f0 = f1 * f1 / (2 * f2) if f2 > 0 else f1 * max(f1 - 1, 0) / 2
    return f0, (one / f1 if f1 > 0 else one)


def apply(u: np.ndarray, w: np.ndarray, post: np.ndarray, unc: np.ndarray,
          n_fire: np.ndarray, at: float) -> np.ndarray:
    """The never-compared each caught candidate stands for (`u`, Horvitz-Thompson; the
    first len(unc) rows are the candidates) with the uncovered candidates' (`unc`) set
    between their Horvitz-Thompson total and Chao1 where that is higher (`at`: 0 the
    former, 1 the latter)."""
    if not unc.any():
        return u
    n = len(unc)
    uc = np.where(unc, u[:n], 0.0)
    ht = float(uc.sum())
    f0, one = chao1(np.where(unc & (post >= LIKELY), w[:n], 0.0), n_fire)
    if f0 <= ht:
        return u
    out = u.copy()  # the matches beyond the Horvitz-Thompson figure: near-missed ones
    out[:n] = np.where(unc, uc + at * (f0 - ht) * one, u[:n])
    return out
