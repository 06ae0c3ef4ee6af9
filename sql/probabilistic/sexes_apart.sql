-- Of pairs whose first name and sex are at the lowest level of the model's comparisons
-- (spinelink.evidence.sexes_apart), those whose surnames differ too (both present, neither
-- the same nor the same romanised key) and whose first names are no forms of one name
-- (finalise/first_name_forms.sql): two persons. A brother and a sister where surnames are
-- written by sex (Halytskyi / Halytska, Ivanov / Ivanova), twins among them, share
-- address and patronymic, and twins the date of birth; one person's records disagree on
-- first name, sex and surname only when three independent errors meet.
SELECT p.reference_id, p.source_id
FROM {{ pairs }} p
JOIN {{ ref }} r ON CAST(r.record_id AS VARCHAR) = p.reference_id
JOIN {{ src }} s ON CAST(s.record_id AS VARCHAR) = p.source_id
WHERE r.last_name IS NOT NULL AND s.last_name IS NOT NULL
  AND r.last_name <> s.last_name
  AND r.last_name_rom IS DISTINCT FROM s.last_name_rom
  AND NOT coalesce({{ forms|sql }}, FALSE)
ORDER BY p.source_id, p.reference_id
