"""An activity derived from the occupation (census practice): where the activity answer is
missing, not stated, too vague or not codable, the occupation's code gives the activity
through `occupation_to_activity` (a stated answer only through a lookup row with one
dominant activity)."""
from __future__ import annotations

from spinelink.coding import classification as cls
from spinelink.coding.coder import Coded


def derived_code(occupation: str | None, activity_cls: str, occupation_cls: str,
                 dominant_only: bool = False) -> tuple[str, str] | None:
    """(activity code, level) for an occupation code (or a coarser one), else None.
    `dominant_only`: only from a lookup row where one activity dominates."""
    if occupation is None:
        return None
    table, occ = cls.derivations(), cls.load(occupation_cls)
    for code in (occupation, *occ.ancestors(occupation)):
        if code in table:
            activity, dominant = table[code]
            if dominant_only and not dominant:
                return None
            return activity, cls.load(activity_cls).level(activity)
    return None


# why the coder's own result gave way to the occupation's (census practice: an activity
# answer that is missing, not stated, too vague or not codable is derived from the
# occupation; a stated answer only through a lookup row with one dominant activity)
WHY = {"not_stated": "not stated", "uncodable": "too vague to code",
       "clerical": "not codable automatically"}


def derive(coded: Coded, occupation: Coded | None, activity_cls: str,
           occupation_cls: str, occupation_var: str = "occupation") -> Coded:
    """The activity from the occupation's code where the answer gave none (see WHY)."""
    if coded.status not in WHY or occupation is None:
        return coded
    stated = coded.status != "not_stated"
    got = derived_code(occupation.code, activity_cls, occupation_cls, dominant_only=stated)
    if got is None:
        return coded
    # codes the answer names (a text of several codes: score 1; texts of several codes
    # found inside it: score 0), unlike the fuzzy step's nearest texts
    named = [k for k, s in coded.candidates if s in (0.0, 1.0) and k != cls.VAGUE]
    note = f"answer {WHY[coded.status]}: derived from {occupation_var} {occupation.code}"
    if named:
        agree = [k for k in named if _on_branch(got[0], k, activity_cls)]
        if len(agree) != 1:
            return coded  # the answer names other activities: a person decides
        # the occupation picks one of the activities the answer names (the finer code)
        c = cls.load(activity_cls)
        if got[0] in c.ancestors(agree[0]):
            got = (agree[0], c.level(agree[0]))
        note = (f"answer names several activities: the one of {occupation_var} "
                f"{occupation.code}")
    return Coded(got[0], got[1], "derived", None, note=note)


def _on_branch(a: str, b: str, name: str) -> bool:
    c = cls.load(name)
    return a == b or a in c.ancestors(b) or b in c.ancestors(a)
