-- The personal fields of reference records that are candidates of one source record
-- with others, as one key (two records of one person agree on them), and whether every
-- one of them is present (probabilistic.tied_persons).
-- {{ fields|sql }}: coalesce(CAST(<column> AS VARCHAR), '') for each personal column;
-- {{ present|sql }}: <column> IS NOT NULL for each.
SELECT CAST(r.record_id AS VARCHAR) AS record_id,
       concat_ws('|', {{ fields|sql }}) AS person,
       coalesce({{ present|sql }}, false) AS complete
FROM {{ ref }} r
JOIN __sl_tied_ids i ON CAST(r.record_id AS VARCHAR) = i.record_id
