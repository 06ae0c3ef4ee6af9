-- One quarantine row per input row: the first failing row-level check (by priority, then
-- field). {{ which }} limits the checks that remove a row (value checks may only null a value).
SELECT _row, record_id, field, reason
FROM (
    SELECT c.*, row_number() OVER (PARTITION BY _row ORDER BY priority, field, reason) AS rn
    FROM {{ checks }} c
    WHERE {{ which|sql }}
) ranked
WHERE rn = 1
