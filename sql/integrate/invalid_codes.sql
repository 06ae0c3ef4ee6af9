-- Values not in any code list that applies to their source, for every accepted record
-- (linked or not). Codes only: no names or dates of birth. reference_id is the unit the
-- record is linked to (NULL when unlinked).
SELECT
    m.source,
    m.record_id,
    CASE WHEN m.source = $reference THEN m.record_id ELSE l.reference_id END AS reference_id,
    m.variable,
    p."column",
    m.raw_value AS value,
    p.lists AS expected_code_lists
FROM {{ mapped }} AS m
JOIN {{ plan }} AS p ON p.variable = m.variable AND p.source = m.source
LEFT JOIN {{ links }} AS l ON l.source = m.source AND l.record_id = m.record_id
WHERE m.invalid
ORDER BY m.source, m.record_id, m.variable
