-- The reference records the probabilistic stage scored a source against: all of them,
-- or (one-to-one, $exclude) those without a deterministic link, plus here the partners of
-- the null sample's records (scored only to check the deterministic links).
SELECT {{ columns|sql }}
FROM {{ table }} t
WHERE NOT $exclude
   OR t.record_id NOT IN (SELECT reference_id FROM {{ links }})
   OR t.record_id IN (SELECT l.reference_id FROM {{ links }} l
                      JOIN {{ sample }} s ON s.record_id = l.source_id)
