-- The reference records the source's deterministic links took (`record_level`'s claimed
-- class): one row with how many (n, r NULL), then one row (n NULL) for each that is the
-- reference record of a scored pair ({{ scored }}, text ids r), as text ids like the
-- scored pairs'.
WITH taken AS (
    SELECT DISTINCT CAST(reference_id AS VARCHAR) AS r
    FROM {{ links }}
    WHERE reference_id IS NOT NULL
)
SELECT CAST(NULL AS VARCHAR) AS r, count(*) AS n FROM taken
UNION ALL
SELECT r, NULL AS n FROM taken WHERE r IN (SELECT r FROM {{ scored }})
