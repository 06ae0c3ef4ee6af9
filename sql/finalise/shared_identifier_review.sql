-- The review band without the records linked by a shared identifier
-- (spinelink.shared_identifiers).
SELECT * FROM {{ review }} v
WHERE v.source_id NOT IN (SELECT source_id FROM {{ shared }})
