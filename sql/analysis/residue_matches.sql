-- Records two sources hold for the same person that neither links to a reference unit
-- (the people both sources hold and the reference lacks: n011 of the three-list
-- estimate, spinelink.analysis.three_lists). Two records are one person when they share
-- any person key: `persons_a|sql` / `persons_b|sql` select (record_id, person) from
-- `ra` / `rb` once per key, composed by spinelink.analysis.residues (an identifier both
-- carry, names with the date of birth, one name with the date of birth and postcode; a
-- key with a part missing is NULL and matches nothing). Returns the pairs.
WITH ra AS (
    SELECT s.* FROM {{ standardised_a }} AS s
    ANTI JOIN {{ links_a }} AS l ON l.source_id = CAST(s.record_id AS VARCHAR)
),
rb AS (
    SELECT s.* FROM {{ standardised_b }} AS s
    ANTI JOIN {{ links_b }} AS l ON l.source_id = CAST(s.record_id AS VARCHAR)
),
a AS ({{ persons_a|sql }}),
b AS ({{ persons_b|sql }})
SELECT DISTINCT a.record_id AS a_id, b.record_id AS b_id
FROM a JOIN b ON a.person = b.person
WHERE a.person IS NOT NULL
ORDER BY a_id, b_id
