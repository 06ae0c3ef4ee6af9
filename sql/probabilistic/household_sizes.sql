-- Reference records at an address shared by 2 to $max_residents records (households, not
-- institutions), each with a deterministic hash of its address for sampling.
WITH sizes AS (
    SELECT address, count(*) AS n
    FROM {{ ref }}
    WHERE address IS NOT NULL
    GROUP BY address
)
SELECT t.*, abs(hash(t.address)) % $modulus AS __hh_bucket
FROM {{ ref }} t
JOIN sizes s ON s.address = t.address
WHERE s.n BETWEEN 2 AND $max_residents
