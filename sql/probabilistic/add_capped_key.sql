-- Add a blocking key column that is NULL where the key is too common on the reference
-- side (more than $cap records), so one frequent name cannot flood prediction with pairs.
SELECT t.*, CASE WHEN c.n <= $cap THEN c.k END AS {{ column }}
FROM {{ table }} t
LEFT JOIN {{ counts }} c ON c.k = {{ key_t|sql }}
