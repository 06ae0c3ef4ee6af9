-- Values flagged in rows that are not quarantined: one row per (row, field). A finding
-- from priority $value_priority on blanks the value ('set to missing'); one from
-- $flag_priority up to it only flags (the identifier that lost its leading zeros).
SELECT _row, min(record_id) AS record_id, field, min(reason) AS reason,
       min(value_kind) AS value_kind,
       CASE WHEN max(priority) >= $value_priority THEN 'set to missing'
            ELSE 'flagged, kept' END AS action
FROM {{ checks }} c
WHERE priority >= $flag_priority
  AND NOT EXISTS (SELECT 1 FROM {{ quarantine }} q WHERE q._row = c._row)
GROUP BY _row, field
