-- The links the held-relatives term reads (quality.held_person): per link whose records
-- both carry a first name, its unit (reference_id) and whether the first names are forms
-- of one name (finalise/first_name_forms.sql, the test the relatives rule holds links
-- by). {{ links }}: reference_id, source_id; {{ ref }}, {{ src }}: the standardised
-- records.
SELECT l.reference_id, coalesce({{ forms|sql }}, FALSE) AS forms
FROM {{ links }} l
JOIN {{ ref }} r ON CAST(r.record_id AS VARCHAR) = l.reference_id
JOIN {{ src }} s ON CAST(s.record_id AS VARCHAR) = l.source_id
WHERE r.first_name IS NOT NULL AND s.first_name IS NOT NULL
ORDER BY l.reference_id, l.source_id
