-- The records step $step linked leave the pool (the reference side only when links are
-- one-to-one). Those of earlier steps left it after their own step: only this step's
-- links are read, not the whole growing links table (main's delete: 0.04 s a step at 1M).
DELETE FROM {{ src_pool }} WHERE record_id IN (SELECT source_id FROM {{ links }} WHERE step = $step);
DELETE FROM {{ ref_pool }} WHERE $one_to_one AND record_id IN (SELECT reference_id FROM {{ links }} WHERE step = $step);
