-- The capped blocking keys of the reference records (add_capped_key.sql's columns and
-- joins) without the records' other columns: record_id and the key columns, for the
-- records with at least one key (`keyed`: their IS NOT NULL, joined by OR). Prediction
-- blocks its capped rules on this table and reads the records' fields from the reference
-- itself (a view): at a million records the reference is not copied to carry its keys.
SELECT *
FROM (SELECT t.record_id, {{ columns|sql }}
      FROM {{ rows|sql }} t
      {{ joins|sql }}) AS k
WHERE {{ keyed|sql }}
