"""Python API for notebooks: run a job, then look at its outputs.

    import spinelink
    result = spinelink.run("sample_data/demo_job.yaml")   # or spinelink.open_run("out/demo")
    result                                  # output folder, record accounting, unit counts
    result.integrated()                     # pandas: one row per reference unit
    result.links("benefits")                # pandas: the accepted links of one source
    con = result.duckdb()                   # DuckDB views over every output table
    con.sql("SELECT unit_status, count(*) FROM integrated GROUP BY 1").df()

`result.paths` names every output file; `result.accounting` is the record accounting of
the run (read = accepted + quarantined; accepted = linked + review + unlinked);
`result.summary` the summaries of the linkage and later stages from run_manifest.json.

spinelink logs under the `spinelink` logger (Splink's messages as `spinelink.splink`, at
DEBUG); a notebook shows its progress after `logging.basicConfig(level=logging.INFO)`.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from spinelink.errors import OutputError

TOP_TABLES = {"integrated": "integrated.parquet", "conflicts": "conflicts.parquet",
              "audit": "audit.parquet", "invalid_codes": "integrate/invalid_codes.parquet",
              "edits/integrated": "edits/integrated.parquet", "spine": "spine.parquet"}
ANALYSIS_FOLDERS = ("weights", "imputed", "tables")
PER_SOURCE = ("intake", "standardised", "quarantine", "links", "review", "unlinked", "pairs",
              "coding", "edits", "changes")


@dataclass
class Result:
    """The outputs of one run (a folder with run_manifest.json)."""
    output_dir: Path
    manifest: dict = field(repr=False)

    @classmethod
    def from_dir(cls, output_dir: str | Path) -> Result:
        out = Path(output_dir).resolve()
        path = out / "run_manifest.json"
        if not out.is_dir():
            raise OutputError(f"{out}: does not exist (give the output folder of a run)")
        if not path.exists():
            if (out / "checkpoint.json").exists():
                raise OutputError(f"{out}: no run_manifest.json: the run did not finish "
                                  "(checkpoint.json); continue it with `spinelink run JOB "
                                  "--resume` (spinelink.run(job, resume=True))")
            raise OutputError(f"{out}: no run_manifest.json (not a finished run)")
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise OutputError(f"{path}: unreadable ({type(e).__name__})") from None
        if not isinstance(manifest, dict):
            raise OutputError(f"{path}: unreadable (not a JSON object)")
        return cls(out, manifest)

    @property
    def accounting(self) -> dict[str, dict]:
        return self.manifest.get("accounting", {})

    @property
    def summary(self) -> dict:
        return {"links": self.manifest.get("links", {}), **self.manifest.get("stages", {})}

    @property
    def sources(self) -> list[str]:
        return list(self.accounting)

    @property
    def paths(self) -> dict[str, Path]:
        """Every output table that exists: `integrated`, `conflicts`, `audit`,
        `invalid_codes`, `spine` (with `--since` or `extend_spine`), and `<folder>/<source>`
        (e.g. `links/benefits`, and `changes/benefits` with `--since`), the values intake
        set to missing or flagged (`quarantine/<source>_values`), with `analysis:` the
        linkage weights (`weights/<source>`), the imputed copies (`imputed/<m>`) and the
        published tables (`tables/<name>`, e.g. `tables/quality_subgroups`), plus
        `manifest` and `report` (report.html, with the quality stage)."""
        found = {k: self.output_dir / p for k, p in TOP_TABLES.items()}
        for folder in PER_SOURCE:
            for s in self.sources:
                found[f"{folder}/{s}"] = self.output_dir / folder / f"{s}.parquet"
        for s in self.sources:
            found[f"quarantine/{s}_values"] = self.output_dir / "quarantine" / f"{s}_values.parquet"
        # the analysis stage's: weights per source, the imputed copies, and every published
        # (disclosure-controlled) table; the exact copies in disclosure/ are left out
        for folder in ANALYSIS_FOLDERS:
            for p in sorted((self.output_dir / folder).glob("*.parquet")):
                found[f"{folder}/{p.stem}"] = p
        found = {k: p for k, p in found.items() if p.exists()}
        found["manifest"] = self.output_dir / "run_manifest.json"
        if (self.output_dir / "report.html").exists():
            found["report"] = self.output_dir / "report.html"
        return found

    def table(self, name: str) -> pd.DataFrame:
        """An output table by its key in `paths` (e.g. "audit", "unlinked/survey")."""
        path = self.paths.get(name)
        if path is not None and path.suffix != ".parquet":
            raise OutputError(f"'{name}' is a file, not a table: {path}")
        if path is None:
            tables = sorted(k for k, p in self.paths.items() if p.suffix == ".parquet")
            raise OutputError(f"no output table '{name}' in {self.output_dir}; expected "
                              f"one of {tables}")
        return pd.read_parquet(path)

    def integrated(self) -> pd.DataFrame:
        return self.table("integrated")

    def links(self, source: str) -> pd.DataFrame:
        if source not in self.sources or f"links/{source}" not in self.paths:
            linked = [s for s in self.sources if f"links/{s}" in self.paths]
            raise OutputError(f"no links for source '{source}'; linked sources: {linked}")
        return self.table(f"links/{source}")

    def duckdb(self):
        """An in-memory DuckDB connection with one view per output table: `integrated`,
        `conflicts`, `audit`, `invalid_codes`, and `<folder>_<source>` (e.g.
        `links_benefits`, `unlinked_survey`, `quarantine_survey_values`, `weights_survey`,
        `tables_analysis_weighted_margins`)."""
        import duckdb

        con = duckdb.connect(":memory:")
        for key, path in self.paths.items():
            if path.suffix == ".parquet":
                name = key.replace("/", "_").replace('"', '""')
                literal = str(path).replace("'", "''")
                con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM read_parquet(\'{literal}\')')
        return con

    def __repr__(self) -> str:
        lines = [f"spinelink result: {self.output_dir}"]
        for s, a in self.accounting.items():
            parts = [f"{k} {a[k]}" for k in ("read", "accepted", "quarantined", "linked",
                                              "review", "unlinked") if k in a]
            lines.append(f"  {s}: " + ", ".join(parts))
        integ = self.manifest.get("stages", {}).get("integrate")
        if integ:
            status = ", ".join(f"{k} {v}" for k, v in integ["unit_status"].items())
            lines.append(f"  integrated: {integ['units']} units ({status})")
        return "\n".join(lines)


def run(job: str | Path, output_dir: str | Path | None = None, resume: bool = False,
        since: str | Path | None = None, retrain: bool = False) -> Result:
    """Run a job file end to end (as `spinelink run`; `resume=True` as `--resume`;
    `since=PREVIOUS_OUT` as `--since`: link a new delivery against an earlier run,
    `retrain=True` as `--retrain`); return its Result. Splink's messages go through
    spinelink's logging, at DEBUG (spinelink.splink_log), so a notebook shows only what
    spinelink reports."""
    from spinelink.pipeline import run_job
    from spinelink.splink_log import splink_through_spinelink

    if not isinstance(job, (str, os.PathLike)):  # a notebook's dict or loaded job
        raise TypeError(f"spinelink.run takes the path of a job file, not a "
                        f"{type(job).__name__}: write the job to a YAML file first "
                        "(yaml.safe_dump(job, open('job.yaml', 'w'))); the paths in it are "
                        "relative to that file's folder")
    if retrain and since is None:
        raise ValueError("retrain=True goes with since=PREVIOUS_OUT")
    with splink_through_spinelink():
        res = run_job(job, str(output_dir) if output_dir is not None else None,
                      resume=resume, since=since, retrain=retrain)
    return Result.from_dir(res.output_dir)


def open_run(output_dir: str | Path) -> Result:
    """The Result of a run that has already finished, from its output folder."""
    return Result.from_dir(output_dir)
