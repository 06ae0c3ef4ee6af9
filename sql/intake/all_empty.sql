-- Whether a column holds no value in any row (NULL or blank; any type). The scan stops at
-- the first value (LIMIT 1): a column with values, nearly every one, costs a row or a
-- block, not a pass over the file (a count over every row cost ~0.02 s a column at 1M).
SELECT count(*) = 0 FROM (
    SELECT 1 FROM {{ raw }}
    WHERE {{ col }} IS NOT NULL AND trim(CAST({{ col }} AS VARCHAR)) <> ''
    LIMIT 1
) v
