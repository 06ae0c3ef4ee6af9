-- Dates of birth per year: how many, and the latest (derives the reference date).
SELECT year(d) AS y, count(*) AS n, max(d) AS last
FROM (SELECT {{ parsed|sql }} AS d FROM {{ raw }} r) p
WHERE d IS NOT NULL
GROUP BY 1
ORDER BY 1
