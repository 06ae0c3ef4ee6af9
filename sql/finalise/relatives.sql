-- Links to hold for clerical review as probably a relative of the person: several source
-- records are linked to one reference unit, this one's first name is not a form of the
-- unit's (none of the first-name comparison's agreeing levels in person_auto.yaml, nor
-- the first name standing in the middle or last name's place), and another record linked
-- to the unit carries a form of it. Twins share surname, address and date of birth, a
-- sibling or parent surname and address, a mistyped or shared identifier anything; the
-- first name is what tells them apart. Records without a first name are never held.
WITH linked AS (
    SELECT k.reference_id, k.source_id,
           CASE WHEN s.first_name IS NULL OR r.first_name IS NULL THEN NULL
                WHEN {{ forms|sql }}
                THEN TRUE ELSE FALSE END AS agrees
    FROM {{ links }} k
    JOIN {{ ref }} r ON CAST(r.record_id AS VARCHAR) = k.reference_id
    JOIN {{ src }} s ON CAST(s.record_id AS VARCHAR) = k.source_id
)
SELECT h.reference_id, h.source_id
FROM linked h
WHERE h.agrees = FALSE
  AND EXISTS (SELECT 1 FROM linked o
              WHERE o.reference_id = h.reference_id AND o.source_id <> h.source_id
                AND o.agrees)
ORDER BY h.source_id, h.reference_id
