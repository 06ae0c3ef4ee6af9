-- The previous run's reference record ids still in this run's reference, each with
-- whether it now holds another person: of the previous standardised reference
-- (`$previous`) and this one (`$current`), at least two of first name (or its canonical
-- form), last name (romanisation keys) and date of birth present on both sides, and none
-- of them agreeing (a correction changes one or two, a marriage the surname). Columns:
-- id, another_person. The one definition that reference_persons.sql counts and the
-- spine stage renews units by.
WITH prev AS (SELECT CAST(record_id AS VARCHAR) AS id, first_name_rom AS f,
                     first_name_canon_rom AS fc, last_name_rom AS l, dob AS d
              FROM read_parquet($previous)),
cur AS (SELECT CAST(record_id AS VARCHAR) AS id, first_name_rom AS f,
               first_name_canon_rom AS fc, last_name_rom AS l, dob AS d
        FROM read_parquet($current)),
shared AS (
    SELECT p.id,
           (CASE WHEN p.f IS NOT NULL AND c.f IS NOT NULL THEN 1 ELSE 0 END
            + CASE WHEN p.l IS NOT NULL AND c.l IS NOT NULL THEN 1 ELSE 0 END
            + CASE WHEN p.d IS NOT NULL AND c.d IS NOT NULL THEN 1 ELSE 0 END) AS comparable,
           coalesce(p.f = c.f OR p.fc = c.fc OR p.l = c.l OR p.d = c.d, FALSE) AS agrees
    FROM prev p JOIN cur c ON c.id = p.id
)
SELECT id, comparable >= 2 AND NOT agrees AS another_person FROM shared
