"""The job file's `links:` and `quality:` sections: how a source is linked (the
deterministic cascade, the probabilistic model and its thresholds, relatives held) and how
the linkage error is estimated and published (subgroups, disclosure control, age bands, the
bootstrap). Re-exported by `spinelink.config`."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool, field_validator, model_validator

from spinelink.jobspec.run_settings import Strict as _Strict


class Deterministic(_Strict):
    direct: list[str] = Field(default_factory=list)
    match_keys: str | None = "default"


class Probabilistic(_Strict):
    """`accept` / `review`: match-probability thresholds, or `auto` (the default): chosen
    per run from the estimated precision of the links (spinelink.thresholds)."""
    model: str = "auto"
    accept: float | Literal["auto"] = "auto"
    review: float | Literal["auto"] = "auto"
    # accept: auto takes the lowest threshold whose accepted links reach this precision
    target_precision: float = Field(default=0.995, ge=0.5, lt=1)
    # review: auto keeps the band while at least this share of it is expected to match,
    # and to at most review_capacity source records when set
    review_yield: float = Field(default=0.2, gt=0, le=1)
    review_capacity: int | None = Field(default=None, ge=0)
    max_pairs_u: float = Field(default=1e6, gt=0)
    # weigh pairs at one address with co-resident u-probabilities (spinelink.household):
    # fewer links to relatives on household-heavy sources, at some cost in recall
    household: StrictBool = False
    # review: a link on which no personal field agrees (first name missing or different,
    # date of birth, middle name and identifiers missing or different: only what a
    # household shares agrees) is never accepted, a clerk sees it (spinelink.evidence.
    # household_only); accept: such links are accepted by their probability
    household_only: Literal["accept", "review"] = "accept"

    @field_validator("accept", "review", mode="before")
    @classmethod
    def _threshold(cls, v):
        if v == "auto":
            return v
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 < v <= 1:
            raise ValueError("expected 'auto' or a match probability greater than 0 and "
                             "less than or equal to 1")
        return float(v)

    @model_validator(mode="after")
    def _bands(self) -> Probabilistic:
        if isinstance(self.review, float) and isinstance(self.accept, float) \
                and self.review > self.accept:
            raise ValueError("review must be at most accept")
        return self


class Link(_Strict):
    deterministic: Deterministic = Field(default_factory=Deterministic)
    probabilistic: Probabilistic | None = Field(default_factory=Probabilistic)
    one_to_one: StrictBool = False
    # without one_to_one: hold for review a link whose first name is no form of its unit's
    # while another record on the unit carries one (spinelink.relatives)
    hold_relatives: StrictBool = True


class Quality(_Strict):
    """The `quality:` section: subgroups to break estimates down by, optional labels,
    disclosure control (`min_cell`, `rounding`, `zeros`) and age bands (lower bounds, in years,
    at the job's reference_date)."""
    subgroups: list[str] = Field(default_factory=list)  # empty: reference's + sex, age_band
    # intersectional tables: each a list of reference-side subgroups, crossed
    crosses: list[list[str]] = Field(default_factory=list)
    labels: str | None = None  # CSV/Parquet: reference_id, source, source_id, is_match
    min_cell: int = Field(default=10, ge=1)
    rounding: int | None = Field(default=None, ge=2)
    # zeros: group (a zero linked or not-linked count of a non-empty group is suppressed:
    # it tells that everybody, or nobody, in the group is in the source) or publish
    zeros: Literal["group", "publish"] = "group"
    # dominance rules (p% and (n, k)) apply to magnitude tables; the run publishes counts
    # of units only, so these keys are refused rather than ignored
    p_percent: float | None = None
    nk: list[float] | None = None
    age_bands: list[int] = Field(default_factory=lambda: [0, 18, 30, 50, 65])
    bootstrap: int = Field(default=200, ge=20, le=5000)
    # posteriors of the estimates: the probabilistic stage's record-level probabilities
    # (model), or those calibrated on the leave-partner-out null sample (null; kept as a
    # check either way)
    calibration: Literal["model", "null"] = "model"
    # an incremental run carries the label-free estimate's whole-state fits from the run
    # that made them while its residual records and links are within this share of that
    # run's (quality.fitcarry); 0: refit every run
    carry_within: float = Field(default=0.25, ge=0.0, le=1.0)
    enabled: StrictBool = True  # false: skip error estimation (e.g. when timing linkage alone)

    @field_validator("age_bands")
    @classmethod
    def _increasing(cls, v: list[int]) -> list[int]:
        if not v or v[0] < 0 or any(b <= a for a, b in zip(v, v[1:], strict=False)):
            raise ValueError("a non-empty list of increasing ages, the first at least 0")
        return v

    @field_validator("p_percent", "nk")
    @classmethod
    def _no_magnitudes(cls, v):
        if v is not None:
            raise ValueError("a dominance rule applies to magnitude tables (sums of a "
                             "quantity over units); this run publishes counts of units "
                             "only, so it would change nothing: remove the key")
        return v

    @field_validator("subgroups")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        for k in v:
            if not k.strip() or k == "all":
                raise ValueError("a subgroup must be a non-empty column name other than 'all'")
        return v

    @field_validator("crosses")
    @classmethod
    def _crosses(cls, v: list[list[str]]) -> list[list[str]]:
        for cross in v:
            if len(cross) < 2 or len(set(cross)) != len(cross):
                raise ValueError(f"{cross}: a cross is two or more different subgroups")
            cls._names(cross)
        return v
