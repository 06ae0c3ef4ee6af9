-- Accepted rows: every row not quarantined, with the id trimmed and the parsed date of birth.
SELECT r._row, trim(r.{{ id }}) AS record_id, {{ columns|sql }}{{ dob|sql }}
FROM {{ raw }} r
WHERE NOT EXISTS (SELECT 1 FROM {{ quarantine }} q WHERE q._row = r._row)
ORDER BY r._row
