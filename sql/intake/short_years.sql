-- The dates of one field whose year is shorter than the format's four digits ($reason):
-- how many (`n`), and the first of them by row (its `_row` and `record_id`, never the value).
SELECT _row, record_id, count(*) OVER () AS n
FROM {{ checks }}
WHERE field = $field AND reason = $reason
ORDER BY _row
LIMIT 1
