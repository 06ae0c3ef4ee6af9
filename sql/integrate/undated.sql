-- Values of most_recent variables whose record has no usable date (missing or not in the
-- date format): they rank after every dated value.
SELECT variable, source, count(*) AS n
FROM {{ candidates }}
WHERE rule = 'most_recent' AND value IS NOT NULL AND rec_date IS NULL
GROUP BY variable, source
ORDER BY variable, source
