"""Records a source linked through a shared identifier (`shared:<id>`,
spinelink.shared_identifiers), as the quality stage counts them (`per_source.compute`)."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd

from spinelink.quality import shared


def without_shared(inp):  # per_source.Inputs -> (Inputs, int, set[str])
    """The records linked through a shared identifier (`shared:<id>`,
    spinelink.shared_identifiers) out of the residual, as the cascade's are: their links
    are counted right (unless another record on the unit is a different person), their
    scored pairs are no candidates; how many such records there are; and those of them
    whose linked pair no rule compared (no scored pair, or scored pairs with other
    reference records only: w2_raised 57 and 16): matches the never-compared estimate
    counts among the unseen (capture-recapture cannot know they were found)."""
    m = inp.links["method"].astype(str)
    sh = inp.links.loc[m.str.startswith("shared:"), ["reference_id", "source_id"]].astype(str)
    ids = set(sh["source_id"])
    if not ids:
        return inp, 0, set()
    src = inp.pairs["source_id"].astype(str)
    scored = set(zip(inp.pairs["reference_id"].astype(str), src, strict=True))
    unseen = {s for r, s in zip(sh["reference_id"], sh["source_id"], strict=True)
              if (r, s) not in scored}
    keep = ~src.isin(ids)
    return replace(inp, pairs=inp.pairs[keep].reset_index(drop=True)), len(ids), unseen


def by_identifier(sh: shared.Shared, links: pd.DataFrame) -> shared.Shared:
    """A record linked through a shared identifier (`shared:<id>`) is on its unit because
    its identifier's other records are linked there: the identifier has answered whether
    it is their person, which the shared units' score (personal fields alone) asks again
    (ss_raised: two true such links read as 0.8 and 1.0 expected false links). Its c_i is
    1 in both readings; a copied identifier is the rule's error (benchmarks/RESULTS.md)."""
    if not sh.units:
        return sh
    on = links["method"].astype(str).str.startswith("shared:").to_numpy()
    if not on.any():
        return sh
    c = sh.survive.copy()
    c[on] = 1.0
    c3 = None if sh.survive_three is None else sh.survive_three.copy()
    if c3 is not None:
        c3[on] = 1.0
    return replace(sh, survive=c, expected_false=float((1 - c).sum()), survive_three=c3,
                   expected_false_three=0.0 if c3 is None else float((1 - c3).sum()))
