-- Links to hold for clerical review as probably a relative of the person: several source
-- records are linked to one reference unit, this one's first name is not a form of the
-- unit's (none of the first-name comparison's agreeing levels in person_auto.yaml, nor
-- the first name standing in the middle or last name's place), and another record linked
-- to the unit carries a form of it. Twins share surname, address and date of birth, a
-- sibling or parent surname and address, a mistyped or shared identifier anything; the
-- first name is what tells them apart. Records without a first name are never held.
-- A unit without a first name cannot say which of its records names its person: its
-- strongest link with a first name stands in for it (highest match probability,
-- deterministic links counting as 1, then the lowest source id), and a record whose first
-- name is no form of that one's is another person: held.
-- The first name cannot tell a father from the son named after him: a record whose first
-- name is a form of the unit's but whose date of birth is more than a year from the
-- unit's (and not one typo or the day and month swapped) is held when another record
-- linked to the unit carries a form of the first name and the unit's date of birth (one
-- typo, or day and month swapped, allowed), unless a co-resident of the unit (another
-- reference record at its address) was born that day: a date copied from a household
-- member is an error of the person's record, not another person.
WITH linked AS (
    SELECT k.reference_id, k.source_id, k.match_probability AS p,
           r.first_name IS NULL AS unnamed,
           CASE WHEN s.first_name IS NULL OR r.first_name IS NULL THEN NULL
                WHEN {{ forms|sql }}
                THEN TRUE ELSE FALSE END AS agrees,
           CASE WHEN s.dob IS NULL OR r.dob IS NULL THEN NULL
                WHEN s.dob_iso = r.dob_iso OR s.dob_iso = r.dob_swapped
                     OR levenshtein(s.dob_iso, r.dob_iso) <= 1 THEN 'same'
                WHEN abs(date_diff('day', s.dob, r.dob)) <= 366 THEN 'near'
                ELSE 'apart' END AS born,
           r.address AS unit_address, s.dob_iso AS born_on
    FROM {{ links }} k
    JOIN {{ ref }} r ON CAST(r.record_id AS VARCHAR) = k.reference_id
    JOIN {{ src }} s ON CAST(s.record_id AS VARCHAR) = k.source_id
),
named_apart AS (
    SELECT h.reference_id, h.source_id
    FROM linked h
    WHERE h.agrees = FALSE
      AND EXISTS (SELECT 1 FROM linked o
                  WHERE o.reference_id = h.reference_id AND o.source_id <> h.source_id
                    AND o.agrees)
),
dated_apart AS (  -- a namesake of another generation (father and son, Jr. and Sr.)
    SELECT h.reference_id, h.source_id
    FROM linked h
    WHERE h.agrees AND h.born = 'apart'
      AND EXISTS (SELECT 1 FROM linked o
                  WHERE o.reference_id = h.reference_id AND o.source_id <> h.source_id
                    AND o.agrees AND o.born = 'same')
      AND NOT EXISTS (SELECT 1 FROM {{ ref }} c
                      WHERE c.address = h.unit_address AND c.dob_iso = h.born_on
                        AND CAST(c.record_id AS VARCHAR) <> h.reference_id)
),
strongest AS (  -- per unit without a first name, its strongest link with one
    SELECT reference_id, source_id
    FROM (SELECT l.reference_id, l.source_id,
                 row_number() OVER (PARTITION BY l.reference_id
                                    ORDER BY l.p DESC, l.source_id) AS rk
          FROM linked l
          JOIN {{ src }} s ON CAST(s.record_id AS VARCHAR) = l.source_id
          WHERE l.unnamed AND s.first_name IS NOT NULL) x
    WHERE rk = 1
),
rivals AS (
    SELECT h.reference_id, h.source_id
    FROM linked h
    JOIN strongest t ON t.reference_id = h.reference_id AND t.source_id <> h.source_id
    JOIN {{ src }} s ON CAST(s.record_id AS VARCHAR) = h.source_id
    JOIN {{ src }} r ON CAST(r.record_id AS VARCHAR) = t.source_id
    WHERE s.first_name IS NOT NULL AND NOT coalesce({{ forms|sql }}, FALSE)
)
SELECT reference_id, source_id FROM named_apart
UNION
SELECT reference_id, source_id FROM dated_apart
UNION
SELECT reference_id, source_id FROM rivals
ORDER BY source_id, reference_id
