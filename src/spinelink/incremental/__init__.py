"""Incremental linkage of a delivery against an earlier run (issue 17, `run --since`):
`state` (the source file an added delivery makes: the previous state with the delivery's
records added or replaced; which records are new, changed, unchanged or removed, by record
hash against the previous run's intake), `link` (only new and changed records linked, with
the earlier run's model and thresholds; drift; `changes/<source>.parquet`), `reuse` (the
intake and standardised tables of a source with the same input and settings taken over),
`restandardise` (only new and changed records standardised), `spine` (stable unit ids)."""
