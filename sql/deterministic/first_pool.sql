-- The source's pool after the cascade's first step ($step, 0): its records ({{ src_all }},
-- every source record) but those the step linked. remove_linked.sql takes those of each
-- later step out of it.
CREATE OR REPLACE TEMP TABLE {{ src_pool }} AS
SELECT a.*
FROM {{ src_all }} a
WHERE NOT EXISTS (SELECT 1 FROM {{ links }} l WHERE l.step = $step AND l.source_id = a.record_id)
