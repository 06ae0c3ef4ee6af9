-- The date of each record of a source for a most_recent variable: a date column of the
-- intake table parsed with $fmt (NULL when missing or unparsable), or, when $from_period,
-- the end of the source's reference period for every record.
INSERT INTO {{ dates }}
SELECT
    $variable AS variable,
    $source AS source,
    i.record_id,
    CASE WHEN $from_period THEN CAST($period_end AS DATE)
         ELSE CAST(try_strptime(trim(CAST(i.{{ column }} AS VARCHAR)), $fmt) AS DATE) END
FROM {{ intake }} AS i
