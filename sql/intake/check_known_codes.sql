-- Values that must come from a known list (sex codes, a code list). Each distinct value
-- is looked up once ({{ normalised }}: its lookup form, of the column `v`), then the rows
-- holding the values not found are taken: the lookup form of every row (a regular
-- expression for sex codes) cost ~0.08 s a million rows, for a handful of values.
WITH unknown AS (
    SELECT v
    FROM (SELECT DISTINCT {{ col }} AS v FROM {{ raw }}) d
    WHERE v IS NOT NULL AND trim(v) <> ''
      AND NOT list_contains($codes, {{ normalised|sql }})
)
SELECT _row, trim({{ id }}) AS record_id, $field AS field,
       $reason AS reason, sl_intake_value_kind({{ col }}) AS value_kind, $priority AS priority
FROM {{ raw }}
WHERE {{ col }} IN (SELECT v FROM unknown)
