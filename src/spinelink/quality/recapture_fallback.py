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
against it (the figure is kept). Chao1 is a figure for these records together: it says how
many of their matches were missed, not whose, so the missed matches beyond the
Horvitz-Thompson figure are spread over these records' likely matches in proportion to
their weights, as the Horvitz-Thompson figure of one profile is (session 43: placed on the
likely matches one rule caught, a few hundred records whose share of a subgroup says how
the names were written more than how often the match was missed, it put 19-22% of the
W-2 and 1040 files' top-up in the 18-29 band against 13-19% of the true never-compared
and evidence-dropped matches). All of these records' missed matches stay on their own
candidates (not on the matches elsewhere that taught the patterns)."""
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
    caught each; with each likely match's share of it (its weight's). A match caught only
    by rules Chao1 does not count (`n_fire` -1: `chao1: false` in the model spec) is one
    of the matches the counted rules missed, now found: it comes off their figure."""
    f1, f2 = float(w[n_fire == 1].sum()), float(w[n_fire == 2].sum())
    f0 = f1 * f1 / (2 * f2) if f2 > 0 else f1 * max(f1 - 1, 0) / 2
    f0 = max(f0 - float(w[n_fire < 0].sum()), 0.0)
    total = float(w.sum())
    return f0, (w / total if total > 0 else np.zeros(len(w)))


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
    f0, share = chao1(np.where(unc & (post >= LIKELY), w[:n], 0.0), n_fire)
    if f0 <= ht:
        return u
    out = u.copy()  # the matches beyond the Horvitz-Thompson figure, on the likely ones
    out[:n] = np.where(unc, uc + at * (f0 - ht) * share, u[:n])
    return out
