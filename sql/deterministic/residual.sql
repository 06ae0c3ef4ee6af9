-- Records left for probabilistic linkage: those without a deterministic link
-- (on the reference side only when $exclude, i.e. links are one-to-one).
SELECT t.*
FROM {{ table }} t
WHERE NOT ($exclude AND EXISTS (SELECT 1 FROM {{ links }} l WHERE l.{{ id_col }} = t.record_id))
