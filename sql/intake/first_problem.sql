-- One quarantine row per input row: the first failing check (by priority, then field).
SELECT _row, record_id, field, reason
FROM (
    SELECT c.*, row_number() OVER (PARTITION BY _row ORDER BY priority, field, reason) AS rn
    FROM {{ checks }} c
) ranked
WHERE rn = 1
