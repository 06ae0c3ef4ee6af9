-- Dates of birth per year: how many, and the latest (derives the reference date).
SELECT year(d) AS y, count(*) AS n, strftime(max(d), '%Y-%m-%d') AS last
FROM (SELECT {{ parsed|sql }} AS d FROM {{ raw }} r) p
WHERE d IS NOT NULL AND year(d) BETWEEN 1 AND 9999
GROUP BY 1
ORDER BY 1
