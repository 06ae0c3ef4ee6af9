"""Links that may be the co-twin of an absent person: a source record whose first name is
no form of the reference record's (`finalise/first_name_forms.sql`) while surname, date of
birth and postcode agree is either the reference record's person with another first name,
or a co-twin of that person whom the reference lacks. The model scores both alike (every
field but one agrees, often at p = 1.0), so its posterior cannot carry the second reading:
on the project's generator the false links of children are such twins (session 41 helper B).

Learnt without labels, as `evidence.middle_is_personal` learns from co-residents:
- `tau`: of the reference's records born in the link's decade, the share with a co-twin in
  the reference (the same surname, date of birth and postcode, a first name no form of
  theirs): twins live together as children and apart as adults;
- `omega`: of the source records born by the reference's latest date of birth whose
  household (surname and postcode) holds another linked record, the share not linked:
  how often the reference lacks a person whose household it holds;
- `m`: of the links whose records agree on surname, date of birth and postcode, the
  reference record born in the same decade, the share whose first names are no forms of
  one name (one person's records so written, and the
  twins among them: the share is an upper bound of the first).

The forms test reads the first names alone (`_named`): the records share the surname, so
its clause for a first name in the last name's place would only say that one of them is
named as the family (vitalie vitalie and his co-twin valeriu vitalie, joined by the match
key `initial_surname_dob_postcode` on the generator: session 45).

A link of the kind whose reference record has no co-twin in the reference is then the
absent co-twin with chance tau * omega / (tau * omega + m): the co-twin's prior against the
person's own record written with another first name. The chance multiplies the link's
survival (`labelfree`: the point takes it off the expected right links, each bootstrap
replicate draws it). A reference without co-twins (tau = 0) or a source without a date of
birth or postcode gives no chance.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from spinelink.backends.base import Engine
from spinelink.quality import nullcal
from spinelink.sqlfiles import quote_ident, sql_file, sql_fragment

# the columns first_name_forms.sql reads, and the fields the kind agrees on
COLUMNS = ("record_id", "first_name", "middle_name", "last_name", "first_name_canon",
           "first_name_canon_rom", "first_name_mp", "first_name_root1",
           "first_name_root2", "first_name_root3", "first_initial", "last_name_rom",
           "dob_iso", "postcode")
_SURNAME = ("last_name", "last_name_rom")  # what the forms test reads of the surname


@dataclass
class Twins:
    chance: np.ndarray   # per link (the links table's order): chance it is an absent co-twin
    links: int           # links of the kind
    tau: float           # over every cohort (the chances use each cohort's own)
    omega: float
    m: float             # over every cohort
    draw: Draw | None = None  # the chances with their rates' uncertainty (`Draw`)
    tau_source: float = 0.0   # the source's own co-twin share, over every cohort

    def summary(self) -> dict:
        return {"links": self.links, "reference_twin_share": round(self.tau, 5),
                "household_absent_share": round(self.omega, 4),
                "first_name_apart_share": round(self.m, 5),
                "expected_false_links": round(float(self.chance.sum()), 2),
                "source_twin_share": round(self.tau_source, 5),
                "how": "links whose records agree on surname, date of birth and postcode "
                       "but whose first names are no forms of one name, the reference "
                       "holding no co-twin of the reference record: the absent co-twin "
                       "with chance tau * omega / (tau * omega + m), tau and m per decade "
                       "of birth, all three learnt from the reference, the source and "
                       "the links"}


def link_positions(links: pd.DataFrame) -> pd.DataFrame:
    """`links`' (reference_id, source_id) as text with each link's position (`__i`), to
    register for a query that answers per link."""
    return pd.DataFrame({"__i": np.arange(len(links)),
                         "reference_id": links["reference_id"].astype(str).to_numpy(),
                         "source_id": links["source_id"].astype(str).to_numpy()})


def twins(engine: Engine, ref: str | None, src: str | None,
          links: pd.DataFrame) -> Twins | None:
    """The chance of each link in `links` (reference_id, source_id, in their order) that
    its source record is the reference person's absent co-twin; None when the tables lack
    a field the test reads or nothing is of the kind."""
    from spinelink.household import MAX_RESIDENTS

    if not ref or not src or links.empty:
        return None
    if not set(COLUMNS) <= set(engine.columns(ref)) or \
            not set(COLUMNS) <= set(engine.columns(src)):
        return None
    name = "__sl_q_twin_links"
    engine.register(name, link_positions(links))
    forms = sql_fragment("finalise/first_name_forms.sql")
    vr, vs = _named(engine, ref, "__sl_q_twin_ref"), _named(engine, src, "__sl_q_twin_src")
    try:
        per = engine.df(sql_file("quality/twin_links.sql", links=name, ref=vr, src=vs,
                                 forms=forms))
        if not per["kind"].any():
            return None
        rates = engine.df(sql_file("quality/twin_rates.sql", ref=vr, forms=forms))
        rates_src = engine.df(sql_file("quality/twin_rates.sql", ref=vs, forms=forms))
        home = engine.df(sql_file("quality/household_absent.sql", links=name, ref=ref,
                                  src=src), {"max_residents": MAX_RESIDENTS}).iloc[0]
    finally:
        engine.release(name, vr, vs)
    at_home, absent = (float(home[c] or 0) for c in ("at_home", "absent"))
    omega = absent / at_home if at_home else 0.0
    kind = per["kind"].to_numpy(bool)
    # per cohort: the co-twin share of the reference's records, the kind's share of the
    # agreeing links
    by = per.groupby("cohort", dropna=False)["kind"].agg(["sum", "size"])
    at = per["__i"].to_numpy(int)[kind]
    cohort = pd.Index(by.index).get_indexer(per["cohort"][kind])

    def counts(rates: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        r = rates.set_index("cohort").reindex(by.index).fillna(0.0)
        return r["with_twin"].to_numpy(float), r["persons"].to_numpy(float)

    draw = Draw(at, cohort, *counts(rates), *counts(rates_src),
                by["sum"].to_numpy(float), by["size"].to_numpy(float), absent, at_home)
    chance = np.zeros(len(links))
    chance[at] = draw.point()
    return Twins(chance, int(kind.sum()), _share(rates), omega, float(kind.sum() / len(per)),
                 draw, _share(rates_src))


def _named(engine: Engine, table: str, view: str) -> str:
    """`view`: the columns the kind reads from `table`, its surname as `surname` and the
    last-name columns of the forms test empty. The kind's records share the surname, so
    the forms test's clauses for a first name in the last name's place
    (`first_name_forms.sql`) would read only that one record's first name is the family's
    surname (vitalie vitalie beside his co-twin valeriu vitalie), no form of one name."""
    cols = ", ".join(quote_ident(c) for c in COLUMNS if c not in _SURNAME)
    engine.execute(f"CREATE OR REPLACE VIEW {quote_ident(view)} AS SELECT {cols}, "
                   f"last_name AS surname, "
                   + ", ".join(f"CAST(NULL AS VARCHAR) AS {c}" for c in _SURNAME)
                   + f" FROM {quote_ident(table)}")
    return view


def _share(rates: pd.DataFrame) -> float:
    return float(rates["with_twin"].sum() / max(rates["persons"].sum(), 1))


@dataclass
class Draw:
    """The co-twin chance of the links of the kind (`at`: their rows in the links table;
    `cohort`: their decade's index) with its rates' own uncertainty, for the bootstrap
    (`labelfree.estimate`): each replicate draws tau, m and omega from the counts they
    are shares of (Beta, Jeffreys' prior), half the replicates tau from the larger of two
    files' co-twin shares per cohort: the reference's, or the source's own (its records'
    co-twins in the source). A file's share is the population's times the chance that the
    file holds the co-twin too, with the three fields alike: each is low by what its file
    misses, the reference's most where it misses one of two look-alikes more often than
    other persons (the absent co-twin the term is about). The point keeps the
    reference's: the source's is too high where the source holds one person twice under
    two first names."""
    at: np.ndarray
    cohort: np.ndarray
    twins_ref: np.ndarray     # per cohort: reference records with a co-twin, and records
    persons_ref: np.ndarray
    twins_src: np.ndarray     # the same in the source
    persons_src: np.ndarray
    kind: np.ndarray          # per cohort: links of the kind, and agreeing links
    agreeing: np.ndarray
    absent: float             # omega's counts (household_absent.sql)
    at_home: float

    @staticmethod
    def _q(tau, omega, m) -> np.ndarray:
        prior = tau * omega
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(prior > 0, prior / (prior + m), 0.0)

    @staticmethod
    def _rate(k: np.ndarray, n: np.ndarray) -> np.ndarray:
        return np.where(n > 0, k / np.maximum(n, 1), 0.0)

    def point(self) -> np.ndarray:
        """Per link of the kind, its chance at the reference's shares."""
        tau = self._rate(self.twins_ref, self.persons_ref)
        omega = self.absent / self.at_home if self.at_home else 0.0
        return self._q(tau, omega, self.kind / self.agreeing)[self.cohort]

    def __call__(self, rng: np.random.Generator) -> np.ndarray:
        """Per link of the kind, one replicate's chance."""
        t, n = self.twins_ref, self.persons_ref
        src = np.zeros(len(t), bool)
        if rng.random() < 0.5:  # the larger of the two files' shares, per cohort
            src = self._rate(self.twins_src, self.persons_src) > self._rate(t, n)
            t, n = np.where(src, self.twins_src, t), np.where(src, self.persons_src, n)
        tau = np.where(n > 0, rng.beta(t + 0.5, np.maximum(n - t, 0) + 0.5), 0.0)
        omega = rng.beta(self.absent + 0.5, max(self.at_home - self.absent, 0) + 0.5) \
            if self.at_home else 0.0
        m = rng.beta(self.kind + 0.5, np.maximum(self.agreeing - self.kind, 0) + 0.5)
        if src.any():
            omega = np.where(src, np.maximum(omega, self._lacked(rng, tau)), omega)
        return self._q(tau, omega, m)[self.cohort]

    def _lacked(self, rng: np.random.Generator, tau: np.ndarray) -> np.ndarray:
        """Per cohort, the share of the co-twins the reference lacks, in a replicate that
        reads the source's co-twin share (`tau`) as the population's: the reference's own
        share is the population's times the chance it holds a person's co-twin too, so it
        lacks 1 - (its share) / tau of them. Reading the households' absent share there
        instead (omega) would say the reference holds co-twins as it holds anyone, the
        contrary of the reading: the reference's low share is the absent co-twins."""
        t, n = self.twins_ref, self.persons_ref
        own = np.where(n > 0, rng.beta(t + 0.5, np.maximum(n - t, 0) + 0.5), 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(tau > 0, np.clip(1.0 - own / tau, 0.0, 1.0), 0.0)


def take_off(engine: Engine, out, reference: str, source: str, std: dict | None,
             links: pd.DataFrame, prep) -> Twins | None:
    """The chances of `twins` taken off every link's survival (`prep`, a
    `labelfree.Prepared`), both readings of the shared units'. Read from the standardised
    records the run loaded, or their files when the stage runs alone: the same figures."""
    tag, _ = nullcal.std_views(engine, out, reference, source, std)
    tw = twins(engine, f"{tag}_ref_std", f"{tag}_src_std", links)
    if tw is None:
        return tw
    keep = 1.0 - tw.chance
    prep.survive = keep if prep.survive is None else prep.survive * keep
    prep.survive_alt = None if prep.survive_alt is None else prep.survive_alt * keep
    prep.survive_draw = None if prep.survive_draw is None else prep.survive_draw * keep
    prep.twins = tw.draw
    return tw
