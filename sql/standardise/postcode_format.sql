-- For inferring a source's postcode format: how many records have a non-empty postcode
-- (after upper-casing and dropping everything but letters and digits) and how many of
-- those have the shape of a UK postcode, full (SW1A1AA, M11AE) or outward code only
-- (SW1A, M1). Over the distinct postcodes with their record counts (postcodes.sql).
SELECT
    coalesce(sum(CASE WHEN compact IS NOT NULL THEN n ELSE 0 END), 0) AS non_empty,
    coalesce(sum(CASE WHEN regexp_matches(compact, '^[A-Z]{1,2}[0-9][A-Z0-9]?([0-9][A-Z]{2})?$')
                      THEN n ELSE 0 END), 0) AS uk_like
FROM {{ postcodes }}
