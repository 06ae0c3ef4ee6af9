-- The first $sample non-empty values of a column, in file order (date-format inference);
-- text that only says "no value" (as in check_date.sql) is not a value.
CREATE OR REPLACE TEMP TABLE {{ sample }} AS
SELECT _row, {{ col }} AS v
FROM {{ raw }}
WHERE {{ col }} IS NOT NULL AND trim({{ col }}) <> ''
  AND lower(trim({{ col }})) NOT IN ('nan', 'null', 'none', 'n/a', 'nat', '-')
ORDER BY _row
LIMIT $sample
