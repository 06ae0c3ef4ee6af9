-- How often each blocking key occurs on the reference side (all records).
SELECT {{ key|sql }} AS k, count(*) AS n
FROM {{ ref }}
WHERE {{ present|sql }}
GROUP BY 1
