-- The sample's identifying columns, with the fields its missing-value pattern (drawn from
-- the residual's patterns) says are absent set to NULL.
SELECT {{ columns|sql }}
FROM {{ table }} t
JOIN {{ blanks }} b ON b.record_id = CAST(t.record_id AS VARCHAR)
