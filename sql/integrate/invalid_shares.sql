-- Per (source, variable) of a coded variable: the non-empty values, how many are in no
-- code list that applies to the source, and the first such record (by record id).
-- Counts and ids only: no values.
SELECT
    m.source,
    m.variable,
    p."column",
    p.lists,
    count(*) FILTER (WHERE m.std_value IS NOT NULL) AS n_values,
    count(*) FILTER (WHERE m.invalid) AS n_invalid,
    min(m.record_id) FILTER (WHERE m.invalid) AS first_record
FROM {{ mapped }} AS m
JOIN {{ plan }} AS p ON p.variable = m.variable AND p.source = m.source
WHERE p.coded
GROUP BY ALL
HAVING count(*) FILTER (WHERE m.invalid) > 0
ORDER BY m.source, m.variable
