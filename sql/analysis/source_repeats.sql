-- Source records linked to no reference unit that repeat another such record of the same
-- person (a register that holds several claims or spells of one person): the
-- dual-system estimates count persons, not records. Two records are one person when they
-- carry the same identifier, or, without one, agree on standardised first name, last
-- name and date of birth (all three known). `person|sql` is that key, composed by
-- spinelink.analysis.stage from the table's quoted column names. The earliest record id
-- of each person stays in the counts; the others are returned.
WITH unlinked AS (
    SELECT s.record_id, {{ person|sql }} AS person
    FROM {{ standardised }} AS s
    ANTI JOIN {{ links }} AS l ON l.source_id = CAST(s.record_id AS VARCHAR)
)
SELECT CAST(record_id AS VARCHAR) AS record_id
FROM (
    SELECT record_id,
           row_number() OVER (PARTITION BY person ORDER BY record_id) AS k
    FROM unlinked
    WHERE person IS NOT NULL
)
WHERE k > 1
ORDER BY record_id
