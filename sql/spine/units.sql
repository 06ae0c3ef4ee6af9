-- This run's spine units: every reference record (its id the record id), then with
-- extend_spine each linked source's unlinked records (`extension`: one SELECT per source,
-- composed by spinelink). Columns as spine.parquet's, every one VARCHAR.
SELECT CAST(record_id AS VARCHAR) AS unit_id, CAST($reference AS VARCHAR) AS origin,
       CAST(record_id AS VARCHAR) AS source_id, 'active' AS status,
       CAST(NULL AS VARCHAR) AS linked_to, CAST($here AS VARCHAR) AS first_run
FROM {{ reference }}
{{ extension|sql }}
