"""Probabilistic links whose two records' dates of birth are a generation apart: a reading
the intervals draw (`labelfree.estimate`), the point keeping the model's probabilities.

A source person the reference lacks may link to a relative of one name and address the
reference holds: on the generator a son linked to his father's record of the same first
name, dates 1967 and 2009, at p 0.9999 (session 52 helper E: of `generated`'s 685
probabilistic links outside the co-twin and shared-unit kinds, 4 have dates more than 12
years apart, all 4 false, p 0.61 to 0.9999; the model's date "else" level weighs a
40-year gap as one typo, independently of the names and address agreeing). At such
probabilities no calibration slope the replicates draw moves the link, so nothing in the
bootstrap questions it and the intervals of the subgroups holding such links miss their
truth (`generated`'s age 0-17 covered in 0 of 20 bootstrap seeds).

`YEARS`: more than 12 years between the two dates (days / 365.25, the dates as written),
a generation: a parent and child are rarely closer (a mother's age at birth below 13 is
almost unknown), while a mistyped date is a day, a month, a swapped day and month or one
digit of the year. One digit of the year can be 10 or more years (1967 / 1987: 20
apart): dates that differ in one character alone are read as that typo, not as a
generation (on the harness's pseudopeople sets 16 of ss_default's 135 links more than 12
years apart, all true; none of `generated`'s four). Other true links a generation apart
remain (pseudopeople's date noise writes another date, often a household member's: on
ss_default 116 of the 119 left are true): the term only adds wrong links to a
replicate, so on them it costs width downward, not bias (the point is unchanged).

`PRIOR`: the model sees a person and a namesake relative alike, so no label-free figure
says which of the links are relatives; each replicate draws that share q ~ Beta(0.5, 0.5),
the Jeffreys prior of a share, within what the dates allow: `bound`. Each such link is
wrong in the replicate with chance q beside what the rest of the draw says, on a stream of
its own (`[seed, 8]`): every other draw of every replicate, the point, and every interval
of a subgroup without such links are the ones they were without the term.

`bound`: true links a generation apart are records carrying another person's date (a
household member's, pseudopeople's noise); such a date is as far from the person's as two
persons' dates are, so true links 5 to 12 years apart come with them, in the ratio of two
reference records' years of birth (`ratio`: gaps over 12 years to gaps of 6 to 12 years
between two of its records, about 4.6 on the harness's sets). A relative of one name a
generation apart comes with no such link. So of the links a generation apart, those the
5 to 12 year links explain, ratio * (their count, drawn Gamma(count + 0.5) per
replicate), are taken as true, the share q bounded by the rest: on `generated` 0 such
links and 4 apart (q up to 1), on ss_default 21 and 119 (116 true: q up to about 0.2),
on ss_raised 53 and 191 (q almost always 0). Without the bound (q ~ Beta(0.5, 0.5) on
every such link) ss_default's coverage fell from 16/16 to 11/16: over a hundred links drawn
wrong by one share move the whole interval, not only its low end (benchmarks/RESULTS.md,
session 53 helper A).
A source or reference without dates of birth (`dob_iso`) gives no such links.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from spinelink.backends.base import Engine
from spinelink.quality import nullcal
from spinelink.quality.twins import link_positions
from spinelink.sqlfiles import sql_file

YEARS = 12.0          # more than a generation's lower bound apart (module doc)
PRIOR = (0.5, 0.5)    # Jeffreys' Beta of the share of such links that are relatives
STREAM = 8            # the replicates' stream: np.random.default_rng([seed, STREAM])


@dataclass
class Draw:
    """The links a generation apart (`at`: their rows in the links table) and, per
    bootstrap replicate, which of them are wrong by the term (`__call__`)."""
    at: np.ndarray
    near: int = 0        # probabilistic links 5 to 12 years apart (module doc, `bound`)
    ratio: float = 0.0   # two reference records' gaps over 12 years to gaps of 6 to 12

    def __call__(self, rng: np.random.Generator) -> np.ndarray:
        """Per link in `at`: wrong in this replicate (the share q drawn once for it)."""
        true = rng.gamma(self.near + 0.5) * self.ratio  # the links the near ones explain
        q = max(0.0, 1.0 - true / len(self.at)) * rng.beta(*PRIOR)
        return rng.random(len(self.at)) < q

    def apply(self, rng: np.random.Generator, survive, n_links: int) -> np.ndarray:
        """`survive` (per link: right so far in the replicate, or None: every link) with
        the links the term draws wrong taken off."""
        ok = np.ones(n_links, bool) if survive is None else np.asarray(survive, bool)
        ok[self.at] &= ~self(rng)
        return ok

    def summary(self) -> dict:
        return {"links": int(len(self.at)), "years": YEARS, "links_5_to_12_years": self.near,
                "gap_ratio": round(self.ratio, 3),
                "how": "probabilistic links whose two records' dates of birth are more "
                       f"than {YEARS:g} years apart (a parent and child of one name): each "
                       "bootstrap replicate draws the share of them that are relatives, "
                       "q ~ Beta(0.5, 0.5) times the share the links 5 to 12 years apart "
                       "do not explain as another person's date, and each is wrong with "
                       "chance q; the point keeps the model's probabilities"}


def ratio(years: pd.DataFrame) -> float:
    """Of two records drawn from `years` (y, n: records per year of birth), the chance
    their years are more than `YEARS` apart over the chance they are 6 to `YEARS` apart
    (0 without such pairs)."""
    if years.empty:
        return 0.0
    y = years["y"].to_numpy(int)
    h = np.zeros(y.max() - y.min() + 1)
    np.add.at(h, y - y.min(), years["n"].to_numpy(float))
    c = np.correlate(h, h, "full")
    lag = np.abs(np.arange(-(len(h) - 1), len(h)))
    mid = c[(lag > 5) & (lag <= YEARS)].sum()
    return float(c[lag > YEARS].sum() / mid) if mid > 0 else 0.0


def apart(engine: Engine, ref: str, src: str, links: pd.DataFrame, keep=None
          ) -> tuple[np.ndarray, np.ndarray, float]:
    """Positions in `links` (reference_id, source_id, in their order; only those `keep`
    marks, a mask, when given) whose records' dates of birth (`dob_iso`) are both read,
    more than `YEARS` apart and not one character apart; the positions 5 to `YEARS` years
    apart; `ratio` of the reference's years of birth. Nothing when either table lacks the
    column."""
    none = (np.zeros(0, int), np.zeros(0, int), 0.0)
    pos = link_positions(links)
    if keep is not None:
        pos = pos[np.asarray(keep, bool)]
    if pos.empty or "dob_iso" not in engine.columns(ref) or \
            "dob_iso" not in engine.columns(src):
        return none
    name = "__sl_q_gen_links"
    engine.register(name, pos)
    try:
        got = engine.df(sql_file("quality/generation_apart.sql", links=name, ref=ref,
                                 src=src))
    finally:
        engine.release(name)
    at, years = got["__i"].to_numpy(int), got["years"].to_numpy(float)
    far = np.sort(at[years > YEARS])
    if not len(far):
        return none
    near = np.sort(at[(years > 5) & (years <= YEARS)])
    return far, near, ratio(engine.df(sql_file("quality/birth_years.sql", ref=ref)))


def mark(engine: Engine, out, reference: str, source: str, std: dict | None,
         links: pd.DataFrame, prep) -> Draw | None:
    """`prep.generation` (a `labelfree.Prepared`): the probabilistic links (those the
    outcome draw reads, `link_group` >= 0) a generation apart, or None when there are none.
    Read from the standardised records the run loaded, or their files when the stage runs
    alone: the same figures."""
    tag, _ = nullcal.std_views(engine, out, reference, source, std)
    far, near, r = apart(engine, f"{tag}_ref_std", f"{tag}_src_std", links,
                         keep=np.asarray(prep.link_group) >= 0)
    prep.generation = Draw(far, len(near), r) if len(far) else None
    return prep.generation
