-- The identifying columns of a side's records, without those already linked
-- deterministically when $exclude (the source side; the reference side when one-to-one).
SELECT {{ columns|sql }}
FROM {{ table }} t
WHERE NOT ($exclude AND EXISTS (SELECT 1 FROM {{ links }} l WHERE l.{{ id_col }} = t.record_id))
