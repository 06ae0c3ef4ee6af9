"""The catalogue of sources and deliveries (issue 17): `spec` (the job file's `catalogue:`
section), `store` (the DuckDB file: sources, deliveries, indicators, flags), `stage` (the
pipeline's `catalogue` stage: indicators compared with the previous delivery, flags; and
the run recorded once its manifest is written), `show` (`spinelink catalogue ...`)."""
