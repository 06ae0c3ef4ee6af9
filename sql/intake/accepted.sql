-- Accepted rows: every row not quarantined, id trimmed, values set to missing where a
-- value check failed, and the parsed date of birth (`_dob`: NULL where that value was
-- set to missing).
WITH v AS (
    SELECT _row, list(field) AS fields FROM {{ values }}
    WHERE action = 'set to missing'
    GROUP BY _row
)
SELECT r._row, trim(r.{{ id }}) AS record_id, {{ columns|sql }}{{ dob|sql }}
FROM {{ raw }} r
LEFT JOIN v ON v._row = r._row
WHERE NOT EXISTS (SELECT 1 FROM {{ quarantine }} q WHERE q._row = r._row)
ORDER BY r._row
