-- Rows whose identifier is missing or blank.
SELECT _row, CAST(NULL AS VARCHAR) AS record_id, $id_field AS field,
       'missing identifier' AS reason, CAST(NULL AS VARCHAR) AS value_kind, 1 AS priority
FROM {{ raw }}
WHERE {{ id }} IS NULL OR trim({{ id }}) = ''
