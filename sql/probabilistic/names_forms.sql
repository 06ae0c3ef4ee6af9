-- Pairs whose first names are at the lowest level of the model's first-name comparison
-- but are forms of one person's names all the same (finalise/first_name_forms.sql: a
-- first name in the middle or last name's place, ...), or whose first and middle initials
-- are crossed (James R. / Robert J.): not told apart by their names
-- (spinelink.evidence.names_apart).
SELECT p.reference_id, p.source_id
FROM {{ pairs }} p
JOIN {{ ref }} r ON CAST(r.record_id AS VARCHAR) = p.reference_id
JOIN {{ src }} s ON CAST(s.record_id AS VARCHAR) = p.source_id
WHERE coalesce({{ forms|sql }}, FALSE)
   OR coalesce(substr(s.first_name, 1, 1) = substr(r.middle_name, 1, 1)
               AND substr(r.first_name, 1, 1) = substr(s.middle_name, 1, 1), FALSE)
ORDER BY p.source_id, p.reference_id
