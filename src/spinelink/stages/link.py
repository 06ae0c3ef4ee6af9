"""The link stage of one source (`link:<source>`): the deterministic cascade, then
Splink's probabilistic linkage of the records it left (model trained or loaded), then the
links, review pairs, scored pairs and unlinked records written under OUT. With
`run --since` only new and changed records are linked anew (spinelink.incremental.link,
which calls `link_source` back)."""
from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from spinelink import manifest, relatives, shared_identifiers
from spinelink.backends import Engine
from spinelink.capped_keys import add_capped_keys, among_pairs, keyed_reference, whole_reference
from spinelink.config import CANONICAL_FIELDS, LoadedJob
from spinelink.deterministic import (
    drop_placeholder_keys,
    load_match_keys,
    silent_identifiers,
    skipped_key_lines,
    steps_for,
)
from spinelink.errors import JobError
from spinelink.incremental import cascade, pool
from spinelink.incremental import link as incremental_link
from spinelink.jobspec.files import AUTO_SPEC
from spinelink.model_fields import is_linkage_column, usable_fields
from spinelink.model_spec import capped_keys_used, load_model_spec
from spinelink.probabilistic import link_probabilistic, load_model
from spinelink.sqlfiles import quote_ident, sql_file
from spinelink.stages import StageContext, std_table
from spinelink.standardise import APART
from spinelink.training import train_model

log = logging.getLogger("spinelink.deterministic")

LINK_COLUMNS = ["reference_id", "source_id", "method", "match_probability", "match_weight"]


def _available(lj: LoadedJob, name: str) -> set[str]:
    ref = lj.job.sources[lj.job.reference].columns
    src = lj.job.sources[name].columns
    return {f for f in CANONICAL_FIELDS if f in ref and f in src}


def _shared_identifiers(lj: LoadedJob, name: str) -> set[str]:
    ref = lj.job.sources[lj.job.reference].identifiers
    return set(ref) & set(lj.job.sources[name].identifiers)


def run(ctx: StageContext) -> dict:
    """Link `ctx.source` to the reference; its counts and link summary under `changes`."""
    engine, lj, out, name = ctx.engine, ctx.lj, ctx.out, ctx.source
    # the shares of records populating each linkage field: this run's drift check and
    # the next incremental run's (spinelink.incremental.link)
    # (the stage itself is untimed: its steps are, so the manifest's timings add up to the
    # run: `fields:`, `deterministic:`, `probabilistic:` and `outputs:<source>`)
    with ctx.clock.stage(f"fields:{name}"):
        shares = incremental_link.populated(engine, quote_ident(std_table(name)))
    if lj.overrides.get("since"):  # only new and changed records (spinelink.incremental)
        summary = incremental_link.run(engine, lj, out, name, ctx.clock, link_source, shares)
    else:
        summary = link_source(engine, lj, out, name, ctx.clock)
    summary["fields_populated"] = shares
    with ctx.clock.stage(f"outputs:{name}"):
        _release_scratch(engine, lj, name)
    # what the next incremental run compares its own with (a changed threshold or model
    # means a full relink there, spinelink.incremental.link)
    summary["settings"] = incremental_link.link_settings(lj, name)
    return {"changes": {"accounting": {name: summary["accounting"]},
                        "links": {name: summary}}}


def _release_scratch(engine: Engine, lj: LoadedJob, name: str) -> None:
    """Free the tables the stage made for itself once its outputs are written: later
    stages read the links from their files. At a million records they held 2.7 GB
    (Splink's comparison vectors, the keyed reference, the capped keys' counts, the link
    tables) through integration and the report. The keyed reference and its keys' counts
    stay when the quality stage runs (it scores on them; without them it rebuilds them)."""
    engine.release_splink()
    keep_keys = lj.job.quality.enabled
    engine.release(
        f"__sl_res_src_{name}", f"__sl_claimed_{name}", "__sl_det_links", "__sl_linked",
        "__sl_review", "__sl_prob_links", "__sl_prob_review", "__sl_out_pairs",
        "__sl_rel_held", "__sl_born_held", "__sl_no_born",
        *(() if keep_keys else (keyed_reference(name),)),
        prefixes=(f"__sl_out_links_{name}", f"__sl_out_review_{name}", f"__sl_{name}_tf_",
                  f"__sl_{name}_pred_",
                  f"__sl_det_{name}",
                  *(() if keep_keys else (f"{whole_reference(name)}_blk",))))


def outputs(out: Path, source: str) -> list[Path]:
    return [out / d / f"{source}.parquet" for d in ("links", "review", "unlinked")]


def link_source(engine: Engine, lj: LoadedJob, out: Path, name: str, timer,
                inc=None) -> dict:
    """Link one source. `inc` (spinelink.incremental.link.Plan): link only the records it
    chooses, with the earlier run's model and thresholds, keeping the others' links."""
    job, link = lj.job, lj.job.links[name]
    ref_t, src_t, links_t = std_table(job.reference), std_table(name), f"__sl_det_{name}"
    keys = None
    if link.deterministic.match_keys:
        mk = link.deterministic.match_keys
        keys = load_match_keys(lj.model_path(f"match_keys/{mk}.yaml" if mk == "default" else mk))
    with timer.stage(f"deterministic:{name}"):
        steps, skipped = drop_placeholder_keys(
            engine, ref_t, src_t, steps_for(link.deterministic.direct, keys))
        for line in skipped_key_lines(skipped):
            log.warning("%s: %s", name, line)
        # incremental: on the records whose outcome can change (spinelink.incremental)
        det_counts = cascade.run(engine, lj, out, name, ref_t, src_t, steps, links_t,
                                 link.one_to_one, inc)
        silent = silent_identifiers(engine, ref_t, src_t, steps, det_counts)
        for why in silent.values():
            log.warning("%s: identifier %s", name, why)
        born = born_after(engine, lj, out, name, ref_t, links_t)
    if inc is not None:  # the cascade ran on every record; the rest on the chosen ones
        src_t = inc.after_deterministic(engine, links_t, src_t)
    anew_t = src_t  # the records linked anew: every record but on an incremental run
    prob_links = review = pairs = pd.DataFrame(columns=LINK_COLUMNS)
    apart = None  # Splink's pairs born apart (`probabilistic.born_apart`), for quality
    prob_info: dict = {}
    if link.probabilistic is not None:
        cfg = link.probabilistic
        with timer.stage(f"probabilistic:{name}"):
            cols = _linkage_columns(engine, ref_t, src_t)
            # the whole tables serve key counts, term frequencies and training (which
            # blocks them on its own rules, never on the capped keys): views, not copies
            tables = {
                "ref_full": _whole_view(engine, ref_t, whole_reference(name), cols),
                "src_full": _whole_view(engine, src_t, f"__sl_lk_src_{name}", cols),
                "src": _residual(engine, src_t, links_t, "source_id", True,
                                 f"__sl_res_src_{name}", cols)}
            training: dict = {}
            spec = fields = None
            # a saved model (the previous run's, or a file the job names) of `model: auto`
            # blocks on capped keys, which the auto spec builds
            given = inc.model if inc is not None else (
                None if cfg.model == "auto" else load_model(lj.model_path(cfg.model)))
            if cfg.model == "auto" or capped_keys_used(given):
                spec = load_model_spec(lj.model_path(AUTO_SPEC))
                fields = usable_fields(engine, ref_t, std_table(name), _available(lj, name),
                                       _shared_identifiers(lj, name))
            # an incremental run: the reference records its residual can pair with
            n_ref = _reference(engine, tables, ref_t, links_t, link.one_to_one, name, cols,
                               spec, fields, inc, every_key=job.quality.enabled)
            # the capped rules' pairs from the keys' counts (the whole reference keyed)
            known = among_pairs(engine, spec, tables, fields) if spec is not None and \
                inc is None and not job.quality.enabled and not link.one_to_one else None
            missing = sorted(capped_keys_used(given) - set(engine.columns(
                tables.get("ref_keys", tables["ref"]))))
            if missing:
                raise JobError(f"links.{name}: the model blocks on capped keys {missing}, "
                               "which this source's fields do not give (it was trained on "
                               "other fields); link with model: auto")
            if inc is not None:
                model, cfg = inc.model, inc.cfg
            elif cfg.model == "auto":
                try:
                    model, training = train_model(engine, spec, tables, fields, cfg, job.seed,
                                                  f"__sl_{name}")
                except JobError as e:  # name the source and the way out
                    raise JobError(f"links.{name}: {e}; or set links.{name}.probabilistic: "
                                   "null to link it deterministically only") from None
            else:
                model = given
            manifest.write_json(out / "models" / f"{name}.json", model)
            pr = link_probabilistic(engine, model, tables, cfg, link.one_to_one, f"__sl_{name}",
                                    n_ref, (born["table"], born["undated"])
                                    if born["records"] else None, _units(engine, src_t),
                                    claimed_by=links_t if inc is None
                                    else inc.claimed_by(engine, links_t), known_pairs=known)
            prob_links = pr.links.assign(method="probabilistic")[LINK_COLUMNS]
            review = pr.review.assign(method="probabilistic")[LINK_COLUMNS]
            pairs, apart = pr.pairs, pr.born_apart
            prob_info = {"prior": pr.prior, "pairs_scored": len(pr.pairs),
                         "links": len(pr.links), **incremental_link.marked(pr.thresholds, inc)}
            if training:
                prob_info["training"] = training
    held_from = (ref_t, std_table(name)) if link.hold_relatives and not link.one_to_one \
        else None
    # several records of one person: those without a link join the unit of an identifier
    # the reference lacks (one both hold links directly, under its guard)
    own_ids = sorted(set(job.sources[name].identifiers) - _shared_identifiers(lj, name))
    # (a deterministic-only link's cascade links count as certain: no precision to reach)
    confident = 1.0 if link.probabilistic is None else link.probabilistic.target_precision
    shared_from = (ref_t, std_table(name), own_ids, confident) \
        if own_ids and not link.one_to_one else None
    # an incremental run: the earlier links, review and pairs of the records kept
    with timer.stage(f"outputs:{name}"):  # the links, review, pairs and unlinked written
        summary = _write_link_outputs(engine, out, name, links_t, prob_links, review, pairs,
                                      det_counts, prob_info, held_from,
                                      None if inc is None else inc.kept, born, anew_t,
                                      shared_from)
        _write_born_apart(engine, out, name, apart, None if inc is None else inc.kept)
    if skipped:
        summary["deterministic_skipped"] = skipped
    if silent:
        summary["deterministic_silent_identifiers"] = silent
    return summary


def born_apart_path(out: Path, name: str) -> Path:
    """Where the pairs Splink scored and `born_after` kept from being candidates go: the
    quality stage counts them as possible misses (`quality.born_after`)."""
    return out / "pairs" / "born_apart" / f"{name}.parquet"


def _write_born_apart(engine: Engine, out: Path, name: str, apart, kept) -> None:
    """Write this run's pairs born apart (reference_id, source_id, match_weight) with an
    incremental run's kept ones (`kept["born_apart"]`); no file when there are none."""
    path = born_apart_path(out, name)
    parts = []
    if apart is not None and not apart.empty:
        engine.register("__sl_out_born_apart", apart)
        parts.append("__sl_out_born_apart")
    if kept and kept.get("born_apart") is not None and engine.count(kept["born_apart"]):
        parts.append(kept["born_apart"])
    if not parts:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    engine.write_parquet(f"SELECT * FROM ({engine.union_by_name(parts)}) "
                         "ORDER BY source_id, reference_id", path)


def born_after(engine: Engine, lj: LoadedJob, out: Path, name: str, ref_t: str,
               links_t: str) -> dict:
    """The source's records born after the reference date (the job's, else the one intake
    derived: census day). Such a person was not yet born when the reference was taken; an
    undated reference record (its date of birth missing) cannot say so, and nothing else
    tells a baby from an undated sibling of the same name and address: such pairs are not
    linked automatically. Their cascade links are taken out of `links_t`; those an
    identifier made (direct:<id>) are held for clerical review (the identifier says one
    person, the date of birth not yet born: a mistyped date or a shared number), the others
    dropped; Splink's such pairs are no candidates (`probabilistic.born_apart`). A pair
    with a dated reference record is compared as usual (the dates disagree, which the model
    weighs: a mistyped year in the source can still be the person). Those left unlinked
    have the reason `born after the reference date`, and with extend_spine are new units
    like any unlinked record. A date intake found in the future (a lone mistyped year) was
    set to missing at intake and does not count; a source without dates of birth has none.
    Returns {table: the records' ids, undated: the undated reference records' ids, held:
    the held pairs' table or None, reference_date, records}."""
    from spinelink.intake import run_reference_date

    table, held = f"__sl_det_{name}_unborn", f"__sl_det_{name}_unborn_held"
    undated = f"__sl_det_{name}_undated_ref"
    iso = run_reference_date(lj, out)
    dob = "s._dob" if iso and "date_of_birth" in lj.job.sources[name].columns \
        else "CAST(NULL AS DATE)"
    engine.create_table(table, sql_file("finalise/born_after.sql", dob=dob),
                        {"intake": str(out / "intake" / f"{name}.parquet"),
                         "reference_date": iso or "9999-12-31"})
    n = engine.count(table)
    if not n:
        return {"table": table, "undated": None, "held": None, "reference_date": iso,
                "records": 0}
    engine.create_table(undated, sql_file("deterministic/undated_reference.sql", table=ref_t))
    names = {"links": links_t, "born": table, "undated": undated}
    engine.create_table(held, sql_file("deterministic/born_after_links.sql", **names))
    engine.execute(sql_file("deterministic/remove_born_after.sql", **names))
    log.info("%s: %d records born after the reference date %s: not linked automatically "
             "to an undated reference record", name, n, iso)
    return {"table": table, "undated": undated, "held": held, "reference_date": iso,
            "records": n}


def _reference(engine: Engine, tables: dict, ref_t: str, links_t: str, one_to_one: bool,
               name: str, cols: list[str], spec, fields, inc, every_key: bool = True
               ) -> int | None:
    """Add the reference table prediction blocks on (`ref`) and give both blocked tables
    their capped keys. An incremental run's is the part of the residual reference some
    rule pairs with its residual (spinelink.incremental.pool): returns the whole residual
    reference's count (the prior's), else None (the table's own). `every_key`: the keyed
    reference carries every key (the quality stage scores its samples on it); otherwise
    only the keys the residual source records hold, the only ones prediction pairs on."""
    # an incremental run counts only the keys its residual holds (add_capped_keys `among`)
    among = tables["src"] if inc is not None else None
    if inc is not None and spec is not None:  # the residual's keys first: the part by them
        add_capped_keys(engine, spec, tables, fields, blocked_only=True, among=among)
    part = pool.reference_part(engine, inc.model, spec, ref_t, links_t, one_to_one,
                               tables["src"], cols, name) if inc is not None else None
    if part is not None:
        tables["ref"] = part[0]
        if spec is not None:
            add_capped_keys(engine, spec, {"ref_full": tables["ref_full"], "ref": part[0]},
                            fields, blocked_only=True, counted=True, among=among)
        return part[1]
    if spec is not None and inc is None:  # only the blocked tables: prediction blocks them
        # the keyed reference written once, with its keys (it was a copy of every
        # reference record at one_to_one false, then rewritten with the keys); without
        # the quality stage, keyed only where the residual holds the key (the same pairs)
        source = _residual_sql(ref_t, links_t, "reference_id", one_to_one, cols)
        if not every_key and not one_to_one:  # every reference record: read in place, the
            # capped keys apart (only prediction's capped rules read them)
            tables["ref"], tables["ref_keys"] = tables["ref_full"], keyed_reference(name)
            add_capped_keys(engine, spec, {**tables, "ref": tables["ref_keys"]}, fields,
                            blocked_only=True, source=source, among=tables["src"],
                            apart=True)
            return None
        tables["ref"] = keyed_reference(name)
        add_capped_keys(engine, spec, tables, fields, blocked_only=True, source=source,
                        among=None if every_key else tables["src"])
        return None
    tables["ref"] = _residual(engine, ref_t, links_t, "reference_id", one_to_one,
                              keyed_reference(name), cols)
    if spec is not None:  # the residual has its keys already; the keyed reference's
        # are every key's (the quality stage may take it as its pool)
        add_capped_keys(engine, spec, {"ref_full": tables["ref_full"], "ref": tables["ref"]},
                        fields, blocked_only=True)
    return None


def _units(engine: Engine, src_t: str) -> pd.Series | None:
    """Source record id -> its `persons_apart` unit, when the source names one."""
    if APART not in engine.columns(src_t):
        return None
    u = engine.df(sql_file("probabilistic/persons_apart_units.sql", apart=APART, source=src_t))
    return u.set_index("r")["u"].astype(str)


def _residual(engine: Engine, table: str, links_t: str, id_col: str, exclude: bool,
              name: str, columns: list[str]) -> str:
    engine.create_table(name, *_residual_sql(table, links_t, id_col, exclude, columns))
    return name


def _residual_sql(table: str, links_t: str, id_col: str, exclude: bool,
                  columns: list[str]) -> tuple[str, dict]:
    """The query of a side's residual records (those `links_t` leaves when `exclude`) and
    its parameters."""
    cols = ", ".join(f"t.{quote_ident(c)}" for c in columns)
    if not exclude:  # every record: no join to the links
        return sql_file("deterministic/whole_side.sql", table=table, columns=cols), {}
    return sql_file("deterministic/residual.sql", table=table, links=links_t, id_col=id_col,
                    columns=cols), {"exclude": exclude}


def _whole_view(engine: Engine, table: str, name: str, columns: list[str]) -> str:
    """`_residual` without the exclusion (every record), as a view."""
    cols = ", ".join(f"t.{quote_ident(c)}" for c in columns)
    engine.execute(f"CREATE OR REPLACE VIEW {quote_ident(name)} AS SELECT {cols} "
                   f"FROM {quote_ident(table)} t")
    return name


def _linkage_columns(engine: Engine, ref_t: str, src_t: str) -> list[str]:
    """Columns Splink sees: the standardised identifying columns both sides share (not the
    raw originals, subgroups or carried variables)."""
    src_cols = set(engine.columns(src_t))
    return [c for c in engine.columns(ref_t) if c in src_cols and is_linkage_column(c)]


def _write_link_outputs(engine, out, name, det_t, prob_links, review, pairs, det_counts,
                        prob_info, held_from=None, kept=None, born=None, anew_t=None,
                        shared_from=None) -> dict:
    """Write links (the deterministic links of table `det_t` and the probabilistic ones),
    review, scored pairs and unlinked records of source `name`. `held_from` (reference,
    source standardised tables): hold probable relatives for review (spinelink.relatives);
    None with one_to_one, where a unit has one link. `kept` (an incremental run): the
    tables of the earlier links, review and pairs of the records not linked anew (None:
    no such file), added to the new ones. `born` (`born_after`): the records born after
    the reference date; the identifier links it held go to review (of the records of
    `anew_t`, those linked anew, unless Splink linked the record to a dated reference
    record), and their unlinked reason is said. `shared_from` (reference, source
    standardised tables, identifiers): link the records without a link through an
    identifier shared with linked records (spinelink.shared_identifiers). The tables stay in the
    engine: a million links through pandas cost seconds."""
    links_t, review_t = f"__sl_out_links_{name}", f"__sl_out_review_{name}"
    kept = kept or {}

    def contract(frame: pd.DataFrame, table: str, *more: str) -> list[str]:
        engine.register(table, frame)
        # typed columns even when the frame is empty (an empty pandas column has no type)
        return [sql_file("finalise/link_columns.sql", table=t)
                for t in (table, *more) if t is not None]

    # the cascade's links have no match probability or weight
    engine.execute(f"CREATE OR REPLACE VIEW __sl_det_links AS SELECT reference_id, source_id, "
                   "method, NULL AS match_probability, NULL AS match_weight FROM "
                   f"{quote_ident(det_t)}")
    engine.create_table(links_t, " UNION ALL ".join(
        [sql_file("finalise/link_columns.sql", table="__sl_det_links"),
         *contract(prob_links, "__sl_prob_links", kept.get("links"))]))
    born_held = []
    if born and born["held"] is not None:
        engine.execute("CREATE OR REPLACE VIEW __sl_born_held AS SELECT h.reference_id, "
                       "h.source_id, h.method, NULL AS match_probability, NULL AS "
                       f"match_weight FROM {quote_ident(born['held'])} h WHERE "
                       f"CAST(h.source_id AS VARCHAR) IN (SELECT CAST(record_id AS VARCHAR) "
                       f"FROM {quote_ident(anew_t)}) AND CAST(h.source_id AS VARCHAR) NOT IN "
                       f"(SELECT CAST(source_id AS VARCHAR) FROM {quote_ident(links_t)})")
        born_held = [sql_file("finalise/link_columns.sql", table="__sl_born_held")]
    engine.create_table(review_t, " UNION ALL ".join(
        [*contract(review, "__sl_prob_review", kept.get("review")), *born_held]))
    held: dict[str, int] = {}
    shared: dict[str, int] = {}
    if held_from is not None:
        links_t, review_t, held = relatives.hold(engine, *held_from, links_t, review_t)
    if shared_from is not None:
        links_t, review_t, shared = shared_identifiers.link(
            engine, *shared_from[:2], links_t, review_t, shared_from[2], shared_from[3])
    # links are one per (source, reference) pair, sorted as they are written; review as it
    # came unless the hold or the earlier review added to it
    ordered = " ORDER BY source_id, reference_id"
    engine.write_parquet(f"SELECT * FROM {quote_ident(links_t)}{ordered}",
                         out / "links" / f"{name}.parquet")
    engine.write_parquet(f"SELECT * FROM {quote_ident(review_t)}"
                         + (ordered if held_from is not None or kept else ""),
                         out / "review" / f"{name}.parquet")
    parts = []
    if not pairs.empty:
        engine.register("__sl_out_pairs", pairs)
        parts.append("__sl_out_pairs")
    if kept.get("pairs") is not None and engine.count(kept["pairs"]):
        parts.append(kept["pairs"])
    if parts:
        engine.write_parquet(f"SELECT * FROM ({engine.union_by_name(parts)}){ordered}",
                             out / "pairs" / f"{name}.parquet")
    for view, table in (("__sl_linked", links_t), ("__sl_review", review_t)):
        engine.create_table(view, f"SELECT DISTINCT source_id FROM {quote_ident(table)}")
    if born is None:  # no records born after the reference date
        engine.create_table("__sl_no_born", "SELECT CAST(NULL AS VARCHAR) AS record_id "
                            "WHERE false")
    n_unlinked = engine.write_parquet(
        sql_file("finalise/unlinked.sql", born=born["table"] if born else "__sl_no_born"),
        out / "unlinked" / f"{name}.parquet",
        {"intake": str(out / "intake" / f"{name}.parquet")})
    by_method = engine.df(f"SELECT method, count(*) AS n FROM {quote_ident(links_t)} "
                          "GROUP BY method ORDER BY method")
    summary = {"accounting": {"linked": engine.count("__sl_linked"),
                              "review": engine.count("__sl_review"),
                              "unlinked": int(n_unlinked)},
               "links_by_method": {str(m): int(n) for m, n in
                                   by_method.itertuples(index=False)},
               "deterministic_steps": det_counts, "probabilistic": prob_info}
    if born and born["records"]:  # not linked automatically: born after census day
        summary["born_after_reference"] = engine.df(sql_file(
            "finalise/born_after_counts.sql", born=born["table"], linked="__sl_linked",
            review="__sl_review")).iloc[0].astype(int).to_dict() | {
                "reference_date": born["reference_date"]}
    if shared:  # records linked through an identifier shared with linked records
        summary["linked_by_shared_identifier"] = shared
    if held:  # links held for review as probable relatives, by their method
        summary["held_as_relatives"] = held
    return summary

