-- Whether this run's reference holds the previous run's reference records (the spine's
-- units, whose ids are their record ids): of the previous standardised reference
-- (`$previous`), how many record ids are still in this one (`$current`) and how many of
-- those now hold another person: at least two of first name (or its canonical form),
-- last name (romanisation keys) and date of birth present on both sides, and none of
-- them agreeing (a correction changes one or two, a marriage the surname). `others`: up
-- to $show of those ids, the lowest first (ids only).
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
SELECT (SELECT count(*) FROM prev) AS previous,
       count(*) AS kept,
       count(*) FILTER (WHERE comparable >= 2 AND NOT agrees) AS other,
       list_sort(list(id) FILTER (WHERE comparable >= 2 AND NOT agrees))[1:$show] AS others
FROM shared
