-- coding/<source>_clerical.parquet: answers no automatic step coded with confidence
SELECT CAST(record_id AS VARCHAR) AS record_id,
       CAST(variable AS VARCHAR) AS variable,
       CAST(classification AS VARCHAR) AS classification,
       CAST(text AS VARCHAR) AS text,
       CAST(candidates AS VARCHAR) AS candidates
FROM {{ table }}
