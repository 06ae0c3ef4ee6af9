-- The audit trail: every change from a raw value to an integrated one, for the records
-- that supplied candidate values. raw_value is always the raw value of
-- (source, source_record_id) as read; new_value the value after the stage:
--   standardise  raw -> standardised form (canonical fields; trimming is not a change)
--   codes        the value as delivered -> the code the source's `codes:` map gave it
--                at intake (audit_codes.sql, one part per source and variable mapped)
--   code_map     raw -> target code (or NULL, rule invalid_code)
--   integrate    the reference record's raw value -> the integrated value, when the
--                integrated value is not the reference's own (filled in or overridden);
--                from_source/from_record_id name the record it came from.
SELECT c.reference_id, c.source, c.record_id AS source_record_id, c.variable,
       c.raw_value, c.std_value AS new_value, 'standardise' AS stage,
       'standardise ' || c.variable AS rule,
       CAST(NULL AS VARCHAR) AS from_source, CAST(NULL AS VARCHAR) AS from_record_id
FROM {{ candidates }} AS c
WHERE c.raw_value IS DISTINCT FROM c.std_value
  AND NOT (c.std_value IS NOT NULL AND trim(c.raw_value) = c.std_value)
  AND NOT (c.std_value IS NULL AND nullif(trim(c.raw_value), '') IS NULL)
UNION ALL
SELECT c.reference_id, c.source, c.record_id, c.variable, c.raw_value, c.value, 'code_map',
       CASE WHEN c.invalid THEN 'invalid_code: not in ' || p.lists
            ELSE c.code_list || ' -> ' || p.target END,
       NULL, NULL
FROM {{ candidates }} AS c
JOIN {{ plan }} AS p ON p.variable = c.variable AND p.source = c.source
WHERE c.coded AND c.std_value IS NOT NULL AND c.value IS DISTINCT FROM c.std_value
UNION ALL
SELECT d.reference_id, c.source, c.record_id, d.variable, c.raw_value, d.value, 'integrate',
       d.rule || ': ' || d.status, d.source, d.record_id
FROM {{ decided }} AS d
JOIN {{ candidates }} AS c
    ON c.reference_id = d.reference_id AND c.variable = d.variable AND c.source = $reference
WHERE c.value IS DISTINCT FROM d.value{{ coded|sql }}
ORDER BY 1, 4, 7, 2
