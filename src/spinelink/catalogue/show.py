"""`spinelink catalogue list | show | compare`: the catalogue as text (spinelink.cli)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from spinelink.catalogue import store
from spinelink.errors import SpinelinkError

# rows_read / accepted: the delivered file's; state_rows: the records the run linked (an
# added delivery with the previous state), absent from a catalogue older than it
LIST_COLUMNS = ["delivery_id", "mode", "scope", "received", "rows_read", "accepted",
                "state_rows", "linked", "unlinked", "link_rate", "est_precision", "est_recall",
                "previous_id", "flags"]
INDICATOR_COLUMNS = ["variable", "value", "n_reference", "n_linked", "link_rate",
                     "est_precision", "est_recall"]


class CatalogueError(SpinelinkError):
    exit_code = 2


def _open(folder: Path):
    if not (Path(folder) / store.FILE).exists():
        raise CatalogueError(f"{folder}: no catalogue ({store.FILE}) in this folder")
    return store.connect(folder, read_only=True)


def _text(df: pd.DataFrame) -> str:
    if df.empty:
        return "(none)"
    if "received" in df:
        df = df.assign(received=pd.to_datetime(df["received"]).dt.strftime("%Y-%m-%d"))
    # na_rep reaches only floats: a nullable integer's missing value (a reference
    # delivery's linked) printed as <NA>, a missing text (no previous delivery) as None
    df = df.assign(**{c: df[c].astype(object).where(df[c].notna(), "-")
                      for c in df.columns if not pd.api.types.is_float_dtype(df[c])
                      and df[c].isna().any()})
    return df.to_string(index=False, na_rep="-", float_format=lambda v: f"{v:.4f}")


def _value(v) -> str:
    return "-" if pd.isna(v) else str(v)


def list_lines(folder: Path, source: str | None = None) -> list[str]:
    with _open(folder) as con:
        sources = con.execute("SELECT source, steward, agreement, legal_basis, description "
                              "FROM sources ORDER BY source").df()
        deliveries = con.execute(
            "SELECT * FROM deliveries WHERE $source IS NULL OR source = $source "
            "ORDER BY source, received, number NULLS FIRST, recorded_at",
            {"source": source}).df()
    known = sorted(set(sources["source"]) | set(deliveries["source"]))
    if source is not None and source not in known:
        from spinelink.jobspec.problems import did_you_mean

        raise CatalogueError(f"--source {source}: no such source in the catalogue; known: "
                             f"{', '.join(known) or 'none'}{did_you_mean(source, known)}")
    lines = ["sources:", _text(sources), "", "deliveries:"]
    for name, group in deliveries.groupby("source", sort=True):
        lines += [f"[{name}]", _text(group[[c for c in LIST_COLUMNS if c in group]])]
    return lines if len(deliveries) else lines + ["(none)"]


def _delivery(con, delivery_id: str) -> pd.DataFrame:
    row = con.execute("SELECT * FROM deliveries WHERE delivery_id = $d",
                      {"d": delivery_id}).df()
    if row.empty:
        known = [r[0] for r in con.execute("SELECT delivery_id FROM deliveries "
                                           "ORDER BY delivery_id").fetchall()]
        raise CatalogueError(f"no delivery {delivery_id!r} in the catalogue; known: {known}")
    return row


def show_lines(folder: Path, delivery_id: str) -> list[str]:
    with _open(folder) as con:
        d = _delivery(con, delivery_id).iloc[0].copy()
        d["received"] = pd.Timestamp(d["received"]).strftime("%Y-%m-%d")
        src = con.execute("SELECT * FROM sources WHERE source = $s", {"s": d["source"]}).df()
        ind = con.execute("SELECT * FROM indicators WHERE delivery_id = $d "
                          "ORDER BY variable = 'all' DESC, variable, value",
                          {"d": delivery_id}).df()
        flags = con.execute("SELECT * FROM flags WHERE delivery_id = $d "
                            "ORDER BY variable, value, indicator", {"d": delivery_id}).df()
    lines = [f"delivery {delivery_id}"]
    lines += [f"  {k}: {'-' if pd.isna(v) else v}" for k, v in d.items()]
    if len(src):
        lines += [f"  source {k}: {'-' if pd.isna(v) else v}" for k, v in src.iloc[0].items()
                  if k != "source"]
    lines += ["indicators:", _text(ind[INDICATOR_COLUMNS]),
              f"flags (against {d['previous_id'] if pd.notna(d['previous_id']) else '-'}):",
              _text(flags.drop(columns=["delivery_id", "source", "previous_id"]))]
    return lines


def compare_lines(folder: Path, first: str, second: str) -> list[str]:
    """Indicators of two deliveries side by side, with the change."""
    with _open(folder) as con:
        a, b = _delivery(con, first), _delivery(con, second)
        if a.iloc[0]["source"] != b.iloc[0]["source"]:
            raise CatalogueError(
                f"{first} and {second} are deliveries of different sources "
                f"({a.iloc[0]['source']}, {b.iloc[0]['source']}): compare two deliveries of "
                "one source (`spinelink catalogue list` lists them by source)")
        frames = [con.execute("SELECT * FROM indicators WHERE delivery_id = $d",
                              {"d": d}).df() for d in (first, second)]
    keys = ["variable", "value"]
    both = frames[0][keys + ["link_rate", "est_precision", "est_recall"]].merge(
        frames[1][keys + ["link_rate", "est_precision", "est_recall"]], on=keys, how="outer",
        suffixes=("_1", "_2")).sort_values(keys)
    for c in ("link_rate", "est_precision", "est_recall"):
        both[f"{c}_change"] = both[f"{c}_2"] - both[f"{c}_1"]
    day = [pd.Timestamp(x.iloc[0]["received"]).strftime("%Y-%m-%d") for x in (a, b)]
    lines = [f"1: {first} ({day[0]}), 2: {second} ({day[1]})"]
    for c in ("rows_read", "linked", "link_rate", "est_precision", "est_recall"):
        lines.append(f"  {c}: {_value(a.iloc[0][c])} -> {_value(b.iloc[0][c])}")
    return lines + [_text(both)]
