-- The reference records without a date of birth (a standardised table, {{ table }}).
SELECT CAST(t.record_id AS VARCHAR) AS record_id
FROM {{ table }} t
WHERE t.dob IS NULL
