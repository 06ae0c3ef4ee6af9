-- How many of (up to $sample) non-empty values of a column parse in the format $fmt to a
-- date with a four-digit year (`n`: values looked at; `parsed`: of them, dates), and of
-- those how many fall in [$low, $high] (`plausible`; with no window, all of them).
SELECT count(*) AS n,
       count(CASE WHEN year(d) >= 1000 THEN 1 END) AS parsed,
       count(CASE WHEN year(d) >= 1000 AND ($low IS NULL OR d >= $low)
                   AND ($high IS NULL OR d <= $high) THEN 1 END) AS plausible
FROM (
    SELECT sl_intake_parse_date(v, $fmt) AS d
    FROM (
        SELECT {{ col }} AS v FROM {{ raw }}
        WHERE {{ col }} IS NOT NULL AND trim({{ col }}) <> ''
        ORDER BY _row
        LIMIT $sample
    ) s
) p
