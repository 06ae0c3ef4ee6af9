-- the standardised table plus one column per coded variable: its code (NULL while the
-- answer waits for clerical coding)
WITH c AS (
    SELECT record_id AS _coded_id, {{ pivot|sql }}
    FROM {{ codes }}
    GROUP BY record_id
)
SELECT s.*, {{ columns|sql }}
FROM {{ std }} AS s
LEFT JOIN c ON c._coded_id = s.record_id
ORDER BY s.record_id
