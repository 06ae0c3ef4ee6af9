-- For each variable and pair of sources: units where both have a value, and how many of
-- those values agree.
SELECT
    a.variable,
    a.source AS source_a,
    b.source AS source_b,
    count(*) AS n_both,
    count(*) FILTER (WHERE a.value = b.value) AS n_agree
FROM {{ candidates }} AS a
JOIN {{ candidates }} AS b
    ON b.reference_id = a.reference_id AND b.variable = a.variable
   AND a.source_order < b.source_order
WHERE a.value IS NOT NULL AND b.value IS NOT NULL
GROUP BY a.variable, a.source, b.source
ORDER BY a.variable, a.source, b.source
