-- The deterministic links whose reference records the record model's claimed class holds
-- (`record_level`) on an incremental run: those of the records linked anew (`links`) and
-- the cascade's links the other records keep from the previous run (`kept`), as a full
-- run on the same state has them all.
SELECT CAST(reference_id AS VARCHAR) AS reference_id FROM {{ links }}
UNION ALL
SELECT CAST(reference_id AS VARCHAR) AS reference_id FROM {{ kept }}
WHERE method LIKE 'direct:%' OR method LIKE 'key:%'
