-- Each source record's `persons_apart` unit (records sharing it are different persons),
-- for the records that name one.
SELECT CAST(record_id AS VARCHAR) AS r, {{ apart }} AS u
FROM {{ source }}
WHERE {{ apart }} IS NOT NULL
