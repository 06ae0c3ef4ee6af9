-- Every occurrence of an identifier after its first row is a duplicate. $row_label: what
-- _row counts, 'line' (CSV: the file's line, header = 1) or 'row' (Parquet).
SELECT _row, rid AS record_id, $id_field AS field,
       'duplicate identifier (first seen at ' || $row_label || ' ' || CAST(first_row AS VARCHAR)
       || ')' AS reason,
       CAST(NULL AS VARCHAR) AS value_kind, 2 AS priority
FROM (
    SELECT _row, trim({{ id }}) AS rid,
           min(_row) OVER (PARTITION BY trim({{ id }})) AS first_row
    FROM {{ raw }}
    WHERE {{ id }} IS NOT NULL AND trim({{ id }}) <> ''
) d
WHERE _row > first_row
