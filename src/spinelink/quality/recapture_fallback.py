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

There the never-compared matches lie between a low and a high figure, uniform in the
bootstrap. The low figure is the Horvitz-Thompson one; the high one is Chao1 on those
records' likely matches (posterior at least LIKELY) caught by exactly one (f1) and exactly
two (f2) rules, f1^2 / (2 f2), where it is higher. Chao1 is a lower bound of the missed
count when catch chances vary between matches, and rules that all read one field group
catch the same matches (positively dependent lists), which lowers it further: a Chao1
above the Horvitz-Thompson figure says that figure is too low; one below it says nothing
against it (the figure is kept).

Where the point estimate lies between them is read from the records' own catches (`fit`):
the Horvitz-Thompson figure holds if the donors' patterns hold for these records, and
those patterns also say how the records' *caught* matches split between one rule and
several. A record whose names are noisier than its donors' (a degraded delivery) is
caught by one rule (the first initial and surname, not the first name and surname) more
often than the donors' patterns predict; one whose names are written as the donors' are
(pseudopeople's W-2) is not. So the point is at `MAX_AT * (1 - 1 / r)` of the way from the
low to the high figure, `r` the odds ratio of a single catch among the records' likely
caught matches against the donors' prediction for the same records (at least 1): the
Horvitz-Thompson figure where the donors' patterns fit, towards the middle (the point
before session 55, where nothing told) as they fit worse. The matches a rule held that
reached no candidate are terms of their own (`quality.no_evidence`): the middle stood in
for them, and at the Horvitz-Thompson end W-2's estimate is right (session 54 helper B),
while the generator's degraded delivery needs the middle (its donors' patterns fail there).

Chao1 is a figure for these records together: it says how
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
from dataclasses import dataclass

import numpy as np

from spinelink.quality.recapture_design import fires
from spinelink.quality.stats import unique_rows

LIKELY = 0.5  # posterior from which a candidate counts in Chao1
# the point's place between the two figures where the records' own catches fit the donors'
# patterns worst: the middle, the point before the fit read them (`fit`)
MAX_AT = 0.5
FIT_FROM = 0.0  # posterior from which a caught match counts in `fit` (weighted by it)
MAX_PATTERNS = 4096  # joint patterns of a profile's groups `fit` reads (beyond: not read)


@dataclass(frozen=True)
class Fit:
    """How the donors' patterns fit the uncovered records' own catches (`fit`): their
    likely caught matches (weighted), those a single counted rule caught, the number the
    donors' patterns predict, the odds ratio of the two and the point's place `at`."""
    caught: float = 0.0
    single: float = 0.0
    single_expected: float = 0.0
    odds_ratio: float | None = None
    at: float = MAX_AT

    def summary(self) -> dict:
        return {"likely_caught": round(self.caught, 2),
                "caught_by_one_rule": round(self.single, 2),
                "caught_by_one_rule_expected": round(self.single_expected, 2),
                "odds_ratio": None if self.odds_ratio is None else round(self.odds_ratio, 4),
                "point_between": round(self.at, 4)}


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


def _patterns(cap, w: np.ndarray, g: int, av: int, memo: dict) -> tuple[np.ndarray, np.ndarray]:
    """Field group `g`'s (mask) patterns among matches and their weights, from its donors
    (matches a rule not reading it caught) that carry the group's columns `av` carries."""
    key = (g, av & g)
    if key not in memo:
        k = next(i for i, m in enumerate(cap.design.groups) if m == g)
        don = cap.donors[k] & (w > 0) & ((cap.avail & av & g) == (av & g))
        pat, _, inv = unique_rows((cap.agree[don] & av & g)[:, None].astype(np.int64))
        memo[key] = (pat[:, 0], np.bincount(inv, weights=w[don], minlength=len(pat)))
    return memo[key]


def fit(cap, w: np.ndarray, post: np.ndarray, unc: np.ndarray, n_fire: np.ndarray) -> Fit:
    """The donors' patterns against the uncovered records' own catches (module docstring).
    `cap`: `recapture.Captures`; `w` per row (candidates, then match-key links) the caught
    matches' weights; `post`, `unc`, `n_fire` per candidate. For each uncovered record's
    profile, the field groups its rules read are drawn from their donors (matches a rule
    not reading the group caught, carrying the group's columns the record carries), each
    group on its own as the Horvitz-Thompson figure takes them: the chance that one
    counted rule catches a match given that some counted rule does. Summed over the
    records' caught matches (weighted), the single catches expected, against those seen."""
    n = len(unc)
    like = unc & (post >= FIT_FROM) & (n_fire >= 1) & (w[:n] > 0)
    if not like.any():
        return Fit()
    d = cap.design
    counted = d.counted()
    atoms = np.array(d.rule_atoms, np.int64)
    idx = np.flatnonzero(like)
    uniq, _, inv = unique_rows(np.stack([cap.avail[idx], cap.caps[idx]], axis=1)
                               .astype(np.int64))
    wi, single = w[idx], n_fire[idx] == 1
    caught = expected = seen = 0.0
    memo: dict = {}
    for u, (av, cp) in enumerate(uniq):
        can = fires(d, np.array([av]), np.array([cp]))[0]
        read = np.bitwise_or.reduce(atoms[can]) if can.any() else 0
        pat, pw = np.zeros(1, np.int64), np.ones(1)
        for g in d.groups:  # every group the record's rules read, independent
            if read & g:
                gp, gw = _patterns(cap, w, int(g), int(av), memo)
                if not len(gp) or len(pat) * len(gp) > MAX_PATTERNS:
                    pat = None
                    break
                pat = (pat[:, None] | gp[None, :]).ravel()
                pw = (pw[:, None] * gw[None, :] / gw.sum()).ravel()
        if pat is None:
            continue
        k = fires(d, pat, np.full(len(pat), cp, np.int64))[:, counted].sum(axis=1)
        some = float(pw[k >= 1].sum())
        if some <= 0:
            continue
        mine = inv == u
        wt = float(wi[mine].sum())
        caught += wt
        expected += wt * float(pw[k == 1].sum()) / some
        seen += float(wi[mine & single].sum())
    if caught <= 0:
        return Fit()
    # odds of a single catch, seen against expected (half a match added to each count: a
    # cell without any)
    r = ((seen + 0.5) / (caught - seen + 0.5)) / ((expected + 0.5) / (caught - expected + 0.5))
    return Fit(caught, seen, expected, r, MAX_AT * max(0.0, 1.0 - 1.0 / r))


def between(rec_wt: np.ndarray | None, point: float = MAX_AT) -> float:
    """Where between the low and the high figure: `point` at the point estimate (`fit`'s
    `at`), uniform in a bootstrap replicate (drawn from a seed of its source-record
    weights: the same every time the replicate asks, in every subgroup fit)."""
    if rec_wt is None:
        return point
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
