-- The personal fields of reference records that tie as candidates of one source record,
-- as one key: two records of one person agree on them (probabilistic.tied_persons).
-- {{ fields|sql }}: coalesce(CAST(<column> AS VARCHAR), '') for each personal column.
SELECT CAST(r.record_id AS VARCHAR) AS record_id,
       concat_ws('|', {{ fields|sql }}) AS person
FROM {{ ref }} r
JOIN __sl_tied_ids i ON CAST(r.record_id AS VARCHAR) = i.record_id
