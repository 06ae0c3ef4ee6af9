-- Dates of birth: parseable in the source's format, not in the future, age <= max_age.
SELECT _row, trim({{ id }}) AS record_id, $field AS field,
       CASE
         WHEN regexp_full_match(trim({{ col }}), '[0-9]{5}(\.[0-9]+)?')
           THEN 'looks like a spreadsheet serial number, not a date in format ' || $fmt
         WHEN d IS NULL THEN 'not a valid date in format ' || $fmt
         WHEN d > $ref_date THEN 'date of birth after the reference date'
         ELSE 'date of birth implies an age over ' || CAST($max_age AS VARCHAR)
       END AS reason,
       10 AS priority
FROM (
    SELECT _row, {{ id }}, {{ col }}, CAST(try_strptime(trim({{ col }}), $fmt) AS DATE) AS d
    FROM {{ raw }}
    WHERE {{ col }} IS NOT NULL AND trim({{ col }}) <> ''
) p
WHERE d IS NULL OR d > $ref_date OR d < $ref_date - to_years($max_age)
