-- coding/<source>.parquet: one row per record and coded variable, typed even when empty
SELECT CAST(record_id AS VARCHAR) AS record_id,
       CAST(variable AS VARCHAR) AS variable,
       CAST(text AS VARCHAR) AS text,
       CAST(code AS VARCHAR) AS code,
       CAST(level AS VARCHAR) AS level,
       CAST(status AS VARCHAR) AS status,
       CAST(score AS DOUBLE) AS score
FROM {{ table }}
