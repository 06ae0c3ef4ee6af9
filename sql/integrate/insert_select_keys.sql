-- Sort keys choosing which of several records of one source linked to the same unit
-- supplies values: the latest date ($rule = 'most_recent', $fmt), or the lowest rank
-- ($rule = 'priority': the position of the value in $order when given, else the value
-- as a number, then as text).
INSERT INTO {{ keys }}
SELECT
    $source,
    i.record_id,
    CASE WHEN $rule = 'most_recent'
         THEN CAST(try_strptime(trim(CAST(i.{{ column }} AS VARCHAR)), $fmt) AS DATE) END,
    CASE WHEN $rule = 'priority' AND len($order) > 0
             THEN nullif(list_position($order, trim(CAST(i.{{ column }} AS VARCHAR))), 0)
         WHEN $rule = 'priority'
             THEN try_cast(trim(CAST(i.{{ column }} AS VARCHAR)) AS DOUBLE) END,
    CASE WHEN $rule = 'priority' THEN trim(CAST(i.{{ column }} AS VARCHAR)) END
FROM {{ intake }} AS i
