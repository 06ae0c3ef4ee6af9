-- Source records without a link that share an identifier's value ({{ ident }}) with
-- records of the same source, all of them linked to one reference record, linked to it
-- too (spinelink.shared_identifiers): one person's records of a source that holds several
-- (jobs on W-2 forms), one of them with a first name noised beyond the model's levels.
-- An identifier copied from a household member, or mistyped into another person's, is
-- the error it can make: the record's middle initial must agree with a record of the
-- identifier linked to the unit and with the unit's own (both present), and a first name
-- the nickname lists know (a real name, not a typo or a placeholder's role word) must be
-- a form of the unit's or of one of those records' (first_name_forms.sql): another real
-- name is another person (a spouse filing with the other's SSN). A record without a middle
-- initial (a 1040 dependant's row) joins on its first name alone, only a unit whose links of
-- the identifier reach the run's target precision (parameter confident).
WITH linked AS (
    SELECT l.reference_id, s.record_id, s.{{ ident }} AS ident,
           substr(s.middle_name, 1, 1) AS mi, coalesce(l.match_probability, 1.0) AS p
    FROM {{ links }} l
    JOIN {{ src }} s ON s.record_id = l.source_id
    WHERE s.{{ ident }} IS NOT NULL
), units AS (
    SELECT ident, min(reference_id) AS reference_id
    FROM linked
    GROUP BY ident
    HAVING count(DISTINCT reference_id) = 1
), known AS (
    SELECT key AS name FROM {{ nicknames }} WHERE NOT by_rom
    UNION SELECT canonical FROM {{ nicknames }} WHERE NOT by_rom
    UNION SELECT key FROM {{ roots }}
    UNION SELECT root1 FROM {{ roots }} UNION SELECT root2 FROM {{ roots }}
    UNION SELECT root3 FROM {{ roots }}
)
SELECT u.reference_id, s.record_id AS source_id
FROM {{ src }} s
JOIN units u ON s.{{ ident }} = u.ident
JOIN {{ ref }} r ON r.record_id = u.reference_id
WHERE s.record_id NOT IN (SELECT source_id FROM {{ links }})
  AND ((substr(s.middle_name, 1, 1) = substr(r.middle_name, 1, 1)
        AND EXISTS (SELECT 1 FROM linked l
                    WHERE l.ident = u.ident AND l.mi = substr(s.middle_name, 1, 1))
        AND (s.first_name IS NULL
             OR s.first_name NOT IN (SELECT name FROM known WHERE name IS NOT NULL)
             OR (r.first_name IS NOT NULL AND {{ forms|sql }})
             OR EXISTS (SELECT 1 FROM linked l JOIN {{ src }} r ON r.record_id = l.record_id
                        WHERE l.ident = u.ident AND r.first_name IS NOT NULL
                          AND {{ forms|sql }})))
       -- a record without a middle initial (a 1040 dependant's row): its first name must be
       -- a form of the unit's and of a record of the identifier linked to it, and those
       -- records' links all at least the run's target precision (its link is only as right)
       OR (s.middle_name IS NULL AND s.first_name IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM linked l WHERE l.ident = u.ident
                           AND l.p < $confident)
           AND r.first_name IS NOT NULL AND {{ forms|sql }}
           AND EXISTS (SELECT 1 FROM linked l JOIN {{ src }} r ON r.record_id = l.record_id
                       WHERE l.ident = u.ident AND r.first_name IS NOT NULL
                         AND {{ forms|sql }})))
