"""The pairs the personal-evidence filter dropped (`evidence.personal_evidence`), written by
the probabilistic stage to `pairs/no_evidence/<source>.parquet`, as candidates the stage did
not link (issue 12): the matches among them are missed, and no other term of the recall
estimate reaches them (the never-compared figure counts the matches no blocking rule held)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from spinelink.quality import born_after, unit_home


def with_no_evidence(out: Path, name: str, pairs: pd.DataFrame, link_info: dict,
                     links: pd.DataFrame) -> pd.DataFrame:
    """The candidates with the pairs of the records whose every pair lacked personal
    evidence (`stages.link.born_apart_path`, kind `no_evidence`), at the model's odds, as
    candidates the stage did not link: a relative at home, or the person with a first name
    at its lowest level (a nickname, a typo, an initial: 85 of w2_default's 165 misses,
    benchmarks/RESULTS.md session 49). Added before `unit_home`, so that a dependant's
    dropped pairs at a unit-mate's address get the household's coverage (`unit_home.POOR`
    marks the records) as its other candidates do (tax1040_raised, 0-17: 13 expected at the
    model's odds, 32 true); not those on a reference record a unit-mate is linked to
    (`unit_home.not_unit_mates`); then `taken` weighs those another record's link holds.
    With them the pairs the filter dropped of unlinked records that kept other candidates
    (`kept_others`: 89-120 matches a set on w2_raised and tax1040_raised, RESULTS.md
    session 53 helper C), added to those records' candidates as the others."""
    path = out / "pairs" / "no_evidence" / f"{name}.parquet"
    pi = (link_info.get("probabilistic") or {}).get("linkable_share")
    if pi is None or not path.exists():
        return pairs
    poor = pd.read_parquet(path)
    if "kept_others" in poor:  # not a linked record's: its link's probability is the model's
        poor = poor[~(poor["kept_others"].astype(bool) & poor["source_id"].astype(str).isin(
            set(links["source_id"].astype(str))))]
    poor = unit_home.not_unit_mates(out, name, poor, links)
    got = born_after.with_born_apart(pairs, poor, 1.0, float(pi))
    if unit_home.OWN in got:  # the model's own probability is theirs
        got[unit_home.OWN] = got[unit_home.OWN].fillna(got["match_probability"])
    alone = poor if "kept_others" not in poor else poor[~poor["kept_others"].astype(bool)]
    return got.assign(**{unit_home.POOR: got["source_id"].astype(str).isin(
        set(alone["source_id"].astype(str)))})
