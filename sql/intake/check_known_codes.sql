-- Values that must come from a known list (sex codes, a code list).
SELECT _row, trim({{ id }}) AS record_id, $field AS field,
       $reason AS reason, sl_intake_value_kind({{ col }}) AS value_kind, $priority AS priority
FROM {{ raw }}
WHERE {{ col }} IS NOT NULL AND trim({{ col }}) <> ''
  AND NOT list_contains($codes, {{ normalised|sql }})
