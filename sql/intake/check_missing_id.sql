-- Rows whose identifier is missing or blank. `field` names the identifier; for a
-- composite id, the parts that are missing ({{ missing_parts }}: one CASE per part giving
-- its name when it is missing, NULL otherwise; concat_ws skips the NULLs).
SELECT _row, CAST(NULL AS VARCHAR) AS record_id,
       coalesce(nullif(concat_ws('+', {{ missing_parts|sql }}), ''), $id_field) AS field,
       'missing identifier' AS reason, CAST(NULL AS VARCHAR) AS value_kind, 1 AS priority
FROM {{ raw }}
WHERE {{ id }} IS NULL OR trim({{ id }}) = ''
