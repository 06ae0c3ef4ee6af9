-- The rows of one of the previous run's link outputs (links, review or scored pairs) of
-- the records an incremental run does not link anew: every record but those it links
-- anew and those a replacing delivery removed (`drop`).
SELECT * FROM read_parquet($previous)
WHERE CAST(source_id AS VARCHAR) NOT IN (SELECT record_id FROM {{ drop }})
