-- units of the integrated output failing one edit rule: `when` holds and `require` is
-- false (NULL does not fail)
SELECT reference_id
FROM {{ integrated }}
WHERE coalesce(({{ when|sql }}), FALSE) AND coalesce(NOT ({{ require|sql }}), FALSE)
