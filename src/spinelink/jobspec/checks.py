"""Cross-references inside a job (its keys are individually valid): the reference and the
links name sources, direct identifiers are declared on both sides, quality subgroups are
columns some source has, the `integrate:` section's sources, variables and code lists.
Every fault is collected; none stops the others being checked."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from spinelink.integrate.spec import check_integrate, check_options
from spinelink.jobspec.analysis import analysis_problems
from spinelink.jobspec.problems import Problem, did_you_mean

if TYPE_CHECKING:
    from spinelink.config import Job

# standardised columns every source has that make sense as subgroups (age_band is derived
# from the date of birth at the job's reference date)
STANDARD_SUBGROUPS = ("age_band", "sex", "dob_year", "postcode_area", "postcode_district",
                      "postcode_sector")


def cross_problems(job: Job, file: str) -> list[Problem]:
    out: list[Problem] = []

    def add(key: str, msg: str) -> None:
        out.append(Problem(file, key, msg))

    names = list(job.sources)
    if job.reference not in job.sources:
        add("reference", _no_reference(job.reference, names))
    for key, msg in _quality_subgroups(job):
        add(key, msg)
    for name, link in job.links.items():
        if name not in job.sources:
            add("links", _no_source(name, names))
            continue
        if name == job.reference:
            add("links", f"links.{name}: the reference is not linked to itself")
            continue
        if job.reference not in job.sources:
            continue
        src, ref = job.sources[name], job.sources[job.reference]
        shared = sorted({f for f in src.columns if f in ref.columns}
                        | {f"identifier {i}" for i in src.identifiers if i in ref.identifiers})
        need = 2 if link.probabilistic is not None else 1
        if len(shared) < need:  # the run would stop after intake and standardisation
            way_out = (f"; or set links.{name}.probabilistic: null to link it "
                       "deterministically only" if need == 2 and shared else "")
            add("links", f"links.{name}: too few fields in common with the reference: "
                f"both map {len(shared)} ({', '.join(shared) or 'none'}), linking needs "
                f"at least {need} (names, date of birth, sex, postcode, address or an "
                f"identifier, under each source's columns or identifiers){way_out}")
        for ident in link.deterministic.direct:
            for side, s in (("source", src), ("reference", ref)):
                if ident not in s.identifiers:
                    add("links", f"links.{name}.deterministic.direct: identifier {ident!r} "
                        f"is not declared in the {side}'s identifiers "
                        f"({sorted(s.identifiers)}){did_you_mean(ident, s.identifiers)}")
    if job.reference in job.sources:
        out += _integrate(job, file)
    from spinelink.catalogue.spec import catalogue_problems

    out += [Problem(file, k, m) for k, m in catalogue_problems(job, Path(file).parent)]
    return out + analysis_problems(job, file, STANDARD_SUBGROUPS)


def name_problems(data: dict, file: str) -> list[Problem]:
    """The reference and the links name sources, checked on the job's data as read: for a
    job with a source or link entry too faulty to build, whose other cross-references
    cannot be trusted, but whose names can."""
    sources, ref, links = data.get("sources"), data.get("reference"), data.get("links")
    if not isinstance(sources, dict):
        return []
    names = [str(n) for n in sources]
    out = []
    if isinstance(ref, str) and ref not in names:
        out.append(Problem(file, "reference", _no_reference(ref, names)))
    for name in links if isinstance(links, dict) else ():
        if str(name) not in names:
            out.append(Problem(file, "links", _no_source(str(name), names)))
    return out


def _no_reference(ref: str, names: list[str]) -> str:
    return (f"reference {ref!r} is not among the sources; expected one of "
            f"{names}{did_you_mean(ref, names)}")


def _no_source(name: str, names: list[str]) -> str:
    return (f"links.{name}: no source of that name; expected one of "
            f"{names}{did_you_mean(name, names)}")


def _quality_subgroups(job: Job) -> list[tuple[str, str]]:
    """Every quality subgroup, and every variable of a cross, must be a column some
    source's standardised table has."""
    declared = [g for s in job.sources.values() for g in s.subgroups]
    known = {*STANDARD_SUBGROUPS, *declared,
             *(f"var_{v}" for s in job.sources.values() for v in s.variables),
             *(v for c in getattr(job, "coding", {}).values() for v in c)}  # coded variables
    usable = sorted(set(declared) | set(STANDARD_SUBGROUPS))
    named = [("quality.subgroups", n) for n in job.quality.subgroups]
    out = [(key, f"{name!r} is not a column of any source; declare it in a source's "
            f"subgroups, or use one of {usable}{did_you_mean(name, known)}")
           for key, name in named if name not in known]
    # a cross breaks the reference down (the quality stage skips any other): only its
    # subgroups, variables and coded variables
    ref = job.sources.get(job.reference)
    if ref is None:
        return out
    on_ref = {*STANDARD_SUBGROUPS, *ref.subgroups, *(f"var_{v}" for v in ref.variables),
              *getattr(job, "coding", {}).get(job.reference, {})}
    crossed = [(f"quality.crosses[{i}]", n) for i, c in enumerate(job.quality.crosses)
               for n in c]
    return out + [(key, f"{name!r} is not a subgroup of the reference {job.reference!r} "
                   "(a cross breaks the reference down); declare it in its subgroups, or use "
                   f"one of {sorted(on_ref)}{did_you_mean(name, on_ref)}")
                  for key, name in crossed if name not in on_ref]


def _integrate(job: Job, file: str) -> list[Problem]:
    data = {"sources": job.sources, "reference": job.reference, "links": job.links,
            "reference_date": job.reference_date, "coding": getattr(job, "coding", {})}
    out = []
    faults = check_integrate(job.integrate, data)
    out += [Problem(file, "integrate", msg) for msgs in faults.values() for msg in msgs]
    coded = {n: v for n, v in job.integrate.items() if v.code_list and n not in faults}
    if coded:
        from spinelink.integrate import codes  # pandas: only when a variable is coded

        for name, var in coded.items():
            try:
                codes.check_variable(name, var, data)
            except ValueError as e:
                out.append(Problem(file, "integrate", str(e)))
    out += [Problem(file, "integrate_options", msg)
            for msg in check_options(job.integrate_options, data)]
    return out
