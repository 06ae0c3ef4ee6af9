-- cascade_keys.sql for every record of a table, with `seed`: whether the record is one of
-- `seeds` (the records a delivery adds or changes, which the closure starts from).
SELECT CAST(t.record_id AS VARCHAR) AS record_id, s.record_id IS NOT NULL AS seed,
       {{ hashes|sql }}
FROM {{ table }} t
LEFT JOIN {{ seeds }} s ON s.record_id = CAST(t.record_id AS VARCHAR)
