-- How often the reference holds co-twins (quality.twins), per decade of birth (`cohort`,
-- the first three digits of the year): of the reference records with first name, surname,
-- date of birth and postcode (`persons`), how many have a co-twin in the reference
-- (`with_twin`: a record of the same surname, date of birth and postcode whose first name
-- is no form of theirs, finalise/first_name_forms.sql). Twins live together as children
-- and apart as adults, so the share differs by cohort. {{ ref }} is a quality.twins view:
-- the surname as `surname`, the forms test's last-name columns empty.
WITH p AS (
    SELECT * FROM {{ ref }}
    WHERE first_name IS NOT NULL AND surname IS NOT NULL AND dob_iso IS NOT NULL
      AND postcode IS NOT NULL
),
t AS (
    SELECT DISTINCT s.record_id
    FROM p s JOIN p r ON r.surname = s.surname AND r.dob_iso = s.dob_iso
        AND r.postcode = s.postcode AND r.record_id <> s.record_id
    WHERE NOT coalesce({{ forms|sql }}, FALSE)
)
SELECT substr(CAST(p.dob_iso AS VARCHAR), 1, 3) AS cohort, count(*) AS persons,
       count(t.record_id) AS with_twin
FROM p LEFT JOIN t ON t.record_id = p.record_id
GROUP BY 1
ORDER BY 1
