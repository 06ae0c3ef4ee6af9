"""The record-level model: the probability that a candidate is its source record's match.

Each residual source record has its match among the reference records with probability
`pi`, or none. The reference records fall in classes (`claimed`: those the source's
deterministic links took already, and the rest) with their own shares `pi_c`, each spread
uniformly over its class's `n_c` records. Given the Bayes factors of a record's candidate
pairs (pairs never compared have factors near zero), the probability that candidate c, of
class k, is its match is

    (pi_k / n_k) BF_c / ((1 - sum pi) + sum over classes j of (pi_j / n_j) (sum of its BF in j))

and the shares are fitted by EM over all residual source records, those without any
candidate included. When few residual records are linkable this is the pairwise
Fellegi-Sunter probability at the prior `pi / n_ref`; when most are (every record of one
source is in the other), a record's only plausible candidate is recognised as its match
even when its fields disagree, which pairwise probabilities cannot see.

Why the claimed class (session 34): a source that is not one-to-one keeps every reference
record as a candidate, but a record its match keys linked is the match of another residual
record only when the source holds that person twice. At one prior for all, a residual
record's namesake among the claimed records took the probability its own match should have
had (Social Security at raised noise: of the review band's best candidates, 190 on claimed
records, none true, at mean 0.24; 281 on free ones, 62% true at mean 0.46), and the accept
threshold, set where the accepted links' mean probability reaches the target precision,
was raised by the first and cost the second. The claimed class's share is fitted like the
other's: where the source does hold persons several times (a W-2 form per job) it is
large, and the class costs nothing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

TIE = 1e-6  # match weights closer than this are one candidate (duplicate reference records)
TIE_FROM = 10.0  # ... when above this weight (model probability 0.999 at the prior)


@dataclass(frozen=True)
class RecordModel:
    """`pi`: the share of residual source records with their match among the reference
    records (all classes); `prior`: pi / n_ref, the pairwise prior of the reference record
    on average; `shares`: pi per class (free, claimed), the claimed one 0.0 without it."""
    pi: float
    prior: float               # pi / n_ref: the pairwise prior
    posterior: np.ndarray      # per pair, in the order of the pairs given
    linkable: float            # expected residual records whose match is among candidates
    tie_first: np.ndarray      # per pair, the first pair of its tie group (itself if none)
    shares: tuple[float, float] = (0.0, 0.0)


def record_model(bf: np.ndarray, source_ids: pd.Series, n_ref: int, n_src: int,
                 iterations: int = 200, person: pd.Series | None = None,
                 complete: np.ndarray | None = None, claimed: np.ndarray | None = None,
                 n_claimed: int = 0) -> RecordModel:
    """`bf`: log2 Bayes factors of the scored pairs; `source_ids`: their source records;
    `person`: per pair, the reference record's personal fields (first name, date of birth)
    as one key, or None; `complete`: per pair, whether every one of those fields is present
    in the reference record (None: none is); `claimed`: per pair, whether its reference
    record is one of the `n_claimed` (of `n_ref`) the source's deterministic links took
    (a class with its own share, module doc; None or 0: one class).
    Candidates of one record with strong factors (match weight above `TIE_FROM` at the
    fitted prior) whose reference records agree on `person` are the reference holding
    that person twice: one hypothesis, each carrying its probability, when their factors
    are equal, or when the key is complete (both records have the first name and the date
    of birth, and they agree: the census counted one person at two addresses, and the
    fields the two records lost differ, so do their weights). Equal factors are otherwise
    different people the fields cannot tell apart (relatives when the source record lacks
    a first name or a date of birth, or a father and son of one name): each keeps its own
    share."""
    if len(bf) == 0 or n_ref == 0 or n_src == 0:
        return RecordModel(0.0, 0.0, np.zeros(len(bf)), 0.0, np.arange(len(bf)))
    codes, shares, sizes, cls, ln_sum, two = _fit_shares(bf, source_ids, n_ref, n_src,
                                                         iterations, claimed, n_claimed)
    ln_bf = np.asarray(bf, float) * math.log(2)
    ln_a = np.log(shares / sizes)
    ln_den = np.logaddexp(math.log1p(-shares.sum()), np.logaddexp.reduce(ln_a + ln_sum, axis=1))
    pi = float(shares.sum())
    a = shares / sizes  # each class's pairwise prior
    weight = np.asarray(bf, float) + np.log2(a / (1 - a))[cls]
    same = np.round(np.asarray(bf, float) / TIE)
    if person is not None and complete is not None:  # one person whatever the weights
        same = np.where(np.asarray(complete, bool), np.inf, same)
    keys = [codes, pd.factorize(same, use_na_sentinel=False)[0]]
    if person is not None:
        keys.append(pd.factorize(pd.Series(person).fillna(""))[0])
    tie_group = _one_code(keys)
    strong = weight > TIE_FROM
    tie_group = np.where(strong, tie_group, -1 - np.arange(len(bf)))
    tie_group, _ = pd.factorize(tie_group)
    own = np.exp(ln_a[cls] + ln_bf - ln_den[codes])
    # each candidate of a group carries the group's probability (equal factors: n times
    # its own, as before)
    tie_n = np.bincount(tie_group)[tie_group]
    post = np.where(tie_n > 1, np.bincount(tie_group, weights=own)[tie_group], own)
    linked = np.exp(np.logaddexp.reduce(ln_a + ln_sum, axis=1) - ln_den)
    first = np.full(tie_group.max() + 1, len(bf))
    np.minimum.at(first, tie_group, np.arange(len(bf)))
    return RecordModel(pi, pi / n_ref, np.minimum(post, 1.0), float(linked.sum()),
                       first[tie_group],
                       (float(shares[0]), float(shares[1]) if two else 0.0))


def record_share(bf: np.ndarray, source_ids: pd.Series, n_ref: int, n_src: int,
                 iterations: int = 200) -> float:
    """`record_model(...).pi` (one class), without the posteriors and tie groups: what a
    fit that asks for the share alone at each of its steps needs (`home_scale.fit`)."""
    if len(bf) == 0 or n_ref == 0 or n_src == 0:
        return 0.0
    return float(_fit_shares(bf, source_ids, n_ref, n_src, iterations, None, 0)[1].sum())


def _fit_shares(bf: np.ndarray, source_ids: pd.Series, n_ref: int, n_src: int,
                iterations: int, claimed: np.ndarray | None, n_claimed: int) -> tuple:
    """The record model's EM for the shares (`record_model`): the source records' codes,
    the shares, the classes' sizes, each pair's class, per record and class the log of
    the sum of its factors, and whether there are two classes."""
    codes, uniq = pd.factorize(source_ids)
    ln_bf = np.asarray(bf, float) * math.log(2)
    two = claimed is not None and 0 < n_claimed < n_ref
    cls = np.asarray(claimed, bool).astype(int) if two else np.zeros(len(bf), int)
    sizes = np.array([n_ref - n_claimed, n_claimed] if two else [n_ref], float)
    # per record and class, the log of the sum of its factors (relative to its largest)
    k = len(sizes)
    cell = codes * k + cls
    top = np.full(len(uniq) * k, -np.inf)
    np.maximum.at(top, cell, ln_bf)
    fin = np.isfinite(top)
    sums = np.bincount(cell, weights=np.exp(ln_bf - np.where(fin, top, 0.0)[cell]),
                       minlength=len(uniq) * k)
    with np.errstate(divide="ignore"):
        ln_sum = np.where(fin, np.where(fin, top, 0.0) + np.log(sums), -np.inf)
    ln_sum = ln_sum.reshape(len(uniq), k)
    # EM for the posterior mode of the shares: pi under a Beta(2, 2) prior, its split
    # between the classes a priori by their records (a class's share: (expected records
    # with a match in it + its records / n_ref) / (records + 2); one class: (expected + 1)
    # / (records + 2)), so that a small class (a few claimed records) is not given a
    # whole record's pseudo-count. The maximum-likelihood share reaches 1 when
    # every residual record has a strong candidate (a small delivery of people the
    # reference missed, each scored against a relative it holds), and at pi = 1 "no match"
    # has no mass left: any candidate, whatever its own weight, gets probability 1. With n
    # records the data cannot tell pi from 1 closer than about 1/n; at ten thousand
    # records the prior moves pi by 1e-4.
    shares = np.full(k, 0.5 / k)
    for _ in range(iterations):
        ln_a = np.log(shares / sizes)
        if k == 1:  # (as before the classes, to the last bit)
            got = np.array([_expit(ln_a[0] + ln_sum[:, 0] - math.log1p(-shares[0])).sum()])
        else:
            ln_den = np.logaddexp(math.log1p(-shares.sum()),
                                  np.logaddexp.reduce(ln_a + ln_sum, axis=1))
            got = np.exp(ln_a + ln_sum - ln_den[:, None]).sum(axis=0)
        new = np.clip((got + sizes / n_ref) / (n_src + 2), 1e-9, 1 - 1e-9)
        done = np.abs(new - shares).max() <= 1e-10
        shares = new
        if done:
            break
    return codes, shares, sizes, cls, ln_sum, two


def _one_code(keys: list[np.ndarray]) -> np.ndarray:
    """One code per distinct row of the integer code arrays `keys` (each >= 0), numbered
    in order of first appearance, as `pd.factorize` of their MultiIndex numbers them (that
    took a third of a second at 175,000 pairs, per call)."""
    code = np.asarray(keys[0], np.int64)
    for k in keys[1:]:
        k = np.asarray(k, np.int64)
        code = pd.factorize(code * (int(k.max(initial=0)) + 1) + k)[0].astype(np.int64)
    return pd.factorize(code)[0]


def _expit(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))
