"""Links held for review as relatives that are the unit's person written again (issue 12).

The relatives rule (`spinelink.relatives`) holds a link whose source record's first name is
no form of the unit's while another record linked to the unit carries one: a relative the
reference lacks (an absent co-twin, a sibling), or the unit's own person held twice by the
source, once with a first name the noise made another. Left out of the candidates, the
second kind is neither found nor missed, and recall is over-stated by it (pseudopeople's
WIC over 8 noise seeds: 53 of wic_raised's 239 misses, 29 of wic_default's 58; session 50
helper C, benchmarks/RESULTS.md).

How many there are is read from the links, without labels. A unit more than one record
links to holds one person twice or two persons. Of the person's extra records, a share f
carries a first name that is no form of the unit's and is held; the rest agree and stay
linked. So the agreeing extra records (E: on every unit, the records whose first name is a
form of the unit's beyond the first) are (1 - f) of the person's extra records, and
E * f / (1 - f) of the held links are the person, at most all of them. f is read on the
units one record links to (their first name no form of the unit's: a person's record
against the person's), and of those on the units alone in their household on the reference
(a surname and an address no other reference record has). A single-record link whose first
name is no form of the unit's is the person's noise or a false link of a relative the
reference lacks whose person the source lacks too: a co-twin, which agrees on surname, date
of birth and address and lives with its household. Where the reference holds others of
the unit's household such a co-twin is at home with them; a unit alone in its household
has few, and the noise on a first name does not ask who the person lives with
(ua_missed_relatives, where one of each pair of look-alikes was taken out of the register:
17 of 2,494 single-record links named apart, 8 of them co-twins, all on units living with
others; 0 of the 316 alone. pseudopeople's WIC: 6 of 372, all the person; 1 of 72 alone).
A source holding each person once (ua_missed_relatives: every held link an absent co-twin)
has few agreeing extra records, so few of its held links count; the WIC sources, which hold
their persons year after year, have many.

Each held pair goes back among its record's candidates, not linked, at the stage's
probability times one chance c shared by the held pairs (their probabilities summing to
that count); the bootstrap draws each from its candidates as it draws any record's match.
f rests on few units (WIC: 72 to 103 alone), so each replicate draws it too (`Draw`):
f ~ Beta(apart + 1/2, alone - apart + 1/2), the Jeffreys posterior of a share, and the held
pairs' posteriors are scaled by that replicate's chance over the point's, on a stream of
their own (`[seed, STREAM]`): the point and every other draw are as without it. Where the
point's chance is 0 (no alone unit named apart) the held pairs are not among the candidates
and nothing is drawn.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from spinelink import relatives
from spinelink.backends import Engine
from spinelink.pair_keys import contains, first_positions
from spinelink.sqlfiles import sql_file, sql_fragment

log = logging.getLogger("spinelink.quality")
STREAM = 10  # the replicates' stream of f: np.random.default_rng([seed, STREAM])


@dataclass
class Held:
    pairs: int          # held pairs among the scored pairs
    extra_agreeing: int  # E: records agreeing with their unit's first name beyond the first
    apart_share: float   # f: single-record units whose first name is no form of the unit's
    expected: float      # held pairs that are the unit's person: min(held, E f / (1 - f))
    chance: float        # c: the held pairs' probabilities are the stage's times c
    read_on: int = 0     # the single-record units alone in their household f is read on
    apart: int = 0       # of them, those whose first name is no form of the unit's
    p_sum: float = 0.0   # the held pairs' probabilities summed

    def summary(self) -> dict:
        return {"held_pairs": self.pairs, "extra_agreeing_records": self.extra_agreeing,
                "first_name_apart_share": round(self.apart_share, 5),
                "apart_share_read_on": self.read_on,
                "expected_unit_person": round(self.expected, 2),
                "how": "held pairs that are the unit's person written again: the records "
                       "agreeing with their unit's first name beyond the first on each "
                       "unit, times f / (1 - f), f the share of single-record units alone "
                       "in their household on the reference whose first name is no form "
                       "of the unit's; back among the candidates at the stage's "
                       "probability scaled to that count"}


def split(pairs: pd.DataFrame, review_path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scored pairs without those held for review as probable relatives, and those
    (their rows of `pairs`; empty when none is held or no review band is written)."""
    if pairs.empty or not review_path.exists():
        return pairs, pairs.iloc[:0]
    review = pd.read_parquet(review_path, columns=["reference_id", "source_id", "method"])
    held = relatives.held_pairs(review)
    if held.empty:
        return pairs, pairs.iloc[:0]
    on = np.asarray(contains(held, pairs), bool)
    return pairs[~on].reset_index(drop=True), pairs[on].reset_index(drop=True)


def count(links: pd.DataFrame, held: pd.DataFrame, forms: pd.DataFrame) -> Held:
    """The term from the links' first-name agreement with their units (`forms`:
    reference_id, forms per link whose records both carry a first name, and `alone`: the
    unit alone in its household on the reference; without that column every unit counts
    as alone). f is read on the single-record units alone in their household."""
    per_unit = forms.groupby("reference_id").agg(size=("forms", "size"), sum=("forms", "sum"))
    single = per_unit[per_unit["size"] == 1]
    if "alone" in forms:
        alone = forms.groupby("reference_id")["alone"].first()
        single = single[alone.reindex(single.index).fillna(False).to_numpy(bool)]
    f = float(1.0 - single["sum"].mean()) if len(single) else 0.0
    apart = int((single["sum"] == 0).sum())
    extra = int((per_unit["sum"] - 1).clip(lower=0).sum())
    p = _probability(held)
    want = extra * f / (1.0 - f) if f < 1.0 else float(len(held))
    expected = float(min(p.sum(), want))
    c = expected / float(p.sum()) if p.sum() > 0 else 0.0
    return Held(len(held), extra, f, expected, c, len(single), apart, float(p.sum()))


@dataclass
class Draw:
    """The held pairs among the candidates (`at`: their tie groups' first rows) and, per
    bootstrap replicate, the posteriors with f drawn (module doc)."""
    at: np.ndarray
    held: Held

    def ratio(self, rng: np.random.Generator) -> float:
        """The replicate's chance over the point's: f ~ Beta(apart + 1/2, alone - apart
        + 1/2), its count E f / (1 - f) capped at the held pairs' probabilities."""
        h = self.held
        f = rng.beta(h.apart + 0.5, max(h.read_on - h.apart, 0) + 0.5)
        want = h.extra_agreeing * f / (1.0 - f) if f < 1.0 else h.p_sum
        return min(h.p_sum, want) / h.p_sum / h.chance

    def apply(self, rng: np.random.Generator, post: np.ndarray) -> np.ndarray:
        """`post` (per candidate) with the held pairs' scaled by `ratio`, at most 1."""
        out = post.copy()
        out[self.at] = np.clip(post[self.at] * self.ratio(rng), 0.0, 1.0)
        return out


def draw(held: Held | None, cand_ref: np.ndarray, cand_src: np.ndarray, group: np.ndarray,
         rows: pd.DataFrame | None) -> Draw | None:
    """The term's `Draw` over the prepared candidates (`labelfree.Prepared`'s `cand_ref`,
    `cand_src`, `group`); None when nothing is held back (chance 0) or f was read on no
    unit."""
    if held is None or rows is None or held.chance <= 0 or held.p_sum <= 0 or \
            held.read_on == 0:
        return None
    at = first_positions(pd.DataFrame({"reference_id": cand_ref, "source_id": cand_src}),
                         rows)
    at = np.unique(group[at[at >= 0]])
    return Draw(at, held) if len(at) else None


def _probability(held: pd.DataFrame) -> np.ndarray:
    if "match_probability" in held:
        return np.nan_to_num(held["match_probability"].to_numpy(float), nan=1.0)
    return np.ones(len(held))


def read(engine: Engine, ref: str, src: str, links: pd.DataFrame, held: pd.DataFrame,
         tag: str) -> Held:
    """`count` with the links' first names read from the standardised records (`ref`,
    `src`: engine tables or views)."""
    name = f"{tag}_held_links"
    engine.register(name, pd.DataFrame({
        "reference_id": links["reference_id"].astype(str).to_numpy(),
        "source_id": links["source_id"].astype(str).to_numpy()}))
    try:
        forms = engine.df(sql_file("quality/held_person_links.sql", links=name, ref=ref,
                                   src=src, forms=sql_fragment("finalise/first_name_forms.sql")))
    finally:
        engine.release(name)
    got = count(links, held, forms)
    log.info("quality: %d links held as relatives, %.2f expected the unit's person",
             got.pairs, got.expected)
    return got


def back(pairs: pd.DataFrame, held: pd.DataFrame, chance: float) -> pd.DataFrame:
    """`pairs` with the held pairs added as candidates the stage did not link: probability
    times `chance`, weight moved by the log2 of the odds so changed. Unchanged for a
    chance of 0."""
    if held.empty or chance <= 0:
        return pairs
    h = held.copy()
    if "match_probability" in h:
        p = np.clip(_probability(h), 1e-12, 1 - 1e-12)
        q = np.clip(p * chance, 1e-12, 1 - 1e-12)
        h["match_weight"] = h["match_weight"].to_numpy(float) + np.log2(
            q / (1 - q)) - np.log2(p / (1 - p))
        h["match_probability"] = q
        if "own_probability" in h:  # the model's own where the stage's was raised
            h["own_probability"] = h["own_probability"].to_numpy(float) * chance
    else:
        h["match_weight"] = h["match_weight"].to_numpy(float) + np.log2(chance)
    if pairs.empty:
        return h.reset_index(drop=True)
    return pd.concat([pairs, h], ignore_index=True)
