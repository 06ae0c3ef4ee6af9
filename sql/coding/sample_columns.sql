-- coding/<source>_verification.parquet (the sample drawn for verification) and
-- coding/<source>_recheck.parquet (batches queued for full re-check)
SELECT CAST(record_id AS VARCHAR) AS record_id,
       CAST(variable AS VARCHAR) AS variable,
       CAST(batch AS VARCHAR) AS batch,
       CAST(text AS VARCHAR) AS text,
       CAST(code AS VARCHAR) AS code,
       CAST(status AS VARCHAR) AS status,
       CAST(method AS VARCHAR) AS method
FROM {{ table }}
