-- One step of the cascade: link where the key occurs exactly once on each side.
WITH ref_keys AS (
    SELECT {{ ref_key|sql }} AS k, min(record_id) AS reference_id
    FROM {{ ref_pool }}
    WHERE {{ ref_present|sql }}
    GROUP BY 1
    HAVING count(*) = 1
), src_keys AS (
    SELECT {{ src_key|sql }} AS k, min(record_id) AS source_id
    FROM {{ src_pool }}
    WHERE {{ src_present|sql }}
    GROUP BY 1
    HAVING count(*) = 1
)
SELECT r.reference_id, s.source_id, $method AS method
FROM ref_keys r
JOIN src_keys s ON r.k = s.k
