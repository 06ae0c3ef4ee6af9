"""The analysis stage (after quality, before the report): linkage weights, coverage from
both sides, dual-system estimates, imputation (job section `analysis:`).

Writes (atomically):
- `weights/<source>.parquet`: reference_id, linked, p_link, weight (NaN when not linked);
- `integrated.parquet` again, with `<source>__weight` per weighted source and the imputed
  values (status `imputed:<method>`, hot-deck donors in `<var>__donor`);
  `imputed/<m>.parquet` for `multiple: M > 1`;
- `audit.parquet` again, with one `impute` row per imputed cell (its donor or source);
- `tables/analysis_*.csv` / `.parquet`: the published tables (spinelink.analysis.tables),
  protected together with the quality stage's (spinelink.quality.protect); their exact
  copies under `disclosure/` are internal, for operators only.
"""
from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pandas as pd

from spinelink import atomic
from spinelink.analysis import (
    both_sides,
    dual_system,
    imputation,
    residues,
    tables,
    three_lists,
    weights,
)
from spinelink.quality import groups
from spinelink.sqlfiles import quote_ident, sql_file

log = logging.getLogger("spinelink.analysis")
PREFIX = "analysis_"  # the names of this stage's published tables


class Groups:
    """Subgroup values (`unknown` where missing) of the records of the standardised tables,
    by the job's names: `sex`, `age_band`, a column, or a source variable (`var_<name>`)."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.ref_date = _reference_date(ctx)
        self.cache: dict[tuple[str, str], pd.Series] = {}

    def table(self, source: str, names: list[str]) -> pd.DataFrame:
        eng, out = self.ctx.engine, self.ctx.out
        view = f"__sl_an_std_{source}"
        eng.view_parquet(view, out / "standardised" / f"{source}.parquet")
        cols = eng.columns(view)
        wanted = {}
        for n in dict.fromkeys(names):
            if n == groups.AGE_BAND:
                if "dob" in cols:
                    wanted[n] = n
            elif n in cols:
                wanted[n] = n
            elif f"var_{n}" in cols:
                wanted[f"var_{n}"] = n
        bands = self.ctx.lj.job.quality.age_bands
        df = groups.group_values(eng, view, list(wanted), bands, self.ref_date)
        df = df.rename(columns=wanted)
        for name in df.columns:
            df[name] = self._to_target(source, name, df[name])
        return df

    def _to_target(self, source: str, name: str, values: pd.Series) -> pd.Series:
        """A coded integrated variable's values in its target code list, as integration
        maps them (so that the sides compare); other values as they are."""
        job = self.ctx.lj.job
        var = job.integrate.get(name)
        if var is None or not var.code_list:
            return values
        from spinelink.integrate.codes import plan_for
        from spinelink.integrate.spec import period_of

        try:
            _, table = plan_for(var.code_list, period_of(job, source),
                                var.source_code_lists.get(source))
        except ValueError:
            return values
        codes = dict(zip(table["code"], table["value"], strict=True))
        return values.map(lambda v: codes.get(v, v))


def _reference_date(ctx) -> dt.date:
    from spinelink.quality.stage import _reference_date as ref_date

    return ref_date(ctx)


def run_stage(ctx) -> dict:
    job, out = ctx.lj.job, Path(ctx.out)
    a = job.analysis
    if a is None or not a.enabled or not job.links:
        return {}
    g = Groups(ctx)
    names = [*(a.weights.characteristics if a.weights else []),
             *(a.coverage.variables if a.coverage else []),
             *(a.coverage.concordance if a.coverage else []),
             *(n for imp in a.imputation.values() for n in [*imp.classes, *imp.predictors]),
             *(["sex", groups.AGE_BAND] if a.imputation else [])]
    ref = g.table(job.reference, names)
    links = {s: pd.read_parquet(out / "links" / f"{s}.parquet").astype(
        {"reference_id": str, "source_id": str}) for s in job.links}
    summary: dict = {}
    extra = pd.DataFrame(index=pd.Index(ref.index, name="reference_id"))
    if a.weights is not None:
        summary["weights"] = _weights(out, a.weights, ref, links, job.links, extra)
    raw: dict[str, pd.DataFrame] = {}
    if a.coverage is not None:
        summary["coverage"] = _coverage(ctx, g, a.coverage, ref, links, raw)
    if a.weights is not None:
        raw["weighted_margins"] = _weighted_margins(out, ref, a.weights, links, extra)
    if a.imputation:
        summary["imputation"], audit = imputation.run(
            ctx, a, ref, extra, lambda s, var: _source_values(out, g, s, var))
        raw["imputation"] = tables.imputation_table(summary["imputation"]["variables"])
        _audit_imputed(ctx, audit)
    _rewrite_integrated(ctx, extra)
    pub = publish(out, job, raw)
    summary["tables"] = {k: {"rows": int(len(v)), "suppressed": int(v["suppressed"].sum())}
                         for k, v in pub.items()}
    log.info("analysis: %s", ", ".join(f"{k} {v['rows']} rows ({v['suppressed']} suppressed)"
                                       for k, v in summary["tables"].items()))
    return summary


def _weights(out: Path, spec, ref: pd.DataFrame, links: dict, link_specs: dict,
             extra: pd.DataFrame) -> dict:
    chars = [c for c in spec.characteristics if c in ref.columns]
    missing = [c for c in spec.characteristics if c not in ref.columns]
    if missing:
        log.warning("analysis: weights: %s not on the reference; left out", missing)
    res = {}
    for s in spec.sources or list(link_specs):
        linked = ref.index.isin(pd.Index(links[s]["reference_id"].unique()))
        table, info = weights.linkage_weights(ref[chars], linked, spec.max_raking_iterations)
        _write_parquet(out / "weights" / f"{s}.parquet", table)
        extra[f"{s}__weight"] = table["weight"].to_numpy()
        res[s] = {**info, "left_out": missing, "file": f"weights/{s}.parquet"}
    return res


def _weighted_margins(out: Path, ref: pd.DataFrame, spec, links: dict,
                      extra: pd.DataFrame) -> pd.DataFrame:
    """Per weighted source and characteristic: reference units, linked units and the
    linked units' weights summed (equal to the reference count once raked), and
    `_n_outside`: the category's units left out of the raking because another of their
    characteristics is a category the source links nobody in (`weights.outside_margins`).
    Where that is not 0 the weighted sum falls short of the reference count by exactly
    those units, a cross-classified count that the published table must not give away
    (see `tables.describe`)."""
    rows = []
    chars = [c for c in spec.characteristics if c in ref.columns]
    for s in spec.sources or list(links):
        w = extra[f"{s}__weight"]
        outside = weights.outside_margins(ref[chars], w.notna().to_numpy())
        for var in chars:
            df = pd.DataFrame({"value": ref[var].to_numpy(), "w": w.to_numpy(),
                               "out": outside})
            for v, part in df.groupby("value", sort=False):
                rows.append({"source": s, "variable": var, "value": v,
                             "n_reference": int(len(part)),
                             "n_linked": int(part["w"].notna().sum()),
                             "weighted_linked": round(float(part["w"].sum()), 2),
                             "_n_outside": int(part["out"].sum())})
    return pd.DataFrame(rows, columns=["source", "variable", "value", "n_reference",
                                       "n_linked", "weighted_linked", "_n_outside"])


def _coverage(ctx, g: Groups, spec, ref: pd.DataFrame, links: dict, raw: dict) -> dict:
    job, out = ctx.lj.job, Path(ctx.out)
    quality = _quality_rows(out)
    ref_one, one = _one_unit_per_person(out, ref)
    prof, dual, cells, allocated, conc = [], [], [], [], []
    persons_of, mapped = {}, {}
    for s in job.links:
        carried = [*spec.variables, *job.sources[s].subgroups, *job.sources[s].variables]
        src = g.table(s, carried)
        prof.append(both_sides.profile(src, links[s]).assign(source=s))
        lk = links[s].assign(reference_id=links[s]["reference_id"].map(one))
        persons = src[~src.index.isin(residues.source_repeats(ctx, s, links[s]))]
        persons_of[s], mapped[s] = persons, lk
        dual.append(both_sides.dual_counts(ref_one, persons, lk, spec.variables).assign(
            source=s))
        strata, alloc = both_sides.post_strata(ref_one, persons, lk, spec.variables)
        cells.append(strata.assign(source=s))
        allocated.append(alloc.assign(source=s))
        pairs = _chosen_pairs(out, s)
        for var in spec.concordance:
            if var in ref.columns and var in src.columns:
                conc.append(both_sides.concordance(ref[var], src[var], pairs, var).assign(
                    source=s))
    raw["coverage_profile"] = _front(pd.concat(prof, ignore_index=True))
    counts = _front(pd.concat(dual, ignore_index=True))
    est = dual_system.estimates(counts, quality, pd.concat(cells, ignore_index=True),
                                pd.concat(allocated, ignore_index=True))
    raw["dual_system"] = three_lists.widen(
        est, _three_lists(ctx, ref_one, links, mapped, persons_of, spec.variables, quality))
    if conc:
        raw["concordance"] = _front(pd.concat(conc, ignore_index=True))
    no_links = est[est["estimate_status"] == dual_system.NO_LINKS]
    return {"variables": list(spec.variables), "concordance": list(spec.concordance),
            "quality_used": quality is not None,
            # subgroups the source links nobody in: no dual-system estimate
            "not_estimated": {s: int((no_links["source"] == s).sum()) for s in job.links},
            "how": dual_system.__doc__.split("\n\n")[0].replace("\n", " ")}


def _three_lists(ctx, ref: pd.DataFrame, links: dict, mapped: dict, persons: dict,
                 variables: list[str], quality: pd.DataFrame | None) -> pd.DataFrame | None:
    """Per source A and subgroup, the three-list estimate with the reference and the
    other source B that gives the narrowest interval (`three_lists`), its counts
    adjusted for both sources' estimated link errors; None with one source."""
    cols = ["est_precision", "est_recall"]

    def errors(s: str, var: str, value) -> tuple[float, float]:
        got = dual_system._quality_for(quality, s, var, value, cols)
        return float(got[0]), float(got[1])

    unlinked = {s: p.index[~p.index.isin(pd.Index(links[s]["source_id"]))]
                for s, p in persons.items()}
    pairs: dict = {}  # one match of the residues per pair of sources, read both ways
    rows = []
    for a in mapped:
        for b in mapped:
            if b == a:
                continue
            if (b, a) in pairs:
                pairs[(a, b)] = pairs[(b, a)].rename(columns={"a_id": "b_id", "b_id": "a_id"})
            else:
                pairs[(a, b)] = residues.residue_matches(ctx, a, links[a], b, links[b])
            un_a = unlinked[a]
            matched = un_a[un_a.isin(pd.Index(pairs[(a, b)]["a_id"].astype(str)))]
            c = three_lists.counts(ref, mapped[a], mapped[b], persons[a], un_a, matched,
                                   persons[b], unlinked[b], variables)
            rows.append(three_lists.estimates(
                c, lambda var, v, a=a, b=b: (errors(a, var, v), errors(b, var, v))
            ).assign(source=a))
    if not rows:
        return None
    t = pd.concat(rows, ignore_index=True)
    t["_w"] = t["est_population_three_lists_high"] - t["est_population_three_lists_low"]
    t = t.sort_values("_w", kind="stable").drop_duplicates(["source", "variable", "value"])
    return t.drop(columns="_w")


def _one_unit_per_person(out: Path, ref: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The reference without its probable duplicates (integration's `duplicate_of`), and
    each unit's id -> the id of the unit that stands for its person: a person the
    reference holds twice is counted once by the dual-system estimates."""
    it = pd.read_parquet(out / "integrated.parquet", columns=["reference_id", "duplicate_of"])
    ids = it["reference_id"].astype(str)
    keep = it["duplicate_of"].isna() | (it["duplicate_of"].astype(str) == ids)
    one = dict(zip(ids, it["duplicate_of"].where(~keep, ids).astype(str), strict=True))
    return ref[ref.index.isin(pd.Index(ids[keep]))], one


def _front(df: pd.DataFrame) -> pd.DataFrame:
    return df[["source", *[c for c in df.columns if c != "source"]]]


def _chosen_pairs(out: Path, source: str) -> pd.DataFrame:
    """(reference_id, source_id) of the record that supplies each linked unit's values."""
    col = f"{source}__id"
    df = pd.read_parquet(out / "integrated.parquet", columns=["reference_id", col])
    df = df[df[col].notna()]
    return pd.DataFrame({"reference_id": df["reference_id"].astype(str),
                         "source_id": df[col].astype(str)})


def _source_values(out: Path, g: Groups, source: str, var: str) -> pd.Series:
    """The source's value of a variable for each unit it links (the record that supplies
    the unit's values), in the variable's code list; by reference_id."""
    src = g.table(source, [var])
    if var not in src.columns:
        return pd.Series(dtype=object)
    pairs = _chosen_pairs(out, source)
    v = src[var].reindex(pairs["source_id"]).to_numpy()
    s = pd.Series(v, index=pairs["reference_id"].to_numpy(), dtype=object)
    return s[s.notna() & (s != groups.UNKNOWN)]


def _quality_rows(out: Path) -> pd.DataFrame | None:
    """The quality stage's label-free precision and recall by subgroup (model basis), of
    the rows it published (a withheld row's subgroup takes the source's overall figures):
    its exact internal copy, else the published CSV."""
    exact = out / "disclosure" / "quality_subgroups.parquet"
    p = out / "quality" / "subgroups.csv"
    if exact.exists():
        q = pd.read_parquet(exact)
    elif p.exists():
        q = pd.read_csv(p, dtype={"value": str})
    else:
        return None
    if not {"est_precision", "est_recall", "variable", "value", "source"} <= set(q.columns):
        return None
    if "suppressed" in q.columns:  # a row disclosure control withheld is not used (nor shown)
        q = q[~q["suppressed"].astype(str).str.lower().isin(["true", "1"])]
    return q[q["basis"] == "model"] if "basis" in q.columns else q


def publish(out: Path, job, raw: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The stage's tables through the run's coordinated disclosure control, protected
    together with everything published before (the quality stage's tables), written
    under OUT/tables/ (exact copies under OUT/disclosure/, internal)."""
    from spinelink.quality import protect, published

    mine = tables.describe(raw, _statuses(out, raw))
    if not mine:
        return {}
    q = job.quality
    rules = protect.job_rules(q, job.links, protect.one_to_one_sources(out, job.links))
    for folder in (published.INTERNAL, published.TABLES):  # this stage's, from a rerun
        for old in (out / folder).glob(f"{PREFIX}*"):
            old.unlink()
    before = published.load(out)
    try:
        shown = protect.protect(mine, rules, before=before)
    except RuntimeError as e:  # a cell the earlier tables expose: withhold that table
        withheld = []
        for name in list(mine):
            try:
                protect.protect({name: mine[name]}, rules, before=before)
            except RuntimeError:
                withheld.append(name)
                del mine[name]
        log.warning("analysis: %s; not published: %s", e, ", ".join(withheld))
        shown = protect.protect(mine, rules, before=before) if mine else {}
    shown = tables.finish(shown, q.rounding)  # figures from the rounded counts
    published.save(out, mine, shown)
    return shown


def _statuses(out: Path, raw: dict[str, pd.DataFrame]) -> dict[str, list[str]]:
    """Every status of each imputed variable in integrated.parquet (imputation done), as
    the integration table lists them (`protect.integrated_values`)."""
    from spinelink.quality import protect

    imp = raw.get("imputation")
    if imp is None or not len(imp):
        return {}
    cols = [f"{v}__status" for v in dict.fromkeys(imp["imputed_variable"].astype(str))]
    df = pd.read_parquet(out / "integrated.parquet", columns=cols)
    return {c: protect.integrated_values(df[c]) for c in cols}


def _rewrite_integrated(ctx, extra: pd.DataFrame) -> None:
    if extra.shape[1] == 0:
        return
    eng, out = ctx.engine, Path(ctx.out)
    path = out / "integrated.parquet"
    eng.load_parquet("__sl_an_int", path)
    have = eng.columns("__sl_an_int")
    x = extra.reset_index()
    eng.register("__sl_an_extra", x)
    cols = []
    for c in have:
        q = quote_ident(c)
        if (c in x.columns and c.endswith("__weight")) or (
                c.endswith(imputation.DONOR) and c.removesuffix(imputation.DONOR) in x.columns):
            continue  # an earlier run of this stage: replaced below
        if c in x.columns:  # an imputed variable or its status
            cols.append(f"coalesce(x.{q}, i.{q}) AS {q}")
        else:
            cols.append(f"i.{q}")
        donor = c.removesuffix("__status") + imputation.DONOR
        if c.endswith("__status") and donor in x.columns:  # beside the status
            # typed: a variable whose every value came from the model has no donor, and
            # an all-NULL column of no type is written as Parquet's null type on DuckDB
            cols.append(f"CAST(x.{quote_ident(donor)} AS VARCHAR) AS {quote_ident(donor)}")
    cols += [f"x.{quote_ident(c)}" for c in x.columns if c.endswith("__weight")]
    eng.write_parquet(sql_file("analysis/integrated_extra.sql", integrated="__sl_an_int",
                               extra="__sl_an_extra", columns=",\n    ".join(cols)), path)


def _audit_imputed(ctx, rows: pd.DataFrame) -> None:
    """audit.parquet with one `impute` row per imputed cell (`imputation.audit_rows`),
    those of an earlier run of this stage replaced."""
    eng, path = ctx.engine, Path(ctx.out) / "audit.parquet"
    if not path.exists():
        log.warning("analysis: no audit.parquet; the imputed cells' rows are not written")
        return
    eng.load_parquet("__sl_an_audit", path)
    eng.register("__sl_an_imputed", rows[imputation.AUDIT].astype(object))
    eng.write_parquet(sql_file("analysis/audit_imputed.sql", audit="__sl_an_audit",
                               imputed="__sl_an_imputed"), path)


def _write_parquet(path: Path, df: pd.DataFrame) -> None:
    atomic.ensure_dir(path.parent)
    with atomic.atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False)
