-- Linked records leave the pool (the reference side only when links are one-to-one).
DELETE FROM {{ src_pool }} WHERE record_id IN (SELECT source_id FROM {{ links }});
DELETE FROM {{ ref_pool }} WHERE $one_to_one AND record_id IN (SELECT reference_id FROM {{ links }});
