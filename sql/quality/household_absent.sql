-- How often the reference lacks a person whose household it holds (quality.twins): of the
-- source records born by the reference's latest date of birth whose household (surname
-- and postcode, 2 to $max_residents such records) holds another record the stage linked
-- (`at_home`), how many are not linked themselves (`absent`).
WITH lk AS (SELECT DISTINCT source_id FROM {{ links }}),
h AS (
    SELECT s.last_name, s.postcode, count(*) AS n, count(lk.source_id) AS nl
    FROM {{ src }} s LEFT JOIN lk ON lk.source_id = CAST(s.record_id AS VARCHAR)
    WHERE s.last_name IS NOT NULL AND s.postcode IS NOT NULL
      AND s.dob_iso <= (SELECT max(dob_iso) FROM {{ ref }})
    GROUP BY s.last_name, s.postcode
    HAVING count(*) BETWEEN 2 AND $max_residents
)
SELECT coalesce(sum(CASE WHEN nl >= 2 THEN nl ELSE 0 END)
                + sum(CASE WHEN nl >= 1 THEN n - nl ELSE 0 END), 0) AS at_home,
       coalesce(sum(CASE WHEN nl >= 1 THEN n - nl ELSE 0 END), 0) AS absent
FROM h
