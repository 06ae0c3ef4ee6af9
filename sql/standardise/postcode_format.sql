-- For inferring a source's postcode format: how many raw postcodes are non-empty (after
-- upper-casing and dropping everything but letters and digits) and how many of those have
-- the shape of a UK postcode, full (SW1A1AA, M11AE) or outward code only (SW1A, M1).
SELECT
    count(pc) AS non_empty,
    coalesce(sum(CASE WHEN regexp_matches(pc, '^[A-Z]{1,2}[0-9][A-Z0-9]?([0-9][A-Z]{2})?$')
                      THEN 1 ELSE 0 END), 0) AS uk_like
FROM (SELECT sl_postcode_compact(raw_postcode) AS pc FROM {{ source }}) AS p
