"""Which scored pairs may be one person at all, before the record-level model weighs them.

Relatives share what a household shares (surname, address, postcode) and often more:
twins a date of birth, a child named after a parent or sibling the first name. The
Fellegi-Sunter model takes comparisons as independent given match status and adds those
agreements up, so a relative can outweigh the fields that tell the two apart. Two rules:

* `personal_evidence`: some personal comparison (first name, date of birth, an identifier)
  must be above its lowest level, or none of them can be compared and the middle names do
  not disagree, or the first name is missing and the middle names agree where a middle
  name is the person's own, not the family's (`middle_is_personal`).
* `names_apart`: of the three fields that tell relatives apart (first name, middle name,
  date of birth), two compared at their lowest level mean two persons, unless an
  identifier agrees: a twin (first name and middle initial differ, date of birth the
  same), a namesake relative (middle initial differs, dates of birth years apart). One
  person's records disagree on two of them only when two independent errors meet; a first
  name given in the middle name's place is not a disagreement
  (`sql/probabilistic/names_forms.sql`). When the date of birth cannot be compared (a
  source without one, as tax returns and W-2s are), a first name that agrees only in
  spelling (a Jaro-Winkler, Metaphone or initial level: Paul / Pamela, Levi / Leslie)
  with the middle initial different is two persons too: the third field that could say
  otherwise is missing (benchmarks/RESULTS.md, session 29). First name and sex at their
  lowest level with surnames that differ (not the same, nor the same romanised key) are
  two persons too (`sexes_apart`): a brother and a sister where surnames are written by
  sex (Halytskyi / Halytska, Ivanov / Ivanova), twins among them; one person's records
  disagree on all three only when three independent errors meet (session 33).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from spinelink.backends import Engine
from spinelink.chunks import REF_SIDE
from spinelink.sqlfiles import sql_file, sql_fragment

PERSONAL = ("first_name", "date_of_birth")  # and every identifier comparison (id_*)
VETO = ("middle_name",)  # disagreeing, rules a pair out when PERSONAL cannot be compared
NAMES = ("first_name", "middle_name", "date_of_birth")  # what tells relatives apart
SEXED = ("first_name", "sex")  # at their lowest level, with the surnames, two persons
# first-name levels that agree in spelling only, not on a form of the name (same,
# canonical, nickname, romanised)
SPELLING = ("jaro_winkler", "_mp_l", "first_initial_l")
# the first-name level of a Russian form with a typo against a name written in Cyrillic
# (person_auto.yaml): counts as the lowest level in `names_apart`
TYPO_FORM = ("first_name_cyrillic_l",)
# co-residents of one surname agreeing on the middle initial at most this many times as
# often as strangers: the middle name is the person's own (`middle_is_personal`), counted
# over at least MIN_KIN_PAIRS such pairs
KIN_RATIO = 1.5
MIN_KIN_PAIRS = 100


def _levels(df: pd.DataFrame, model: dict, names, ids: bool
            ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Per pair and comparison among `names` (and id_* when `ids`): at its lowest level,
    missing (null level); and the comparisons' names, in model order."""
    lowest, cols, found = [], [], []
    for comp in model["comparisons"]:
        name = str(comp.get("output_column_name"))
        if (name in names or (ids and name.startswith("id_"))) and f"mw_{name}" in df:
            lowest.append(_lowest_weight(comp))
            cols.append(f"mw_{name}")
            found.append(name)
    # Splink reports each comparison's match weight (mw_): the null level weighs 0,
    # the lowest level its own weight
    w = df[cols].to_numpy(dtype=float).reshape(len(df), len(cols))
    return np.abs(w - np.array(lowest)) <= 1e-6, w == 0.0, found


def personal_evidence(df: pd.DataFrame, model: dict,
                      middle: bool | np.ndarray = False) -> np.ndarray:
    """Pairs that may be the same person: some personal comparison (first name, date of
    birth, an identifier) is above its lowest level, or none of them can be compared
    (missing on a side) and the middle names do not disagree. Surname, address, postcode
    and sex are shared within households: relatives agree on all of them, and the
    Fellegi-Sunter model, which takes comparisons as independent given match status, adds
    their weights up and outweighs a first name and a date of birth that both disagree.
    Such pairs are not candidates. A different middle initial tells relatives apart when
    nothing else can. An agreeing one counts for a pair whose first name is missing on a
    side where `middle` (per pair, or for all) says relatives do not share it
    (`middle_is_personal`: a patronymic, which brothers and sisters share, does not
    count); a first name present and different outweighs it (counted there too, 14 of
    the 75 links it added on pseudopeople's W-2 were a relative's: benchmarks/RESULTS.md,
    session 40)."""
    at_lowest, missing, found = _levels(df, model, PERSONAL, True)
    if not at_lowest.shape[1]:
        return np.ones(len(df), dtype=bool)
    mid_lowest, mid_missing, _ = _levels(df, model, VETO, False)
    vetoed = mid_lowest.any(axis=1)
    out = (~at_lowest & ~missing).any(axis=1) | (missing.all(axis=1) & ~vetoed)
    if np.any(middle) and "first_name" in found and mid_lowest.shape[1]:
        first_missing = missing[:, found.index("first_name")]
        out |= first_missing & ~mid_lowest[:, 0] & ~mid_missing[:, 0] & middle
    return out


def middle_is_personal(engine: Engine, ref: str) -> bool:
    """Whether a middle name is the person's own, not the family's: co-residents of one
    surname agree on its first letter at most KIN_RATIO times as often as two records
    taken at random (`sql/probabilistic/co_resident_middle.sql`; at least MIN_KIN_PAIRS
    such pairs). A patronymic, which brothers and sisters share, is not (Ukrainian
    registers: 2.6 times; pseudopeople's census: 1.2 times)."""
    from spinelink.household import MAX_RESIDENTS

    cols = set(engine.columns(ref))
    if not {"middle_name", "address", "last_name", "first_name"} <= cols:
        return False
    person = [f"CAST({c} AS VARCHAR)" for c in ("first_name", "dob_iso") if c in cols]
    row = engine.df(sql_file("probabilistic/co_resident_middle.sql", ref=ref,
                             person=f"concat_ws('|', {', '.join(person)})"),
                    {"max_residents": MAX_RESIDENTS}).iloc[0]
    kin, agree, rnd = (float(row[c] or 0) for c in ("kin_pairs", "kin_agree",
                                                   "random_agree"))
    return kin >= MIN_KIN_PAIRS and rnd > 0 and agree / kin <= KIN_RATIO * rnd


def names_apart(df: pd.DataFrame, model: dict) -> tuple[np.ndarray, np.ndarray]:
    """(apart, by_first_name): per pair, two of first name, middle name and date of birth
    compared at their lowest level and no identifier above its lowest; and whether the
    first name is one of the two (`names_forms` may still find the names one person's)."""
    at_lowest, _, found = _levels(df, model, NAMES, False)
    if at_lowest.shape[1] < 2:
        no = np.zeros(len(df), dtype=bool)
        return no, no
    id_low, id_missing, _ = _levels(df, model, (), True)
    id_agrees = (~id_low & ~id_missing).any(axis=1)
    if "first_name" in found:
        # a Russian form a typo from a name in Cyrillic on the romanisation keys only
        # (Vradimir / Володимир; the keys near for many names: Liudmila / Iulia) is
        # personal evidence where nothing else can tell, not against a date of birth or a
        # middle name that disagree (a mother and daughter at one address, session 51)
        at_lowest[:, found.index("first_name")] |= _at_first_name_level(df, model,
                                                                        TYPO_FORM)
    first = at_lowest[:, found.index("first_name")].copy() if "first_name" in found \
        else np.zeros(len(df), dtype=bool)
    if {"first_name", "middle_name"} <= set(found):
        # no date of birth to compare: a first name alike in spelling only counts as one
        # at its lowest level (not `by_first`: names_forms would take Jaro-Winkler 0.8
        # for a form of the name)
        no_dob = (df["mw_date_of_birth"].to_numpy(dtype=float) == 0.0
                  if "date_of_birth" in found else np.ones(len(df), dtype=bool))
        at_lowest[:, found.index("first_name")] |= no_dob & _at_first_name_level(
            df, model, SPELLING)
    apart = (at_lowest.sum(axis=1) >= 2) & ~id_agrees
    return apart, apart & first


def sexes_apart(df: pd.DataFrame, model: dict) -> np.ndarray:
    """Per pair: first name and sex both at their lowest level and no identifier above its
    lowest: two persons when their surnames differ as well (`named_apart` asks the records,
    `sql/probabilistic/sexes_apart.sql`)."""
    at_lowest, _, found = _levels(df, model, SEXED, False)
    if len(found) < len(SEXED):
        return np.zeros(len(df), dtype=bool)
    id_low, id_missing, _ = _levels(df, model, (), True)
    return at_lowest.all(axis=1) & ~(~id_low & ~id_missing).any(axis=1)


def household_only(df: pd.DataFrame, model: dict) -> np.ndarray:
    """Per pair: no personal field agrees, so that what the pair shares (surname, address,
    postcode, sex) is what a household shares: first name, date of birth, middle name and
    every identifier missing or at their lowest level. A relative of a person the
    reference lacks, or one chosen over the person, scores as high as the person on these
    fields (benchmarks/RESULTS.md, sessions 26-30). A first name alike in spelling only
    (Jaro-Winkler) agrees here: on sets whose names are transliterated (Cyrillic against
    Latin) that is how one person's names agree."""
    at_lowest, missing, found = _levels(df, model, NAMES, True)
    if not found:  # a model without personal fields: nothing could tell
        return np.zeros(len(df), dtype=bool)
    agrees = ~at_lowest & ~missing
    return ~agrees.any(axis=1)


def _at_first_name_level(df: pd.DataFrame, model: dict, keys: tuple[str, ...]) -> np.ndarray:
    """Per pair: its first names at a level whose condition names one of `keys`
    (`SPELLING`: agrees in spelling only; `TYPO_FORM`)."""
    comp = next(c for c in model["comparisons"] if c.get("output_column_name") == "first_name")
    weights = [_weight(lv) for lv in comp["comparison_levels"]
               if not lv.get("is_null_level") and any(k in lv["sql_condition"]
                                                      for k in keys)]
    w = df["mw_first_name"].to_numpy(dtype=float)
    return np.isin(np.round(w, 6), np.round([x for x in weights if x is not None], 6))


def _at_spelling_level(df: pd.DataFrame, model: dict) -> np.ndarray:
    """Per pair: its first names at a level that agrees in spelling only (`SPELLING`)."""
    return _at_first_name_level(df, model, SPELLING)


def _weight(level: dict) -> float | None:
    m, u = level.get("m_probability"), level.get("u_probability")
    return math.log2(m / u) if m and u else None


def names_forms(engine: Engine, ref: str, src: str, pairs: pd.DataFrame) -> pd.DataFrame:
    """Of `pairs` (reference_id, source_id) whose first names disagree by the model's
    levels, those whose names are forms of one person's all the same: a first name in the
    middle or last name's place, first and middle initials crossed."""
    return _of_pairs(engine, "probabilistic/names_forms.sql", ref, src, pairs)


def _of_pairs(engine: Engine, query: str, ref: str, src: str,
              pairs: pd.DataFrame) -> pd.DataFrame:
    """`query` (names_forms.sql, sexes_apart.sql) over `pairs` (reference_id, source_id)
    with both records' fields and the first-name forms fragment; the frame released once
    read."""
    name = "__sl_evidence_pairs"
    engine.register(name, pairs[["reference_id", "source_id"]])
    try:
        return engine.df(sql_file(query, pairs=name, ref=ref, src=src,
                                  forms=sql_fragment("finalise/first_name_forms.sql")))
    finally:
        engine.release(name)


def _lowest_weight(comp: dict) -> float:
    """The match weight of a comparison's last ("else") level: its m and u, or Splink's
    defaults for a level EM did not estimate."""
    from splink.internals.comparison_level import _default_m_values, _default_u_values

    n = sum(not lv.get("is_null_level") for lv in comp["comparison_levels"])
    last = comp["comparison_levels"][-1]
    m = last.get("m_probability", _default_m_values(n)[0])
    u = last.get("u_probability", _default_u_values(n)[0])
    return math.log2(m / u)


def named_apart(engine: Engine, ref: str, src: str, df: pd.DataFrame, model: dict,
                 tag: str) -> np.ndarray:
    """Per predicted pair: two persons by their names and date of birth
    (`names_apart`), the names not forms of one person's (`names_forms`), or by first
    name, sex and surname (`sexes_apart`)."""
    apart, by_first = names_apart(df, model)
    sexed = sexes_apart(df, model) & ~apart
    if not (by_first.any() or sexed.any()):
        return apart
    ref_is_left = (df["source_dataset_l"] == REF_SIDE).to_numpy()
    left, right = df["record_id_l"].astype(str), df["record_id_r"].astype(str)
    ids = pd.DataFrame({"reference_id": np.where(ref_is_left, left, right),
                        "source_id": np.where(ref_is_left, right, left)})
    # each query returns some of the pairs it is given (one row a pair): looked up among
    # those only
    if by_first.any():
        forms = names_forms(engine, ref, src, ids[by_first])
        if not forms.empty:
            apart[by_first] &= ~_among(ids[by_first], forms)
    if sexed.any():
        found = _of_pairs(engine, "probabilistic/sexes_apart.sql", ref, src, ids[sexed])
        if not found.empty:
            apart[sexed] |= _among(ids[sexed], found)
    return apart


def _among(pairs: pd.DataFrame, found: pd.DataFrame) -> np.ndarray:
    """Per pair of `pairs` (reference_id, source_id), whether `found` holds it."""
    return pd.MultiIndex.from_frame(pairs).isin(pd.MultiIndex.from_frame(found.astype(str)))
