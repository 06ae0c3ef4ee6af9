-- coding/<source>.parquet: one row per record and coded variable, typed even when empty;
-- note: why an activity was derived from the occupation; what the coder said
-- (original_*) is kept beside any person's decision (decided_*)
SELECT CAST(record_id AS VARCHAR) AS record_id,
       CAST(variable AS VARCHAR) AS variable,
       CAST(text AS VARCHAR) AS text,
       CAST(code AS VARCHAR) AS code,
       CAST(level AS VARCHAR) AS level,
       CAST(status AS VARCHAR) AS status,
       CAST(score AS DOUBLE) AS score,
       CAST(method AS VARCHAR) AS method,
       CAST(note AS VARCHAR) AS note,
       CAST(original_code AS VARCHAR) AS original_code,
       CAST(original_status AS VARCHAR) AS original_status,
       CAST(decided_by AS VARCHAR) AS decided_by,
       CAST(decided_at AS VARCHAR) AS decided_at,
       CAST(decided_via AS VARCHAR) AS decided_via
FROM {{ table }}
