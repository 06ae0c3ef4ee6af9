-- How often the reference lacks a person whose household it holds (quality.twins), for
-- a co-resident of about one age: of the source records born by the reference's latest
-- date of birth in a household (surname and postcode, 2 to $max_residents such records)
-- where another record born within a year of theirs was linked by the stage (`at_home`),
-- how many are not linked themselves (`absent`). A co-twin is such a co-resident; the
-- household's members of other ages include people who joined it after the reference
-- was taken (partners, in-laws, lodgers), which no co-twin can be.
WITH lk AS (SELECT DISTINCT source_id FROM {{ links }}),
x AS (
    SELECT CAST(s.record_id AS VARCHAR) AS sid, s.last_name, s.postcode,
           s.dob, lk.source_id IS NOT NULL AS linked
    FROM {{ src }} s LEFT JOIN lk ON lk.source_id = CAST(s.record_id AS VARCHAR)
    WHERE s.last_name IS NOT NULL AND s.postcode IS NOT NULL
      AND s.dob_iso <= (SELECT max(dob_iso) FROM {{ ref }})
),
h AS (
    SELECT last_name, postcode FROM x GROUP BY last_name, postcode
    HAVING count(*) BETWEEN 2 AND $max_residents AND bool_or(linked)
),
home AS (  -- per record of such a household: is a linked co-resident of its age there
    SELECT a.sid, a.linked
    FROM x a
    JOIN h ON h.last_name = a.last_name AND h.postcode = a.postcode
    JOIN x b ON b.last_name = a.last_name AND b.postcode = a.postcode AND b.sid <> a.sid
    WHERE b.linked AND abs(date_diff('day', a.dob, b.dob)) <= 366
    GROUP BY a.sid, a.linked
)
SELECT count(*) AS at_home, coalesce(sum(CASE WHEN linked THEN 0 ELSE 1 END), 0) AS absent
FROM home
