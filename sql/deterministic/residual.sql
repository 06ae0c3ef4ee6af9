-- The identifying columns of a side's records, without those already linked
-- deterministically when $exclude (the source side; the reference side when one-to-one).
-- In record order: the anti-join's output order varies with the threads, and EM's sums
-- over these records (spinelink.training) must add up in one order run after run.
SELECT {{ columns|sql }}
FROM {{ table }} t
WHERE NOT ($exclude AND EXISTS (SELECT 1 FROM {{ links }} l WHERE l.{{ id_col }} = t.record_id))
ORDER BY t.record_id
