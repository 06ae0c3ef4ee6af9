-- A step whose key has fields that must not disagree (`not_disagree` in the match-key
-- file): of its unique-key links, those whose two records agree on each such field or
-- where either record lacks it. The others stay in the pools for the next steps.
SELECT k.reference_id, k.source_id, k.method
FROM ({{ links|sql }}) k
JOIN {{ ref_pool }} rp ON rp.record_id = k.reference_id
JOIN {{ src_pool }} sp ON sp.record_id = k.source_id
WHERE {{ guard|sql }}
