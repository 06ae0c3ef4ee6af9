-- Quarantined rows per field and reason (the row a duplicate was first seen at left out,
-- so that duplicates count as one reason).
SELECT field || ': ' || regexp_replace(reason, ' \(first seen at (row|line) [0-9]+\)', '', 'g') AS r,
       count(*) AS n
FROM {{ quarantine }}
GROUP BY 1
ORDER BY 2 DESC, 1
