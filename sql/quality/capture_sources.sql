-- The source records the rule captures read (per_source.rule_captures): the residual ones
-- (no deterministic link: their profiles, record_profiles.sql) and those of the scored
-- pairs and the match keys' links (rule_captures.sql); not those a direct identifier
-- linked, which neither reads (their capped keys were a third of the work at 1M).
SELECT t.*
FROM {{ table }} t
WHERE CAST(t.record_id AS VARCHAR) NOT IN (SELECT source_id FROM {{ det }})
   OR CAST(t.record_id AS VARCHAR) IN (SELECT source_id FROM {{ pairs }})
