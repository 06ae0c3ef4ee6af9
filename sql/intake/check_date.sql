-- Dates of birth: parseable ({{ parsed }}: in the source's format, or a typed date column
-- as it is), and, when $dated (a reference date is known), not after $latest (the
-- reference date, or the latest date of birth a linked source may have) and not implying
-- an age over max_age at the reference date. Text that only says "no value" (nan, null,
-- none, n/a, NaT, -) is missing, not a failed date. Under a format with a four-digit
-- year ($four_digit), a year written shorter (03.04.85 read by %d.%m.%Y as the year 85)
-- does not fit the format: $short_year says so, rather than an age over max_age. A year
-- written with four digits and a leading zero (0992, a typo for 1992) has four digits: it
-- is an age over max_age.
SELECT _row, trim({{ id }}) AS record_id, $field AS field,
       CASE
         WHEN d IS NULL AND regexp_full_match(trim({{ col }}), '[0-9]{5}(\.[0-9]+)?')
           THEN 'looks like a spreadsheet serial number, not a date in format ' || $fmt
         WHEN d IS NULL THEN 'not a valid date in format ' || $fmt
         WHEN $four_digit AND year(d) < 1000
              AND NOT contains(trim({{ col }}), lpad(CAST(year(d) AS VARCHAR), 4, '0'))
           THEN 'not a valid date in format ' || $fmt || $short_year
         WHEN d > $latest THEN 'date of birth after the reference date'
         ELSE 'date of birth implies an age over ' || CAST($max_age AS VARCHAR)
       END AS reason,
       sl_intake_value_kind({{ col }}) AS value_kind,
       10 AS priority
FROM (
    SELECT _row, {{ id }}, {{ col }}, {{ parsed|sql }} AS d
    FROM {{ raw }} r
    WHERE {{ col }} IS NOT NULL AND trim({{ col }}) <> ''
      AND lower(trim({{ col }})) NOT IN ('nan', 'null', 'none', 'n/a', 'nat', '-')
) p
WHERE d IS NULL OR ($four_digit AND year(d) < 1000)
   OR ($dated AND (d > $latest OR d < $ref_date - to_years($max_age)))
