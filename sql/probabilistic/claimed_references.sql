-- The reference records the source's deterministic links took (`record_level`'s claimed
-- class), as text ids like the scored pairs'.
SELECT DISTINCT CAST(reference_id AS VARCHAR) AS r
FROM {{ links }}
WHERE reference_id IS NOT NULL
