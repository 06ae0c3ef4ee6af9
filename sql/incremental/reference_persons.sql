-- Whether this run's reference holds the previous run's reference records (the spine's
-- units, whose ids are their record ids): of the previous standardised reference
-- (`$previous`), how many record ids are still in this one (`$current`) and how many of
-- those now hold another person (`shared`: sql/incremental/reference_shared.sql).
-- `others`: up to $show of those ids, the lowest first (ids only).
WITH shared AS ({{ shared|sql }})
SELECT (SELECT count(*) FROM read_parquet($previous)) AS previous,
       count(*) AS kept,
       count(*) FILTER (WHERE another_person) AS other,
       list_sort(list(id) FILTER (WHERE another_person))[1:$show] AS others
FROM shared
