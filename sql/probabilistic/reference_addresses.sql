-- The address of each reference record of {{ ids }} (text ids r), as text ids
-- (`quality.evidence_dropped.enumerated`).
SELECT CAST(record_id AS VARCHAR) AS r, CAST(address AS VARCHAR) AS address
FROM {{ ref }}
WHERE CAST(record_id AS VARCHAR) IN (SELECT r FROM {{ ids }}) AND address IS NOT NULL
