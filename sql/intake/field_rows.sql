-- Rows with a failed value check, per field.
SELECT field, count(DISTINCT _row) AS n
FROM {{ checks }}
WHERE priority >= $flag_priority
GROUP BY field
ORDER BY field
