-- The reference with its capped keys joined back from their own table
-- (reference_keys.sql), for Splink's own blocking (a model rule that is not a conjunction
-- of column equalities): every reference record, its keys where it holds one.
SELECT r.*, {{ keys|sql }}
FROM {{ ref }} r
LEFT JOIN {{ keyed }} k ON k.record_id = r.record_id
