-- The first $sample non-empty values of a column, in file order (date-format inference).
CREATE OR REPLACE TEMP TABLE {{ sample }} AS
SELECT _row, {{ col }} AS v
FROM {{ raw }}
WHERE {{ col }} IS NOT NULL AND trim({{ col }}) <> ''
ORDER BY _row
LIMIT $sample
