-- The reference's records per year of birth (quality.generation_apart: how far apart two
-- persons' dates are when one record carries another person's date).
SELECT year(TRY_CAST(CAST(dob_iso AS VARCHAR) AS DATE)) AS y, count(*) AS n
FROM {{ ref }}
WHERE TRY_CAST(CAST(dob_iso AS VARCHAR) AS DATE) IS NOT NULL
GROUP BY 1
ORDER BY 1
