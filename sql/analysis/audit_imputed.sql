-- audit.parquet with the analysis stage's rows: one `impute` row per imputed cell of
-- integrated.parquet (built by spinelink.analysis.imputation.audit_rows); the `impute`
-- rows of an earlier run of the stage are replaced. Ordered as integrate/audit.sql, then
-- by every other column, so that the file is the same whatever order the rows come in.
SELECT * FROM (
    SELECT * FROM {{ audit }} WHERE stage <> 'impute'
    UNION ALL
    SELECT CAST(reference_id AS VARCHAR), CAST(source AS VARCHAR),
           CAST(source_record_id AS VARCHAR), CAST(variable AS VARCHAR),
           CAST(raw_value AS VARCHAR), CAST(new_value AS VARCHAR), CAST(stage AS VARCHAR),
           CAST(rule AS VARCHAR), CAST(from_source AS VARCHAR), CAST(from_record_id AS VARCHAR)
    FROM {{ imputed }}
)
ORDER BY 1, 4, 7, 2, 3, 8, 5, 6, 9, 10
