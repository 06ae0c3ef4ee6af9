-- The leave-partner-out sample: ids of source records that have a deterministic link, at
-- most $limit of them, chosen by a seeded hash of the record id.
SELECT CAST(t.record_id AS VARCHAR) AS record_id
FROM {{ table }} t
WHERE t.record_id IN (SELECT source_id FROM {{ links }})
ORDER BY hash(CAST(t.record_id AS VARCHAR) || CAST($seed AS VARCHAR)), t.record_id
LIMIT $limit
