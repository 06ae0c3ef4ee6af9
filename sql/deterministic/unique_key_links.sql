-- One step of the cascade: link where the key occurs exactly once on each side.
-- The reference's keys are counted only where the source's pool holds the key once (a
-- link needs both): the same links, without grouping every reference record by a key
-- the source no longer holds (the reference pool stays whole when links are not
-- one-to-one, while the source's shrinks at every step).
WITH src_keys AS (
    SELECT {{ src_key|sql }} AS k, min(record_id) AS source_id
    FROM {{ src_pool }}
    WHERE {{ src_present|sql }}
    GROUP BY 1
    HAVING count(*) = 1
), ref_keys AS (
    SELECT {{ ref_key|sql }} AS k, min(record_id) AS reference_id
    FROM {{ ref_pool }}
    WHERE {{ ref_present|sql }} AND {{ ref_key|sql }} IN (SELECT k FROM src_keys)
    GROUP BY 1
    HAVING count(*) = 1
)
SELECT r.reference_id, s.source_id, $method AS method
FROM ref_keys r
JOIN src_keys s ON r.k = s.k
