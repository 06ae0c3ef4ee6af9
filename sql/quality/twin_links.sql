-- Links that may join a source record to the co-twin of the linked reference record's
-- person (quality.twins): per link (`__i`, its row in {{ links }}) whose records agree on
-- surname, date of birth and postcode, both first names present, whether the first names
-- are no forms of one name (finalise/first_name_forms.sql) while the reference holds no
-- such co-twin of the reference record (`kind`), and the reference record's decade of
-- birth (`cohort`, the first three digits of its year). The rows are the links of which
-- the kind is a share. {{ ref }} and {{ src }} are quality.twins' views: the surname as
-- `surname`, the forms test's last-name columns empty (the records share the surname).
WITH l AS (
    SELECT l.__i, r.record_id AS rid, substr(CAST(r.dob_iso AS VARCHAR), 1, 3) AS cohort,
           coalesce({{ forms|sql }}, FALSE) AS forms
    FROM {{ links }} l
    JOIN {{ ref }} r ON CAST(r.record_id AS VARCHAR) = l.reference_id
    JOIN {{ src }} s ON CAST(s.record_id AS VARCHAR) = l.source_id
    WHERE r.first_name IS NOT NULL AND s.first_name IS NOT NULL
      AND r.surname = s.surname AND r.dob_iso = s.dob_iso AND r.postcode = s.postcode
),
twin AS (  -- of those reference records, the ones with a co-twin in the reference
    SELECT DISTINCT s.record_id AS rid
    FROM {{ ref }} s
    JOIN {{ ref }} r ON r.surname = s.surname AND r.dob_iso = s.dob_iso
        AND r.postcode = s.postcode AND r.record_id <> s.record_id
    WHERE s.record_id IN (SELECT rid FROM l WHERE NOT forms)
      AND r.first_name IS NOT NULL
      AND NOT coalesce({{ forms|sql }}, FALSE)
)
SELECT l.__i, l.cohort, NOT l.forms AND l.rid NOT IN (SELECT rid FROM twin) AS kind
FROM l
ORDER BY l.__i
