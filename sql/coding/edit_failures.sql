-- records of the intake table failing one edit rule: `when` holds and `require` is false
-- (a `require` that cannot be evaluated, NULL, does not fail)
SELECT _row, record_id
FROM {{ intake }}
WHERE coalesce(({{ when|sql }}), FALSE) AND coalesce(NOT ({{ require|sql }}), FALSE)
