-- Values set to missing in rows that are not quarantined: one row per (row, field).
SELECT _row, min(record_id) AS record_id, field, min(reason) AS reason
FROM {{ checks }} c
WHERE priority >= $value_priority
  AND NOT EXISTS (SELECT 1 FROM {{ quarantine }} q WHERE q._row = c._row)
GROUP BY _row, field
