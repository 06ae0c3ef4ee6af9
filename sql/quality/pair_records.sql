-- The records of one side that are in a set of scored pairs (for the rule captures: only
-- they need the model's derived blocking columns).
SELECT t.*
FROM {{ table }} t
WHERE CAST(t.record_id AS VARCHAR) IN (SELECT {{ id_col }} FROM {{ pairs }})
