-- The links the held-relatives term reads (quality.held_person): per link whose records
-- both carry a first name, its unit (reference_id), whether the first names are forms of
-- one name (finalise/first_name_forms.sql, the test the relatives rule holds links by),
-- and whether the unit is alone in its household on the reference (`alone`: it has a
-- surname and an address and no other reference record has both). A co-twin the
-- reference lacks lives with the unit's household (the co-twin kind agrees on surname,
-- date of birth and postcode, quality.twins), so a unit alone in it has few. {{ links }}:
-- reference_id, source_id; {{ ref }}, {{ src }}: the standardised records.
WITH hh AS (
    SELECT last_name, address, count(*) AS n
    FROM {{ ref }}
    WHERE last_name IS NOT NULL AND address IS NOT NULL
    GROUP BY last_name, address
)
SELECT l.reference_id, coalesce({{ forms|sql }}, FALSE) AS forms,
       coalesce(hh.n = 1, FALSE) AS alone
FROM {{ links }} l
JOIN {{ ref }} r ON CAST(r.record_id AS VARCHAR) = l.reference_id
JOIN {{ src }} s ON CAST(s.record_id AS VARCHAR) = l.source_id
LEFT JOIN hh ON hh.last_name = r.last_name AND hh.address = r.address
WHERE r.first_name IS NOT NULL AND s.first_name IS NOT NULL
ORDER BY l.reference_id, l.source_id
