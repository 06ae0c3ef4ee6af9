-- The first $sample non-empty values of a column, in file order (date-format inference);
-- text that only says "no value" (as in check_date.sql) is not a value. With $span, only
-- the rows up to $span past the first `_row` are looked at: when they hold $sample values
-- those are the first ones of the whole file (every other row comes after them), found
-- without testing and ordering a million rows (spinelink.intake_dates.sample_dates falls
-- back to every row, $span NULL, when they do not).
CREATE OR REPLACE TEMP TABLE {{ sample }} AS
SELECT _row, {{ col }} AS v
FROM {{ raw }}
WHERE ($span IS NULL OR _row <= (SELECT min(_row) FROM {{ raw }}) + $span)
  AND {{ col }} IS NOT NULL AND trim({{ col }}) <> ''
  AND lower(trim({{ col }})) NOT IN ('nan', 'null', 'none', 'n/a', 'nat', '-')
ORDER BY _row
LIMIT $sample
