-- For each candidate pair: how many of the prediction blocking rules it satisfies
-- (each rule: a conjunction of equal, non-missing columns).
SELECT p.reference_id, p.source_id, {{ captures|sql }} AS n_rules
FROM {{ pairs }} p
JOIN {{ ref }} l ON l.record_id = p.reference_id
JOIN {{ src }} r ON r.record_id = p.source_id
