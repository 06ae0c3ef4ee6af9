-- Non-empty values of a column.
SELECT count(*) FROM {{ raw }} WHERE {{ col }} IS NOT NULL AND trim({{ col }}) <> ''
