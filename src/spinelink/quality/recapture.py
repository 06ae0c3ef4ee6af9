"""Matches no blocking rule compared, estimated from the data (capture-recapture over the
fields the prediction blocking rules read).

A residual source record's true match is compared only when some prediction rule catches
the pair: every column equality of the rule holds (both sides present and equal) and, for
a capped rule, the key's block is small enough (known from the source record alone: the
match has the same key). Each rule is split into *atoms* (column equalities; a capped key
into its columns) and the atoms into *field groups* (first and last name, with the rule
that swaps them; date of birth; postcode; address...; `nullcal.FIELD_COLUMNS`). As in
Fellegi-Sunter (and the log-linear capture-recapture of Dasylva and Goussanou on blocking
rules), field groups are taken to agree or not independently among matches; the atoms of
one group keep their joint pattern (a first name that agrees phonetically mostly agrees on
its initial too).

A group's pattern among matches is seen without the blocking's selection on those matches
that a rule *not reading that group* caught: the likely matches (weighted by their
posterior) are its donors, restricted to source records that carry the same columns of the
group. For each source-record profile (which atoms it can agree on, which capped keys are
small enough) the chance that a match is caught is then the sum, over the groups' patterns,
of their probabilities where some rule fires. A caught match of catch-chance `P` stands for
`(1 - P) / P` matches of its profile nobody compared (Horvitz-Thompson), placed in the
subgroups of the caught matches. Residual records for which no rule can fire (the columns
every rule needs are missing) add the residual's estimated share of linkable records.
The deterministic match keys that linked count as rules too: the residual is what they
left, so a name that agrees there tells of a date of birth that does not; over all matches
(the key links with weight 1) the groups can be independent. A source record's profile
includes whether its capped keys are small enough, which also says whether its key occurs
in the reference at all (a typo), so donors are taken from the same profile when there
are enough (`recapture_profiles`, which makes each profile's pattern tables). Subgroups
(`recapture_strata.Strata`): within each value of a subgroup variable with at least
MIN_STRATUM caught matches the patterns are learnt again (a region's poor delivery fails
blocking for reasons of its own) when that value's own
matches teach every field group they carry (`recapture_strata.taught`); the other values keep
their share of the overall estimate, and the overall figure is that of the least pooled
variable when it finds more. Bootstrap replicates reweight the source records
(Poisson(1)), which refits the donor patterns; the outcome is then drawn from Poisson
(`labelfree`). The
independence of field groups is an assumption: where records wrong in one field are wrong
in others too (noise that clusters in some records), the estimate is low. Matches a rule
caught but the model scored below the pair floor are not in the pairs file and not in
this estimate.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from spinelink.quality import recapture_fallback as fallback
from spinelink.quality import recapture_profiles as profiles
from spinelink.quality import recapture_tensor
from spinelink.quality.recapture_compact import compact, missed_only, with_margins
from spinelink.quality.recapture_design import Design, fires
from spinelink.quality.recapture_profiles import profile
from spinelink.quality.recapture_runs import slot_rows
from spinelink.quality.stats import summing, unique_rows

P_FLOOR = 0.05     # catch-chance floor (a caught match stands for at most 19 missed)


@dataclass
class Captures:
    """Per candidate pair, then per deterministic link made by a match key (`n_det` last
    rows): the atoms that hold (`agree`), the atoms whose source column is present
    (`avail`), the capped keys small enough on the source side (`caps`); residual records
    for which no rule can fire (`n_none`) and for which one can (`n_some`). The match-key
    rows may each stand for several links alike in everything the estimators read
    (`recapture_rows.collapse`): `det_n` per row the links it stands for (None: one
    each), `det_row` per link its row."""
    design: Design
    agree: np.ndarray
    avail: np.ndarray
    caps: np.ndarray
    n_none: int = 0
    n_some: int = 0
    n_det: int = 0
    det_n: np.ndarray | None = None
    det_row: np.ndarray | None = None

    @property
    def det_weight(self) -> np.ndarray:
        """Per match-key row: the links it stands for (the weight of a caught match)."""
        return np.ones(self.n_det) if self.det_n is None else self.det_n

    @property
    def n_links(self) -> int:
        """The match-key links the rows stand for (a replicate draws a weight for each)."""
        return self.n_det if self.det_row is None else len(self.det_row)

    def det_factor(self, draws: np.ndarray) -> np.ndarray:
        """Per-link replicate weights (`n_links`) as factors of the rows' weights: a row's
        weight in the replicate is its links' summed draws."""
        if self.det_row is None:
            return np.asarray(draws, float)
        return np.bincount(self.det_row, weights=draws, minlength=self.n_det) / self.det_n

    @cached_property
    def fires(self) -> np.ndarray:
        """(candidates, rules): the rule caught the pair."""
        return fires(self.design, self.agree, self.caps)

    @cached_property
    def profiles(self) -> tuple[np.ndarray, np.ndarray]:
        """Distinct (avail, caps) source profiles and each candidate's profile index."""
        key = np.stack([self.avail, self.caps], axis=1)
        uniq, _, inv = unique_rows(key)
        return uniq, inv

    @cached_property
    def donors(self) -> list[np.ndarray]:
        """Per field group: candidates some rule not reading the group caught."""
        d = self.design
        out = []
        for g in d.groups:
            other = np.array([(m & g) == 0 for m in d.rule_atoms], bool)
            out.append(self.fires[:, other].any(axis=1) if other.any()
                       else np.zeros(len(self.agree), bool))
        return out


def _per_row(q: np.ndarray, alone: bool = True) -> np.ndarray:
    """`q`'s rows over their sums (at least 1e-12). `alone`: each row's sum is the one
    `q[r].sum()` gives (a C-ordered array's sums along its rows are; another layout's,
    from 8 columns, may differ in the last bit: it is made C-ordered first); else
    `q.sum(axis=1)` in `q`'s own layout."""
    q = np.ascontiguousarray(q) if alone else q
    return q / np.maximum(q.sum(axis=1, keepdims=True), 1e-12)


class Estimator:
    """The never-compared matches per caught candidate, for the point estimate and for
    bootstrap replicates (the pattern tables are built once). Matches caught: the
    candidates (weighted by their posteriors) and the match-key links (weight 1)."""

    def __init__(self, cap: Captures, post: np.ndarray, first: np.ndarray):
        self.cap = cap
        self.n_cand = len(post)
        self.post = np.array(post, float)
        self.w = np.r_[np.where(first, self.post, 0.0), cap.det_weight]
        uniq, self.inv = cap.profiles
        # profiles whose captures say nothing of their own misses (`recapture_fallback`)
        self.unc_prof = fallback.uncovered(cap.design, uniq[:, 0], uniq[:, 1])
        self.unc = self.unc_prof[self.inv[:self.n_cand]]
        # rules Chao1 counts; -1: caught by uncounted rules alone (`recapture_fallback`)
        fired = cap.fires[:self.n_cand]
        self.n_fire = fired[:, cap.design.counted()].sum(axis=1)
        self.n_fire[(self.n_fire == 0) & fired.any(axis=1)] = -1
        memo: dict = {}
        self.tables = [profile(cap, int(a), int(c), self.w, memo) for a, c in uniq]
        # every distinct donor set once in one array, each a run of pattern slots: one
        # bincount per replicate weighs every group's patterns (`slots`: each table's runs,
        # `spans`: where its donors are)
        dons, slots, self.slots, self.spans = [], [], [], []
        seen: dict[int, tuple] = {}  # id of a pattern index (memo holds them all) -> runs
        n = at = 0
        for t in self.tables:
            runs, spans = [], []
            for don, idx in zip(t.donors, t.index, strict=True):
                if t.no_fire is None or not len(don):
                    runs.append(None)
                    spans.append(None)
                    continue
                if id(idx) not in seen:  # a donor set with the patterns of one signature
                    k = int(idx.max()) + 1
                    dons.append(don)
                    slots.append(idx + n)
                    seen[id(idx)] = ((n, n + k), (at, at + len(don)))
                    n, at = n + k, at + len(don)
                runs.append(seen[id(idx)][0])
                spans.append(seen[id(idx)][1])
            self.slots.append(runs)
            self.spans.append(spans)
            t.donors, t.index = [], []  # held once, in the flat arrays
        self.flat_don = np.concatenate(dons) if dons else np.zeros(0, int)
        self.flat_slot = np.concatenate(slots) if slots else np.zeros(0, int)
        self.n_slots = n
        # each slot's run (one group's patterns for one donor set; the last slot alone)
        # and the run's length: the patterns' probabilities normalised in one pass
        bounds = sorted({r for r, _ in seen.values()}) + [(n, n + 1)]
        sizes = np.array([b - a for a, b in bounds], int)
        self.run_id = np.repeat(np.arange(len(bounds)), sizes)
        self.run_len = sizes[self.run_id].astype(float)
        self.batches = self._batches()
        for t in self.tables:  # held once, stacked in the batches
            t.no_fire = None
        # what the copies `with_post` makes share (recapture_compact); the donors weighed
        # at construction (`_slot_weights`' classes, whichever copy asks first)
        self.shared: dict = {"built_on": self.w > 0}
        # the products run on the compact tensors (`recapture_compact`): the whole ones
        # let go (81.7M entries at 200,000 records, per subgroup value's estimator too)
        if not profiles.KEEP_WHOLE and compact(self) is not None:
            self.batches = [(idx, None, slots) for idx, _, slots in self.batches]

    def _batches(self) -> list[tuple[np.ndarray, np.ndarray, list[np.ndarray]]]:
        """The tables by the shape of their tensor (one product and one sum per shape):
        their positions, their tensors stacked and per group each table's pattern slots
        (slot `n_slots` holds 1: a group nobody teaches has one pattern, certain)."""
        by: dict[tuple, list[int]] = {}
        maps: dict[tuple, list[np.ndarray]] = {}
        for i, t in enumerate(self.tables):
            if t.no_fire is not None:
                m = t.maps or [np.arange(n) for n in t.no_fire.shape]
                key = (tuple(len(x) for x in m), t.no_fire.shape,
                       b"".join(x.tobytes() for x in m))
                by.setdefault(key, []).append(i)
                maps.setdefault(key, m)
        out, self.batch_maps = [], []
        for key, idx in by.items():
            slots = [slot_rows([self.slots[i][g] for i in idx], self.n_slots)
                     for g in range(len(key[0]))]
            made = recapture_tensor.stacked([self.tables[i].no_fire for i in idx])
            out.append((np.array(idx), made, slots))
            self.batch_maps.append(maps[key])
        return out

    def with_post(self, post: np.ndarray, first: np.ndarray) -> Estimator:
        """The same pattern tables with other posteriors (a calibration replicate)."""
        other = copy.copy(self)
        other.post = np.array(post, float)
        other.w = np.r_[np.where(first, other.post, 0.0), self.cap.det_weight]
        return other

    def _slot_weights(self, w: np.ndarray) -> np.ndarray:
        """Per pattern slot, the weight of its donors. Donors alike in everything that
        puts a record in a donor set and a slot (its atoms, columns, capped keys, the
        groups it teaches, a weight above zero at construction) are one class: their
        weights are summed first (one pass over the records), then each class's sum goes
        to its slots (a pass over every donor's slots was most of a bootstrap
        replicate's time at 1M records)."""
        if "classes" not in self.shared:
            cap = self.cap
            bits = np.zeros(len(self.w), np.int64)
            for gi, don in enumerate(cap.donors):
                bits |= don.astype(np.int64) << gi
            bits |= self.shared["built_on"].astype(np.int64) << len(cap.donors)
            key = np.stack([cap.agree, cap.avail, cap.caps, bits], axis=1).astype(np.int64)
            _, first, cls = unique_rows(key)
            rep = np.zeros(len(self.w), bool)
            rep[first] = True
            at = rep[self.flat_don]
            self.shared["classes"] = (cls, len(first), self.flat_slot[at],
                                      cls[self.flat_don[at]])
            # the classes' sums to their slots (`stats.summing`: the same sums, no copy)
            self.shared["to_slot"] = summing(self.shared["classes"][2], self.n_slots,
                                             self.shared["classes"][3], len(first))
        cls, n_cls, _, _ = self.shared["classes"]
        return self.shared["to_slot"] @ np.bincount(cls, weights=w, minlength=n_cls)

    def catch_chance(self, w: np.ndarray, margins: bool = True) -> tuple[np.ndarray, list]:
        """Per source profile: the chance a match is caught, with candidate weights w, and
        (`margins`) per batch of tables (`batches`) their positions, the chance a match is
        missed, and per group the patterns' probabilities among all matches and their
        shares among the missed."""
        out = np.ones(len(self.tables))
        weighed = np.r_[self._slot_weights(w), 1.0]
        tot = np.bincount(self.run_id, weights=weighed)[self.run_id]
        weighed = np.where(tot > 0, weighed / np.where(tot > 0, tot, 1.0), 1.0 / self.run_len)
        # on the compact tensors (`recapture_compact`); else (no table, or the tests'
        # `KEEP_WHOLE`) on each table's whole tensor
        got = missed_only(self, weighed) if not margins else with_margins(self, weighed)
        if got is None:
            got = recapture_tensor.whole_chance(self.batches, weighed, margins)
        out[got[0]] = 1.0 - got[1]
        return np.clip(out, P_FLOOR, 1.0), got[2] if margins else []

    def _placed(self, w: np.ndarray, how: list, mass: np.ndarray) -> np.ndarray | None:
        """Where each profile's missed matches are (per candidate), from the patterns that
        make a match missed: a group whose patterns among the missed differ from those
        among all matches (total variation) places its share of the profile's missed
        matches on the candidates that taught it those patterns, in proportion to how
        much likelier their pattern is among the missed. None: no group tells."""
        n = self.n_cand
        # per pattern slot: the weight of the candidates that taught it, then what each
        # profile and group puts on one unit of such weight; one pass over the donors
        flat_c = self.flat_don < n
        taught = np.bincount(self.flat_slot[flat_c], weights=w[self.flat_don[flat_c]],
                             minlength=self.n_slots)
        at, put = [], []  # per profile and group that tells: its slots, what goes on them
        for idx, miss, probs, missed in how:
            # a batch's patterns among the missed, normalised per table (`_per_row`: each
            # row's sum that of the row alone, as table by table)
            qs = [_per_row(q) for q in missed]
            lam = np.stack([0.5 * np.abs((q if m.flags.c_contiguous else _per_row(m, False))
                                         - p).sum(axis=1)
                            for p, q, m in zip(probs, qs, missed, strict=True)], axis=1)
            total = lam.sum(axis=1)  # (the same sum for each group: once)
            ratios = [q / np.maximum(p, 1e-12) for p, q in zip(probs, qs, strict=True)]
            for r in np.flatnonzero((miss > 0) & (mass[idx] > 0) & (total > 1e-9)):
                i = idx[r]
                for g, run in enumerate(self.slots[i]):
                    if run is None or lam[r, g] <= 0:  # nobody taught the group
                        continue
                    ratio = ratios[g][r]
                    z = float(ratio @ taught[run[0]:run[1]])
                    if z > 0:
                        at.append(run)
                        put.append(mass[i] * lam[r, g] / total[r] * ratio / z)
        # the profiles' shares summed per slot in the order above (`bincount` adds its
        # weights in input order, as `+=` profile by profile did)
        coef = np.bincount(np.concatenate([np.arange(a, b) for a, b in at]).astype(np.intp),
                           weights=np.concatenate(put), minlength=self.n_slots) if at else \
            np.zeros(self.n_slots)
        don = self.flat_don[flat_c]
        out = np.bincount(don, weights=w[don] * coef[self.flat_slot[flat_c]], minlength=n)
        return out if out.sum() > 0 else None

    def _weights(self, rec_wt, rec, det_wt) -> np.ndarray:
        n = self.n_cand
        w = self.w.copy()
        if rec_wt is not None:
            w[:n] *= rec_wt[rec]
        if det_wt is not None:
            w[n:] *= det_wt
        return w

    def _mass(self, w: np.ndarray, chance: np.ndarray, at: float = 0.5) -> tuple:
        """Per caught match the never-compared it stands for (u; between Horvitz-Thompson
        and Chao1 where the captures say nothing, `at`: `recapture_fallback`), the caught
        candidates, the residual records no rule can catch (extra), and the total."""
        p = chance[self.inv]
        u = fallback.apply(w * (1 - p) / p, w, self.post, self.unc, self.n_fire, at)
        found = float(w[:self.n_cand].sum())
        extra = self.cap.n_none * min(1.0, (found + u.sum()) / max(self.cap.n_some, 1))
        return u, found, extra, float(u.sum()) + extra

    def stands_for(self) -> np.ndarray:
        """Per caught match (candidates, then match-key links): the never-compared
        matches it stands for at the point estimate's weights (Horvitz-Thompson)."""
        got = self.shared.setdefault("stands_for", {}).get(id(self.w))
        if got is None or got[0] is not self.w:
            got = self._stood(self._mass(self.w, self.catch_chance(self.w)[0])[0])
        return got[1]

    def _stood(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Keeps `stands_for` for this copy's weights, each copy its own (one slot for all
        let the null check's copy evict the point estimate's, which then took 3 s again
        at a million records)."""
        got = self.shared.setdefault("stands_for", {})[id(self.w)] = (self.w, u)
        return got

    def unseen(self, rec_wt: np.ndarray | None = None, rec: np.ndarray | None = None,
               det_wt: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        """Expected matches never compared, and each candidate's share of them (where they
        are thought to be). `rec_wt` (per source record, `rec` per candidate), `det_wt`
        (per match-key link): a bootstrap replicate's weights."""
        n = self.n_cand
        w = self._weights(rec_wt, rec, det_wt)
        chance, how = self.catch_chance(w)
        u, found, extra, total = self._mass(w, chance, fallback.between(rec_wt))
        if rec_wt is None and det_wt is None:  # the point estimate's (`stands_for`)
            self._stood(u)
        if total <= 0 or n == 0:
            return 0.0, np.zeros(n)
        own = np.where(self.unc, u[:n], 0.0)  # stays on the uncovered records' own
        placed = self._placed(w, how, np.bincount(self.inv, weights=np.r_[u[:n] - own, u[n:]],
                                                  minlength=len(self.tables)))
        if placed is None:  # like the caught matches of their profile
            uc = u[:n] - own
            placed = uc + (u[n:].sum() * uc / uc.sum() if uc.sum() > 0 else 0.0)
        placed = placed + own
        share = placed + (extra * w[:n] / found if found > 0 else 0.0)
        return total, share / max(share.sum(), 1e-12)

    def total(self, rec_wt: np.ndarray | None = None, rec: np.ndarray | None = None,
              det_wt: np.ndarray | None = None) -> float:
        """The matches `unseen` places, without working out where (a subgroup value fitted
        on its own needs its total alone)."""
        n = self.n_cand
        w = self._weights(rec_wt, rec, det_wt)
        u, found, extra, total = self._mass(w, self.catch_chance(w, margins=False)[0],
                                            fallback.between(rec_wt))
        if total <= 0 or n == 0:
            return 0.0
        if total >= 1e-6 and (u[:n].sum() > 0 or (found > 0 and extra > 0)):
            return total  # some share to place it on: all of it is placed
        t, sh = self.unseen(rec_wt, rec, det_wt)
        return t * float(sh.sum())
