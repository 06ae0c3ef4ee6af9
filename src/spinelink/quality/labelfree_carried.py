"""The label-free estimate of an incremental run with the whole-state fits carried
(`quality.fitcarry`): `labelfree.estimate`'s figures without its refits."""
from __future__ import annotations

import numpy as np
import pandas as pd

from spinelink.quality.calibrate import fit
from spinelink.quality.fitcarry import Fitted
from spinelink.quality.labelfree import (
    Breakdown,
    Estimate,
    Prepared,
    _counts,
    _less_found,
    _n_found,
    _rates,
    _row,
)
from spinelink.quality.nullcal import NullSample


def estimate_carried(pr: Prepared, null: NullSample | None, breakdowns: list[Breakdown],
                     fitted: Fitted) -> Estimate:
    """`estimate` of an incremental run with the whole-state fits carried
    (`quality.fitcarry`): the stage's probabilities and every sum over records as now, the
    never-compared matches per value scaled from the fit by its caught matches, the
    intervals' reach from the fit (clipped to [0, 1]); the leave-partner-out check run
    with the carried never-compared total."""
    point = fit(pr.cands, null, method="model")
    cache: dict = {}
    blocked_by, rows = {}, []
    for bd in breakdowns:
        _, found, missed = _counts(pr, bd, point.posterior, cache=cache)
        blocked_by[bd.variable] = fitted.never_compared(bd.variable, bd.values,
                                                        found + missed)
    f0 = float(blocked_by["all"].sum())
    point.blocked, point.linkable = f0, point.linkable + f0
    pr.cands.carried = f0
    check = fit(pr.cands, null, method="null")
    check = check if check.method == "null" else None
    for bd in breakdowns:
        p, r, false, linkable = _rates(pr, bd, point.posterior, None,
                                       _less_found(pr, bd, blocked_by[bd.variable]), cache)
        reach = fitted.reach(bd.variable, bd.values)
        rows.append(_row(bd, p, r, false, linkable,
                         np.clip(p - reach["precision_below"].to_numpy(), 0, 1),
                         np.clip(p + reach["precision_above"].to_numpy(), 0, 1),
                         np.clip(r - reach["recall_below"].to_numpy(), 0, 1),
                         np.clip(r + reach["recall_above"].to_numpy(), 0, 1)))
    scale = f0 / fitted.meta["never_compared"] if fitted.meta.get("never_compared") else 1.0
    lo, hi = (float(x) * scale for x in fitted.meta.get("never_compared_between", (f0, f0)))
    return Estimate(point, f0, pd.concat(rows, ignore_index=True), check,
                    (min(lo, f0), max(hi, f0)), blocked_by, _n_found(pr))
