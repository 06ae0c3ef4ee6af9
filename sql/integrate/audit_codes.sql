-- The audit rows of one source's `codes:` map of one variable (applied at intake,
-- spinelink.code_maps): each candidate record's value as delivered (`_raw_<column>` of
-- its intake table) -> the code it was mapped to, where they differ (trimming is not a
-- change). A UNION ALL part of audit.sql (spinelink.integrate.audit.write_audit); the
-- source and the variable are bound parameters, whose names audit.py puts in.
SELECT c.reference_id, c.source, c.record_id, c.variable,
       CAST(i.{{ raw }} AS VARCHAR), CAST(i.{{ column }} AS VARCHAR), 'codes',
       'codes.' || c.variable || ' of source ' || c.source,
       CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
FROM {{ candidates }} AS c
JOIN {{ intake }} AS i ON i.record_id = c.record_id
WHERE c.source = {{ source|sql }} AND c.variable = {{ variable|sql }}
  AND CAST(i.{{ raw }} AS VARCHAR) IS DISTINCT FROM CAST(i.{{ column }} AS VARCHAR)
  AND NOT (i.{{ column }} IS NOT NULL
           AND trim(CAST(i.{{ raw }} AS VARCHAR)) = CAST(i.{{ column }} AS VARCHAR))
