"""The `analysis:` section of a job file: linkage weights, coverage from both sides,
imputation (the `analysis` stage, spinelink.analysis).

```yaml
analysis:
  weights:
    characteristics: [sex, age_band, region, ethnic_group]  # of the reference unit
    sources: [benefits, survey]          # default: every linked source
  coverage:
    variables: [sex, age_band, ethnic_group]  # profiles and dual-system estimates
    concordance: [ethnic_group]          # reference-by-source tables of shared variables
  imputation:
    employment_status: {method: hot_deck, classes: [sex, age_band]}
    disability: {method: model, predictors: [sex, age_band]}
    ethnic_group: {method: logical, from_source: benefits}
  multiple: 1                            # M > 1: M imputed copies under OUT/imputed/
```

A characteristic or variable is a subgroup variable as in `quality.subgroups` (`sex`,
`age_band`, a source's `subgroups` or `variables`). Imported by spinelink.config; imports
nothing from spinelink but spinelink.jobspec.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from spinelink.jobspec.problems import Problem, did_you_mean


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Weights(_Strict):
    characteristics: list[str] = Field(default_factory=lambda: ["sex", "age_band"])
    sources: list[str] = Field(default_factory=list)  # empty: every linked source
    max_raking_iterations: int = Field(default=100, ge=1, le=10000)


class Coverage(_Strict):
    variables: list[str] = Field(default_factory=lambda: ["sex", "age_band"])
    concordance: list[str] = Field(default_factory=list)


class Impute(_Strict):
    method: Literal["logical", "hot_deck", "model"]
    classes: list[str] = Field(default_factory=list)     # hot_deck: donor classes
    predictors: list[str] = Field(default_factory=list)  # model: characteristics
    from_source: str | None = None     # logical: the value another source recorded
    from_variable: str | None = None   # logical: derived from another integrated variable
    map: dict[str, str] = Field(default_factory=dict)    # ... through this mapping

    def problems(self) -> list[str]:
        """What the method lacks (checked with the rest of the job, all at once)."""
        out = []
        if self.method == "logical" and not (self.from_source or self.from_variable):
            out.append("method logical needs from_source or from_variable")
        if self.from_variable and not self.map:
            out.append("from_variable needs map: {value of that variable: value}")
        if self.method == "model" and not self.predictors:
            out.append("method model needs predictors")
        return out


class Analysis(_Strict):
    enabled: StrictBool = True
    weights: Weights | None = Field(default_factory=Weights)
    coverage: Coverage | None = Field(default_factory=Coverage)
    imputation: dict[str, Impute] = Field(default_factory=dict)
    multiple: int = Field(default=1, ge=1, le=100)


def known_variables(job, standard) -> set[str]:
    """Subgroup variables any source can supply (as quality.subgroups; `standard`: the
    standardised columns every source has, jobspec.checks.STANDARD_SUBGROUPS)."""
    return {*standard, *(g for s in job.sources.values() for g in s.subgroups),
            *(v for s in job.sources.values() for v in s.variables),
            *(v for c in getattr(job, "coding", {}).values() for v in c)}


def analysis_problems(job, file: str, standard=()) -> list[Problem]:
    """Names in `analysis:` that no source, link or integrated variable has."""
    a = getattr(job, "analysis", None)
    if a is None:
        return []
    out: list[Problem] = []
    known = known_variables(job, standard)

    def check(key: str, names, pool, what: str) -> None:
        for n in names:
            if n not in pool:
                out.append(Problem(file, key, f"{n!r} is not {what}; expected one of "
                                   f"{sorted(pool)}{did_you_mean(n, pool)}"))

    if a.weights is not None:
        check("analysis.weights.characteristics", a.weights.characteristics, known,
              "a subgroup variable of any source")
        check("analysis.weights.sources", a.weights.sources, set(job.links), "a linked source")
    if a.coverage is not None:
        check("analysis.coverage.variables", a.coverage.variables, known,
              "a subgroup variable of any source")
        check("analysis.coverage.concordance", a.coverage.concordance,
              {v for s in job.sources.values() for v in s.variables},
              "a variable (sources' `variables`)")
    check("analysis.imputation", list(a.imputation), set(job.integrate),
          "an integrated variable (integrate:)")
    for v, imp in a.imputation.items():
        key = f"analysis.imputation.{v}"
        out += [Problem(file, key, msg) for msg in imp.problems()]
        check(key, [*imp.classes, *imp.predictors], known, "a subgroup variable")
        if imp.from_source:
            check(key, [imp.from_source], set(job.links), "a linked source")
        if imp.from_variable:
            check(key, [imp.from_variable], set(job.integrate), "an integrated variable")
    return out
