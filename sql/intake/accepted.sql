-- Accepted rows: every row not quarantined, id trimmed, values set to missing where a
-- value check failed (invalid_values: set_missing), and the parsed date of birth.
WITH v AS (
    SELECT _row, list(field) AS fields FROM {{ values }} GROUP BY _row
), kept AS (
    SELECT r._row, trim(r.{{ id }}) AS record_id, {{ columns|sql }}
    FROM {{ raw }} r
    LEFT JOIN v ON v._row = r._row
    WHERE NOT EXISTS (SELECT 1 FROM {{ quarantine }} q WHERE q._row = r._row)
)
SELECT *{{ dob|sql }}
FROM kept
ORDER BY _row
