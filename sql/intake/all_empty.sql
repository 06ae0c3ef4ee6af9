-- Whether a column holds no value in any row (NULL or blank; any type).
SELECT count(*) = 0 FROM {{ raw }}
WHERE {{ col }} IS NOT NULL AND trim(CAST({{ col }} AS VARCHAR)) <> ''
