-- The links with the records linked by a shared identifier added (method
-- `shared:<identifier>`, no probability), and (shared_identifier_review.sql) the review
-- band without those records (spinelink.shared_identifiers).
SELECT * FROM {{ links }}
UNION ALL
SELECT reference_id, source_id, method, CAST(NULL AS DOUBLE) AS match_probability,
       CAST(NULL AS DOUBLE) AS match_weight
FROM {{ shared }}
