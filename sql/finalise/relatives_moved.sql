-- The review band with the links held as probable relatives added (method prefixed
-- `relative:`), and the links without them (spinelink.relatives.hold).
SELECT * FROM {{ review }}
UNION ALL
SELECT l.reference_id, l.source_id, 'relative:' || l.method AS method,
       l.match_probability, l.match_weight
FROM {{ links }} l
JOIN {{ held }} h ON h.reference_id = l.reference_id AND h.source_id = l.source_id
