-- The values of one field that failed a date check (to find the format they are in).
SELECT r._row, r.{{ col }} AS v
FROM {{ raw }} r
WHERE r._row IN (SELECT _row FROM {{ checks }} WHERE field = $field AND priority = 10)
