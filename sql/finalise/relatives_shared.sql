-- The links of the reference units that hold more than one (the only ones a relative can
-- be held on: spinelink.relatives), with deterministic links (no probability) as the
-- strongest: probability 1.
SELECT reference_id, source_id,
       CASE WHEN match_probability IS NULL OR isnan(match_probability) THEN 1.0
            ELSE match_probability END AS match_probability
FROM {{ links }}
WHERE reference_id IN (SELECT reference_id FROM {{ links }}
                       GROUP BY reference_id HAVING count(*) > 1)
