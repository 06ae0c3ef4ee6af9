-- The records of one side that are in a set of pairs (for the rule captures: the scored
-- pairs and the match keys' links; only they need the model's derived blocking columns).
SELECT t.*
FROM {{ table }} t
WHERE CAST(t.record_id AS VARCHAR) IN (SELECT {{ id_col }} FROM {{ pairs }})
