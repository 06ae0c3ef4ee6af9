-- Dates of birth per year: how many, and the latest (derives the reference date). A year
-- before 1000 is no birth year: it is a short year a four-digit format misread (03.04.85
-- under %d.%m.%Y is the year 85), flagged by check_date.sql, and would put the reference
-- date in the first century.
SELECT year(d) AS y, count(*) AS n, strftime(max(d), '%Y-%m-%d') AS last
FROM (SELECT {{ parsed|sql }} AS d FROM {{ raw }} r) p
WHERE d IS NOT NULL AND year(d) BETWEEN 1000 AND 9999
GROUP BY 1
ORDER BY 1
